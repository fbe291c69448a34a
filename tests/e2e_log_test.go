package tests

// Damage to a world's redo log (heap.log) after a crash is reported, never
// taken for a torn tail and truncated away, and a log deleted after a crash
// is not silently made again: the world refuses to open, exits 1 and
// changes no file, so that its files can be copied away for salvage.

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// e2eLogKilledWorld makes a world, runs n transactions in a REPL (each bumps
// counter and prints it), and kills the REPL with SIGKILL once it has
// printed the last one: the world's log then holds their n records, not yet
// in the heap's superblock. It answers the world's directory.
func e2eLogKilledWorld(t *testing.T, e *e2eEnv, n int) string {
	t.Helper()
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| counter <- 0 |)", "lobby")
	cmd := e.command("repl", "-w", w)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr e2eSyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for i := 1; i <= n; i++ {
		if _, err := in.Write([]byte("counter: counter + 1. counter\n")); err != nil {
			t.Fatal(err)
		}
		if !lines.Scan() || lines.Text() != strconv.Itoa(i) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("transaction %d: the REPL printed %q; stderr:\n%s", i, lines.Text(), stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if _, sig := e2eWait(t, cmd, 20*time.Second, "psyche repl after kill -9"); sig != syscall.SIGKILL {
		t.Fatalf("the REPL ended before it was killed; stderr:\n%s", stderr.String())
	}
	return w
}

// e2eLogFiles reads the world's heap files (a missing one as nil).
func e2eLogFiles(t *testing.T, w string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range []string{"heap", "heap.log", "heap.sums"} {
		b, err := os.ReadFile(filepath.Join(w, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files[name] = b
	}
	return files
}

// e2eLogUnchanged fails the test unless the world's heap files are as before.
func e2eLogUnchanged(t *testing.T, w string, before map[string][]byte, what string) {
	t.Helper()
	for name, b := range before {
		p := filepath.Join(w, name)
		if b == nil {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s: %s was made again (%v)", what, p, err)
			}
			continue
		}
		e2eSameBytes(t, p, b, what)
	}
}

// e2eLogFlip flips one bit of the byte at off in file p.
func e2eLogFlip(t *testing.T, p string, off int64) {
	t.Helper()
	b := e2eRead(t, p)
	b[off] ^= 0x10
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2ELogDamagedRecord flips one bit in the middle of a log whose
// records are all the same size (the same transaction, repeated), so in
// the middle record. With more records after it, it is damage; when the
// record after it is the last and torn (the crash came while it was being
// written), it is still damage: a crash tears only the last record. Every
// command that opens the world reports it (heap.log and the offset), exits
// 1, and changes nothing.
func TestE2ELogDamagedRecord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		records int
		tear    int64 // bytes cut from the end of the log
	}{
		{"middle of five", 5, 0},
		{"middle of three, last torn", 3, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newE2E(t)
			w := e2eLogKilledWorld(t, e, tc.records)
			log := filepath.Join(w, "heap.log")
			b := e2eRead(t, log)
			if len(b) == 0 || len(b)%tc.records != 0 {
				t.Fatalf("the log of %d equal transactions has %d bytes: its records are not all the same size", tc.records, len(b))
			}
			e2eLogFlip(t, log, int64(len(b)/2))
			if tc.tear > 0 {
				if err := os.Truncate(log, int64(len(b))-tc.tear); err != nil {
					t.Fatal(err)
				}
			}
			before := e2eLogFiles(t, w)
			for _, args := range [][]string{{"eval", "-w", w, "counter"}, {"check", "-w", w}, {"info", "-w", w}} {
				r := e.fails("heap corrupt", args...)
				if !strings.Contains(r.stderr, "heap.log offset") {
					t.Errorf("the error does not name the log and the offset:\n%s", r)
				}
				e2eLogUnchanged(t, w, before, args[0]+" of a world with a damaged log")
			}
		})
	}
}

// TestE2ELogMissingAfterCrash deletes the log of a world killed with
// transactions in it. The heap file holds their pages but not their state;
// going on would build on a broken heap. The world refuses to open, exits
// 1, changes nothing and does not make the log again; put back, the log
// recovers every transaction. A log deleted after a clean close held
// nothing, and the world opens.
func TestE2ELogMissingAfterCrash(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e2eLogKilledWorld(t, e, 3)
	log := filepath.Join(w, "heap.log")
	saved := e2eRead(t, log)
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	before := e2eLogFiles(t, w)
	for _, args := range [][]string{{"eval", "-w", w, "counter"}, {"check", "-w", w}} {
		e.fails("heap.log: the log is missing", args...)
		e2eLogUnchanged(t, w, before, args[0]+" of a world whose log was deleted")
	}
	if err := os.WriteFile(log, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	e.expectEval(w, "counter", "3")
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	e.expectEval(w, "counter: counter + 1. counter", "4")
	e.checkWorld(w)
}
