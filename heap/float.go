package heap

import "math"

// Immediate floats. A float64 whose binary exponent lies in a reduced
// range (about 1e-38 to 1e38 in magnitude, as a float32's) is an oop with
// the VM-immediate tag and no object behind it, as in Spur, the 64-bit
// Squeak and Pharo VM. Its 61 payload bits hold the float's bits rotated
// left by one (so the sign is the lowest bit), with the 11-bit exponent
// re-biased into 8:
//
//	payload = exponent-floatExpOffset (8 bits) | mantissa (52 bits) | sign (1 bit)
//
// The re-biased exponent of a non-zero float is 1..255; 0 is kept for
// +0.0 (payload 0) and -0.0 (payload 1). Every other float (a larger or
// smaller magnitude, a subnormal, an infinity, a NaN) is the VM's boxed
// float object. The encoding is canonical: a float has at most one
// immediate form, so two immediate floats are the same oop exactly when
// their bits are equal.
//
// Tombstone also carries the VM-immediate tag; its payload (re-biased
// exponent 0 with a non-zero mantissa) is none that FromFloat makes, and
// IsImmFloat excludes it.

// floatExpOffset is subtracted from a float's 11-bit biased exponent.
const floatExpOffset = 896

// floatExpShift is the position of the re-biased exponent in the payload
// (below it: 52 mantissa bits and the sign).
const floatExpShift = 53

// FromFloat answers f as an immediate, or false when f has none (the
// caller boxes it).
func FromFloat(f float64) (Oop, bool) {
	bits := math.Float64bits(f)
	rot := bits<<1 | bits>>63
	// t is below 255<<floatExpShift exactly when the biased exponent is
	// floatExpOffset+1 .. floatExpOffset+255 (one unsigned comparison:
	// smaller exponents wrap around to huge values).
	if t := rot - (floatExpOffset+1)<<floatExpShift; t < 255<<floatExpShift {
		return VMImmediate(t + 1<<floatExpShift), true
	}
	if rot <= 1 { // +0.0, -0.0
		return VMImmediate(rot), true
	}
	return Nil, false
}

// IsImmFloat reports whether o is an immediate float.
func (o Oop) IsImmFloat() bool { return o&tagMask == tagVMImm && o != Tombstone }

// ImmFloat answers the value of an immediate float.
func (o Oop) ImmFloat() float64 {
	rot := o.VMPayload()
	if rot > 1 {
		rot += floatExpOffset << floatExpShift
	}
	return math.Float64frombits(rot>>1 | rot<<63)
}
