package heap

import (
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"
)

// Object access. Every read of a persistent object tests its page's bit in
// the verified bitmap first; the first time this process touches a page,
// addrOf (through touch) checks that the page is inside the heap file (a page
// past the end would raise SIGBUS) and that its contents match their
// checksum, and sets the bit. Young objects are this transaction's own and
// are never verified. A damaged page is reported as a *CorruptError panic
// (see Catch), never used. Every store into a persistent object goes through
// the write barrier, which marks the page dirty (so the commit logs it) and
// remembers the object if the stored value is young.

func (h *Heap) isVerified(p uint64) bool {
	w := p >> 6
	return w < uint64(len(h.verified)) && h.verified[w]&(1<<(p&63)) != 0
}

// touch verifies page p on first use.
func (h *Heap) touch(p uint64) {
	if h.isVerified(p) {
		return
	}
	if p < superPages || p >= h.fileSize/PageSize {
		panic(&CorruptError{File: h.path, Page: int64(p), Offset: int64(p * PageSize),
			Msg: fmt.Sprintf("reference outside the heap (the file has %d pages)", h.fileSize/PageSize)})
	}
	// A page past the committed heap holds no object: only allocation
	// touches it, to overwrite it. Its contents may be left over from a
	// direct write whose commit never happened, so there is nothing to verify.
	if p >= h.committed.PageCount {
		h.verified[p>>6] |= 1 << (p & 63)
		return
	}
	if err := h.verifyPage(p); err != nil && !h.readsSuspect(p) {
		panic(err)
	}
	h.verified[p>>6] |= 1 << (p & 63)
}

// verifyPage compares page p, as the file holds it, with its stored
// checksum. It reads the page with pread, not through the mapping: a fault
// on a page the cache lacks reads the kernel's whole readahead window
// around it (megabytes), a pread only what a reader's pattern calls for, so
// reading one byte of a large object reads about a page from the disk,
// while a sequential scan still gets the readahead it needs. The page is
// then in the cache, and the mapping's fault on it reads nothing more.
func (h *Heap) verifyPage(p uint64) error {
	if h.pageBuf == nil {
		h.pageBuf = make([]byte, PageSize)
	}
	data := h.pageBuf
	if _, err := h.file.ReadAt(data, int64(p*PageSize)); err != nil {
		return &CorruptError{File: h.path, Page: int64(p), Offset: int64(p * PageSize),
			Msg: fmt.Sprintf("cannot read the page: %v", err)}
	}
	want, err := h.storedSum(p)
	if err != nil {
		return err
	}
	if want == sumUndefined {
		return nil // free space whose contents are not data (large.go)
	}
	if want == sumZero {
		for _, b := range data {
			if b != 0 {
				return &CorruptError{File: h.path, Page: int64(p), Offset: int64(p * PageSize),
					Msg: "page was never written but is not empty"}
			}
		}
		return nil
	}
	if got := pageSum(p, data); got != want {
		return &CorruptError{File: h.path, Page: int64(p), Offset: int64(p * PageSize),
			Msg: fmt.Sprintf("checksum mismatch (stored %016x, computed %016x)", want, got)}
	}
	return nil
}

func (h *Heap) storedSum(p uint64) (uint64, error) {
	var b [8]byte
	n, err := h.sums.ReadAt(b[:], int64(p)*8)
	switch {
	case n == 8:
		return binary.LittleEndian.Uint64(b[:]), nil
	case n == 0 && err == io.EOF:
		return 0, nil // past the end of the table: the page was never written
	case err != nil && err != io.EOF:
		// A page that cannot be verified is not used, as if it were damaged.
		return 0, &CorruptError{File: h.path + ".sums", Page: int64(p), Offset: int64(p) * 8,
			Msg: fmt.Sprintf("cannot read the page's checksum: %v", err)}
	}
	return 0, &CorruptError{File: h.path + ".sums", Page: int64(p), Offset: int64(p) * 8, Msg: "checksum table truncated"}
}

