package heap

import (
	"encoding/binary"
	"fmt"
	"os"
	"unsafe"

	mmap "github.com/edsrzf/mmap-go"
)

// Garbage collection of the persistent heap: mark from the roots, then sweep
// the heap from its first object to the frontier, coalescing dead objects and
// free chunks into free chunks and rebuilding the free lists.
//
// Mark bits live outside the objects, in a bitmap of one bit per word, so
// marking writes nothing to the heap and dirties no page. A large heap's bitmap
// is a mapping of an unlinked file beside the heap, which the kernel can page
// out: collection works when the heap is larger than memory.
//
// Weak objects do not keep their referents; ephemerons keep a value only
// while its key is alive (they are traced after everything else, to a fixed
// point). The sweep commits every sweepBatch dirty pages, so its private
// copies stay bounded too. Between batches the free lists hold only the chunks
// swept so far; free chunks not yet swept are merely unlinked until the sweep
// reaches them, so a crash mid-sweep leaves a consistent heap.

// sweepBatch is how many dirty pages the sweep accumulates before it commits.
const sweepBatch = 8192

// GCStats reports what a collection found.
type GCStats struct {
	LiveObjects uint64
	LiveBytes   uint64
	FreedBytes  uint64 // bytes of objects found dead
	FreeBytes   uint64 // bytes in free chunks after the sweep
	HeapBytes   uint64 // frontier after the sweep
	Cleared     uint64 // weak references and ephemeron pairs cleared
}

// bitmap is a mark bitmap, in memory or in a temporary file.
type bitmap struct {
	words []uint64
	m     mmap.MMap
	f     *os.File
}

const inMemoryBitmap = 64 << 20

func newBitmap(dir string, nbits uint64) (*bitmap, error) {
	nbytes := (nbits + 63) / 64 * 8
	if nbytes <= inMemoryBitmap {
		return &bitmap{words: make([]uint64, nbytes/8)}, nil
	}
	f, err := os.CreateTemp(dir, ".marks-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if err := f.Truncate(int64(nbytes)); err != nil {
		f.Close()
		return nil, err
	}
	m, err := mmap.Map(f, mmap.RDWR, 0)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &bitmap{words: unsafe.Slice((*uint64)(unsafe.Pointer(&m[0])), nbytes/8), m: m, f: f}, nil
}

func (b *bitmap) release() {
	if b.m != nil {
		b.m.Unmap()
		b.f.Close()
	}
}

func (b *bitmap) test(i uint64) bool { return b.words[i>>6]&(1<<(i&63)) != 0 }
func (b *bitmap) set(i uint64)       { b.words[i>>6] |= 1 << (i & 63) }

// Collect collects the persistent heap's garbage. It must be called between
// transactions (after Commit or Abort); it commits its own work.
func (h *Heap) Collect() (GCStats, error) { return h.CollectProgress(nil) }

// CollectProgress is Collect, calling progress now and then during the sweep
// with the bytes swept and the bytes to sweep.
func (h *Heap) CollectProgress(progress func(done, total uint64)) (GCStats, error) {
	var st GCStats
	if h.fatal != nil {
		return st, h.fatal
	}
	if h.InTransaction() {
		return st, fmt.Errorf("heap: Collect called inside a transaction")
	}
	marks, err := newBitmap(h.scratchDir(), h.state.Frontier/wordSize)
	if err != nil {
		return st, fmt.Errorf("gc: mark bitmap: %w", err)
	}
	defer marks.release()
	err = Catch(func() error {
		h.mark(marks, &st)
		return h.sweep(marks, &st, progress)
	})
	if err != nil {
		h.Abort()
		return st, fmt.Errorf("gc: %w", err)
	}
	if err := h.Commit(); err != nil {
		return st, err
	}
	return st, nil
}

