package heap

import (
	"math"
	"math/rand/v2"
	"testing"
)

// minImmFloat and maxImmFloat bound the magnitudes of immediate floats:
// the smallest float with biased exponent floatExpOffset+1 and the largest
// with floatExpOffset+255.
var (
	minImmFloat = math.Float64frombits((floatExpOffset + 1) << 52)
	maxImmFloat = math.Float64frombits((floatExpOffset+256)<<52 - 1)
)

func TestImmFloatRoundTrip(t *testing.T) {
	values := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.5, 1.5, 3.141592653589793, -2.718281828459045,
		1e-30, 1e30, -1e30, 0.1, 1.0 / 3, 123456789.125, 1 << 52, 1<<53 + 2,
		minImmFloat, -minImmFloat, maxImmFloat, -maxImmFloat,
		math.Nextafter(minImmFloat, 2), math.Nextafter(maxImmFloat, 0),
		math.MaxFloat32, math.SmallestNonzeroFloat32 * (1 << 23), // float32's normal range
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		// random bits with an exponent inside the immediate range
		exp := uint64(floatExpOffset+1) + r.Uint64N(255)
		values = append(values, math.Float64frombits(r.Uint64()&(1<<63|1<<52-1)|exp<<52))
	}
	for _, f := range values {
		o, ok := FromFloat(f)
		if !ok {
			t.Fatalf("%g (%#x) has no immediate form", f, math.Float64bits(f))
		}
		if !o.IsImmFloat() || o.IsInt() || o.IsPtr() || o == Nil {
			t.Fatalf("%g: %#x is not an immediate float", f, uint64(o))
		}
		if g := o.ImmFloat(); math.Float64bits(g) != math.Float64bits(f) {
			t.Fatalf("%g (%#x) came back as %g (%#x)", f, math.Float64bits(f), g, math.Float64bits(g))
		}
	}
}

func TestImmFloatBoxed(t *testing.T) {
	for _, f := range []float64{
		math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff8000000000001),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
		math.Float64frombits(1<<52 - 1), // the largest subnormal
		math.Nextafter(minImmFloat, 0), -math.Nextafter(minImmFloat, 0),
		math.Nextafter(maxImmFloat, math.Inf(1)), -math.Nextafter(maxImmFloat, math.Inf(1)),
		math.Float64frombits(floatExpOffset << 52), // exponent 0 after re-biasing: reserved for zero
		1e-300, 1e300,
	} {
		if o, ok := FromFloat(f); ok {
			t.Errorf("%g (%#x) became the immediate %#x; want it boxed", f, math.Float64bits(f), uint64(o))
		}
	}
}

func TestImmFloatZeros(t *testing.T) {
	pz, _ := FromFloat(0)
	nz, _ := FromFloat(math.Copysign(0, -1))
	if pz == nz {
		t.Fatalf("+0.0 and -0.0 are the same oop %#x", uint64(pz))
	}
	if !math.Signbit(nz.ImmFloat()) || math.Signbit(pz.ImmFloat()) {
		t.Fatalf("the zeros lost their signs: %g %g", pz.ImmFloat(), nz.ImmFloat())
	}
}

func TestImmFloatCanonical(t *testing.T) {
	x, y := 0.1, 0.2
	a, _ := FromFloat(x + y) // computed at run time: 0.30000000000000004
	b, _ := FromFloat(0.30000000000000004)
	if a != b {
		t.Fatalf("equal floats gave different oops %#x and %#x", uint64(a), uint64(b))
	}
	if Tombstone.IsImmFloat() {
		t.Fatal("Tombstone is taken for a float")
	}
	for _, o := range []Oop{Nil, FromInt(3), Oop(8), youngOop(64)} {
		if o.IsImmFloat() {
			t.Errorf("%#x is taken for a float", uint64(o))
		}
	}
}