// addrOf answers the address of byte off of object o, verifying the page.
func (h *Heap) addrOf(o Oop, off uint64) unsafe.Pointer {
	if o.IsYoung() {
		// Only this transaction's objects are young; a young reference read
		// from a damaged file points nowhere.
		if y := o.youngOff(); y < h.young.cur || y >= h.young.top {
			panic(&CorruptError{File: h.path, Page: -1, Offset: -1, Msg: fmt.Sprintf("dangling young-space reference %#x", uint64(o))})
		}
		return unsafe.Add(h.young.base, o.youngOff()+off)
	}
	a := uint64(o) + off
	if p := a >> pageShift; !h.isVerified(p) {
		if o&tagMask != tagOld || o == Nil {
			panic(boundsError{fmt.Sprintf("%#x is not a reference", uint64(o))})
		}
		h.touch(p)
	}
	return unsafe.Add(h.base, a)
}

// header answers o's two header words. As in fieldAddr, a young object and
// an old one whose header lies in one verified page are read straight;
// everything else goes to headerSlow.
func (h *Heap) header(o Oop) (w0, w1 uint64) {
	var p unsafe.Pointer
	if o&tagMask == tagYoung {
		if y := uint64(o) &^ tagMask; y-h.young.cur < h.young.top-h.young.cur {
			p = unsafe.Add(h.young.base, y)
		}
	} else if a := uint64(o); a&tagMask == tagOld && a&(PageSize-1) <= PageSize-headerSize && h.isVerified(a>>pageShift) {
		p = unsafe.Add(h.base, a)
	}
	if p != nil {
		return *(*uint64)(p), *(*uint64)(unsafe.Add(p, wordSize))
	}
	return h.headerSlow(o)
}

// headerSlow is header for a page not yet verified, a header that spans
// two pages, and every error.
func (h *Heap) headerSlow(o Oop) (w0, w1 uint64) {
	p := h.addrOf(o, 0)
	w0 = *(*uint64)(p)
	if uint64(o)&(PageSize-1) <= PageSize-16 || o.IsYoung() {
		return w0, *(*uint64)(unsafe.Add(p, 8))
	}
	return w0, *(*uint64)(h.addrOf(o, 8))
}

// NumPtrs answers how many pointer fields o has.
func (h *Heap) NumPtrs(o Oop) int { return int(h0Ptrs(*(*uint64)(h.addrOf(o, 0)))) }

// NumBytes answers the size of o's byte part.
func (h *Heap) NumBytes(o Oop) int { _, w1 := h.header(o); return int(h1Bytes(w1)) }

// Kind answers o's VM type tag.
func (h *Heap) Kind(o Oop) uint8 { _, w1 := h.header(o); return h1Kind(w1) }

// Hash answers o's identity hash, which survives every move of the object.
func (h *Heap) Hash(o Oop) uint32 { return h0Hash(*(*uint64)(h.addrOf(o, 0))) }

// Flags answers o's user flags (FlagWeak, FlagEphemeron).
func (h *Heap) Flags(o Oop) uint8 { return h0Flags(*(*uint64)(h.addrOf(o, 0))) & userFlags }

type boundsError struct{ msg string }

func (e boundsError) Error() string { return "heap: " + e.msg }

func (h *Heap) checkField(o Oop, i int) {
	if n := h0Ptrs(*(*uint64)(h.addrOf(o, 0))); uint64(i) >= n {
		panic(boundsError{fmt.Sprintf("field %d of an object with %d fields", i, n)})
	}
}

// fieldAddr answers the address of pointer field i of o, checking the index
// against the header. It is the hot path of the interpreter: a young object
// needs no verification, only a range test (a young reference read from a
// damaged file points nowhere), and an old one two bitmap tests (the pages
// of its header and of the field, usually the same); both then read the
// header once. Everything else, errors and first touches included, goes to
// fieldAddrSlow.
func (h *Heap) fieldAddr(o Oop, i int) unsafe.Pointer {
	off := headerSize + uint64(i)*wordSize
	if o&tagMask == tagYoung {
		if y := uint64(o) &^ tagMask; y-h.young.cur < h.young.top-h.young.cur {
			hdr := unsafe.Add(h.young.base, y)
			if uint64(i) < h0Ptrs(*(*uint64)(hdr)) {
				return unsafe.Add(hdr, off)
			}
		}
	} else if a := uint64(o); a&tagMask == tagOld && h.isVerified(a>>pageShift) && h.isVerified((a+off)>>pageShift) {
		hdr := unsafe.Add(h.base, a)
		if uint64(i) < h0Ptrs(*(*uint64)(hdr)) {
			return unsafe.Add(hdr, off)
		}
	}
	return h.fieldAddrSlow(o, i)
}

