package heap

import "fmt"

// Where a large object goes: a run of dead large objects of this
// transaction, a free chunk whose pages the transaction has not written, or
// the pages past the frontier. Each is prepared (large.go) before the
// object is written there.

// placeLarge finds page-aligned space for size bytes, prepares its pages
// (see the comment at the top of the file) and answers the object's offset.
func (h *Heap) placeLarge(size uint64, init largeBytes) (uint64, error) {
	if o, ok, err := h.takeDeadRun(size, init); ok || err != nil {
		return o, err
	}
	filePages := h.fileSize / PageSize
	if o, ok, err := h.takeFreeRun(size, filePages); ok || err != nil {
		return o, err
	}
	return h.takeFrontier(size, filePages)
}

// runIn answers where an object of size bytes goes in the free chunk
// [a, a+cs): at the start of its pages [first, end), leaving the chunk's
// header and link in front (a free chunk of at least headerSize bytes) and
// a remainder behind the run of none or at least headerSize bytes.
func runIn(a, cs, size uint64) (o, first, end uint64, ok bool) {
	o = (a + headerSize + wordSize + PageSize - 1) &^ (PageSize - 1)
	e := o + runPages(size)*PageSize
	if rest := a + cs - e; e > a+cs || rest == wordSize {
		return 0, 0, 0, false
	}
	return o, o >> pageShift, e >> pageShift, true
}

// takeFreeRun takes space for size bytes from the free lists, if a chunk
// there holds it with pages that this transaction has not written. The
// chunk's pages are prepared before its remainders' headers are written.
//
// A transaction that has spilled (spill.go) takes no free run: reusing one
// may need a log trim or a record of the checkpoints' aux words at once
// (protectReused), and either would land on, or after, the undo records
// that must stay the log's last and belong to the transaction after the
// last redo record. Its large objects go past the committed end instead
// (takeFrontier), where no page needs protecting.
func (h *Heap) takeFreeRun(size, filePages uint64) (uint64, bool, error) {
	if len(h.spilledList) > 0 {
		return 0, false, nil
	}
	for k := sizeClass(size); k < numClasses; k++ {
		prev := uint64(0)
		a := h.state.Free[k]
		for tries := 0; a != 0 && tries < 64; tries++ {
			cs := h.word(a + 8)
			next := h.freeNext(a, k)
			if o, first, end, ok := runIn(a, cs, size); ok && h.untouched(first, end) {
				if prev == 0 {
					h.state.Free[k] = next
				} else {
					h.setWord(prev+16, next)
				}
				h.state.Space.FreeBytes -= cs // makeFree adds back what stays free
				if err := h.prepareRun(first, end, filePages); err != nil {
					return 0, false, err
				}
				h.makeFree(a, o-a)
				if rest := a + cs - end*PageSize; rest > 0 {
					h.makeFree(end*PageSize, rest)
				}
				h.setSize(o, size)
				return o, true, nil
			}
			prev, a = a, next
		}
	}
	return 0, false, nil
}

// untouched reports whether no page of [first, end) was written by this
// transaction: only then was all of it free in the last committed state.
func (h *Heap) untouched(first, end uint64) bool {
	for p := first; p < end; p++ {
		if h.dirty[p>>6]&(1<<(p&63)) != 0 || h.isDirect(p) {
			return false
		}
	}
	return true
}

// takeFrontier places size bytes at the first page boundary past the
// frontier, growing the heap exactly as far as needed.
func (h *Heap) takeFrontier(size, filePages uint64) (uint64, error) {
	o := (h.state.Frontier + PageSize - 1) &^ (PageSize - 1)
	if len(h.spilledList) > 0 {
		// Past the committed end, where no page needs protecting: see
		// takeFreeRun for why a spilled transaction reuses nothing.
		o = max(o, h.committed.PageCount*PageSize)
	}
	if o-h.state.Frontier == wordSize {
		o += PageSize // the gap must hold a free chunk's header
	}
	e := o + runPages(size)*PageSize
	if e > h.opts.Reserve {
		return 0, &oomError{msg: fmt.Sprintf("the heap's reserved range of %d bytes is full", h.opts.Reserve)}
	}
	if e > h.state.PageCount*PageSize {
		if err := h.ensureFileSize(e); err != nil {
			return 0, err
		}
		h.state.PageCount = e / PageSize
	}
	if err := h.prepareRun(o>>pageShift, e>>pageShift, filePages); err != nil {
		return 0, err
	}
	if gap := o - h.state.Frontier; gap > 0 {
		h.makeFree(h.state.Frontier, gap)
	}
	h.state.Frontier = e // the run's tail is its own until the commit
	h.setSize(o, size)
	return o, nil
}

// setSize records the size of the object the run at o (just placed) holds.
func (h *Heap) setSize(o, size uint64) {
	h.largeRunOf(o >> pageShift).size = size
}
