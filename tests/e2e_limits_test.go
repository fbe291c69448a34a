package tests

// End-to-end tests of the limits on what one evaluation can ask of the
// machine: a chain of a million sends, nesting deeper than the parser
// allows, reading an endless file, a byteVector larger than memory, an
// integer too large to print, and Ctrl-C while a primitive waits.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"psyche/vm/syntax"
)

// limitsRunMeasured runs psyche with args and answers what it did and its
// peak resident memory in bytes, measured through a fresh process
// (measure_test.go: a child of this test process would report this
// process's own peak). A run killed by a signal shows as exit status 128 +
// the signal, as in a shell.
func (e *e2eEnv) limitsRunMeasured(args ...string) (e2eResult, int64) {
	e.t.Helper()
	self, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	rssFile := filepath.Join(e.t.TempDir(), "rss")
	cmd := exec.Command(self, append([]string{e.bin}, args...)...)
	cmd.Dir = e.dir
	cmd.Env = append(append([]string{}, e.env...), measureEnv+"="+rssFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	code, sig := e2eWait(e.t, cmd, e2eTimeout, "psyche "+strings.Join(args, " "))
	r := e2eResult{args: args, stdout: stdout.String(), stderr: stderr.String(), code: code, signal: sig}
	b, err := os.ReadFile(rssFile)
	if err != nil {
		e.t.Fatalf("psyche %s: no peak memory measured (%v)\n%s", strings.Join(args, " "), err, r)
	}
	rss, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		e.t.Fatal(err)
	}
	return r, rss
}

// limitsWorld makes a world with x = 1 committed and answers it with a copy
// of its heap file, to show later that failed evaluations left no trace.
func (e *e2eEnv) limitsWorld() (w string, heap []byte) {
	e.t.Helper()
	w = e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| x <- 1 |)", "lobby")
	return w, e2eRead(e.t, filepath.Join(w, "heap"))
}

// limitsIntact fails the test unless w is as limitsWorld left it.
func (e *e2eEnv) limitsIntact(w string, heap []byte, what string) {
	e.t.Helper()
	e2eSameBytes(e.t, filepath.Join(w, "heap"), heap, what)
	e.expectEval(w, "x", "1")
	e.checkWorld(w)
}

// A sum of a million terms gives its answer, in little memory; code
// nested deeper than the parser's limit is a syntax error naming it.
func TestE2ELimitsMillionTermSum(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	const terms = 1000000
	sum := e.path("sum.self")
	src := "(" + strings.Repeat("1 + ", terms-1) + "1) printLine"
	if err := os.WriteFile(sum, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, rss := e.limitsRunMeasured("run", "-w", w, sum)
	if r.code != 0 || r.out() != fmt.Sprint(terms) {
		t.Errorf("expected %d:\n%s", terms, r)
	}
	const budget = 1 << 30
	if rss > budget {
		t.Errorf("a million-term sum took %d MB of memory, more than %d MB", rss>>20, budget>>20)
	}

	deep := e.path("deep.self")
	d := syntax.MaxNesting + 1
	if err := os.WriteFile(deep, []byte(strings.Repeat("(", d)+"1"+strings.Repeat(")", d)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails(fmt.Sprintf("expression nested too deeply (limit %d)", syntax.MaxNesting), "run", "-w", w, deep)
	e.fails("expression nested too deeply", "eval", "-w", w, strings.Repeat("[", d)+"1"+strings.Repeat("]", d))
	e.expectEval(w, "3 + 4", "7")
}

// Reading /dev/zero, which claims to be empty and never ends, stops at
// the evaluation's memory limit with a clean failure; the world is
// untouched. (e2e_memory_test.go reads it inside a memory cgroup.)
func TestE2ELimitsEndlessFile(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w, heap := e.limitsWorld()
	e.fails("outOfMemoryError: this evaluation holds", "eval", "-w", w, "--memory", "64M", "x: 2. (file named: '/dev/zero') contents")
	e.limitsIntact(w, heap, "reading /dev/zero")
}

// A byteVector larger than the heap's object limit (the reserved range,
// 1 TiB) is refused before any memory or disk is touched.
func TestE2ELimitsHugeByteVector(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w, heap := e.limitsWorld()
	r, rss := e.limitsRunMeasured("eval", "-w", w, "x: 2. byteVector copySize: 12000000000000")
	e.checkFailure(r, "primitive _ByteVectorCopySize: failed: outOfMemoryError")
	if rss > 1<<30 {
		t.Errorf("refusing a 12 TB byteVector took %d MB of memory", rss>>20)
	}
	e.limitsIntact(w, heap, "a 12 TB byteVector")
	e.expectEval(w, "byteVector _ByteVectorCopySize: 12000000000000 IfFail: [|:e. :p| e]", "'outOfMemoryError'")
}

// An integer of a hundred million bits is refused as soon as a step would
// make it, long before it could be printed.
func TestE2ELimitsHugeInteger(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w, heap := e.limitsWorld()
	e.fails("integer too large: the result would have more than 1048576 bits",
		"eval", "-w", w, "x: 2. (2 power: 100000000) printString")
	e.limitsIntact(w, heap, "2 power: 100000000")
	e.expectEval(w, "(2 power: 1048575) printString size", "315653")
}

// Ctrl-C while a primitive waits (reading a pipe whose writer never writes
// nor closes) interrupts the evaluation, which rolls back.
func TestE2ELimitsInterruptInPrimitive(t *testing.T) {
	t.Parallel()
	e2eUnignoreSigint()
	e := newE2E(t)
	w, heap := e.limitsWorld()
	fifo := e.path("fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	writer, err := os.OpenFile(fifo, os.O_RDWR, 0) // a writer that stays silent
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()

	e.interruptRead(w, heap, "fifo", nil)
}

// interruptRead evaluates, in w (whose heap file was heap), a read of
// path's contents that prints 'reading' first, sends SIGINT once the read
// has begun, and checks that the evaluation failed as interrupted and left
// the world as it was. flags come before the expression.
func (e *e2eEnv) interruptRead(w string, heap []byte, path string, flags []string) {
	e.t.Helper()
	args := append(append([]string{"eval", "-w", w}, flags...), "x: 2. 'reading' printLine. (file named: '"+path+"') contents")
	cmd := e.command(args...)
	var stdout e2eSyncBuffer
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	for deadline := time.Now().Add(e2eTimeout); !strings.Contains(stdout.String(), "reading"); {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			e.t.Fatalf("psyche never started reading %s:\n%s", path, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // inside the read
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		e.t.Fatal(err)
	}
	code, sig := e2eWait(e.t, cmd, 15*time.Second, "psyche eval after SIGINT")
	r := e2eResult{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String(), code: code, signal: sig}
	e.checkFailure(r, "interrupted")
	e.limitsIntact(w, heap, "an interrupted read of "+path)
}
