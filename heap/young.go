package heap

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The young space. New objects are bump-allocated here, outside the heap
// file, so that temporaries never reach the disk. It is two semispaces in one
// anonymous reservation: a scavenge in the middle of a long transaction copies
// the live young objects from one to the other (Cheney), and the commit copies
// the young objects that persistent objects or roots reach into the heap.
//
// Objects move during a scavenge, so Go code must not hold young oops across
// one: the VM calls Scavenge only at points where every oop it holds is where
// its RootScanner can visit and update it.

type youngSpace struct {
	mem   []byte
	base  unsafe.Pointer
	half  uint64 // size of one semispace
	cur   uint64 // start offset of the current semispace (0 or half)
	top   uint64 // next free offset
	limit uint64 // soft limit (bytes in the current semispace) that asks for a scavenge
	min   uint64 // the configured limit
	hash  uint32
	// tenuring: the last scavenge of this transaction kept more than
	// tenureAt, so the next one tenures at once instead of copying first.
	tenuring bool
}

func (y *youngSpace) init(reserve, limit uint64) error {
	m, err := unix.Mmap(-1, 0, int(2*reserve), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("reserving young space: %w", err)
	}
	y.mem, y.base, y.half = m, unsafe.Pointer(&m[0]), reserve
	y.min, y.limit = limit, limit
	y.cur, y.top = 0, wordSize // offset 0 would make oop 4; keep it unused for clarity
	return nil
}

func (y *youngSpace) release() {
	if y.mem != nil {
		unix.Munmap(y.mem)
		y.mem, y.base = nil, nil
	}
}

func (y *youngSpace) used() uint64 { return y.top - y.cur }

// reset empties the young space, giving its memory back when it grew large.
func (y *youngSpace) reset() {
	if y.used() > 8<<20 {
		unix.Madvise(y.mem[y.cur:y.top], unix.MADV_DONTNEED)
	}
	y.top = y.cur + wordSize
	y.limit = y.min
	y.tenuring = false
}

// nextHash answers a fresh 24-bit non-zero identity hash (xorshift).
func (h *Heap) nextHash() uint32 {
	x := h.hash
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	h.hash = x
	if v := x & hashMask; v != 0 {
		return v
	}
	return 1
}

// MaxObjectFields is the most pointer fields an object may have: the
// collector and the promotion read them all at once.
const MaxObjectFields = 1 << 27

// CheckAlloc answers nil if Alloc can make an object of nptrs fields and
// nbytes bytes now, or else an error (errors.Is ErrOutOfMemory) that names
// the limit the request passes: MaxObjectFields, the young space for an
// object smaller than a large one, and for a large one Options.ObjectLimit
// and the disk. It touches no memory.
func (h *Heap) CheckAlloc(nptrs, nbytes int) error {
	if nptrs < 0 || nbytes < 0 || nptrs > MaxObjectFields || uint64(nbytes) > maxBytes {
		return &oomError{msg: fmt.Sprintf("an object of %d fields and %d bytes is larger than the limit of %d fields",
			nptrs, nbytes, MaxObjectFields)}
	}
	size := objectSize(uint64(nptrs), uint64(nbytes))
	if size >= largeObject {
		return h.checkLarge(size)
	}
	y := &h.young
	if y.top+size > y.cur+y.half {
		return &oomError{msg: fmt.Sprintf("young space of %d bytes is full", y.half)}
	}
	return nil
}

// Alloc makes a new object with nptrs pointer fields, each set to fill, and
// a zeroed byte part of nbytes, with the VM's type tag kind: a young one,
// or, from largeObject bytes, a persistent one placed directly in the heap
// file (large.go). It panics with CheckAlloc's error when it cannot.
func (h *Heap) Alloc(nptrs, nbytes int, kind uint8, fill Oop) Oop {
	if err := h.CheckAlloc(nptrs, nbytes); err != nil {
		panic(err)
	}
	size := objectSize(uint64(nptrs), uint64(nbytes))
	if size >= largeObject {
		return h.mustAllocLarge(nptrs, nbytes, kind, fill, largeZeroed)
	}
	o, b := h.allocYoung(nptrs, nbytes, kind, fill)
	clear(b)
	return o
}

// mustAllocLarge is allocLarge that panics with its error.
func (h *Heap) mustAllocLarge(nptrs, nbytes int, kind uint8, fill Oop, init largeBytes) Oop {
	o, err := h.allocLarge(uint64(nptrs), uint64(nbytes), kind, fill, init)
	if err != nil {
		panic(err)
	}
	return o
}