// fieldAddrSlow is fieldAddr for a page not yet verified, and for every
// error: it verifies on first touch and panics with what was wrong.
func (h *Heap) fieldAddrSlow(o Oop, i int) unsafe.Pointer {
	hdr := h.addrOf(o, 0)
	if n := h0Ptrs(*(*uint64)(hdr)); uint64(i) >= n {
		panic(boundsError{fmt.Sprintf("field %d of an object with %d fields", i, n)})
	}
	off := headerSize + uint64(i)*wordSize
	if o.IsYoung() || (uint64(o)+off)>>pageShift == uint64(o)>>pageShift {
		return unsafe.Add(hdr, off)
	}
	return h.addrOf(o, off)
}

// YoungField answers pointer field i of o, and true, when o is a young
// object that has field i; otherwise false, and the caller reads it the
// checked way. Small enough to inline: the interpreter reads every
// receiver's map with it.
func (h *Heap) YoungField(o Oop, i int) (Oop, bool) {
	if y := uint64(o) &^ tagMask; o&tagMask == tagYoung && y-h.young.cur < h.young.top-h.young.cur {
		hdr := unsafe.Add(h.young.base, y)
		if uint64(i) < h0Ptrs(*(*uint64)(hdr)) {
			return *(*Oop)(unsafe.Add(hdr, headerSize+uint64(i)*wordSize)), true
		}
	}
	return Nil, false
}

// FieldOfKind answers pointer field i of o, and true, when o is of kind
// kind and has field i: one header read for both tests, for the
// interpreter's reads of data slots. It answers false, and the caller goes
// the checked way (Kind, NumPtrs, Field), whenever either test fails or
// Field would have more to check: a page not yet verified, a header that
// crosses a page boundary, a young reference outside the young space.
func (h *Heap) FieldOfKind(o Oop, kind uint8, i int) (Oop, bool) {
	var hdr unsafe.Pointer
	off := headerSize + uint64(i)*wordSize
	if o&tagMask == tagYoung {
		y := uint64(o) &^ tagMask
		if y-h.young.cur >= h.young.top-h.young.cur {
			return Nil, false
		}
		hdr = unsafe.Add(h.young.base, y)
	} else if a := uint64(o); a&tagMask == tagOld && a&(PageSize-1) <= PageSize-headerSize &&
		h.isVerified(a>>pageShift) && h.isVerified((a+off)>>pageShift) {
		hdr = unsafe.Add(h.base, a)
	} else {
		return Nil, false
	}
	if h1Kind(*(*uint64)(unsafe.Add(hdr, wordSize))) != kind || uint64(i) >= h0Ptrs(*(*uint64)(hdr)) {
		return Nil, false
	}
	return *(*Oop)(unsafe.Add(hdr, off)), true
}

// SetYoungFieldOfKind sets pointer field i of o to v and reports true when
// o is a young object of kind kind that has field i; otherwise it does
// nothing and reports false, and the caller sets it the checked way. A
// young object needs no write barrier (SetField's young case), so this is
// the interpreter's store into a young receiver's data slot.
func (h *Heap) SetYoungFieldOfKind(o Oop, kind uint8, i int, v Oop) bool {
	y := uint64(o) &^ tagMask
	if o&tagMask != tagYoung || y-h.young.cur >= h.young.top-h.young.cur {
		return false
	}
	hdr := unsafe.Add(h.young.base, y)
	if h1Kind(*(*uint64)(unsafe.Add(hdr, wordSize))) != kind || uint64(i) >= h0Ptrs(*(*uint64)(hdr)) {
		return false
	}
	*(*Oop)(unsafe.Add(hdr, headerSize+uint64(i)*wordSize)) = v
	return true
}

// Field answers pointer field i of o.
func (h *Heap) Field(o Oop, i int) Oop {
	return *(*Oop)(h.fieldAddr(o, i))
}

// SetField stores v into pointer field i of o, through the write barrier.
func (h *Heap) SetField(o Oop, i int, v Oop) {
	p := h.fieldAddr(o, i)
	if o.IsYoung() {
		*(*Oop)(p) = v
		return
	}
	h.markDirty((uint64(o) + headerSize + uint64(i)*wordSize) >> pageShift)
	*(*Oop)(p) = v
	if v.IsYoung() {
		h.remember(o)
		return
	}
	if len(h.large) > 0 {
		h.holdLarge(o, v) // a scavenge traces only such persistent objects (largefree.go)
	}
	if h.gc != nil {
		h.barrierShade(v)
	}
}

