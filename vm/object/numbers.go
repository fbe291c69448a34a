package object

import (
	"encoding/binary"
	"math"
	"math/big"

	"psyche/heap"
)

// Numbers. Small integers are immediates; integers beyond 63 bits are
// KindBigInt objects, and every integer result is normalised (Int), so a
// value has one representation and = between integers can compare them.
// A float is an immediate (heap.FromFloat) when its exponent allows, else
// a boxed KindFloat object. Every float the VM makes takes the immediate
// form when it can (Float), but a world made before immediate floats holds
// boxed floats of any value, so readers accept both forms for any value.

// Float answers f as an immediate float, or boxed when f has no immediate
// form (a large or tiny magnitude, an infinity, a NaN).
func (m *Model) Float(f float64) heap.Oop {
	if o, ok := heap.FromFloat(f); ok {
		return o
	}
	return m.NewFloat(f)
}

// NewFloat boxes f, whatever its value.
func (m *Model) NewFloat(f float64) heap.Oop {
	o := m.H.Alloc(1, 8, KindFloat, heap.Nil)
	m.H.SetField(o, FieldMap, m.Special(SpFloatMap))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(f))
	m.H.SetBytes(o, 0, b[:])
	return o
}

// IsFloat reports whether o is a float, immediate or boxed.
func (m *Model) IsFloat(o heap.Oop) bool {
	return o.IsImmFloat() || (o.IsPtr() && m.H.Kind(o) == KindFloat)
}

// FloatOf answers the value of a float, immediate or boxed.
func (m *Model) FloatOf(o heap.Oop) float64 {
	if o.IsImmFloat() {
		return o.ImmFloat()
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(m.H.Bytes(o)))
}

// IsInteger reports whether o is a small or big integer.
func (m *Model) IsInteger(o heap.Oop) bool {
	return o.IsInt() || (o.IsPtr() && m.H.Kind(o) == KindBigInt)
}

// BigOf answers any integer as a big.Int.
func (m *Model) BigOf(o heap.Oop) *big.Int {
	if o.IsInt() {
		return big.NewInt(o.Int())
	}
	b := m.H.Bytes(o)
	v := new(big.Int).SetBytes(b[1:])
	if b[0] == 1 {
		v.Neg(v)
	}
	return v
}

// MaxIntegerBits is the size limit of integers: the primitives refuse to
// make a larger one (overflowError). Multiplying two integers of this size
// takes milliseconds and printing one (315,653 decimal digits) a tenth of a
// second, so no integer step keeps an interrupt waiting long.
const MaxIntegerBits = 1 << 20

// Int answers v as a small integer if it fits, else as a big integer object.
func (m *Model) Int(v *big.Int) heap.Oop {
	if v.IsInt64() && heap.FitsSmallInt(v.Int64()) {
		return heap.FromInt(v.Int64())
	}
	mag := v.Bytes()
	b := make([]byte, 1+len(mag))
	if v.Sign() < 0 {
		b[0] = 1
	}
	copy(b[1:], mag)
	o := m.H.Alloc(1, len(b), KindBigInt, heap.Nil)
	m.H.SetField(o, FieldMap, m.Special(SpBigIntMap))
	m.H.SetBytes(o, 0, b)
	return o
}

// Int64 answers i as an integer object.
func (m *Model) Int64(i int64) heap.Oop {
	if heap.FitsSmallInt(i) {
		return heap.FromInt(i)
	}
	return m.Int(big.NewInt(i))
}
