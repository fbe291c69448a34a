package tests

// Work is never lost to printing (LANGUAGE.md section 5, DESIGN.md
// "Printing is not part of the evaluation"): eval, eval --at and the REPL
// commit the evaluation before they print its result; a printString that
// fails shows the built-in form with a note; what printing changes is
// thrown away; cycles print as ...; a result's text is cut at 10,000
// characters, and printing a 50 MB byteVector costs what printing its
// first few thousand bytes does.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// printingLimit is docs/vm.md's cut of one result (object.PrintLimit), plus
// room for the mark that says how much was left out.
const printingLimit = 10000 + 100

// An evaluation whose result cannot be printed is kept, and the result is
// shown in the built-in form with a note that says why.
func TestE2EPrintingKeepsEvaluation(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	for _, tc := range []struct {
		name, src, shown, check, kept string
	}{
		{"traits object without printString",
			"traits _AddSlots: (| shape = (| parent* = traits clonable |) |)",
			`"printString not understood"`,
			"traits shape", "(| parent* = traits clonable |)"},
		{"parentless object literal",
			"lobby _AddSlots: (| bare <- (| x <- 3 |) |). bare",
			`(| x <- 3 |)  "printString not understood"`,
			"bare x", "3"},
		{"printString with a bug",
			"lobby _AddSlots: (| buggy = (| parent* = traits clonable. n <- 1. printString = ( n foo ) |) |). buggy",
			`(| parent* = traits clonable. n <- 1 |)  "printString failed: undefinedSelector: foo sent to 1"`,
			"buggy n", "1"},
		{"printString that answers a number",
			"lobby _AddSlots: (| number = (| parent* = traits clonable. printString = ( 42 ) |) |). number",
			`(| parent* = traits clonable |)  "printString answered 42, not a string"`,
			"(reflect: lobby) includesKey: 'number'", "true"},
		{"printString that never ends",
			"lobby _AddSlots: (| looper = (| parent* = traits clonable. printString = ( [true] whileTrue ) |) |). looper",
			`(| parent* = traits clonable |)  "printString failed: it made more than 2000000 sends"`,
			"(reflect: lobby) includesKey: 'looper'", "true"},
		{"printString that overflows the stack",
			"lobby _AddSlots: (| deep = (| parent* = traits clonable. printString = ( printString ) |) |). deep",
			`(| parent* = traits clonable |)  "printString failed: stack overflow"`,
			"(reflect: lobby) includesKey: 'deep'", "true"},
	} {
		r := e.run("eval", "-w", w, tc.src)
		if r.code != 0 || r.err != nil || !strings.HasSuffix(r.out(), tc.shown) {
			t.Errorf("%s: expected success and output ending %q:\n%s", tc.name, tc.shown, r)
			continue
		}
		e.expectEval(w, tc.check, tc.kept)
	}
	e.checkWorld(w)
}

// What printString changes while printing a result is thrown away; the
// evaluation that made the result is kept.
func TestE2EPrintingDiscardsItsChanges(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, `lobby _AddSlots: (| count <- 0. sneaky = (| parent* = traits clonable.
		printString = ( count: count + 1. lobby _AddSlots: (| leaked = 1 |). world checkpoint: 'leak'. 'sneaky' ) |) |). count: 10. sneaky`,
		"sneaky")
	e.expectEval(w, "count", "10")
	e.expectEval(w, "(reflect: lobby) includesKey: 'leaked'", "false")
	if r := e.ok("checkpoints", "-w", w); strings.Contains(r.stdout, "leak") {
		t.Errorf("printing made a checkpoint:\n%s", r)
	}
	// The same printString, sent inside an evaluation, is part of it.
	e.expectEval(w, "sneaky printString. count", "11")
}

// Collections that contain themselves print ... where they appear again.
func TestE2EPrintingCycles(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| v <- vector copySize: 2 |). v at: 0 Put: v. v at: 1 Put: 5. v", "((...), 5)")
	e.expectEval(w, "v size", "2")
	e.expectEval(w, "lobby _AddSlots: (| l <- list copyRemoveAll |). l add: l. l add: v. l", "list(list(...), ((...), 5))")
	e.expectEval(w, "lobby _AddSlots: (| d <- dictionary copyRemoveAll |). d at: 1 Put: d. d", "dictionary(1 -> dictionary(...))")
	e.expectEval(w, "lobby _AddSlots: (| o = (| parent* = traits clonable. me <- nil |) |). o me: o. o",
		"(| parent* = traits clonable. me <- ... |)")
}

