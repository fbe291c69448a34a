package vm

import (
	"psyche/heap"
)

// arith runs opArith's operator on the two oops on top of the stack, when
// they are small integers (or a float and a small integer or float) and the core world's
// method for it is in place (arithGuard), leaving the result in their
// stead. It reports false, touching nothing, when a real send must do it:
// another receiver, a user's redefinition, or a result that is not a small
// integer (the primitive makes the big integer).
func (vm *VM) arith(op arithOp) bool {
	a, b := vm.stack[vm.sp-2], vm.stack[vm.sp-1]
	var r heap.Oop
	if a.IsInt() && b.IsInt() {
		if g := &vm.arithGuards[op][rcvInt-rcvInt]; g.stamp != vm.epoch.Current() || !g.ok { // arithGuard's common case, inline
			if !vm.arithGuard(op, rcvInt) {
				return false
			}
		}
		var ok bool
		if r, ok = vm.smallIntArith(op, a.Int(), b.Int()); !ok {
			return false
		}
	} else {
		var x, y float64
		switch {
		case a.IsImmFloat():
			x = a.ImmFloat()
		case vm.m.IsFloat(a):
			x = vm.m.FloatOf(a) // boxed
		default:
			return false
		}
		switch {
		case b.IsImmFloat():
			y = b.ImmFloat()
		case b.IsInt():
			y = float64(b.Int()) // rounds to nearest even, as _FloatAdd:'s conversion does
		case vm.m.IsFloat(b):
			y = vm.m.FloatOf(b)
		default:
			return false
		}
		if g := &vm.arithGuards[op][rcvFloat-rcvInt]; g.stamp != vm.epoch.Current() || !g.ok {
			if !vm.arithGuard(op, rcvFloat) {
				return false
			}
		}
		v, computed := floatArith(op, x, y)
		if !computed {
			if x != x || y != y { // nan: every comparison but != is false
				r = vm.m.Bool(op == arithNE)
			} else {
				r = vm.m.Bool(compare(op, x < y, x == y))
			}
			vm.sp--
			vm.stack[vm.sp-1] = r
			return true
		}
		var ok bool
		if r, ok = heap.FromFloat(v); !ok {
			r = vm.m.NewFloat(v)
		}
	}
	vm.sp--
	vm.stack[vm.sp-1] = r
	return true
}

// floatArith answers x op y when op computes a number (+ - * /; by zero,
// an infinity or a nan, as _FloatDiv: answers), and false for a
// comparison.
func floatArith(op arithOp, x, y float64) (float64, bool) {
	switch op {
	case arithAdd:
		return x + y, true
	case arithSub:
		return x - y, true
	case arithMul:
		return x * y, true
	case arithDiv:
		return x / y, true
	}
	return 0, false
}

// intPrim runs integer primitive op (_IntAdd:, _IntLT: ...) sent directly
// with one argument when the receiver and the argument are small integers
// and the result is one or a boolean; otherwise it does nothing and
// reports false, and the primitive runs (big integers, its errors). No
// guard: the primitive is what the code names, whoever redefined +.
func (vm *VM) intPrim(op arithOp) bool {
	a, b := vm.stack[vm.sp-2], vm.stack[vm.sp-1]
	if !a.IsInt() || !b.IsInt() {
		return false
	}
	r, ok := vm.smallIntArith(op, a.Int(), b.Int())
	if !ok {
		return false
	}
	vm.sp--
	vm.stack[vm.sp-1] = r
	return true
}

// smallIntArith answers x op y for the values of two small integers when
// the result is a small integer, or a boolean for a comparison; false when
// it is not (the primitive makes the big integer). The interpreter loop
// repeats its + - and comparisons inline, where a call would cost.
func (vm *VM) smallIntArith(op arithOp, x, y int64) (heap.Oop, bool) {
	switch op {
	case arithAdd:
		if !heap.FitsSmallInt(x + y) { // two small integers cannot overflow an int64
			return 0, false
		}
		return heap.FromInt(x + y), true
	case arithSub:
		if !heap.FitsSmallInt(x - y) {
			return 0, false
		}
		return heap.FromInt(x - y), true
	case arithMul:
		if x < -halfWord || x > halfWord || y < -halfWord || y > halfWord || !heap.FitsSmallInt(x*y) {
			return 0, false
		}
		return heap.FromInt(x * y), true
	}
	return vm.m.Bool(compare(op, x < y, x == y)), true
}

// halfWord bounds the factors whose product surely fits an int64.
const halfWord = 1<<31 - 1

// compare answers a comparison from whether a < b and whether a = b
// (ordered operands).
func compare(op arithOp, lt, eq bool) bool {
	switch op {
	case arithLT:
		return lt
	case arithLE:
		return lt || eq
	case arithGT:
		return !lt && !eq
	case arithGE:
		return !lt
	case arithEQ:
		return eq
	}
	return !eq
}