func (h *Heap) mark(marks *bitmap, st *GCStats) {
	var stack, weaks, ephs []Oop
	// marked answers whether o is a marked persistent object; damage that
	// makes a reference point outside the heap is reported, not followed.
	marked := func(o Oop) bool {
		if uint64(o) < dataStart || uint64(o) >= h.state.Frontier {
			panic(&CorruptError{File: h.path, Page: int64(uint64(o) >> pageShift), Offset: int64(o),
				Msg: "reference outside the heap's objects"})
		}
		return marks.test(uint64(o) / wordSize)
	}
	visit := func(o Oop) {
		if o.IsOld() && !marked(o) {
			marks.set(uint64(o) / wordSize)
			stack = append(stack, o)
		}
	}
	drain := func() {
		for len(stack) > 0 {
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			w0, w1 := h.header(o)
			f := h0Flags(w0)
			if f&flagFree != 0 {
				panic(&CorruptError{File: h.path, Page: int64(uint64(o) >> pageShift), Offset: int64(o),
					Msg: "reference to a free chunk"})
			}
			st.LiveObjects++
			st.LiveBytes += objectSize(h0Ptrs(w0), h1Bytes(w1))
			switch {
			case f&FlagEphemeron != 0:
				ephs = append(ephs, o)
			case f&FlagWeak != 0:
				weaks = append(weaks, o)
			default:
				n := int(h0Ptrs(w0))
				for i := 0; i < n; i++ {
					visit(h.Field(o, i))
				}
			}
		}
	}
	for _, r := range h.state.Roots {
		visit(r)
	}
	drain()
	// Ephemerons: a value is live once its key is; repeat until nothing changes.
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(ephs); i++ {
			e := ephs[i]
			n := h.NumPtrs(e) &^ 1
			for k := 0; k < n; k += 2 {
				key, val := h.Field(e, k), h.Field(e, k+1)
				if (!key.IsOld() || marked(key)) && val.IsOld() && !marked(val) {
					visit(val)
					changed = true
				}
			}
			drain()
		}
	}
	for _, e := range ephs {
		n := h.NumPtrs(e) &^ 1
		for k := 0; k < n; k += 2 {
			if key := h.Field(e, k); key.IsOld() && !marked(key) {
				h.SetField(e, k, Tombstone)
				h.SetField(e, k+1, Nil)
				st.Cleared++
				if h.NumBytes(e) >= 8 {
					var b [8]byte
					h.ReadBytes(e, 0, b[:])
					if c := binary.LittleEndian.Uint64(b[:]); c > 0 {
						binary.LittleEndian.PutUint64(b[:], c-1)
						h.SetBytes(e, 0, b[:])
					}
				}
			}
		}
	}
	for _, w := range weaks {
		n := h.NumPtrs(w)
		for k := 0; k < n; k++ {
			if v := h.Field(w, k); v.IsOld() && !marked(v) {
				h.SetField(w, k, Nil)
				st.Cleared++
			}
		}
	}
}

func (h *Heap) sweep(marks *bitmap, st *GCStats, progress func(done, total uint64)) error {
	frontier := h.state.Frontier
	h.state.Free = [numClasses]uint64{}
	runStart := uint64(0) // start of the current free run, 0 if none
	for a := uint64(dataStart); a < frontier; {
		w0, w1 := h.word(a), h.word(a+8)
		size := sizeFromHeader(w0, w1)
		if size < headerSize || size%wordSize != 0 || a+size > frontier {
			return &CorruptError{File: h.path, Page: int64(a >> pageShift), Offset: int64(a),
				Msg: fmt.Sprintf("object header %#x %#x gives a size of %d that does not fit the heap", w0, w1, size)}
		}
		free := h0Flags(w0)&flagFree != 0
		if !free && marks.test(a/wordSize) {
			if runStart != 0 {
				h.makeFree(runStart, a-runStart)
				st.FreeBytes += a - runStart
				runStart = 0
			}
		} else {
			if !free {
				st.FreedBytes += size
			}
			if runStart == 0 {
				runStart = a
			}
		}
		a += size
		if progress != nil && a&(1<<24-1) < size {
			progress(a, frontier)
		}
		if len(h.dirtyList) >= sweepBatch {
			if err := h.Commit(); err != nil {
				return err
			}
		}
	}
	if runStart != 0 {
		h.state.Frontier = runStart // the heap ends in free space: give it back to the frontier
	}
	st.HeapBytes = h.state.Frontier
	return nil
}
