package heap

import (
	"encoding/binary"
	"fmt"
	"time"
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
// nothing reachable refers to.
//
// A sweep that runs in slices keeps the free lists: transactions between
// its slices allocate from them, so that promotion while it sweeps does not
// push the frontier up each cycle (it did: the file grew by what was
// promoted during every sweep), and an object promoted during the sweep is
// marked, so the sweep keeps it wherever it lies. The sweep coalesces runs
// of dead objects (and free chunks too small to be listed), ending a run at
// a listed free chunk, which it leaves as it is. A whole collection
// (Collect) empties the lists when marking ends and coalesces every free
// chunk too, rebuilding the lists from what it finds: nothing allocates
// between its end of marking and its end of sweeping.
//
// The cycle lives in this process only. A process that ends mid-cycle leaves
// a consistent heap (every slice commits its own work), and the next starts
// a new cycle when its trigger says so.
//
// Mark bits live outside the objects, in a bitmap of one bit per word, so
// marking writes nothing to the heap and dirties no page. A large heap's bitmap
// is a mapping of an unlinked file beside the heap, which the kernel can page
// out: collection works when the heap is larger than memory. The objects
// still to scan wait on a mark stack that spills to a file too
// (markstack.go), and an object is scanned markChunk references at a time,
// the rest of it pushed back: a slice's memory and time do not grow with
// the number of references one object holds.
//
// Slices are paced by promotion, as Go's collector paces its assists: a
// cycle that starts when the runway (the garbage GCWanted waits for) has
// been promoted owes, for each word promoted while it runs, enough work
// that it finishes before another runway's worth has been promoted
// (owedPerWord). A slice works until its time is up and its debt is paid,
// so the collector keeps up with any rate of promotion, each slice's extra
// work proportional to what the evaluations before it promoted, and the
// file stays within about the live data plus two runways.
//
// Ephemerons keep a value only while its key is marked from elsewhere. A
// pair met with an unmarked key waits in a table keyed by that key, and is
// traced when (if ever) the key is marked, so chains of ephemerons cost time
// linear in their pairs. The sweep commits every sweepBatch dirty pages, so
// its private copies stay bounded too.

// sweepBatch is how many dirty pages the sweep accumulates before it commits.
const sweepBatch = 8192

// markChunk is how many reference fields one step of marking scans in an
// object; the rest of a larger object is pushed back to be scanned next.
// Even, so that an ephemeron's pairs are never split.
const markChunk = 4096

// gcScale is the collector's unit sizes: markChunk and markStackSegment,
// which tests make small so that chunked scanning and spilling happen in
// small heaps.
type gcScale struct {
	chunk   uint64
	segment int
}

var defaultGCScale = gcScale{chunk: markChunk, segment: markStackSegment}

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

// gcPhase is where a cycle is.
type gcPhase int

const (
	gcMarking gcPhase = iota
	gcSweeping
)

// sweepMode is whether a sweep coalesces listed free chunks.
type sweepMode int

const (
	// keepLists leaves listed free chunks where they are, for transactions
	// between the sweep's slices to allocate from.
	keepLists sweepMode = iota
	// rebuildLists empties the lists when marking ends and rebuilds them
	// from everything free, coalesced; only when no transaction runs
	// before the sweep ends.
	rebuildLists
)

// freshObject is an object promoted while marking by the commit that is to
// be transaction seq: it is shaded once that commit succeeded.
type freshObject struct {
	o   Oop
	seq uint64
}

// collector is a cycle in progress.
type collector struct {
	phase    gcPhase
	sweep    sweepMode
	marks    *bitmap
	stack    *markStack
	chunk    uint64 // reference fields one marking step scans
	fresh    []freshObject
	waiting  *ephemeronWaits // unmarked keys and the pairs waiting for them
	released []uint64        // key fields of pairs whose key was marked, values still to shade
	ephs     []Oop           // ephemerons marked, cleared at the end of marking
	weaks    []Oop           // weak objects marked, cleared at the end of marking
	// allocAtStart is Space.Allocated when the cycle began: what was
	// promoted after that is not counted as collected by this cycle.
	allocAtStart uint64
	// Pacing: the cycle owes owedPerWord words of work for each word
	// promoted since it began; promotedSeen is Space.Allocated when the
	// debt was last brought up to date, owed what is still to do (less
	// than 0 when slices ran ahead).
	owedPerWord  float64
	promotedSeen uint64
	owed         int64
	// The sweep: [sweepAt, sweepEnd) is still to sweep; runStart, when not
	// 0, starts a run of dead objects and unlinked free chunks that ends at
	// sweepAt. Nothing can touch such a run between slices: nothing
	// reachable refers to it and no free list links it.
	sweepAt, sweepEnd, runStart uint64
	st                          GCStats
}

// unbounded reports whether b lets the cycle run to its end.
func (b *budget) unbounded() bool { return b.deadline.IsZero() && b.units == 0 }

// budget bounds the work of one slice: a deadline checked now and then, or
// (for tests) a count of work units, and in either case no less than the
// work the pacing says is owed. A unit is a word: a reference field
// scanned, or a word of heap swept. The zero budget is unbounded.
type budget struct {
	deadline time.Time
	units    int
	owed     int
	used     int
}

// spend counts n units of work and reports whether the slice must stop.
func (b *budget) spend(n int) bool {
	b.used += n
	if b.used < b.owed {
		return false
	}
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

// CollectSlice does about d of collection work, and more when the
// transactions since the last slice promoted more than d keeps up with (the
// pacing: the extra work is proportional to what they promoted): it starts
// a cycle when enough has been promoted since the last one finished
// (GCWanted), or goes on with the cycle in progress. It answers whether a
// cycle finished. It must be called between transactions; it commits its
// own work.
func (h *Heap) CollectSlice(d time.Duration) (finished bool, err error) {
	return h.collectSlice(&budget{deadline: time.Now().Add(d)})
}

func (h *Heap) collectSlice(b *budget) (bool, error) {
	if h.gc == nil && !h.GCWanted() {
		return false, nil
	}
	if c := h.gc; c != nil {
		allocated := h.committed.Space.Allocated
		c.owed += int64(c.owedPerWord * float64((allocated-min(allocated, c.promotedSeen))/wordSize))
		c.promotedSeen = allocated
		b.owed = int(max(c.owed, 0))
	}
	_, finished, err := h.collect(b, nil)
	return finished, err
}

// GCWanted reports whether enough has been promoted since the last cycle
// finished (the runway) for a new cycle to start.
func (h *Heap) GCWanted() bool { return h.committed.Space.Allocated >= h.gcRunway() }

// gcRunway is the garbage a cycle waits for, and the promotion it must
// finish within: Options.GCMinGarbage, or Options.GCGrowth percent of what
// the last cycle found live, whichever is larger.
func (h *Heap) gcRunway() uint64 {
	return max(h.opts.GCMinGarbage, h.committed.Space.LiveBytes/100*h.opts.GCGrowth)
}

// newCollector starts a cycle with marks as its bitmap, paced so that it
// finishes before another runway has been promoted. The work it owes is at
// most marking what the last cycle found live and all promoted since, and
// sweeping the heap; and, for each word promoted while it runs, scanning
// it (it is shaded) and sweeping it: two words.
func (h *Heap) newCollector(marks *bitmap) *collector {
	sp := h.state.Space
	scale := h.gcScale
	if scale == (gcScale{}) {
		scale = defaultGCScale
	}
	work := sp.LiveBytes + sp.Allocated + h.state.Frontier
	return &collector{
		marks:        marks,
		stack:        newMarkStack(h.scratchDir(), scale.segment),
		chunk:        max(2, scale.chunk&^1),
		waiting:      newEphemeronWaits(h.scratchDir()),
		allocAtStart: sp.Allocated,
		owedPerWord:  2 + float64(work)/float64(max(h.gcRunway(), 1)),
		promotedSeen: sp.Allocated,
	}
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
		h.gc = h.newCollector(marks)
	}
	c := h.gc
	c.st.Slices++
	finished := false
	err := Catch(func() error {
		var err error
		finished, err = h.step(b, progress)
		return err
	})
	c.owed -= int64(b.used)
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
		h.gc.stack.release()
		h.gc.waiting.release()
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
		c.sweep = keepLists
		if b.unbounded() {
			c.sweep = rebuildLists
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
	h.setMark(o)
	h.pushWork(markWork{o: o})
	for !c.waiting.empty() {
		field, ok := c.waiting.take(o)
		if !ok {
			break
		}
		c.released = append(c.released, field) // not shaded here: a chain of keys must not recurse
	}
}

// setMark sets o's mark bit, growing the bitmap when o lies past it.
func (h *Heap) setMark(o Oop) {
	c := h.gc
	i := uint64(o) / wordSize
	if i>>6 >= uint64(len(c.marks.words)) {
		grown := max(2*uint64(len(c.marks.words))*8, (h.state.PageCount*PageSize/wordSize+63)/64*8)
		if err := c.marks.resize(h.scratchDir(), grown); err != nil {
			panic(&oomError{msg: fmt.Sprintf("gc: growing the mark bitmap: %v", err)})
		}
	}
	c.marks.set(i)
}

// pushWork queues w for scanning. The stack spills to a file; failing to
// write it is reported as running out of memory, as a bitmap that cannot
// grow is.
func (h *Heap) pushWork(w markWork) {
	if err := h.gc.stack.push(w); err != nil {
		panic(&oomError{msg: fmt.Sprintf("gc: %v", err)})
	}
}

// barrierShade is the marking half of the write barrier: v, just stored
// into a persistent object, must not be lost by a cycle marking.
func (h *Heap) barrierShade(v Oop) {
	if h.gc.phase == gcMarking {
		h.shade(v)
	}
}

// noteFresh records o, just promoted, to be shaded once its commit succeeds
// if marking; if sweeping, it marks o, which may lie in a listed chunk the
// sweep has yet to reach, so that the sweep keeps it. Should the commit
// fail, the chunk reads free again, and the sweep takes a free chunk for
// free whatever its mark.
func (h *Heap) noteFresh(o Oop) {
	switch {
	case h.gc == nil:
	case h.gc.phase == gcMarking:
		h.gc.fresh = append(h.gc.fresh, freshObject{o: o, seq: h.committed.Seq + 1})
	case uint64(o) < h.gc.sweepEnd:
		h.setMark(o)
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
		for !c.stack.empty() || len(c.released) > 0 {
			if n := len(c.released); n > 0 {
				field := c.released[n-1]
				c.released = c.released[:n-1]
				c.st.EphemeronVisits++
				h.shade(Oop(h.word(field + wordSize))) // the pair's value, in the marked ephemeron
				continue
			}
			w, err := c.stack.pop()
			if err != nil {
				panic(&oomError{msg: fmt.Sprintf("gc: %v", err)})
			}
			if b.spend(1 + h.scan(w)) {
				return false
			}
		}
		for _, r := range h.state.Roots {
			h.shade(r)
		}
		if c.stack.empty() && len(c.released) == 0 {
			return true
		}
	}
}

// scan traces at most a chunk of marked object w.o's references, from
// field w.from on, pushing back what is left of the object below what the
// chunk found, and answers how many fields it looked at.
func (h *Heap) scan(w markWork) int {
	c := h.gc
	o := w.o
	w0, w1 := h.header(o)
	f := h0Flags(w0)
	if f&flagFree != 0 {
		panic(&CorruptError{File: h.path, Page: int64(uint64(o) >> pageShift), Offset: int64(o),
			Msg: "reference to a free chunk"})
	}
	if w.from == 0 {
		c.st.LiveObjects++
		c.st.LiveBytes += objectSize(h0Ptrs(w0), h1Bytes(w1))
		switch {
		case f&FlagEphemeron != 0:
			c.ephs = append(c.ephs, o)
		case f&FlagWeak != 0:
			c.weaks = append(c.weaks, o)
			return 0
		}
	}
	n := h0Ptrs(w0)
	end := min(n, w.from+c.chunk)
	if end < n {
		h.pushWork(markWork{o: o, from: end})
	}
	if f&FlagEphemeron != 0 {
		for k := int(w.from); k+1 < int(end); k += 2 {
			c.st.EphemeronVisits++
			key := h.Field(o, k)
			if !key.IsOld() || h.markedOop(key) {
				h.shade(h.Field(o, k+1))
			} else {
				c.waiting.add(key, uint64(o)+headerSize+uint64(k)*wordSize)
			}
		}
	} else {
		for i := int(w.from); i < int(end); i++ {
			h.shade(h.Field(o, i))
		}
	}
	return int(end - w.from)
}

// endMarking clears what marking proved dead in weak objects and
// ephemerons, and starts the sweep; a sweep that rebuilds the lists starts
// them empty.
func (h *Heap) endMarking() {
	c := h.gc
	c.phase = gcSweeping
	c.waiting.release()
	c.released = nil
	c.stack.release()
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
	if c.sweep == rebuildLists {
		h.state.Free = [numClasses]uint64{}
		h.state.Space.FreeBytes = 0
	}
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
		listed := free && c.sweep == keepLists && size >= headerSize+wordSize
		if listed || !free && c.marks.test(a/wordSize) {
			if c.runStart != 0 {
				h.makeFree(c.runStart, a-c.runStart)
				c.st.FreeBytes += a - c.runStart
				c.runStart = 0
			}
			if listed {
				c.st.FreeBytes += size
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
		if b.spend(int(size / wordSize)) {
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
