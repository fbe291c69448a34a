package vm

import (
	"strings"
	"testing"

	"psyche/vm/object"
)

// The built-in form, on the skeleton (no core world, so no printString
// anywhere: every result shows the built-in form with the note).
func TestPrintResultBuiltInForm(t *testing.T) {
	vm, _ := newTestVM(t)
	for _, tc := range []struct{ src, want string }{
		{"(| x <- 3. y = 'a' |)", `(| x <- 3. y = 'a' |)`},
		{"(| p* = traits defaults. v <- vector |)", `(| p* = traits defaults. v <- a vector |)`},
		{"(vector _VectorCopySize: 2) _VectorAt: 0 Put: 'it\\'s'", `('it\'s', nil)`},
	} {
		r, err := vm.Eval("test", []byte(tc.src), Periods)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		got, err := vm.PrintResult(r)
		want := tc.want + `  "printString not understood"`
		if err != nil || got != want {
			t.Errorf("%s printed %q (%v), want %q", tc.src, got, err, want)
		}
		vm.h.Abort()
	}
}

// A vector that holds itself prints "..." where it appears again; a large
// one stops listing at ListLimit and counts the rest.
func TestPrintFormCyclesAndCut(t *testing.T) {
	vm, _ := newTestVM(t)
	v := vm.m.NewVector(2, vm.m.Nil)
	vm.m.VectorAtPut(v, 0, v)
	if got := vm.m.PrintForm(v); got != "(..., nil)" {
		t.Errorf("cyclic vector: %q", got)
	}
	big := vm.m.NewVector(1_000_000, vm.m.Nil)
	got := vm.m.PrintForm(big)
	if len(got) > object.PrintLimit || !strings.HasSuffix(got, " more))") {
		t.Errorf("a vector of a million: %d characters, ends %q", len(got), got[len(got)-30:])
	}
	bv := vm.m.NewByteVector(make([]byte, 10_000_000))
	got = vm.m.BytesPrintForm(bv)
	if len(got) > object.PrintLimit || !strings.HasSuffix(got, ", … (9996703 more))") {
		t.Errorf("a byteVector of 10 MB: %d characters, ends %q", len(got), got[len(got)-30:])
	}
	vm.h.Abort()
}

// CutText cuts at PrintLimit, at a character boundary, and counts the rest.
func TestCutText(t *testing.T) {
	short := []byte("abc")
	if got := object.CutText(short); got != "abc" {
		t.Errorf("CutText(abc) = %q", got)
	}
	long := []byte(strings.Repeat("é", object.PrintLimit)) // 2 bytes each
	got := object.CutText(long)
	want := strings.Repeat("é", object.PrintLimit/2) + "… (10000 more characters)"
	if got != want {
		t.Errorf("CutText of %d bytes ends %q", len(long), got[len(got)-40:])
	}
}

// Printing's step budget is its own: it neither takes from nor reports as
// the evaluation's steps.
func TestPrintResultKeepsSteps(t *testing.T) {
	vm, _ := newTestVM(t)
	r, err := vm.Eval("test", []byte("(| x = 1 |)"), Periods)
	if err != nil {
		t.Fatal(err)
	}
	steps := vm.Steps()
	if _, err := vm.PrintResult(r); err != nil {
		t.Fatal(err)
	}
	if vm.Steps() != steps || vm.StepLimit != 0 {
		t.Errorf("steps %d -> %d, limit %d", steps, vm.Steps(), vm.StepLimit)
	}
	vm.h.Abort()
}
