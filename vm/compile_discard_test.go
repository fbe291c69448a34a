package vm

import (
	"bytes"
	"testing"
)

// TestAssignmentStatementPushesNothing: an assignment to a local whose
// value is dropped compiles to its store alone, without the push of self
// and the pop; one whose value is used, or that ends one branch of an
// inlined conditional, still pushes self.
func TestAssignmentStatementPushesNothing(t *testing.T) {
	vm, _ := newTestVM(t)
	for _, c := range []struct {
		src  string
		want []byte
	}{
		{"(| f = ( | r | r: 3. r ) |)",
			[]byte{opPushInt, 3, 0, 0, 0, opStoreLocal, 0, 0, 0, opPushLocal, 0, 0, 0, opReturn}},
		{"(| f = ( | r | r: 3 ) |)",
			[]byte{opPushInt, 3, 0, 0, 0, opStoreLocal, 0, 0, 0, opPushSelf, opReturn}},
	} {
		meth := compileSlot(t, vm, c.src)
		if got := vm.h.Bytes(vm.h.Field(meth, methCode)); !bytes.Equal(got, c.want) {
			t.Errorf("%s compiled to %v, want %v", c.src, got, c.want)
		}
	}
	meth := compileSlot(t, vm, "(| f = ( | r | r < 2 ifTrue: [r: 3]. r ) |)")
	if err := vm.ValidateObject(meth); err != nil {
		t.Fatalf("an assignment ending an inlined branch: %v", err)
	}
	code := vm.h.Bytes(vm.h.Field(meth, methCode))
	if !bytes.Contains(code, []byte{opStoreLocal, 0, 0, 0, opPushSelf}) {
		t.Errorf("the inlined branch's assignment does not answer self: %v", code)
	}
}
