package tests

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An error inside inlined blocks (to:Do: and ifTrue:, compiled to jumps)
// names the place of the failing send within the method, which is the
// frame that runs them.
func TestE2EInliningErrorPlaceInLoop(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	f := e.runWrite("loop.self", `lobby _AddSlots: (|
    sum: k = ( | s <- 0 | 1 to: 5 Do: [|:i| i = k ifTrue: [s: s + (10 / 0)]. s: s + i]. s ) |).
sum: 3.
`)
	r := e.fails("divisionByZeroError", "run", "-w", w, f)
	// the frames of / and its IfFail: block, then the method's own
	want := "  sum: (receiver: lobby) at loop.self:2:71\n" +
		"  <top level> (receiver: lobby) at loop.self:3:1\n"
	if !strings.HasSuffix(r.stderr, want) || !strings.Contains(r.stderr, "\n  / (receiver: 10) at bootstrap/20-integer.self:") {
		t.Fatalf("standard error:\n%s\nwant it to end with:\n%s", r.stderr, want)
	}
	e.checkWorld(w)
}

// Ctrl-C stops a tight inlined loop that makes no send: its backward jump
// looks for the interrupt.
func TestE2EInliningInterruptTightLoop(t *testing.T) {
	e2eUnignoreSigint()
	e := newE2E(t)
	w := e.newWorld("w")
	cmd := e.command("eval", "-w", w, "'looping' printLine. [| i <- 0 | [true] whileTrue: [i: i + 1]] value")
	var stdout e2eSyncBuffer
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(e2eTimeout); !strings.Contains(stdout.String(), "looping"); {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("psyche never started looping:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code, sig := e2eWait(t, cmd, 15*time.Second, "psyche eval after SIGINT")
	r := e2eResult{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String(), code: code, signal: sig}
	e.checkFailure(r, "interrupted")
	e.checkWorld(w)
}
