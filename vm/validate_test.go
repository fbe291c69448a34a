package vm

import (
	"strings"
	"testing"

	"psyche/heap"
	"psyche/vm/syntax"
)

// TestValidateMethodRefusesBadCode: each operand the interpreter trusts is
// checked. The method f = ( | r | r: 3000000000 _IntAdd: 4000000000. r )
// compiles to pushLit, pushLit (integers too big for opPushInt), prim
// _IntAdd: (1 argument), storeLocal 0 0, pushLocal 0 0, return.
func TestValidateMethodRefusesBadCode(t *testing.T) {
	vm, _ := newTestVM(t)
	for _, c := range []struct {
		name, want string
		patch      func(code []byte)
	}{
		{"pop instead of return", "does not end in a return", func(b []byte) { b[len(b)-1] = opPop }},
		{"pushLocal past the locals", "names variable 5 of 1", func(b []byte) { b[len(b)-3] = 5 }},
		{"pushLocal out of a method", "no enclosing scope", func(b []byte) { b[len(b)-4] = 1 }},
		{"primitive without its argument", "with 0 arguments", func(b []byte) { b[9] = 0 }},
		{"unknown opcode", "bad bytecode", func(b []byte) { b[0] = 99 }},
	} {
		meth := compileSlot(t, vm, "(| f = ( | r | r: 3000000000 _IntAdd: 4000000000. r ) |)")
		if err := vm.ValidateObject(meth); err != nil {
			t.Fatalf("the compiled method is refused: %v", err)
		}
		code := vm.h.Field(meth, methCode)
		b := append([]byte(nil), vm.h.Bytes(code)...)
		if b[6] != opPrim || b[len(b)-5] != opPushLocal {
			t.Fatalf("the method compiled to unexpected code %v", b)
		}
		c.patch(b)
		vm.h.SetBytes(code, 0, b)
		if err := vm.ValidateObject(meth); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// compileSlot compiles an object literal and answers the method in its
// first slot.
func compileSlot(t *testing.T, vm *VM, src string) heap.Oop {
	t.Helper()
	code, err := syntax.ParseCode("t", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	top, err := vm.compileStatement("t", []byte(src), code.Stmts[0])
	if err != nil {
		t.Fatal(err)
	}
	obj := vm.h.Field(vm.h.Field(top, methLits), 0)
	return vm.m.MapSlot(vm.m.MapOf(obj), 0).Value
}

// TestValidateScopesRefusesAForeignScope: a block's variable in an
// enclosing scope must exist there.
func TestValidateScopesRefusesAForeignScope(t *testing.T) {
	vm, _ := newTestVM(t)
	meth := compileSlot(t, vm, "(| f = ( | r | [ r ] ) |)")
	blockMap := vm.h.Field(vm.h.Field(meth, methLits), 0)
	inner := vm.m.MapSlot(blockMap, 1).Value
	objs := []heap.Oop{meth, inner}
	if err := vm.ValidateScopes(objs); err != nil {
		t.Fatalf("the compiled methods are refused: %v", err)
	}
	code := vm.h.Field(inner, methCode)
	b := append([]byte(nil), vm.h.Bytes(code)...)
	if b[0] != opPushLocal || b[1] != 1 {
		t.Fatalf("the block compiled to unexpected code %v", b)
	}
	b[2] = 7 // variable 7 of the method, which has one
	vm.h.SetBytes(code, 0, b)
	if err := vm.ValidateScopes(objs); err == nil || !strings.Contains(err.Error(), "variable 7 of 1, 1 scopes out") {
		t.Errorf("got %v", err)
	}
}

// TestValidateMethodRefusesABadSource: a method's source, which mirrors
// hand to Self code as a string, must be a string.
func TestValidateMethodRefusesABadSource(t *testing.T) {
	vm, _ := newTestVM(t)
	meth := compileSlot(t, vm, "(| f = ( 3 + 4 ) |)")
	if src, ok := vm.MethodSource(meth); !ok || src != "( 3 + 4 )" {
		t.Fatalf("the method keeps the source %q (%v), want ( 3 + 4 )", src, ok)
	}
	vm.h.SetField(meth, methSource, heap.FromInt(7))
	if err := vm.ValidateObject(meth); err == nil || !strings.Contains(err.Error(), "source is not a string") {
		t.Errorf("got %v, want an error about the source", err)
	}
}

// TestValidateMethodRefusesBadComputedStepLoop: the variables and jumps of
// an inlined to:By:Do: with a computed step are checked.
func TestValidateMethodRefusesBadComputedStepLoop(t *testing.T) {
	vm, _ := newTestVM(t)
	for _, c := range []struct {
		name, want string
		op         byte
		patch      func(b []byte, at int)
	}{
		{"init: step past the locals", "names variable 99", opForStepInit, func(b []byte, at int) { b[at+6] = 99 }},
		{"init: a bad guard", "bad guard", opForStepInit, func(b []byte, at int) { b[at+1] = byte(numGuards) }},
		{"init: exit into an instruction", "starts no instruction", opForStepInit, func(b []byte, at int) { b[at+8]++ }},
		{"next: i past the locals", "names variable 99", opForStepNext, func(b []byte, at int) { b[at+1] = 99 }},
		{"next: top into an instruction", "starts no instruction", opForStepNext, func(b []byte, at int) { b[at+7]++ }},
	} {
		meth := compileSlot(t, vm, "(| f: s = ( 1 to: 5 By: s Do: [|:i| i] ) |)")
		if err := vm.ValidateObject(meth); err != nil {
			t.Fatalf("the compiled method is refused: %v", err)
		}
		code := vm.h.Field(meth, methCode)
		b := append([]byte(nil), vm.h.Bytes(code)...)
		at := 0
		for at < len(b) && b[at] != c.op {
			at += instrSize(b[at])
		}
		if at == len(b) {
			t.Fatalf("the method compiled to code without opcode %d: %v", c.op, b)
		}
		c.patch(b, at)
		vm.h.SetBytes(code, 0, b)
		if err := vm.ValidateObject(meth); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestPushInt: integer literals that fit 32 bits are pushed from the code,
// without a literal; bigger ones stay literals. Both answer the same.
func TestPushInt(t *testing.T) {
	vm, _ := newTestVM(t)
	for _, c := range []struct {
		src     string
		pushInt bool
	}{{"-2147483648", true}, {"2147483647", true}, {"0", true}, {"2147483648", false}, {"-2147483649", false}} {
		meth := compileSlot(t, vm, "(| f = ( "+c.src+" ) |)")
		if err := vm.ValidateObject(meth); err != nil {
			t.Fatalf("%s: the compiled method is refused: %v", c.src, err)
		}
		if b := vm.h.Bytes(vm.h.Field(meth, methCode)); (b[0] == opPushInt) != c.pushInt {
			t.Errorf("%s compiled to %v", c.src, b)
		}
		if got := evalDescribe(t, vm, "(| f = ( "+c.src+" ) |) f"); got != c.src {
			t.Errorf("%s answered %s", c.src, got)
		}
	}
}
