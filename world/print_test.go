package world

import (
	"strings"
	"testing"
)

// A result whose printString fails is shown in the built-in form, and the
// evaluation that made it is kept.
func TestEvalKeptWhenPrintingFails(t *testing.T) {
	for _, tc := range []struct {
		name, src, shown, kept string
	}{
		{"not understood", "traits _AddSlots: (| shape = (| parent* = traits clonable |) |)",
			`"printString not understood"`, "(reflect: traits) includesKey: 'shape'"},
		{"error", "lobby _AddSlots: (| shape = (| parent* = traits clonable. printString = ( error: 'bug' ) |) |). shape",
			`"printString failed: bug"`, "(reflect: lobby) includesKey: 'shape'"},
		{"stack overflow", "lobby _AddSlots: (| v = vector copySize: 1 |). v at: 0 Put: (| parent* = traits clonable. printString = ( printString ) |). v",
			`"printString failed: stack overflow"`, "(reflect: lobby) includesKey: 'v'"},
		{"not a string", "lobby _AddSlots: (| shape = (| parent* = traits clonable. printString = ( 3 ) |) |). shape",
			`"printString answered 3, not a string"`, "(reflect: lobby) includesKey: 'shape'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, dir := newWorld(t)
			shown := eval(t, w, tc.src)
			if !strings.HasSuffix(shown, "  "+tc.shown) {
				t.Fatalf("shown %q, want it to end with %s", shown, tc.shown)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w2, err := Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w2.Close()
			if got := eval(t, w2, tc.kept); got != "true" {
				t.Fatalf("%s: %s after reopening: the evaluation was not kept", tc.kept, got)
			}
		})
	}
}

// What printing changes (slots, a checkpoint it asks for) is thrown away.
func TestPrintingChangesDiscarded(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, `lobby _AddSlots: (| n <- 0. sneaky = (| parent* = traits clonable.
		printString = ( n: n + 1. lobby _AddSlots: (| printed = 1 |). world checkpoint: 'p'. 'sneaky' ) |) |)`)
	if got := eval(t, w, "sneaky"); got != "sneaky" {
		t.Fatalf("sneaky printed %q", got)
	}
	if got := eval(t, w, "n"); got != "0" {
		t.Fatalf("n = %s after printing, want 0", got)
	}
	if got := eval(t, w, "(reflect: lobby) includesKey: 'printed'"); got != "false" {
		t.Fatalf("a slot printing added was kept: %s", got)
	}
	if cps := w.Checkpoints(); len(cps) != 0 {
		t.Fatalf("printing made checkpoints %v", cps)
	}
	if w.Heap().InTransaction() {
		t.Fatal("printing left a transaction open")
	}
}

// A young result nothing persistent reaches (with young objects only it
// reaches), made by an evaluation that changes the world, is still
// printable after the commit.
func TestYoungResultPrintedAfterCommit(t *testing.T) {
	w, _ := newWorld(t)
	got := eval(t, w, "lobby _AddSlots: (| touched = 1 |). (vector copySize: 2 FillingWith: 'abc' copyMutable) , (vector copySize: 1 FillingWith: list copyRemoveAll)")
	if got != "('abc', 'abc', list())" {
		t.Fatalf("printed %q", got)
	}
	got = eval(t, w, "lobby _AddSlots: (| touched = 2 |). (| parent* = traits clonable. s <- 'a' copyMutable. p = (| parent* = traits clonable |) |)")
	if got != "(| parent* = traits clonable. s <- 'a'. p = (| parent* |) |)" {
		t.Fatalf("printed %q", got)
	}
}

// eval --at prints in the checkpoint's view, with the same fallback.
func TestEvalAtPrints(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| bare <- (| x <- 3 |) |)")
	if err := w.Checkpoint("c"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "bare: 4")
	got, err := w.EvalAt("c", "test", []byte("bare"))
	if err != nil || got != `(| x <- 3 |)  "printString not understood"` {
		t.Fatalf("at c: %q, %v", got, err)
	}
}
