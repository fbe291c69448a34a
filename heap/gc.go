package heap

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
	"unsafe"

	mmap "github.com/edsrzf/mmap-go"
)

// Garbage collection of the persistent heap: an incremental mark-sweep whose
// cycle runs in slices between transactions (CollectSlice), or whole
// (Collect). A cycle marks from the roots, clears weak references and
// ephemerons whose keys were not marked, then sweeps the heap from its first
// object to the frontier the heap had when marking ended, coalescing dead
// objects and free chunks into free chunks and rebuilding the free lists,
// and finally gives a free tail back to the file.
//
// Transactions run between the slices. Marking stays correct across them by
// incremental update (Dijkstra): while marking, every persistent reference
// stored into a persistent object is shaded (marked and queued for
// scanning), every object promoted by a commit is shaded once the commit
// succeeds, and marking ends only in a slice that finds the roots marked and
// nothing left to scan. So no object reachable when marking ends is
// unmarked. The sweep frees only what a finished mark found unmarked, which
// nothing reachable refers to; while it runs, the free lists hold only
// chunks it has swept, so transactions allocate behind it or past its end.
//
// The cycle lives in this process only. A process that ends mid-cycle leaves
// a consistent heap (every slice commits its own work), and the next starts
// a new cycle when its trigger says so.
//
// Mark bits live outside the objects, in a bitmap of one bit per word, so
// marking writes nothing to the heap and dirties no page. A large heap's bitmap
// is a mapping of an unlinked file beside the heap, which the kernel can page
// out: collection works when the heap is larger than memory.
//
// Ephemerons keep a value only while its key is marked from elsewhere. A
// pair met with an unmarked key waits in a table keyed by that key, and is
// traced when (if ever) the key is marked, so chains of ephemerons cost time
// linear in their pairs. The sweep commits every sweepBatch dirty pages, so
// its private copies stay bounded too.

// sweepBatch is how many dirty pages the sweep accumulates before it commits.
const sweepBatch = 8192

// DefaultGCSlice is the time a CollectSlice the layer above runs after each
// evaluation may take.
const DefaultGCSlice = 10 * time.Millisecond

// shrinkSlack is how much free space past the frontier a finished cycle
// leaves in the file: less than this is not worth truncating.
const shrinkSlack = 1 << 20

// GCStats reports what a collection found.
type GCStats struct {
	LiveObjects uint64
	LiveBytes   uint64
	FreedBytes  uint64 // bytes of objects found dead
	FreeBytes   uint64 // bytes in free chunks after the sweep
	HeapBytes   uint64 // frontier after the sweep
	FileBytes   uint64 // the heap file's size after the cycle
	Cleared     uint64 // weak references and ephemeron pairs cleared
	// EphemeronVisits counts ephemeron pairs examined and pairs traced
	// when their key was marked: linear in the pairs, whatever their shape.
	EphemeronVisits uint64
	Slices          uint64 // slices the cycle took
}

// bitmap is a mark bitmap, in memory or in a temporary file. It grows when
// a bit past its end is set: objects promoted during a cycle may lie past
// the frontier the cycle began with.
type bitmap struct {
	words []uint64
	m     mmap.MMap
	f     *os.File
}

const inMemoryBitmap = 64 << 20

func newBitmap(dir string, nbits uint64) (*bitmap, error) {
	b := &bitmap{}
	return b, b.resize(dir, (nbits+63)/64*8)
}

