package heap

import "slices"

// Freeing this transaction's dead large objects during it. A large object
// is made in the heap file (large.go), so without this every one a
// transaction made stayed there until a collection after it: a loop that
// grew a 2 MB string by concatenation wrote 1.45 GB. Its pages hold
// nothing the committed state, the log or a checkpoint needs (the
// direct-page invariant, doc.go), so once nothing reaches the object they
// can be given to the next large object of the same transaction.
//
// A scavenge finds which are reached: from the roots, the VM's oops, the
// young objects it keeps, the holders, and then the fields of the large
// objects reached. The persistent heap is not traced; instead a persistent
// object that is given a reference to one (a store, SetField, or a
// tenured object holding one) becomes a holder, and its fields are read
// at every scavenge of the transaction (as the remembered set's are for
// young objects): a global slot that held one string and now holds the
// next keeps only the next. What is not reached is dead: its run's pages
// join the dead runs, adjacent ones merged, from which takeDeadRun places
// new large objects; at commit what is left of them becomes free chunks
// (settleLarge).

// startLargeTrace readies this transaction's runs for a scavenge, and
// reports whether there is one that may be found dead.
func (h *Heap) startLargeTrace() bool {
	any := false
	for i := range h.large {
		r := &h.large[i]
		r.reached = false
		any = any || !r.dead
	}
	h.largeQueue = h.largeQueue[:0]
	h.largeTracing = any
	return any
}

// directRun answers the live run of this transaction whose object o is, or nil.
func (h *Heap) directRun(o Oop) *largeRun {
	if !o.IsOld() || !h.isDirect(uint64(o)>>pageShift) {
		return nil
	}
	if r := h.largeRunOf(uint64(o) >> pageShift); !r.dead {
		return r
	}
	return nil
}

// meetLarge notes a reference the scavenge met.
func (h *Heap) meetLarge(o Oop) {
	if r := h.directRun(o); r != nil && !r.reached {
		r.reached = true
		h.largeQueue = append(h.largeQueue, r.first)
	}
}

// holdLarge notes that persistent object o was given v: if v is a large
// object of this transaction, o becomes a holder.
func (h *Heap) holdLarge(o, v Oop) {
	if h.directRun(v) == nil {
		return
	}
	if h.largeHolders == nil {
		h.largeHolders = map[Oop]struct{}{}
	}
	h.largeHolders[o] = struct{}{}
}

// traceFields meets every reference in the fields of persistent object o.
func (h *Heap) traceFields(o Oop) {
	n := int(h0Ptrs(*(*uint64)(h.addrOf(o, 0))))
	for i := 0; i < n; i++ {
		h.meetLarge(h.Field(o, i))
	}
}

// finishLargeTrace traces from the holders and the fields of every run
// reached, frees the runs left unreached, and sets when the next scavenge
// for large objects is wanted.
func (h *Heap) finishLargeTrace() {
	defer func() { h.largeTracing = false }()
	for o := range h.largeHolders {
		if h.directRun(o) == nil { // a holder that is a large object of this transaction counts once reached
			h.traceFields(o)
		}
	}
	for len(h.largeQueue) > 0 {
		p := h.largeQueue[len(h.largeQueue)-1]
		h.largeQueue = h.largeQueue[:len(h.largeQueue)-1]
		h.traceFields(h.largeRunOf(p).obj())
	}
	for i := range h.large {
		if r := &h.large[i]; !r.dead && !r.reached {
			h.killRun(r)
		}
	}
	h.mergeDeadRuns()
	h.held.largeSince = 0
	h.held.largeWantAt = h.held.large
}

// killRun makes run r dead: its object is unreachable.
func (h *Heap) killRun(r *largeRun) {
	r.dead = true
	o := r.obj()
	h.held.large -= r.size
	h.state.Space.Allocated -= min(r.size, h.state.Space.Allocated)
	h.Stats.LargeFreedBytes += r.size
	h.remembered = slices.DeleteFunc(h.remembered, func(x Oop) bool { return x == o })
	delete(h.largeHolders, o)
	if h.gc != nil {
		h.gc.fresh = slices.DeleteFunc(h.gc.fresh, func(f freshObject) bool { return f.o == o })
	}
}

// mergeDeadRuns joins adjacent dead runs into one.
func (h *Heap) mergeDeadRuns() {
	out := h.large[:0]
	for _, r := range h.large {
		if n := len(out); n > 0 && r.dead && out[n-1].dead && out[n-1].end() == r.first {
			out[n-1].sums = append(out[n-1].sums, r.sums...)
			continue
		}
		out = append(out, r)
	}
	clear(h.large[len(out):])
	h.large = out
}

// takeDeadRun places an object of size bytes at the start of a dead run
// that holds it (first fit), as the direct pages of a new run: zeroed if
// init says so, else as they are. Their private copies stay where they are
// (dropping them would cost every thread a TLB flush), cleared if zeroed.
func (h *Heap) takeDeadRun(size uint64, init largeBytes) (uint64, bool, error) {
	k := runPages(size)
	for i := range h.large {
		r := &h.large[i]
		if !r.dead || uint64(len(r.sums)) < k {
			continue
		}
		first, end := r.first, r.first+k
		if uint64(len(r.sums)) == k {
			h.large = slices.Delete(h.large, i, i+1)
		} else {
			r.first += k
			r.sums = r.sums[k:]
		}
		sums := make([]uint64, k) // sumZero: zeros in the file
		zeroFrom := first         // the pages from here to p are cleared in the file
		for p := first; p < end; p++ {
			if h.dirty[p>>6]&(1<<(p&63)) == 0 {
				if init == largeOverwritten {
					sums[p-first] = sumPending
				}
				continue
			}
			sums[p-first] = sumPending
			if init == largeZeroed {
				clear(h.mem[p*PageSize : (p+1)*PageSize])
				if err := h.zeroPagesFrom(zeroFrom, p); err != nil {
					return 0, false, err
				}
			}
			zeroFrom = p + 1
		}
		if init == largeZeroed {
			if err := h.zeroPagesFrom(zeroFrom, end); err != nil {
				return 0, false, err
			}
		}
		h.addRun(largeRun{first: first, sums: sums, size: size})
		h.Stats.LargeReusedBytes += size
		return first * PageSize, true, nil
	}
	return 0, false, nil
}

// zeroPagesFrom is zeroPages for a range that may be empty.
func (h *Heap) zeroPagesFrom(first, end uint64) error {
	if first >= end {
		return nil
	}
	return h.zeroPages(first, end)
}

// settleLarge makes the heap parseable over this transaction's runs before
// its commit: each live run's tail and each dead run become free chunks.
func (h *Heap) settleLarge() {
	for i := 0; i < len(h.large); i++ {
		r := h.large[i]
		start, end := r.first*PageSize, r.end()*PageSize
		if r.dead {
			h.makeFree(start, end-start)
		} else if tail := end - (start + r.size); tail > 0 {
			h.makeFree(start+r.size, tail)
		}
	}
}
