package vm_test

import (
	"math"
	"testing"

	"psyche/heap"
	"psyche/vm"
)

// TestBoxedFloatsOfOldWorlds: a world made before immediate floats holds
// boxed floats of every value (in slots and as method literals). They must
// compute, compare and print as immediates do, in the interpreter's own
// arithmetic and in real sends, and their results take the immediate form.
func TestBoxedFloatsOfOldWorlds(t *testing.T) {
	v := coreVM(t)
	m := v.Model()
	eval := func(src string) heap.Oop {
		t.Helper()
		r, err := v.Eval("test", []byte(src), vm.Periods)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		return r
	}
	eval("lobby _AddSlots: (| old <- 0. other <- 0. sum = ( old + other ). quotient = ( old / 4 ). less = ( old < other ) |)")
	if _, err := v.Send(m.Lobby, "old:", m.NewFloat(1.5)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Send(m.Lobby, "other:", m.NewFloat(2.5)); err != nil {
		t.Fatal(err)
	}
	if o := eval("old"); !o.IsPtr() || m.FloatOf(o) != 1.5 {
		t.Fatalf("the slot holds %#x, want a boxed 1.5", uint64(o))
	}
	imm := func(f float64) heap.Oop {
		o, ok := heap.FromFloat(f)
		if !ok {
			t.Fatalf("%g has no immediate form", f)
		}
		return o
	}
	for _, c := range []struct {
		src  string
		want heap.Oop
	}{
		{"sum", imm(4)},          // opArith, both boxed
		{"quotient", imm(0.375)}, // opArith /, boxed by integer
		{"less", m.True},
		{"old + 1.5", imm(3)},
		{"1.5 + old", imm(3)},
		{"old = 1.5", m.True},
		{"1.5 = old", m.True},
		{"old == 1.5", m.False}, // a box is an object of its own
		{"old hash = 1.5 hash", m.True},
		{"old * 2", imm(3)},
		{"old - 0.5", imm(1)},
		{"(old * old) sqrt", imm(1.5)},
		{"old truncate", heap.FromInt(1)},
		{"old clone == old", m.True},
	} {
		if got := eval(c.src); got != c.want {
			t.Errorf("%s answered %s (%#x), want %s", c.src, m.Describe(got), uint64(got), m.Describe(c.want))
		}
	}
	if s := m.Describe(eval("old")); s != "1.5" {
		t.Errorf("a boxed 1.5 describes as %q", s)
	}
	if r, err := v.PrintResult(eval("old printString")); err != nil || r != "'1.5'" {
		t.Errorf("old printString printed %q (%v)", r, err)
	}
	// a float outside the immediate range stays boxed, and comes back
	if o := eval("old * 1e300"); !o.IsPtr() || m.FloatOf(o) != 1.5e300 {
		t.Errorf("old * 1e300 answered %#x", uint64(o))
	}
	if o := eval("(old * 1e300) / 1e300"); o != imm(1.5) {
		t.Errorf("(old * 1e300) / 1e300 answered %#x", uint64(o))
	}
	if o := eval("old / 0"); !o.IsPtr() || !math.IsInf(m.FloatOf(o), 1) {
		t.Errorf("old / 0 answered %s", m.Describe(o))
	}
}
