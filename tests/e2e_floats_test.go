package tests

// End-to-end tests of floats in images: a world holding immediate floats
// (magnitudes about 1e-38 to 1e38) and boxed ones (the rest, inf and nan)
// exports and imports with every value, sign and identity kept; an image
// whose immediate float has no immediate form is refused.

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// floatsE2ERef is the image ref that introduces an immediate float
// (world/image.go), followed by the float's bits, little-endian.
const floatsE2ERef = 7

func TestE2EFloatsImageRoundTrip(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| imm <- nil. negZero <- nil. huge <- nil. tiny <- nil. inf <- nil. nan <- nil. floats <- nil. half = ( 0.5 ) |)", "lobby")
	e.eval(w, "imm: 1.25. negZero: 0.0 negate. huge: 1e300 * 3. tiny: 1e-320. inf: 1.0 / 0.0. nan: 0.0 / 0.0. "+
		"floats: (vector copySize: 4). floats at: 0 Put: imm. floats at: 1 Put: huge. floats at: 2 Put: 3.0e38. floats at: 3 Put: 1e-38. 0")
	const state = "imm printString, ' ', negZero printString, ' ', huge printString, ' ', tiny printString, ' ', " +
		"inf printString, ' ', nan printString, ' ', floats printString, ' ', half printString"
	want := "'1.25 -0.0 3e+300 1e-320 inf nan (1.25, 3e+300, 3e+38, 1e-38) 0.5'"
	e.expectEval(w, state, want)

	w2 := e.copyByImage(w, "floats.img", "copy")
	e.expectEval(w2, state, want)
	// immediates keep their identity; boxes are the same objects as before
	e.expectEval(w2, "(imm == 1.25) && [(floats at: 0) == imm]", "true")
	e.expectEval(w2, "(huge == (floats at: 1)) && [huge = 3e300]", "true")
	e.expectEval(w2, "(negZero = 0.0) && [(negZero == 0.0) not]", "true")
	e.expectEval(w2, "(nan = nan) || [inf < 1e308]", "false")
	e.expectEval(w2, "(imm + half) == 1.75", "true")
	e.checkWorld(w2)

	// An immediate float ref whose value has no immediate form (1e300)
	// is refused.
	body := imageE2EBody(t, e.path("floats.img"))
	var ref [9]byte
	ref[0] = floatsE2ERef
	binary.LittleEndian.PutUint64(ref[1:], math.Float64bits(1.25))
	i := bytes.Index(body, ref[:])
	if i < 0 {
		t.Fatal("the image holds no immediate 1.25")
	}
	bad := bytes.Clone(body)
	binary.LittleEndian.PutUint64(bad[i+1:], math.Float64bits(1e300))
	badImg := e.path("bad.img")
	if err := os.WriteFile(badImg, imageE2EWrap(t, bad, uint64(len(bad))), 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails("has no immediate form", "new", e.path("bad"), "--image", badImg)
}