// resize makes the bitmap nbytes long, keeping its bits.
func (b *bitmap) resize(dir string, nbytes uint64) error {
	if nbytes <= inMemoryBitmap && b.f == nil {
		words := make([]uint64, nbytes/8)
		copy(words, b.words)
		b.words = words
		return nil
	}
	if b.f == nil {
		f, err := os.CreateTemp(dir, ".marks-*")
		if err != nil {
			return err
		}
		os.Remove(f.Name())
		b.f = f
		if len(b.words) > 0 {
			buf := unsafe.Slice((*byte)(unsafe.Pointer(&b.words[0])), len(b.words)*8)
			if _, err := f.WriteAt(buf, 0); err != nil {
				return err
			}
		}
	}
	if b.m != nil {
		if err := b.m.Unmap(); err != nil {
			return err
		}
		b.m = nil
	}
	if err := b.f.Truncate(int64(nbytes)); err != nil {
		return err
	}
	m, err := mmap.Map(b.f, mmap.RDWR, 0)
	if err != nil {
		return err
	}
	b.m = m
	b.words = unsafe.Slice((*uint64)(unsafe.Pointer(&m[0])), nbytes/8)
	return nil
}

func (b *bitmap) release() {
	if b.m != nil {
		b.m.Unmap()
	}
	if b.f != nil {
		b.f.Close()
	}
}

func (b *bitmap) test(i uint64) bool {
	return i>>6 < uint64(len(b.words)) && b.words[i>>6]&(1<<(i&63)) != 0
}

func (b *bitmap) set(i uint64) { b.words[i>>6] |= 1 << (i & 63) }

// gcPhase is where a cycle is.
type gcPhase int

const (
	gcMarking gcPhase = iota
	gcSweeping
)

// ephPair names pair k (the key's field) of ephemeron e, and the next pair
// waiting for the same key (an index into collector.pairs, -1 for none).
type ephPair struct {
	e    Oop
	k    int
	next int
}

// freshObject is an object promoted while marking by the commit that is to
// be transaction seq: it is shaded once that commit succeeded.
type freshObject struct {
	o   Oop
	seq uint64
}

// collector is a cycle in progress.
type collector struct {
	phase    gcPhase
	marks    *bitmap
	stack    []Oop
	fresh    []freshObject
	waiting  map[Oop]int // unmarked key -> the first of the pairs waiting for it
	pairs    []ephPair   // the waiting pairs, chained per key
	released []int       // chains of pairs whose key was marked, values still to shade
	ephs     []Oop       // ephemerons marked, cleared at the end of marking
	weaks    []Oop       // weak objects marked, cleared at the end of marking
	// allocAtStart is Space.Allocated when the cycle began: what was
	// promoted after that is not counted as collected by this cycle.
	allocAtStart uint64
	// The sweep: [sweepAt, sweepEnd) is still to sweep; runStart, when not
	// 0, starts a run of dead objects and unlinked free chunks that ends at
	// sweepAt. Nothing can touch such a run between slices: nothing
	// reachable refers to it and no free list links it.
	sweepAt, sweepEnd, runStart uint64
	st                          GCStats
}

// budget bounds the work of one slice: a deadline checked now and then, or
// (for tests) a count of work units. The zero budget is unbounded.
type budget struct {
	deadline time.Time
	units    int
	used     int
}

// spend counts n units of work and reports whether the slice must stop.
func (b *budget) spend(n int) bool {
	b.used += n
	if b.units > 0 {
		return b.used >= b.units
	}
	return !b.deadline.IsZero() && b.used&1023 < n && time.Now().After(b.deadline)
}

// Collect collects the persistent heap's garbage: it finishes the cycle in
// progress, or runs a whole one. It must be called between transactions
// (after Commit or Abort); it commits its own work.
func (h *Heap) Collect() (GCStats, error) { return h.CollectProgress(nil) }

// CollectProgress is Collect, calling progress now and then during the sweep
// with the bytes swept and the bytes to sweep.
func (h *Heap) CollectProgress(progress func(done, total uint64)) (GCStats, error) {
	st, _, err := h.collect(&budget{}, progress)
	return st, err
}

// CollectSlice does at most about d of collection work: it starts a cycle
// when enough has been promoted since the last one finished (GCWanted), or
// goes on with the cycle in progress. It answers whether a cycle finished.
// It must be called between transactions; it commits its own work.
func (h *Heap) CollectSlice(d time.Duration) (finished bool, err error) {
	return h.collectSlice(&budget{deadline: time.Now().Add(d)})
}