// AllocJoined makes a new object as Alloc does, whose byte part is the
// concatenation of parts rather than zeros. A young one is written once:
// its bytes are not cleared first. parts may be byte parts of heap objects:
// allocation moves no object and unmaps no memory.
func (h *Heap) AllocJoined(nptrs int, kind uint8, fill Oop, parts ...[]byte) Oop {
	nbytes := 0
	for _, p := range parts {
		nbytes += len(p)
	}
	if err := h.CheckAlloc(nptrs, nbytes); err != nil {
		panic(err)
	}
	if objectSize(uint64(nptrs), uint64(nbytes)) >= largeObject {
		o := h.mustAllocLarge(nptrs, nbytes, kind, fill, largeOverwritten)
		at := 0
		for _, p := range parts {
			h.SetBytes(o, at, p)
			at += len(p)
		}
		return o
	}
	o, b := h.allocYoung(nptrs, nbytes, kind, fill)
	at := 0
	for _, p := range parts {
		at += copy(b[at:], p)
	}
	clear(b[at:]) // the padding to the next word
	return o
}

// allocYoung makes a young object of this shape whose header and pointer
// fields are set and answers it with its byte part, padding included, which
// holds whatever the young space held there: the caller must write all of
// it. The caller has checked the shape with CheckAlloc and that it is
// smaller than a large object.
func (h *Heap) allocYoung(nptrs, nbytes int, kind uint8, fill Oop) (Oop, []byte) {
	size := objectSize(uint64(nptrs), uint64(nbytes))
	y := &h.young
	off := y.top
	y.top += size
	h.Stats.YoungBytes += size
	p := unsafe.Add(y.base, off)
	*(*uint64)(p) = makeHeader0(uint64(nptrs), 0, h.nextHash())
	*(*uint64)(unsafe.Add(p, 8)) = makeHeader1(uint64(nbytes), kind)
	fields := unsafe.Slice((*Oop)(unsafe.Add(p, headerSize)), nptrs)
	for i := range fields {
		fields[i] = fill
	}
	return youngOop(off), unsafe.Slice((*byte)(unsafe.Add(p, headerSize+uint64(nptrs)*wordSize)), align8(uint64(nbytes)))
}

// SetFlags sets o's user flags (FlagWeak, FlagEphemeron). Set them right after
// allocation, before o is stored anywhere.
func (h *Heap) SetFlags(o Oop, flags uint8) {
	if flags&^userFlags != 0 {
		panic("heap: SetFlags: unknown flags")
	}
	if o.IsOld() {
		h.markDirty(uint64(o) >> pageShift)
	}
	p := (*uint64)(h.addrOf(o, 0))
	*p = *p&^(uint64(userFlags)<<32) | uint64(flags)<<32
}

// Clone makes a young shallow copy of o with a fresh identity hash.
func (h *Heap) Clone(o Oop) Oop {
	w0, w1 := h.header(o)
	size := objectSize(h0Ptrs(w0), h1Bytes(w1))
	if !o.IsYoung() {
		h.verifyRange(uint64(o), size)
	}
	n := h.Alloc(int(h0Ptrs(w0)), int(h1Bytes(w1)), h1Kind(w1), Nil)
	src := unsafe.Slice((*byte)(h.addrOf(o, headerSize)), size-headerSize)
	if n.IsYoung() {
		copy(unsafe.Slice((*byte)(h.addrOf(n, headerSize)), size-headerSize), src)
	} else {
		// A large copy goes to the file in pieces, never whole into memory.
		for at := uint64(0); at < uint64(len(src)); at += largeWriteback {
			if err := h.writeLarge(uint64(n)+headerSize+at, src[at:min(at+largeWriteback, uint64(len(src)))]); err != nil {
				panic(err)
			}
		}
		for i := 0; i < int(h0Ptrs(w0)); i++ {
			if v := h.Field(n, i); v.IsYoung() {
				h.remember(n)
				break
			}
		}
	}
	h.SetFlags(n, h0Flags(w0)&userFlags)
	return n
}

// SetRootScanner installs the function through which Scavenge finds the oops
// the VM holds outside the heap (its stack, its handles).
func (h *Heap) SetRootScanner(scan func(visit func(*Oop))) { h.rootScanner = scan }

// ScavengeWanted reports whether the young space has passed its limit; the VM
// should call Scavenge at its next safe point.
func (h *Heap) ScavengeWanted() bool { return h.young.used() > h.young.limit }

