package vm_test

import (
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"psyche/bootstrap"
	"psyche/heap"
	"psyche/vm"
)

// coreVM makes a heap holding the core world.
func coreVM(t *testing.T) *vm.VM {
	t.Helper()
	h, err := heap.Create(filepath.Join(t.TempDir(), "heap"), heap.Options{Reserve: 4 << 30, YoungReserve: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	v := vm.New(h, io.Discard)
	v.BuildSkeleton()
	if err := bootstrap.Build(v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCoreGuards: every guard holds in the core world, so the table in
// guards.go matches bootstrap/*.self; and a user's redefinition breaks
// the guards that depend on it, and only those.
func TestCoreGuards(t *testing.T) {
	v := coreVM(t)
	if f := v.FailingGuards(); len(f) != 0 {
		t.Fatalf("guards that do not hold in the core world: %v (guards.go no longer matches bootstrap)", f)
	}
	if _, err := v.Eval("test", []byte("traits false _AddSlots: (| ifFalse: b = ( 'mine' ) |)"), vm.Periods); err != nil {
		t.Fatal(err)
	}
	want := []string{"ifFalse:", "whileTrue:", "whileTrue", "to:Do:", "to:By:Do:", "timesRepeat:"}
	if f := v.FailingGuards(); !reflect.DeepEqual(f, want) {
		t.Fatalf("after redefining false ifFalse:, failing guards %v, want %v", f, want)
	}
	if _, err := v.Eval("test", []byte("traits integer _AddSlots: (| + n = ( _IntSub: n ) |)"), vm.Periods); err != nil {
		t.Fatal(err)
	}
	if f := v.FailingGuards(); !reflect.DeepEqual(f, append(want, "integer +")) {
		t.Fatalf("after redefining integer +, failing guards %v", f)
	}
	want = append(want, "integer +")
	if _, err := v.Eval("test", []byte("traits byteVector _AddSlots: (| at: i Put: b = ( _ByteAt: i Put: b IfFail: [nil] ) |). traits vector _AddSlots: (| at: i = ( 'mine' ) |)"), vm.Periods); err != nil {
		t.Fatal(err)
	}
	// the same primitive with an IfFail: block succeeds in the same cases: byteVector at:Put: holds
	if f := v.FailingGuards(); !reflect.DeepEqual(f, append(want, "vector at:")) {
		t.Fatalf("after redefining vector at:, failing guards %v", f)
	}
	want = append(want, "vector at:")
	if _, err := v.Eval("test", []byte("traits string _AddSlots: (| , s = ( 'mine' ) |)"), vm.Periods); err != nil {
		t.Fatal(err)
	}
	if f := v.FailingGuards(); !reflect.DeepEqual(f, append(want, "string ,")) {
		t.Fatalf("after redefining string ,, failing guards %v", f)
	}
}