// remember records that persistent object o holds a young reference, so that
// a scavenge and the commit's promotion find it.
func (h *Heap) remember(o Oop) {
	p := (*uint64)(h.addrOf(o, 0))
	if h0Flags(*p)&flagRemembered != 0 {
		return
	}
	h.markDirty(uint64(o) >> pageShift)
	*p |= flagRemembered << 32
	h.remembered = append(h.remembered, o)
}

// markDirty is the page half of the write barrier. The caller writes the
// page after it returns, before it marks any other: marking may spill the
// pages marked before (spill.go), which makes them clean again.
func (h *Heap) markDirty(p uint64) {
	h.maybeSpill()
	h.markPage(p)
}

// markPage marks page p dirty, with no spill.
func (h *Heap) markPage(p uint64) {
	w := p >> 6
	if w < uint64(len(h.dirty)) && h.dirty[w]&(1<<(p&63)) != 0 {
		return
	}
	if h.isDirect(p) {
		h.markDirectPrivate(p)
		return
	}
	h.touch(p)
	h.dirty[w] |= 1 << (p & 63)
	h.dirtyList = append(h.dirtyList, p)
}

// markDirtyRange marks every page of [a, a+n) dirty.
func (h *Heap) markDirtyRange(a, n uint64) {
	if n == 0 {
		return
	}
	h.maybeSpill()
	for p := a >> pageShift; p <= (a+n-1)>>pageShift; p++ {
		h.markPage(p)
	}
}

// verifyRange verifies every page of [a, a+n) of the heap file.
func (h *Heap) verifyRange(a, n uint64) {
	if n == 0 {
		return
	}
	for p := a >> pageShift; p <= (a+n-1)>>pageShift; p++ {
		h.touch(p)
	}
}

func (h *Heap) bytesStart(o Oop) (off, n uint64) {
	w0, w1 := h.header(o)
	return headerSize + h0Ptrs(w0)*wordSize, h1Bytes(w1)
}

// Bytes answers o's byte part, verifying every page it spans. The slice
// aliases the heap: it is for reading only (write with SetBytes), and is
// valid until the next allocation (which may move young objects) or the end
// of the transaction. It is for code that needs the whole byte part; to read
// a part of a large one, use ReadBytes or ByteAt, which touch only the
// pages they read.
func (h *Heap) Bytes(o Oop) []byte {
	off, n := h.bytesStart(o)
	if n == 0 {
		return nil
	}
	if !o.IsYoung() {
		h.verifyRange(uint64(o)+off, n)
	}
	return unsafe.Slice((*byte)(h.addrOf(o, off)), n)
}

// ReadBytes copies bytes [at, at+len(dst)) of o's byte part into dst,
// touching only the pages that range covers.
func (h *Heap) ReadBytes(o Oop, at int, dst []byte) {
	off, n := h.bytesStart(o)
	if at < 0 || uint64(at)+uint64(len(dst)) > n {
		panic(boundsError{fmt.Sprintf("bytes [%d,%d) of a byte part of %d", at, at+len(dst), n)})
	}
	if len(dst) == 0 {
		return
	}
	if !o.IsYoung() {
		h.verifyRange(uint64(o)+off+uint64(at), uint64(len(dst)))
	}
	copy(dst, unsafe.Slice((*byte)(h.addrOf(o, off+uint64(at))), len(dst)))
}

// SetBytes copies src into o's byte part at offset at, through the barrier.
// Into a large object made in this transaction, a write of a page or more
// goes to the heap file, not to memory (large.go).
func (h *Heap) SetBytes(o Oop, at int, src []byte) {
	off, n := h.bytesStart(o)
	if at < 0 || uint64(at)+uint64(len(src)) > n {
		panic(boundsError{fmt.Sprintf("bytes [%d,%d) of a byte part of %d", at, at+len(src), n)})
	}
	if len(src) == 0 {
		return
	}
	if len(src) >= PageSize && !o.IsYoung() && h.isDirect(uint64(o)>>pageShift) {
		if err := h.writeLarge(uint64(o)+off+uint64(at), src); err != nil {
			panic(err)
		}
		return
	}
	if !o.IsYoung() {
		h.markDirtyRange(uint64(o)+off+uint64(at), uint64(len(src)))
	}
	copy(unsafe.Slice((*byte)(h.addrOf(o, off+uint64(at))), len(src)), src)
}

