package tests

// psyche recover: for each kind of damage that stopped every command (the
// checksum table zeroed or a byte of it flipped, the heap file truncated, a
// byte flipped in a page read at open, damage in the middle of the log),
// the refusal names the next step, and recover builds a new world whose
// values are right, with a report that names what was damaged and lost. A
// log cut before transactions reported done (truncated, its last 4 KiB
// zeroed) is refused the same way instead of being replayed into an older
// state, and recover brings those transactions back from the heap file.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recoverWorld makes a world with a checkpoint and values to find again:
// x 42 and s 'hello' at the checkpoint "first", x 43 in the present, and a
// vector of 3000 strings in junk made last, at the end of the heap. It
// answers the world and where in the heap file junk's objects start and end.
func recoverWorld(e *e2eEnv, name string) (w string, junkStart, junkEnd int64) {
	e.t.Helper()
	w = e.newWorld(name)
	e.eval(w, "lobby _AddSlots: (| x <- 42. s <- 'hello'. junk <- nil |). x")
	e.ok("checkpoint", "-w", w, "first")
	e.eval(w, "x: 43. x")
	junkStart = recoverInUse(e, w)
	e.eval(w, "junk: ((vector copySize: 3000) mapBy: [|:i| 'junk' copyMutable]). junk size")
	return w, junkStart, recoverInUse(e, w)
}

// recoverInUse answers the end of the objects in w's heap file: the two
// superblock pages and the bytes in use (a new world frees nothing).
func recoverInUse(e *e2eEnv, w string) int64 {
	e.t.Helper()
	out := e.ok("info", "-w", w).stdout
	var used int64
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "heap in use:"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &used)
		}
	}
	if used == 0 {
		e.t.Fatalf("info does not say the heap in use:\n%s", out)
	}
	return 2*4096 + used
}

func recoverSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// recoverPatch writes b at off in the file at path.
func recoverPatch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// recoverFlip flips every bit of the byte at off in the file at path.
func recoverFlip(t *testing.T, path string, off int64) {
	t.Helper()
	b := e2eRead(t, path)
	recoverPatch(t, path, off, []byte{^b[off]})
}

// recoverRefused checks that a command on the damaged world w fails and
// names psyche recover as the next step.
func recoverRefused(e *e2eEnv, w, want string) {
	e.t.Helper()
	r := e.fails(want, "eval", "-w", w, "x")
	if !strings.Contains(r.stderr, "psyche recover "+w+" NEWDIR") {
		e.t.Errorf("the refusal does not name psyche recover:\n%s", r)
	}
}

// recoverInto runs psyche recover w into a new directory and checks that
// the report is printed and kept in the new world, that it names each of
// wants, and that the new world checks clean. It answers the new world
// and the report.
func recoverInto(e *e2eEnv, w string, wants ...string) (string, string) {
	e.t.Helper()
	nw := w + "-recovered"
	r := e.ok("recover", w, nw)
	kept := string(e2eRead(e.t, filepath.Join(nw, "recovery.txt")))
	if kept != r.stdout {
		e.t.Errorf("recovery.txt differs from the printed report:\n%s\n---\n%s", kept, r.stdout)
	}
	for _, want := range wants {
		if !strings.Contains(r.stdout, want) {
			e.t.Errorf("the report does not say %q:\n%s", want, r.stdout)
		}
	}
	e.checkWorld(nw)
	return nw, r.stdout
}

func TestE2ERecoverSumsZeroed(t *testing.T) {
	e := newE2E(t)
	w, _, _ := recoverWorld(e, "w")
	sums := filepath.Join(w, "heap.sums")
	recoverPatch(t, sums, 0, make([]byte, recoverSize(t, sums)))
	recoverRefused(e, w, "page was never written but is not empty")
	nw, _ := recoverInto(e, w, "pages read although their checksum failed", "nothing was lost")
	e.expectEval(nw, "x", "43")
	e.expectEval(nw, "s", "'hello'")
	e.expectEval(nw, "junk size", "3000")
	e.expectEval(nw, "(junk at: 2999) , '!'", "'junk!'")
	recoverAt(e, nw, "first", "x", "42")
	e.expectEval(nw, "x: x + 1. x", "44")
}

func TestE2ERecoverSumsByteFlipped(t *testing.T) {
	e := newE2E(t)
	w, _, _ := recoverWorld(e, "w")
	// Page 2, the first of objects, holds the well-known objects every
	// command reads; flip the low byte of its checksum.
	recoverFlip(t, filepath.Join(w, "heap.sums"), 2*8)
	recoverRefused(e, w, "checksum mismatch")
	nw, _ := recoverInto(e, w, "pages read although their checksum failed", "(pages 2)", "nothing was lost")
	e.expectEval(nw, "x", "43")
	e.expectEval(nw, "s", "'hello'")
	e.expectEval(nw, "junk size", "3000")
}

func TestE2ERecoverFlippedPageByte(t *testing.T) {
	e := newE2E(t)
	w, _, _ := recoverWorld(e, "w")
	recoverFlip(t, filepath.Join(w, "heap"), 2*4096+300)
	recoverRefused(e, w, "page 2")
	nw, _ := recoverInto(e, w, "repaired", "page 2: byte at offset 8492", "nothing was lost")
	e.expectEval(nw, "x", "43")
	e.expectEval(nw, "s", "'hello'")
	recoverAt(e, nw, "first", "s", "'hello'")
	e.expectEval(nw, "x", "43")
}

