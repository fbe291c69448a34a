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
