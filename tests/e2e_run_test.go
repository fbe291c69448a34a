package tests

// psyche run: a program's statements run one after another as one
// transaction, only what the program prints is shown, - reads standard
// input, and an error names FILE:LINE:COL in every frame of its stack.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"psyche/vm"
)

// runWrite writes a program into the test's directory and answers its name
// there (psyche runs in that directory, so errors name it the same way).
func (e *e2eEnv) runWrite(name, src string) string {
	e.t.Helper()
	if err := os.WriteFile(e.path(name), []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return name
}

// A statement's object literals are built when it is reached, so the usual
// layout works: a prototype, then a slot made from it.
func TestE2ERunStatementUsesTheOneBefore(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	f := e.runWrite("point.self", `lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 3. y <- 4 |) |).
lobby _AddSlots: (| origin = point clone |).
origin x: 0.
(origin x printString, ' ', point x printString) printLine.
`)
	if r := e.ok("run", "-w", w, f); r.stdout != "0 3\n" {
		t.Errorf("expected the program's output %q:\n%s", "0 3\n", r)
	}
	e.expectEval(w, "origin y + point x", "7")
}

// run shows what the program prints, not the value of its last statement.
func TestE2ERunPrintsOnlyProgramOutput(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	f := e.runWrite("out.self", "'hello' printLine.\n3 + 4\n")
	if r := e.ok("run", "-w", w, f); r.stdout != "hello\n" || r.stderr != "" {
		t.Errorf("expected only %q on standard output and nothing on standard error:\n%s", "hello\n", r)
	}
}

// run - reads the program from standard input; errors name it <stdin>.
func TestE2ERunReadsStandardInput(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	r := e.runInput("lobby _AddSlots: (| fromStdin <- 5 |).\nfromStdin printLine.\n", "run", "-w", w, "-")
	if r.code != 0 || r.stdout != "5\n" {
		t.Errorf("expected %q:\n%s", "5\n", r)
	}
	e.expectEval(w, "fromStdin", "5")
	r = e.runInput("1 printLine.\n2 zork.\n", "run", "-w", w, "-")
	e.checkFailure(r, "undefinedSelector: zork sent to 2")
	if !strings.Contains(r.stderr, "<top level> (receiver: lobby) at <stdin>:2:3\n") {
		t.Errorf("expected the failing send's place <stdin>:2:3:\n%s", r)
	}
}

// An error in the third statement undoes the first two: the heap file is
// byte for byte what it was, and the error is the third statement's.
func TestE2ERunErrorLeavesNoTrace(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	f := e.runWrite("bad.self", `lobby _AddSlots: (| account = (| parent* = traits clonable. balance <- 10 |) |).
lobby _AddSlots: (| mine = account clone |).
mine withdraw: 20.
`)
	heap := e2eRead(t, filepath.Join(w, "heap"))
	r := e.fails("undefinedSelector: withdraw: sent to", "run", "-w", w, f)
	if !strings.Contains(r.stderr, "at bad.self:3:6\n") {
		t.Errorf("expected the error to name bad.self:3:6, the third statement's send:\n%s", r)
	}
	e2eSameBytes(t, filepath.Join(w, "heap"), heap, "run whose third statement failed")
	e.fails("undefinedSelector: account sent to lobby", "eval", "-w", w, "account")
	e.checkWorld(w)
}

// Every frame of the Self stack names the place of the send it waits on:
// the program's own methods and blocks their lines in the file, the core
// world's methods theirs in bootstrap/. (The block is a variable's value,
// so ifTrue: is a real send; an inlined block has no frame of its own.)
func TestE2ERunErrorNamesEveryFramesPlace(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	f := e.runWrite("place.self", `lobby _AddSlots: (|
    check: n = ( | b | b: [ n zork ]. n > 2 ifTrue: b. check: n + 1 ) |).
check: 1.
`)
	r := e.fails("undefinedSelector: zork sent to 3", "run", "-w", w, f)
	want := []string{
		"error: undefinedSelector: zork sent to 3",
		"  [] in block value (receiver: lobby) at place.self:2:31",
		`  ifTrue: \(receiver: true\) at bootstrap/10-boolean\.self:\d+:\d+`,
		"  check: (receiver: lobby) at place.self:2:45",
		"  check: (receiver: lobby) at place.self:2:56",
		"  check: (receiver: lobby) at place.self:2:56",
		"  <top level> (receiver: lobby) at place.self:3:1",
	}
	got := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("expected %d lines on standard error:\n%s", len(want), r)
	}
	for i, line := range got {
		pattern := want[i]
		if i != 2 {
			pattern = regexp.QuoteMeta(pattern)
		}
		if !regexp.MustCompile("^" + pattern + "$").MatchString(line) {
			t.Errorf("line %d: got %q, want %q", i+1, line, want[i])
		}
	}
}

// A runaway recursion's stack overflow lists the repeating frames once and
// counts the repetitions, instead of 50 identical lines.
func TestE2ERunStackOverflowFoldsRepeats(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	f := e.runWrite("deep.self", "lobby _AddSlots: (| down: n = ( [ down: n + 1 ] value ) |).\ndown: 1.\n")
	r := e.fails("stack overflow", "run", "-w", w, f)
	// The top-level frame, then down: and its block in turn up to the limit.
	cycle := vm.MaxDepth - 1
	want := fmt.Sprintf("error: stack overflow\n"+
		"  down: (receiver: lobby) at deep.self:1:49\n"+
		"  [] in block value (receiver: lobby) at deep.self:1:35\n"+
		"  ... the 2 frames above repeat %d more times\n", cycle/2-1)
	if cycle%2 == 1 {
		want += "  down: (receiver: lobby) at deep.self:1:49\n"
	}
	want += "  <top level> (receiver: lobby) at deep.self:2:1\n"
	if r.stderr != want {
		t.Errorf("expected standard error\n%s\ngot:\n%s", e2eIndent(want), r)
	}
}