func (h *Heap) collectSlice(b *budget) (bool, error) {
	if h.gc == nil && !h.GCWanted() {
		return false, nil
	}
	_, finished, err := h.collect(b, nil)
	return finished, err
}

// GCWanted reports whether enough has been promoted since the last cycle
// finished (Options.GCMinGarbage, or Options.GCGrowth percent of what it
// found live, whichever is larger) for a new cycle to start.
func (h *Heap) GCWanted() bool {
	sp := h.committed.Space
	return sp.Allocated >= max(h.opts.GCMinGarbage, sp.LiveBytes/100*h.opts.GCGrowth)
}

// Collecting reports whether a cycle is in progress.
func (h *Heap) Collecting() bool { return h.gc != nil }

// collect runs the cycle (starting one if there is none) until it finishes
// or b is spent, and answers whether it finished.
func (h *Heap) collect(b *budget, progress func(done, total uint64)) (GCStats, bool, error) {
	if h.fatal != nil {
		return GCStats{}, false, h.fatal
	}
	if h.InTransaction() {
		return GCStats{}, false, fmt.Errorf("heap: Collect called inside a transaction")
	}
	if h.opts.Access == ReadOnly || h.readOnly {
		return GCStats{}, false, fmt.Errorf("%w: garbage is not collected", ErrReadOnly)
	}
	if h.gc == nil {
		marks, err := newBitmap(h.scratchDir(), h.state.PageCount*PageSize/wordSize)
		if err != nil {
			return GCStats{}, false, fmt.Errorf("gc: mark bitmap: %w", err)
		}
		h.gc = &collector{marks: marks, waiting: map[Oop]int{}, allocAtStart: h.state.Space.Allocated}
	}
	c := h.gc
	c.st.Slices++
	finished := false
	err := Catch(func() error {
		var err error
		finished, err = h.step(b, progress)
		return err
	})
	if err == nil {
		err = h.Commit()
	} else {
		h.Abort()
		err = fmt.Errorf("gc: %w", err)
	}
	if err != nil {
		h.cancelCollection()
		return c.st, false, err
	}
	if !finished {
		return c.st, false, nil
	}
	h.cancelCollection()
	c.st.HeapBytes = h.committed.Frontier
	c.st.FileBytes = h.fileSize
	return c.st, true, nil
}

// cancelCollection forgets the cycle in progress. Nothing it did needs
// undoing: every slice committed a consistent heap.
func (h *Heap) cancelCollection() {
	if h.gc != nil {
		h.gc.marks.release()
		h.gc = nil
	}
}

// step does the cycle's work within b; it answers true when the cycle is
// done, its last work in the transaction the caller commits.
func (h *Heap) step(b *budget, progress func(done, total uint64)) (bool, error) {
	c := h.gc
	if c.phase == gcMarking {
		if !h.markSome(b) {
			return false, nil
		}
		h.endMarking()
	}
	return h.sweepSome(b, progress)
}

// markedOop answers whether o, a persistent reference, is marked; damage
// that makes a reference point outside the heap is reported, not followed.
func (h *Heap) markedOop(o Oop) bool {
	if uint64(o) < dataStart || uint64(o) >= h.state.Frontier {
		panic(&CorruptError{File: h.path, Page: int64(uint64(o) >> pageShift), Offset: int64(o),
			Msg: "reference outside the heap's objects"})
	}
	return h.gc.marks.test(uint64(o) / wordSize)
}

// shade marks o and queues it for scanning, if it is an unmarked
// persistent object. A key being marked releases the ephemeron values
// waiting for it.
func (h *Heap) shade(o Oop) {
	if !o.IsOld() || h.markedOop(o) {
		return
	}
	c := h.gc
	i := uint64(o) / wordSize
	if i>>6 >= uint64(len(c.marks.words)) {
		grown := max(2*uint64(len(c.marks.words))*8, (h.state.PageCount*PageSize/wordSize+63)/64*8)
		if err := c.marks.resize(h.scratchDir(), grown); err != nil {
			panic(&oomError{msg: fmt.Sprintf("gc: growing the mark bitmap: %v", err)})
		}
	}
	c.marks.set(i)
	c.stack = append(c.stack, o)
	if len(c.waiting) > 0 {
		if i, ok := c.waiting[o]; ok {
			delete(c.waiting, o)
			c.released = append(c.released, i) // not shaded here: a chain of keys must not recurse
		}
	}
}

