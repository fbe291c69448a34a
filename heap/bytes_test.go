package heap

import (
	"strings"
	"testing"
)

// TestByteAtYoungAndOld: single-byte access to a byte part behind pointer
// fields, young and then old (spanning pages, so that the byte's page is
// not its header's), survives a commit and a reopen, and an index out of
// range is an error, not a stray access.
func TestByteAtYoungAndOld(t *testing.T) {
	h, _ := newHeap(t)
	const n = 3*PageSize + 100
	o := h.Alloc(3, n, 7, Nil)
	for _, i := range []int{0, PageSize, n - 1} {
		h.SetByteAt(o, i, byte(i%251+1))
	}
	h.SetRoot(0, o)
	mustCommit(t, h)
	h = reopen(t, h)
	o = h.Root(0)
	for _, i := range []int{0, PageSize, n - 1} {
		if b := h.ByteAt(o, i); b != byte(i%251+1) {
			t.Fatalf("old byte %d is %d, want %d", i, b, i%251+1)
		}
		h.SetByteAt(o, i, byte(i%13+2))
	}
	mustCommit(t, h)
	h = reopen(t, h)
	o = h.Root(0)
	for _, i := range []int{0, PageSize, n - 1} {
		if b := h.ByteAt(o, i); b != byte(i%13+2) {
			t.Fatalf("rewritten byte %d is %d, want %d", i, b, i%13+2)
		}
	}
	y := h.Alloc(0, 5, 7, Nil)
	for _, c := range []struct {
		o    Oop
		i, n int
	}{{o, -1, n}, {o, n, n}, {y, -1, 5}, {y, 5, 5}} {
		err := Catch(func() error { h.SetByteAt(c.o, c.i, 1); return nil })
		if err == nil || !strings.Contains(err.Error(), "of a byte part of") {
			t.Errorf("SetByteAt %d of %d bytes: got %v, want a bounds error", c.i, c.n, err)
		}
		err = Catch(func() error { h.ByteAt(c.o, c.i); return nil })
		if err == nil || !strings.Contains(err.Error(), "of a byte part of") {
			t.Errorf("ByteAt %d of %d bytes: got %v, want a bounds error", c.i, c.n, err)
		}
	}
}

// TestYoungBytes: a young object's byte part, behind its pointer fields,
// is the slice YoungBytes answers, read and written as ByteAt and
// SetByteAt see it; an old object, an integer and an object the young
// space no longer holds have none.
func TestYoungBytes(t *testing.T) {
	h, _ := newHeap(t)
	o := h.Alloc(3, 10, 7, Nil)
	b, ok := h.YoungBytes(o)
	if !ok || len(b) != 10 {
		t.Fatalf("YoungBytes of a young object of 10 bytes: %d bytes, %v", len(b), ok)
	}
	b[9] = 42
	h.SetByteAt(o, 0, 7)
	if h.ByteAt(o, 9) != 42 || b[0] != 7 {
		t.Fatalf("the slice and the byte part differ: ByteAt 9 = %d, b[0] = %d", h.ByteAt(o, 9), b[0])
	}
	h.SetRoot(0, o)
	mustCommit(t, h)
	if _, ok := h.YoungBytes(h.Root(0)); ok {
		t.Error("an old object has young bytes")
	}
	if h.ByteAt(h.Root(0), 9) != 42 {
		t.Error("a byte written through the slice was not committed")
	}
	if _, ok := h.YoungBytes(FromInt(3)); ok {
		t.Error("an integer has young bytes")
	}
	if _, ok := h.YoungBytes(o); ok {
		t.Error("a young object of a committed transaction still has young bytes")
	}
}
