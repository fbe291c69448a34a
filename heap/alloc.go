package heap

import (
	"fmt"
	"math/bits"
	"unsafe"
)

// The persistent heap's allocator: segregated free lists (an exact class per
// 8 bytes below smallLimit, a bin per power of two above), then bump
// allocation at the frontier, growing the file when the frontier reaches its
// end. Only the commit's promotion and the collector allocate here; the list
// heads are part of the transaction's state, and the chunks' links live in
// the chunks, so an aborted transaction leaves the allocator as it was.

// sizeClass answers the free list for chunks of size bytes.
func sizeClass(size uint64) int {
	if size < smallLimit {
		return int(size / wordSize)
	}
	b := bits.Len64(size/smallLimit) - 1 // 1024..2047 -> 0
	return smallClasses + min(b, largeBins-1)
}

// word reads the persistent word at offset a, verifying its page.
func (h *Heap) word(a uint64) uint64 {
	p := a >> pageShift
	if !h.isVerified(p) {
		h.touch(p)
	}
	return *(*uint64)(unsafe.Add(h.base, a))
}

// setWord stores a persistent word through the page barrier; it skips the
// store (and so leaves the page clean) when the value is already there.
func (h *Heap) setWord(a, v uint64) {
	if h.word(a) == v {
		return
	}
	h.markDirty(a >> pageShift)
	*(*uint64)(unsafe.Add(h.base, a)) = v
}

// makeFree turns [a, a+size) into a free chunk and links it into its list.
func (h *Heap) makeFree(a, size uint64) {
	h.setWord(a, makeHeader0(0, flagFree, 0))
	h.setWord(a+8, size)
	if size >= headerSize+wordSize {
		c := sizeClass(size)
		h.setWord(a+16, h.state.Free[c])
		h.state.Free[c] = a
		h.state.Space.FreeBytes += size
	}
}

// allocOld answers the offset of size bytes of persistent heap space.
// The caller writes the object; the space's pages are not yet dirty.
func (h *Heap) allocOld(size uint64) (uint64, error) {
	if size < headerSize {
		size = headerSize
	}
	c := sizeClass(size)
	if c < smallClasses {
		if a := h.state.Free[c]; a != 0 {
			h.state.Free[c] = h.freeNext(a, c)
			h.state.Space.FreeBytes -= size
			return a, nil
		}
	}
	// A larger chunk, split; the remainder goes back on its list.
	for k := c + 1; k < numClasses; k++ {
		a := h.state.Free[k]
		if a == 0 {
			// most lists are empty when promotion allocates: pass them
			// eight heads at a time
			for k+8 < numClasses && h.state.Free[k+1]|h.state.Free[k+2]|h.state.Free[k+3]|h.state.Free[k+4]|
				h.state.Free[k+5]|h.state.Free[k+6]|h.state.Free[k+7]|h.state.Free[k+8] == 0 {
				k += 8
			}
			continue
		}
		if k < smallClasses && k*wordSize < int(size)+headerSize+wordSize {
			continue // the remainder would be too small to link
		}
		prev := uint64(0)
		for tries := 0; a != 0 && tries < 64; tries++ {
			cs := h.word(a + 8)
			next := h.freeNext(a, k)
			if cs == size || cs >= size+headerSize+wordSize {
				if prev == 0 {
					h.state.Free[k] = next
				} else {
					h.setWord(prev+16, next)
				}
				h.state.Space.FreeBytes -= cs
				if cs > size {
					h.makeFree(a+size, cs-size)
				}
				return a, nil
			}
			prev, a = a, next
		}
	}
	// Bump allocation at the frontier.
	a := h.state.Frontier
	end := a + size
	if end > h.opts.Reserve {
		return 0, &oomError{msg: fmt.Sprintf("the heap's reserved range of %d bytes is full", h.opts.Reserve)}
	}
	if end > h.state.PageCount*PageSize {
		if err := h.grow(end); err != nil {
			return 0, err
		}
	}
	h.state.Frontier = end
	return a, nil
}

// freeNext reads a free chunk's link, checking that it is a free chunk of
// class c: a damaged list must not hand out live objects.
func (h *Heap) freeNext(a uint64, c int) uint64 {
	w0, size := h.word(a), h.word(a+8)
	next := h.word(a + 16)
	if h0Flags(w0)&flagFree == 0 || sizeClass(size) != c || next%8 != 0 ||
		(next != 0 && (next < dataStart || next >= h.state.Frontier)) {
		panic(&CorruptError{File: h.path, Page: int64(a >> pageShift), Offset: int64(a),
			Msg: fmt.Sprintf("free list %d holds a chunk that is not free (header %#x, size %d)", c, w0, size)})
	}
	return next
}

// grow extends the heap to hold at least end bytes: by an eighth of its size,
// at least 1 MiB, so that growth is rare and its cost amortised.
func (h *Heap) grow(end uint64) error {
	cur := h.state.PageCount * PageSize
	want := max(end, cur+cur/8, cur+(1<<20))
	want = min((want+PageSize-1)&^(PageSize-1), h.opts.Reserve)
	if want < end {
		return &oomError{msg: fmt.Sprintf("the heap's reserved range of %d bytes is full", h.opts.Reserve)}
	}
	if err := h.ensureFileSize(want); err != nil {
		return err
	}
	h.state.PageCount = want / PageSize
	return nil
}