// Plain objects show their slots with values, one level deep.
func TestE2EPrintingPlainObjects(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "traits _AddSlots: (| point = (| parent* = traits clonable |) |). 0", "0")
	e.expectEval(w, "lobby _AddSlots: (| p = (| parent* = traits point. x <- 3. y <- 'a'. inner = (| a = 1. b <- 2 |). m = ( x ) |) |). p",
		"(| parent* = traits point. x <- 3. y <- 'a'. inner = (| a. b |) |)")
}

// A result's text is cut at 10,000 characters, while it is built: a
// collection stops listing and counts the rest, a long string is cut with
// the number of characters left out.
func TestE2EPrintingCutsLongResults(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	for _, tc := range []struct {
		src  string
		tail *regexp.Regexp
	}{
		{"lobby _AddSlots: (| bytes <- byteVector copySize: 300000 |). bytes", regexp.MustCompile(`^byteVector\(0, 0, .*, 0, … \(29\d{4} more\)\)$`)},
		{"lobby _AddSlots: (| elements <- vector copySize: 300000 |). elements", regexp.MustCompile(`^\(nil, nil, .*, nil, … \(29\d{4} more\)\)$`)},
		{"lobby _AddSlots: (| text <- 'ab' |). 17 timesRepeat: [text: text , text]. text", regexp.MustCompile(`^'[ab]+… \(252\d{3} more characters\)$`)},
	} {
		r := e.run("eval", "-w", w, tc.src)
		if r.code != 0 || r.err != nil || len(r.out()) > printingLimit || !tc.tail.MatchString(r.out()) {
			t.Errorf("%s: expected success and at most %d characters matching %s; got %d characters:\n%.300s",
				tc.src, printingLimit, tc.tail, len(r.out()), r)
		}
	}
	e.expectEval(w, "bytes size + elements size", "600000")
}

// eval --at prints in the checkpoint's read-only view, with the same
// fallback, and keeps nothing.
func TestE2EPrintingEvalAt(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.eval(w, "lobby _AddSlots: (| bare <- (| x <- 3 |). v <- vector copySize: 1 |). v at: 0 Put: v")
	e.ok("checkpoint", "-w", w, "c")
	e.eval(w, "bare: 4")
	r := e.ok("eval", "-w", w, "--at", "c", "bare")
	if want := `(| x <- 3 |)  "printString not understood"`; r.out() != want {
		t.Errorf("eval --at c bare: want %q:\n%s", want, r)
	}
	r = e.ok("eval", "-w", w, "--at", "c", "v")
	if want := "((...))"; r.out() != want {
		t.Errorf("eval --at c v: want %q:\n%s", want, r)
	}
	e.expectEval(w, "bare", "4")
}

// The judged scenario: a REPL on a pseudo-terminal defines a traits object
// without printString, a self-containing vector and a 50 MB byteVector,
// and finds all three kept, there and in a later process.
func TestE2EPrintingReplKeepsAll(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	p := e2eStartPty(t, e, "repl", "-w", w)
	p.prompt()
	p.enter("traits _AddSlots: (| shape = (| parent* = traits clonable |) |)")
	p.expect(`shape = traits shape`)
	p.expect(`"printString not understood"`)
	p.prompt()
	p.eval("lobby _AddSlots: (| v <- vector copySize: 1 |)", "lobby")
	p.eval("v at: 0 Put: v", "((...))")
	p.eval("lobby _AddSlots: (| big <- byteVector copySize: 50000000 |)", "lobby")
	p.enter("big at: 49999999 Put: 7")
	p.waitFor(regexp.MustCompile(`(?m)^byteVector\(0, 0, [0, ]*… \(4999\d{4} more\)\)\n`), "the cut form of big")
	p.prompt()
	p.eval("traits shape", "(| parent* = traits clonable |)")
	p.eval("(v at: 0) == v", "true")
	p.eval("(big size) + (big at: 49999999)", fmt.Sprint(50000000+7))
	p.typeKeys("\x04")
	if code := p.wait(); code != 0 {
		t.Errorf("the REPL exited %d", code)
	}
	e.expectEval(w, "traits shape", "(| parent* = traits clonable |)")
	e.expectEval(w, "v", "((...))")
	e.expectEval(w, "(big size) + (big at: 49999999)", fmt.Sprint(50000000+7))
	e.checkWorld(w)
}