// YoungUsed answers the bytes in use in the young space.
func (h *Heap) YoungUsed() uint64 { return h.young.used() }

// Scavenge copies the young objects reachable from the roots, the remembered
// persistent objects and the VM's root scanner into the other semispace, and
// frees the rest. Every young oop the VM holds must be visible to the scanner.
func (h *Heap) Scavenge() {
	y := &h.young
	tracing := h.startLargeTrace()
	if y.tenuring {
		h.tenure()
		y.tenuring = true // this transaction builds live data: keep tenuring
		h.endScavenge(tracing)
		return
	}
	from, fromTop := y.cur, y.top
	to := y.half - y.cur
	y.cur, y.top = to, to+wordSize
	scan := y.top
	fwd := func(p *Oop) {
		if p.IsYoung() {
			*p = h.copyYoung(*p)
		} else if tracing {
			h.meetLarge(*p)
		}
	}
	h.forEachYoungRoot(fwd)
	if h.rootScanner != nil {
		h.rootScanner(fwd)
	}
	for scan < y.top {
		o := youngOop(scan)
		w0, w1 := h.header(o)
		fields := unsafe.Slice((*Oop)(unsafe.Add(y.base, scan+headerSize)), h0Ptrs(w0))
		for i := range fields {
			fwd(&fields[i])
		}
		scan += objectSize(h0Ptrs(w0), h1Bytes(w1))
	}
	// The semispace just emptied is given back only beyond the configured
	// limit: the next scavenge cycle allocates into it again, and pages
	// given back would each be faulted in and cleared anew. (Both halves
	// were resident during the copy, so this raises no peak.)
	if keep := from + y.min; fromTop > keep {
		unix.Madvise(y.mem[keep:fromTop], unix.MADV_DONTNEED)
	}
	y.limit = max(y.min, 2*y.used())
	h.Stats.Scavenges++
	if y.used() > tenureAt {
		h.tenure()
		y.tenuring = true
	}
	h.endScavenge(tracing)
}

// endScavenge frees the large objects the scavenge found dead (when it
// looked for them), flushes the caches, and stops the transaction (a heap
// panic) if it holds more than its memory limit.
func (h *Heap) endScavenge(tracing bool) {
	if tracing {
		h.finishLargeTrace()
	} else {
		h.held.largeSince = 0
	}
	h.invalidateCaches()
	if err := h.checkMemoryLimit(0); err != nil {
		panic(err)
	}
}

// tenureAt is how many bytes may survive a scavenge before the survivors
// are tenured. Without it a transaction that builds more live data than
// memory would grow the young space (both semispaces, while copying) as far
// as its data; tenured, the data are persistent objects of the transaction,
// whose pages the dirty budget bounds (spill.go).
const tenureAt = 8 << 20

// tenure moves every young object still reachable, from the VM's roots too,
// into the persistent heap, as promotion at commit does, and empties the
// young space. The objects belong to the transaction: an abort frees their
// space (the allocator's state reverts) and drops their pages, and a commit
// keeps those that are then reachable from the roots (the others are
// garbage for the collector). A failure is raised as a heap panic.
func (h *Heap) tenure() {
	before := h.Stats.PromotedBytes
	if err := h.promote(nil, h.rootScanner); err != nil {
		panic(err)
	}
	h.held.tenured += h.Stats.PromotedBytes - before
	h.young.reset()
	h.Stats.Tenures++
}

// forEachYoungRoot visits the roots and the fields of remembered persistent
// objects. Those objects' pages are already dirty: the store that made them
// remembered dirtied them.
func (h *Heap) forEachYoungRoot(visit func(*Oop)) {
	for i := range h.state.Roots {
		visit(&h.state.Roots[i])
	}
	for _, o := range h.remembered {
		n := h0Ptrs(*(*uint64)(h.addrOf(o, 0)))
		for i := uint64(0); i < n; i++ {
			a := uint64(o) + headerSize + i*wordSize
			p := (*Oop)(unsafe.Add(h.base, a))
			if p.IsYoung() {
				h.markDirty(a >> pageShift)
				visit(p)
			}
		}
	}
}

