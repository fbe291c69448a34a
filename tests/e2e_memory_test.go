package tests

// End-to-end tests of the memory limit of an evaluation (--memory,
// PSYCHE_MEMORY) and of what keeps memory and the heap file following the
// live data: a string that doubles at every step, a string built by
// concatenation in a loop, an endless device read into the heap, a disk
// that fills up.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// memoryDoubling is 3 printString printString ... (100 times): each
// printString quotes the one before, escaping its quotes and backslashes,
// so the string doubles at every step.
var memoryDoubling = "x: 2. 3" + strings.Repeat(" printString", 100)

// The doubling string stops with outOfMemoryError at the limit, by flag or
// by environment variable, quickly; nothing of the evaluation is kept; the
// next evaluation works.
func TestE2EMemoryLimitStopsDoublingString(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w, heap := e.limitsWorld()
	start := time.Now()
	r := e.fails("outOfMemoryError: this evaluation holds", "eval", "-w", w, "--memory", "64M", memoryDoubling)
	if !strings.Contains(r.stderr, "past its memory limit of 64.0 MiB") || !strings.Contains(r.stderr, "<top level>") {
		t.Errorf("expected the limit and the Self stack:\n%s", r)
	}
	if took := time.Since(start); took > e2eTimeout/2 {
		t.Errorf("the doubling string ran %v before it was stopped", took)
	}
	e.limitsIntact(w, heap, "the doubling string stopped by --memory")
	env := e.withEnv(map[string]string{"PSYCHE_MEMORY": "32M"})
	env.fails("past its memory limit of 32.0 MiB", "eval", "-w", w, memoryDoubling)
	e.limitsIntact(w, heap, "the doubling string stopped by PSYCHE_MEMORY")
	env.fails("past its memory limit of 32.0 MiB", "run", "-w", w, "--memory", "32M", e.writeFile("doubling.self", memoryDoubling))
	e.limitsIntact(w, heap, "the doubling string run from a file")
	// The REPL: one input stopped, the next one works.
	r = e.runInput(memoryDoubling+".\n3 + 4.\n", "repl", "-w", w, "--memory", "32M")
	if !strings.Contains(r.stderr, "past its memory limit of 32.0 MiB") || !strings.Contains(r.stdout, "7") {
		t.Errorf("the REPL under --memory 32M:\n%s", r)
	}
	e.limitsIntact(w, heap, "the doubling string in the REPL")
	// An error names a huge receiver by the start of it, read alone.
	e.fails("undefinedSelector: foo sent to '"+strings.Repeat("y", 37)+"...'", "eval", "-w", w, "x: 2. ('' copySize: 30000000 FillingWith: 'y') foo")
	e.limitsIntact(w, heap, "an error sent to a 30 MB string")
	if r := e.run("eval", "-w", w, "--memory", "1K", "3"); r.code != 2 || !strings.Contains(r.stderr, "a memory limit of 1.0 KiB is too small") {
		t.Errorf("expected a usage error for --memory 1K:\n%s", r)
	}
	e.withEnv(map[string]string{"PSYCHE_MEMORY": "lots"}).fails(`PSYCHE_MEMORY="lots"`, "eval", "-w", w, "3")
}

