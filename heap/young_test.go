package heap

import (
	"bytes"
	"testing"
	"unsafe"
)

// TestAllocJoined: the byte part is the parts in order, the padding after
// it zero even where the young space held other bytes before, and the
// pointer fields hold fill.
func TestAllocJoined(t *testing.T) {
	h, _ := newHeap(t)
	// fill the start of the young space with non-zero bytes, then empty it
	junk := h.Alloc(0, 4096, 1, Nil)
	h.SetBytes(junk, 0, bytes.Repeat([]byte{0xff}, 4096))
	h.young.top = h.young.cur + wordSize

	o := h.AllocJoined(2, 3, FromInt(7), []byte("abc"), nil, []byte("de"))
	if !o.IsYoung() {
		t.Fatalf("a small joined object is not young: %v", o)
	}
	if got := h.Bytes(o); string(got) != "abcde" {
		t.Fatalf("bytes %q, want %q", got, "abcde")
	}
	if h.NumPtrs(o) != 2 || h.Field(o, 0) != FromInt(7) || h.Field(o, 1) != FromInt(7) || h.Kind(o) != 3 {
		t.Fatalf("fields %v %v, kind %d", h.Field(o, 0), h.Field(o, 1), h.Kind(o))
	}
	pad := unsafe.Slice((*byte)(h.addrOf(o, headerSize+2*wordSize+5)), 3)
	if !bytes.Equal(pad, []byte{0, 0, 0}) {
		t.Fatalf("padding %v, want zeros", pad)
	}

	empty := h.AllocJoined(0, 3, Nil)
	if h.NumBytes(empty) != 0 {
		t.Fatalf("a joined object of no parts has %d bytes", h.NumBytes(empty))
	}
}

// TestAllocJoinedLarge: parts that make a large object go to the heap
// file, in order, and survive a commit and reopen.
func TestAllocJoinedLarge(t *testing.T) {
	h, _ := newHeap(t)
	a := bytes.Repeat([]byte{'a'}, largeObject/2)
	b := bytes.Repeat([]byte{'b'}, largeObject/2+PageSize)
	o := h.AllocJoined(0, 3, Nil, a, b)
	if o.IsYoung() {
		t.Fatal("a joined object past largeObject is young")
	}
	h.SetRoot(0, o)
	if err := h.Commit(); err != nil {
		t.Fatal(err)
	}
	h = reopen(t, h)
	if got := h.Bytes(h.Root(0)); !bytes.Equal(got, append(append([]byte(nil), a...), b...)) {
		t.Fatalf("a large joined object's %d bytes are not its parts", len(got))
	}
}
