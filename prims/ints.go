package prims

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// Integer primitives. Small integers take a fast path; anything that could
// overflow 63 bits goes through math/big, and results are normalised back to
// small integers when they fit.
//
// No primitive makes an integer of more than object.MaxIntegerBits bits:
// math/big cannot be interrupted midway, so each step must stay short. A
// result that would be larger stops the evaluation (errIntegerTooLarge)
// rather than fail: the arithmetic methods of traits integer retry a
// failed primitive in floating point, which would answer inf.
var errIntegerTooLarge = &Abort{fmt.Sprintf("integer too large: the result would have more than %d bits", object.MaxIntegerBits)}

// bigResult answers z as an integer, unless it is too large.
func (e *Env) bigResult(z *big.Int) (heap.Oop, error) {
	if z.BitLen() > object.MaxIntegerBits {
		return 0, errIntegerTooLarge
	}
	return e.M.Int(z), nil
}

// bigArg answers the value of an integer that is small enough to work on
// (one from a foreign image may not be): overflowError otherwise.
func (e *Env) bigArg(o heap.Oop) (*big.Int, error) {
	v := e.M.BigOf(o)
	if v.BitLen() > object.MaxIntegerBits {
		return nil, errOverflow
	}
	return v, nil
}

// intHashMask: a small integer's hash is its low 40 bits (_IntHash), which
// the hash-table primitives compute too.
const intHashMask = 1<<40 - 1

func init() {
	arith := func(name string, small func(a, b int64) (int64, bool), bigOp func(z, a, b *big.Int) error) {
		register(name, func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
			a := args[0]
			if !e.M.IsInteger(rcv) || !e.M.IsInteger(a) {
				return 0, errBadType
			}
			if rcv.IsInt() && a.IsInt() {
				if r, ok := small(rcv.Int(), a.Int()); ok {
					return e.M.Int64(r), nil
				}
			}
			x, err := e.bigArg(rcv)
			if err != nil {
				return 0, err
			}
			y, err := e.bigArg(a)
			if err != nil {
				return 0, err
			}
			z := new(big.Int)
			if err := bigOp(z, x, y); err != nil {
				return 0, err
			}
			return e.bigResult(z)
		})
	}
	arith("_IntAdd:", func(a, b int64) (int64, bool) { return a + b, true },
		func(z, a, b *big.Int) error { z.Add(a, b); return nil })
	arith("_IntSub:", func(a, b int64) (int64, bool) { return a - b, true },
		func(z, a, b *big.Int) error { z.Sub(a, b); return nil })
	arith("_IntMul:", func(a, b int64) (int64, bool) {
		if a > math.MinInt32 && a <= math.MaxInt32 && b > math.MinInt32 && b <= math.MaxInt32 {
			return a * b, true
		}
		return 0, false
	}, func(z, a, b *big.Int) error {
		// The product has at least this many bits: refuse before the work.
		if a.Sign() != 0 && b.Sign() != 0 && a.BitLen()+b.BitLen()-1 > object.MaxIntegerBits {
			return errIntegerTooLarge
		}
		z.Mul(a, b)
		return nil
	})
	arith("_IntDiv:", func(a, b int64) (int64, bool) {
		if b == 0 {
			return 0, false
		}
		return a / b, true
	}, func(z, a, b *big.Int) error {
		if b.Sign() == 0 {
			return errDivZero
		}
		z.Quo(a, b)
		return nil
	})
	arith("_IntMod:", func(a, b int64) (int64, bool) {
		if b == 0 {
			return 0, false
		}
		return a % b, true
	}, func(z, a, b *big.Int) error {
		if b.Sign() == 0 {
			return errDivZero
		}
		z.Rem(a, b)
		return nil
	})

	compare := func(name string, test func(c int) bool) {
		register(name, func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
			a := args[0]
			if rcv.IsInt() && a.IsInt() {
				x, y := rcv.Int(), a.Int()
				c := 0
				if x < y {
					c = -1
				} else if x > y {
					c = 1
				}
				return e.M.Bool(test(c)), nil
			}
			if !e.M.IsInteger(rcv) || !e.M.IsInteger(a) {
				return 0, errBadType
			}
			return e.M.Bool(test(e.M.BigOf(rcv).Cmp(e.M.BigOf(a)))), nil
		})
	}
	compare("_IntLT:", func(c int) bool { return c < 0 })
	compare("_IntLE:", func(c int) bool { return c <= 0 })
	compare("_IntGT:", func(c int) bool { return c > 0 })
	compare("_IntGE:", func(c int) bool { return c >= 0 })
	compare("_IntEQ:", func(c int) bool { return c == 0 })
	compare("_IntNE:", func(c int) bool { return c != 0 })

	register("_IntAsFloat", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if rcv.IsInt() {
			return e.M.Float(float64(rcv.Int())), nil
		}
		if !e.M.IsInteger(rcv) {
			return 0, errBadType
		}
		f, _ := new(big.Float).SetInt(e.M.BigOf(rcv)).Float64()
		return e.M.Float(f), nil
	})
	register("_IntPrintString", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if rcv.IsInt() {
			return e.M.NewString(strconv.AppendInt(e.digits[:0], rcv.Int(), 10)), nil
		}
		if !e.M.IsInteger(rcv) {
			return 0, errBadType
		}
		v, err := e.bigArg(rcv)
		if err != nil {
			return 0, err
		}
		return e.str(v.String()), nil
	})
	register("_IntPrintStringBase:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !e.M.IsInteger(rcv) || !args[0].IsInt() {
			return 0, errBadType
		}
		b := args[0].Int()
		if b < 2 || b > 36 {
			return 0, errBadIndex
		}
		v, err := e.bigArg(rcv)
		if err != nil {
			return 0, err
		}
		return e.str(strings.ToLower(v.Text(int(b)))), nil
	})
	register("_IntHash", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if rcv.IsInt() {
			return heap.FromInt(rcv.Int() & intHashMask), nil
		}
		if !e.M.IsInteger(rcv) {
			return 0, errBadType
		}
		return heap.FromInt(int64(object.StringHash(e.M.H.Bytes(rcv)))), nil
	})
}
