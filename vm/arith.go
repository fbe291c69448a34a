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
		x, y := a.Int(), b.Int()
		switch op {
		case arithAdd, arithSub, arithMul:
			var v int64
			switch op {
			case arithAdd:
				v = x + y // two small integers cannot overflow an int64
			case arithSub:
				v = x - y
			default:
				if x < -halfWord || x > halfWord || y < -halfWord || y > halfWord {
					return false
				}
				v = x * y
			}
			if !heap.FitsSmallInt(v) {
				return false
			}
			r = heap.FromInt(v)
		default:
			r = vm.m.Bool(compare(op, x < y, x == y))
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
		var v float64
		switch op {
		case arithAdd:
			v = x + y
		case arithSub:
			v = x - y
		case arithMul:
			v = x * y
		case arithDiv:
			v = x / y // by zero: an infinity or nan, as _FloatDiv: answers
		default:
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
	x, y := a.Int(), b.Int()
	var r heap.Oop
	switch op {
	case arithAdd:
		if !heap.FitsSmallInt(x + y) { // two small integers cannot overflow an int64
			return false
		}
		r = heap.FromInt(x + y)
	case arithSub:
		if !heap.FitsSmallInt(x - y) {
			return false
		}
		r = heap.FromInt(x - y)
	case arithMul:
		if x < -halfWord || x > halfWord || y < -halfWord || y > halfWord || !heap.FitsSmallInt(x*y) {
			return false
		}
		r = heap.FromInt(x * y)
	default:
		r = vm.m.Bool(compare(op, x < y, x == y))
	}
	vm.sp--
	vm.stack[vm.sp-1] = r
	return true
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