// barrierShade is the marking half of the write barrier: v, just stored
// into a persistent object, must not be lost by a cycle marking.
func (h *Heap) barrierShade(v Oop) {
	if h.gc.phase == gcMarking {
		h.shade(v)
	}
}

// noteFresh records o, just promoted, to be shaded once its commit succeeds.
func (h *Heap) noteFresh(o Oop) {
	if h.gc != nil && h.gc.phase == gcMarking {
		h.gc.fresh = append(h.gc.fresh, freshObject{o: o, seq: h.committed.Seq + 1})
	}
}

// forgetUncommitted drops the fresh objects of a commit that did not
// happen: their space is free again.
func (h *Heap) forgetUncommitted() {
	if h.gc == nil {
		return
	}
	f := h.gc.fresh
	for len(f) > 0 && f[len(f)-1].seq > h.committed.Seq {
		f = f[:len(f)-1]
	}
	h.gc.fresh = f
}

// markSome marks within b; it answers true when marking is complete: the
// roots are marked and nothing is left to scan.
func (h *Heap) markSome(b *budget) bool {
	c := h.gc
	for {
		for _, f := range c.fresh {
			h.shade(f.o)
		}
		c.fresh = c.fresh[:0]
		for len(c.stack) > 0 || len(c.released) > 0 {
			if n := len(c.released); n > 0 {
				i := c.released[n-1]
				c.released = c.released[:n-1]
				for ; i >= 0; i = c.pairs[i].next {
					c.st.EphemeronVisits++
					h.shade(h.Field(c.pairs[i].e, c.pairs[i].k+1))
				}
				continue
			}
			o := c.stack[len(c.stack)-1]
			c.stack = c.stack[:len(c.stack)-1]
			if b.spend(1 + h.scan(o)) {
				return false
			}
		}
		for _, r := range h.state.Roots {
			h.shade(r)
		}
		if len(c.stack) == 0 && len(c.released) == 0 {
			return true
		}
	}
}

// scan traces marked object o's references and answers how many fields it
// looked at.
func (h *Heap) scan(o Oop) int {
	c := h.gc
	w0, w1 := h.header(o)
	f := h0Flags(w0)
	if f&flagFree != 0 {
		panic(&CorruptError{File: h.path, Page: int64(uint64(o) >> pageShift), Offset: int64(o),
			Msg: "reference to a free chunk"})
	}
	c.st.LiveObjects++
	c.st.LiveBytes += objectSize(h0Ptrs(w0), h1Bytes(w1))
	n := int(h0Ptrs(w0))
	switch {
	case f&FlagEphemeron != 0:
		c.ephs = append(c.ephs, o)
		for k := 0; k+1 < n; k += 2 {
			c.st.EphemeronVisits++
			key := h.Field(o, k)
			if !key.IsOld() || h.markedOop(key) {
				h.shade(h.Field(o, k+1))
			} else {
				next, ok := c.waiting[key]
				if !ok {
					next = -1
				}
				c.waiting[key] = len(c.pairs)
				c.pairs = append(c.pairs, ephPair{e: o, k: k, next: next})
			}
		}
	case f&FlagWeak != 0:
		c.weaks = append(c.weaks, o)
	default:
		for i := 0; i < n; i++ {
			h.shade(h.Field(o, i))
		}
	}
	return n
}