func TestE2ERecoverTruncatedHeap(t *testing.T) {
	e := newE2E(t)
	w, junkStart, junkEnd := recoverWorld(e, "w")
	heapFile := filepath.Join(w, "heap")
	cut := (junkStart + (junkEnd-junkStart)/2) &^ 4095
	if err := os.Truncate(heapFile, cut); err != nil {
		t.Fatal(err)
	}
	recoverRefused(e, w, "heap file truncated")
	nw, report := recoverInto(e, w, "heap file truncated", "pages that could not be read", "lost: ", "some data was lost")
	e.expectEval(nw, "x", "43")
	e.expectEval(nw, "s", "'hello'")
	// junk's strings past the cut are lost (nil), those before it kept.
	out := e.eval(nw, "[| n <- 0 | junk do: [|:j| j isNil ifFalse: [n: n + 1]]. n] value")
	if out == "3000" || out == "0" && !strings.Contains(report, "slot junk") {
		t.Errorf("after cutting the file in the middle of junk, %s of its 3000 strings are left:\n%s", out, report)
	}
	e.expectEval(nw, "x: x + 1. x", "44")
}

// recoverAt checks what expr answers at checkpoint cp of world w.
func recoverAt(e *e2eEnv, w, cp, expr, want string) {
	e.t.Helper()
	if out := e.ok("eval", "-w", w, "--at", cp, expr).out(); out != want {
		e.t.Errorf("at checkpoint %s, %s is %s, want %s", cp, expr, out, want)
	}
}

// recoverKilled makes a world whose log holds six transactions the REPL
// reported done (x 101 to 106), killed before it could close, made after
// the checkpoint "before" (x 100), whose delta holds the pages they changed.
func recoverKilled(e *e2eEnv) string {
	e.t.Helper()
	w := e.newWorld("killed")
	e.eval(w, "lobby _AddSlots: (| x <- 100. s <- 'hello' |). x")
	e.ok("checkpoint", "-w", w, "before")
	cmd := e.command("repl", "-w", w)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var out e2eSyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	defer stdin.Close()
	for i := 101; i <= 106; i++ {
		fmt.Fprintf(stdin, "x: %d. s: 'hello-%d'. x\n", i, i)
	}
	deadline := time.Now().Add(e2eTimeout)
	for !strings.Contains(out.String(), "106") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			e.t.Fatalf("the REPL never printed 106:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if recoverSize(e.t, filepath.Join(w, "heap.log")) == 0 {
		e.t.Fatal("the killed world's log holds no records")
	}
	return w
}

func TestE2ERecoverLogDamagedInTheMiddle(t *testing.T) {
	e := newE2E(t)
	w := recoverKilled(e)
	recoverFlip(t, filepath.Join(w, "heap.log"), 5000) // in the first record's first page
	recoverRefused(e, w, "heap.log")
	nw, _ := recoverInto(e, w, "damaged record", "the log was cut", "past its committed length were used")
	// The heap file holds every page the killed process wrote, and the
	// checkpoint's delta the old contents of those it changed.
	e.expectEval(nw, "x", "106")
	e.expectEval(nw, "s", "'hello-106'")
	recoverAt(e, nw, "before", "x", "100")
	recoverAt(e, nw, "before", "s", "'hello'")
}

// TestE2ERecoverBothSuperblocks: with both superblocks gone, the state is
// the one the log's records carry (a killed world's), and the heap file's
// pages are read by it.
func TestE2ERecoverBothSuperblocks(t *testing.T) {
	e := newE2E(t)
	w := recoverKilled(e)
	recoverPatch(t, filepath.Join(w, "heap"), 0, make([]byte, 2*4096))
	recoverRefused(e, w, "not a psyche heap file")
	nw, _ := recoverInto(e, w, "not a psyche heap file")
	e.expectEval(nw, "x", "106")
	e.expectEval(nw, "s", "'hello-106'")
	recoverAt(e, nw, "before", "x", "100")
}

func TestE2ERecoverCutLog(t *testing.T) {
	for _, c := range []struct {
		name string
		cut  func(t *testing.T, log string)
	}{
		{"truncated", func(t *testing.T, log string) {
			if err := os.Truncate(log, recoverSize(t, log)/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"last 4 KiB zeroed", func(t *testing.T, log string) {
			recoverPatch(t, log, recoverSize(t, log)-4096, make([]byte, 4096))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t)
			w := recoverKilled(e)
			c.cut(t, filepath.Join(w, "heap.log"))
			recoverRefused(e, w, "the log was cut")
			if r := e.run("check", "-w", w); r.code != 1 || !strings.Contains(r.stderr, "the log was cut") {
				t.Errorf("check does not report the cut log:\n%s", r)
			}
			nw, _ := recoverInto(e, w, "the log was cut")
			e.expectEval(nw, "x", "106")
			e.expectEval(nw, "s", "'hello-106'")
			recoverAt(e, nw, "before", "x", "100")
		})
	}
}

func TestE2ERecoverHealthyWorld(t *testing.T) {
	e := newE2E(t)
	w, _, _ := recoverWorld(e, "w")
	before := e2eRead(t, filepath.Join(w, "heap"))
	nw, _ := recoverInto(e, w, "damage found on opening: none", `checkpoint "first": `, "nothing was lost")
	e2eSameBytes(t, filepath.Join(w, "heap"), before, "recover wrote the world it read")
	e.expectEval(nw, "x", "43")
	e.expectEval(nw, "junk size", "3000")
	if out := e.ok("checkpoints", "-w", nw).out(); !strings.Contains(out, "first") {
		t.Errorf("the checkpoint was not kept: %q", out)
	}
	recoverAt(e, nw, "first", "x", "42")
	e.fails("holds", "recover", w, nw)
}