// writeFile writes text to name in the test's directory and answers its path.
func (e *e2eEnv) writeFile(name, text string) string {
	e.t.Helper()
	p := e.path(name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// memoryConcatenations build a string of pieces 1000-byte pieces with ','
// in one evaluation, in a block's local and in a slot of the lobby (each
// step's string is stored into a persistent object, then replaced), and
// keep it in big.
func memoryConcatenations(pieces int) map[string]string {
	return map[string]string{
		"a local": fmt.Sprintf("big: [| s. piece | s: ''. piece: ('' copySize: 1000 FillingWith: 'y'). 1 to: %d Do: [|:i| s: s , piece]. s] value. big size", pieces),
		"a slot":  fmt.Sprintf("big: ''. 1 to: %d Do: [|:i| big: big , ('' copySize: 1000 FillingWith: 'y')]. big size", pieces),
	}
}

// A string built with ',' in a loop (2000 pieces, a 2 MB result; 6000 in
// soak), in a local and in a global slot, inside a 96 MiB memory cgroup:
// it completes, and the heap file grows by a few times the result, not by
// the 2 GB of strings the loop made (each dead copy is freed at a scavenge
// and its space reused).
func TestE2EMemoryConcatenationLoop(t *testing.T) {
	t.Parallel()
	pieces := 2000
	if os.Getenv("PSYCHE_SOAK") != "" {
		pieces = 6000
	}
	e := newE2E(t)
	cg := newScaleCgroups(t, 96<<20)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| big |)", "lobby")
	for where, program := range memoryConcatenations(pieces) {
		before := e2eFileSize(t, filepath.Join(w, "heap"))
		s, err := cg.start(e, e2eTimeout, "eval", "-w", w, program)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.wait()
		if err != nil {
			t.Fatal(err)
		}
		result := pieces * 1000
		if r.code != 0 || strings.TrimSpace(r.stdout) != fmt.Sprint(result) {
			t.Fatalf("%s: expected %d (%s):\n%s", where, result, r.describe(cg.limit), r.e2eResult)
		}
		grew := e2eFileSize(t, filepath.Join(w, "heap")) - before
		if budget := int64(3*result + 16<<20); grew > budget {
			t.Errorf("%s: a %d-byte result grew the heap file by %d bytes, more than %d", where, result, grew, budget)
		}
		t.Logf("%s, %d pieces: heap file +%.1f MB; %s", where, pieces, float64(grew)/1e6, r.describe(cg.limit))
		e.expectEval(w, "big size", fmt.Sprint(result))
	}
	e.checkWorld(w)
}

func e2eFileSize(t *testing.T, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// /dev/zero, which never ends, read inside a 96 MiB memory cgroup under a
// 512 MiB memory limit: streamed into the heap file, it stops at the limit
// with a clean error instead of being killed, and the world is untouched.
func TestE2EMemoryEndlessStreamInCgroup(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cg := newScaleCgroups(t, 96<<20)
	w, heap := e.limitsWorld()
	s, err := cg.start(e, e2eTimeout, "eval", "-w", w, "--memory", "512M", "x: 2. (file named: '/dev/zero') contents size")
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.wait()
	if err != nil {
		t.Fatal(err)
	}
	if r.oomKilled() {
		t.Fatalf("killed by the kernel: %s\n%s", r.describe(cg.limit), r.e2eResult)
	}
	e.checkFailure(r.e2eResult, "outOfMemoryError: this evaluation holds")
	t.Logf("%s", r.describe(cg.limit))
	e.limitsIntact(w, heap, "reading /dev/zero under a memory limit")
}

// Ctrl-C stops a read of /dev/zero under a limit it would take long to reach.
func TestE2EMemoryEndlessStreamInterrupted(t *testing.T) {
	t.Parallel()
	e2eUnignoreSigint()
	e := newE2E(t)
	w, heap := e.limitsWorld()
	e.interruptRead(w, heap, "/dev/zero", []string{"--memory", "64G"})
}

// A world on a small file system (a 72 MiB tmpfs): an object that does not
// fit is refused with "no space left on device", naming the file system's
// mount point and its free space; the world is untouched and works.
func TestE2EMemoryDiskFull(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	mnt := e.path("small")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=72m"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (needs root): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	w := filepath.Join(mnt, "w")
	e.ok("new", w)
	e.expectEval(w, "lobby _AddSlots: (| x <- 1 |)", "lobby")
	heap := e2eRead(t, filepath.Join(w, "heap"))
	r := e.fails("no space left on device", "eval", "-w", w, "x: 2. byteVector copySize: 20000000")
	for _, want := range []string{"primitive _ByteVectorCopySize: failed: outOfMemoryError", "on the file system at " + mnt, "MiB free"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("expected %q in the error:\n%s", want, r)
		}
	}
	e.limitsIntact(w, heap, "an object larger than the disk")
}