// copyYoung copies young object o into the current semispace, once.
func (h *Heap) copyYoung(o Oop) Oop {
	y := &h.young
	p := unsafe.Add(y.base, o.youngOff())
	w0 := *(*uint64)(p)
	w1 := *(*uint64)(unsafe.Add(p, 8))
	if h0Flags(w0)&flagForwarded != 0 {
		return Oop(w1)
	}
	size := objectSize(h0Ptrs(w0), h1Bytes(w1))
	dst := y.top
	y.top += size
	copy(unsafe.Slice((*byte)(unsafe.Add(y.base, dst)), size), unsafe.Slice((*byte)(p), size))
	n := youngOop(dst)
	*(*uint64)(p) = w0 | flagForwarded<<32
	*(*uint64)(unsafe.Add(p, 8)) = uint64(n)
	return n
}

// promote moves every young object reachable from the roots, the remembered
// objects, keep (when not nil) and the oops scan visits (when not nil: the
// VM's, when tenuring) into the persistent heap (the commit's scavenge), and
// rewrites the references to them. Young objects nobody persistent reaches
// are dropped: temporaries never reach the disk.
func (h *Heap) promote(keep *Oop, scan func(visit func(*Oop))) error {
	var queue []Oop
	var failed error
	fwd := func(p *Oop) {
		if failed != nil {
			return
		}
		if !p.IsYoung() {
			if h.largeTracing {
				h.meetLarge(*p)
			}
			return
		}
		q := unsafe.Add(h.young.base, p.youngOff())
		w0 := *(*uint64)(q)
		w1 := *(*uint64)(unsafe.Add(q, 8))
		if h0Flags(w0)&flagForwarded != 0 {
			*p = Oop(w1)
			h.rewrote(p)
			return
		}
		size := objectSize(h0Ptrs(w0), h1Bytes(w1))
		dst, err := h.allocOld(size) // young objects are smaller than largeObject
		if err == nil {
			h.markDirtyRange(dst, size)
		}
		if err != nil {
			failed = err
			return
		}
		copy(unsafe.Slice((*byte)(unsafe.Add(h.base, dst)), size), unsafe.Slice((*byte)(q), size))
		h.Stats.PromotedBytes += size
		h.state.Space.Allocated += size
		n := Oop(dst)
		h.noteFresh(n)
		*(*uint64)(q) = w0 | flagForwarded<<32
		*(*uint64)(unsafe.Add(q, 8)) = uint64(n)
		queue = append(queue, n)
		*p = n
		h.rewrote(p)
	}
	h.forEachYoungRoot(fwd)
	if keep != nil {
		fwd(keep)
	}
	if scan != nil {
		scan(fwd)
	}
	for len(queue) > 0 && failed == nil {
		o := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		n := h0Ptrs(*(*uint64)(unsafe.Add(h.base, uint64(o))))
		fields := unsafe.Slice((*Oop)(unsafe.Add(h.base, uint64(o)+headerSize)), n)
		for i := range fields {
			if h.largeTracing {
				h.holdLarge(o, fields[i]) // a tenured object is traced by later scavenges only so
			}
			fwd(&fields[i])
		}
	}
	if failed != nil {
		return failed
	}
	for _, o := range h.remembered {
		h.markDirty(uint64(o) >> pageShift) // it may have spilled since it was remembered
		*(*uint64)(unsafe.Add(h.base, uint64(o))) &^= flagRemembered << 32
	}
	h.remembered = h.remembered[:0]
	return nil
}

// rewrote marks dirty again the page of a persistent word promotion has just
// rewritten, if a spill has made it clean since it was marked: the
// allocations between marking a page and rewriting its fields may spill
// (spill.go). Words outside the mapping (roots, a kept oop) need nothing.
func (h *Heap) rewrote(w *Oop) {
	a := uintptr(unsafe.Pointer(w))
	if a < uintptr(h.base) || a >= uintptr(h.base)+uintptr(len(h.mem)) {
		return
	}
	if p := uint64(a-uintptr(h.base)) >> pageShift; h.isSpilled(p) {
		h.markDirty(p)
	}
}

// SetIdentityHash gives a young object the identity hash it had elsewhere
// (an imported image keeps its objects' hashes, so hashed collections stay valid).
func (h *Heap) SetIdentityHash(o Oop, hash uint32) {
	fresh := o.IsYoung() || (o.IsOld() && h.isDirect(uint64(o)>>pageShift))
	if !fresh || hash&hashMask == 0 {
		panic("heap: SetIdentityHash needs an object made in this transaction and a non-zero 24-bit hash")
	}
	if o.IsOld() {
		h.markDirty(uint64(o) >> pageShift)
	}
	p := (*uint64)(h.addrOf(o, 0))
	*p = *p&^(uint64(hashMask)<<40) | uint64(hash&hashMask)<<40
}