// KindAndSize answers o's VM type tag and the size of its byte part, from
// one reading of its header.
func (h *Heap) KindAndSize(o Oop) (uint8, int) {
	_, w1 := h.header(o)
	return h1Kind(w1), int(h1Bytes(w1))
}

// byteAddr answers the address of byte i of o's byte part and its offset
// in o, checking i against the header. Like fieldAddr it is a hot path (the
// interpreter's indexing of byteVectors): a young object needs only a range
// test, and an old one whose header lies in one page two bitmap tests (the
// pages of its header and of the byte); both read the header once.
// Everything else goes to byteAddrSlow.
func (h *Heap) byteAddr(o Oop, i int) (unsafe.Pointer, uint64) {
	var hdr unsafe.Pointer
	if o&tagMask == tagYoung {
		if y := uint64(o) &^ tagMask; y-h.young.cur < h.young.top-h.young.cur {
			hdr = unsafe.Add(h.young.base, y)
		}
	} else if a := uint64(o); a&tagMask == tagOld && a&(PageSize-1) <= PageSize-headerSize && h.isVerified(a>>pageShift) {
		hdr = unsafe.Add(h.base, a)
	}
	if hdr != nil {
		w0, w1 := *(*uint64)(hdr), *(*uint64)(unsafe.Add(hdr, wordSize))
		off := headerSize + h0Ptrs(w0)*wordSize + uint64(i)
		if uint64(i) < h1Bytes(w1) && (o.IsYoung() || h.isVerified((uint64(o)+off)>>pageShift)) {
			return unsafe.Add(hdr, off), off
		}
	}
	return h.byteAddrSlow(o, i)
}

// byteAddrSlow is byteAddr for a page not yet verified, and for every
// error: it verifies on first touch and panics with what was wrong.
func (h *Heap) byteAddrSlow(o Oop, i int) (unsafe.Pointer, uint64) {
	off, n := h.bytesStart(o)
	if i < 0 || uint64(i) >= n {
		panic(boundsError{fmt.Sprintf("byte %d of a byte part of %d", i, n)})
	}
	off += uint64(i)
	return h.addrOf(o, off), off
}

// YoungBytes answers the byte part of o, when o is a young object, as a
// slice over the young space; otherwise false. The slice is valid only
// until the young space is next emptied or its objects move (a scavenge,
// a commit, an abort), each of which calls the cache invalidator: keep it
// only in a cache that the invalidator ends. A write through it needs no
// barrier: bytes hold no references, and a young object is in no page of
// the file.
func (h *Heap) YoungBytes(o Oop) ([]byte, bool) {
	if o&tagMask != tagYoung {
		return nil, false
	}
	y := uint64(o) &^ tagMask
	if y-h.young.cur >= h.young.top-h.young.cur {
		return nil, false
	}
	p := unsafe.Add(h.young.base, y)
	w0, w1 := *(*uint64)(p), *(*uint64)(unsafe.Add(p, wordSize))
	return unsafe.Slice((*byte)(unsafe.Add(p, headerSize+h0Ptrs(w0)*wordSize)), h1Bytes(w1)), true
}

// ByteAt answers byte i of o's byte part.
func (h *Heap) ByteAt(o Oop, i int) byte {
	p, _ := h.byteAddr(o, i)
	return *(*byte)(p)
}

// SetByteAt stores byte i of o's byte part, through the barrier.
func (h *Heap) SetByteAt(o Oop, i int, b byte) {
	p, off := h.byteAddr(o, i)
	if !o.IsYoung() {
		h.markDirty((uint64(o) + off) >> pageShift)
	}
	*(*byte)(p) = b
}

// Root answers root slot i.
func (h *Heap) Root(i int) Oop { return h.state.Roots[i] }

// SetRoot sets root slot i; it is part of the transaction.
func (h *Heap) SetRoot(i int, v Oop) { h.state.Roots[i] = v }

// Aux answers the world layer's word i of the committed-with-every-transaction state.
func (h *Heap) Aux(i int) uint64 { return h.state.Aux[i] }

// SetAux sets the world layer's word i; it is part of the transaction.
func (h *Heap) SetAux(i int, v uint64) { h.state.Aux[i] = v }
