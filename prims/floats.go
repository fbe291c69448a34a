package prims

import (
	"math"
	"math/big"
	"strconv"

	"psyche/heap"
	"psyche/vm/object"
)

// Float primitives. The argument of an arithmetic or comparison primitive
// may be an integer; the result of arithmetic is always a float.

// MaxFloatPrecision is the most decimals _FloatPrintStringPrecision:
// prints; more is badIndexError.
const MaxFloatPrecision = 100

// floatArg converts a float or integer argument to a float64.
func (e *Env) floatArg(o heap.Oop) (float64, bool) {
	switch {
	case o.IsInt():
		return float64(o.Int()), true
	case e.M.IsFloat(o):
		return e.M.FloatOf(o), true
	case e.M.IsInteger(o):
		f, _ := new(big.Float).SetInt(e.M.BigOf(o)).Float64()
		return f, true
	}
	return 0, false
}

func init() {
	arith := func(name string, op func(a, b float64) float64) {
		register(name, func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
			if !e.M.IsFloat(rcv) {
				return 0, errBadType
			}
			b, ok := e.floatArg(args[0])
			if !ok {
				return 0, errBadType
			}
			return e.M.Float(op(e.M.FloatOf(rcv), b)), nil
		})
	}
	arith("_FloatAdd:", func(a, b float64) float64 { return a + b })
	arith("_FloatSub:", func(a, b float64) float64 { return a - b })
	arith("_FloatMul:", func(a, b float64) float64 { return a * b })
	arith("_FloatDiv:", func(a, b float64) float64 { return a / b })

	compare := func(name string, test func(a, b float64) bool) {
		register(name, func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
			if !e.M.IsFloat(rcv) {
				return 0, errBadType
			}
			b, ok := e.floatArg(args[0])
			if !ok {
				return 0, errBadType
			}
			return e.M.Bool(test(e.M.FloatOf(rcv), b)), nil
		})
	}
	compare("_FloatLT:", func(a, b float64) bool { return a < b })
	compare("_FloatLE:", func(a, b float64) bool { return a <= b })
	compare("_FloatGT:", func(a, b float64) bool { return a > b })
	compare("_FloatGE:", func(a, b float64) bool { return a >= b })
	compare("_FloatEQ:", func(a, b float64) bool { return a == b })
	compare("_FloatNE:", func(a, b float64) bool { return a != b })

	toInt := func(name string, op func(float64) float64) {
		register(name, func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
			if !e.M.IsFloat(rcv) {
				return 0, errBadType
			}
			f := op(e.M.FloatOf(rcv))
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return 0, errOverflow
			}
			if f >= -(1<<62) && f < 1<<62 {
				return e.M.Int64(int64(f)), nil
			}
			z, _ := big.NewFloat(f).Int(nil)
			return e.M.Int(z), nil
		})
	}
	toInt("_FloatFloor", math.Floor)
	toInt("_FloatCeil", math.Ceil)
	toInt("_FloatRound", math.Round)
	toInt("_FloatTruncate", math.Trunc)

	register("_FloatSqrt", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.M.IsFloat(rcv) {
			return 0, errBadType
		}
		return e.M.Float(math.Sqrt(e.M.FloatOf(rcv))), nil
	})
	register("_FloatPrintString", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.M.IsFloat(rcv) {
			return 0, errBadType
		}
		return e.str(object.FormatFloat(e.M.FloatOf(rcv))), nil
	})
	register("_FloatPrintStringPrecision:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !e.M.IsFloat(rcv) || !args[0].IsInt() {
			return 0, errBadType
		}
		p := args[0].Int()
		if p < 0 || p > MaxFloatPrecision {
			return 0, errBadIndex
		}
		f := e.M.FloatOf(rcv)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return e.str(object.FormatFloat(f)), nil
		}
		return e.str(strconv.FormatFloat(f, 'f', int(p), 64)), nil
	})
	register("_FloatHash", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.M.IsFloat(rcv) {
			return 0, errBadType
		}
		f := e.M.FloatOf(rcv)
		if f == math.Trunc(f) && math.Abs(f) < 1<<40 {
			return heap.FromInt(int64(f) & (1<<40 - 1)), nil // equal to the integer's hash
		}
		b := math.Float64bits(f)
		return heap.FromInt(int64((b ^ b>>29) & (1<<40 - 1))), nil
	})
}