// endMarking clears what marking proved dead in weak objects and
// ephemerons, and starts the sweep: the free lists restart empty and are
// rebuilt from what the sweep finds.
func (h *Heap) endMarking() {
	c := h.gc
	c.phase = gcSweeping
	c.waiting, c.pairs, c.released = nil, nil, nil
	c.stack = nil
	for _, e := range c.ephs {
		n := h.NumPtrs(e) &^ 1
		for k := 0; k < n; k += 2 {
			if key := h.Field(e, k); key.IsOld() && !h.markedOop(key) {
				h.SetField(e, k, Tombstone)
				h.SetField(e, k+1, Nil)
				c.st.Cleared++
				h.decrementCount(e)
			}
		}
	}
	for _, w := range c.weaks {
		n := h.NumPtrs(w)
		for k := 0; k < n; k++ {
			if v := h.Field(w, k); v.IsOld() && !h.markedOop(v) {
				h.SetField(w, k, Nil)
				c.st.Cleared++
			}
		}
	}
	c.ephs, c.weaks = nil, nil
	c.sweepAt, c.sweepEnd = dataStart, h.state.Frontier
	h.state.Free = [numClasses]uint64{}
	h.state.Space.FreeBytes = 0
}

// decrementCount lowers the live count an ephemeron table keeps in its
// first 8 bytes, if it has them.
func (h *Heap) decrementCount(e Oop) {
	if h.NumBytes(e) < 8 {
		return
	}
	var b [8]byte
	h.ReadBytes(e, 0, b[:])
	if n := binary.LittleEndian.Uint64(b[:]); n > 0 {
		binary.LittleEndian.PutUint64(b[:], n-1)
		h.SetBytes(e, 0, b[:])
	}
}

// sweepSome sweeps within b; it answers true when the sweep has reached its
// end and the cycle's counters are in the state.
func (h *Heap) sweepSome(b *budget, progress func(done, total uint64)) (bool, error) {
	c := h.gc
	for c.sweepAt < c.sweepEnd {
		a := c.sweepAt
		w0, w1 := h.word(a), h.word(a+8)
		size := sizeFromHeader(w0, w1)
		if size < headerSize || size%wordSize != 0 || a+size > c.sweepEnd {
			return false, &CorruptError{File: h.path, Page: int64(a >> pageShift), Offset: int64(a),
				Msg: fmt.Sprintf("object header %#x %#x gives a size of %d that does not fit the heap", w0, w1, size)}
		}
		free := h0Flags(w0)&flagFree != 0
		if !free && c.marks.test(a/wordSize) {
			if c.runStart != 0 {
				h.makeFree(c.runStart, a-c.runStart)
				c.st.FreeBytes += a - c.runStart
				c.runStart = 0
			}
		} else {
			if !free {
				c.st.FreedBytes += size
			}
			if c.runStart == 0 {
				c.runStart = a
			}
		}
		c.sweepAt = a + size
		if progress != nil && c.sweepAt&(1<<24-1) < size {
			progress(c.sweepAt, c.sweepEnd)
		}
		if len(h.dirtyList) >= sweepBatch {
			if err := h.Commit(); err != nil {
				return false, err
			}
		}
		if b.spend(1) {
			return false, nil
		}
	}
	if c.runStart != 0 {
		if h.state.Frontier == c.sweepEnd {
			h.state.Frontier = c.runStart // the heap ends in free space: give it back to the frontier
		} else {
			h.makeFree(c.runStart, c.sweepEnd-c.runStart)
			c.st.FreeBytes += c.sweepEnd - c.runStart
		}
		c.runStart = 0
	}
	sp := &h.state.Space
	sp.Allocated -= min(sp.Allocated, c.allocAtStart)
	sp.LiveBytes = c.st.LiveBytes
	h.Stats.Collections++
	// The file keeps shrinkSlack past the frontier; the pages beyond go
	// (the commit shows them to a checkpoint that still has them, and cuts
	// the file).
	keep := (h.state.Frontier + shrinkSlack + PageSize - 1) / PageSize
	if keep < h.state.PageCount && h.state.PageCount-keep >= shrinkSlack/PageSize {
		h.state.PageCount = keep
	}
	return true, nil
}
