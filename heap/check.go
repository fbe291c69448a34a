package heap

import (
	"fmt"
	"unsafe"
)

// Check walks the whole heap and reports every problem it finds: pages whose
// contents do not match their checksum, object headers that do not parse,
// references in reachable objects that do not point at the start of a live
// object, and free lists that are not made of free chunks. It reads the heap with plain loads after
// verifying pages itself, so it reports damage instead of panicking on it.

// Problem is one thing Check found wrong.
type Problem struct {
	Page   int64 // page number, or -1
	Offset int64 // byte offset in the heap file, or -1
	What   string
}

func (p Problem) String() string {
	if p.Offset < 0 {
		return p.What
	}
	return fmt.Sprintf("page %d offset %d: %s", p.Page, p.Offset, p.What)
}

// CheckReport is what Check found.
type CheckReport struct {
	Pages, Objects, FreeChunks uint64
	Problems                   []Problem
	Truncated                  bool // more problems than maxProblems were found
}

const maxProblems = 1000

// Check verifies the committed heap. It must be called between transactions.
// progress, if not nil, is called now and then with the fraction done.
func (h *Heap) Check(progress func(done, total uint64)) *CheckReport {
	r := &CheckReport{}
	if h.InTransaction() {
		r.add(-1, "check called inside a transaction")
		return r
	}
	buf := make([]byte, PageSize)
	for i := int64(0); i < superPages; i++ {
		if _, err := h.file.ReadAt(buf, i*PageSize); err != nil {
			r.add(i*PageSize, "superblock %d cannot be read: %v", i, err)
		} else if _, err := decodeSuperblock(buf); err != nil {
			r.add(i*PageSize, "superblock %d is damaged (%v); the other copy is in use", i, err)
		}
	}
	if _, damaged, err := h.readCommitMark(); err != nil || damaged {
		r.add(-1, "the commit mark in %s.sums is damaged (a cut log would not be noticed until the next commit writes it)", h.path)
	}
	h.checkState(r, &h.committed, h.verifyPage, progress)
	return r
}

// CheckInstalled verifies the heap that the current transaction installed
// (InstallState, InstallPage: a look at a checkpoint), as Check verifies the
// committed one: its state, every object, every reference the roots reach
// and the free lists. Installed pages were verified where they came from
// (a checkpoint's delta); the others are the heap file's, verified against
// their checksums unless this process already has. The caller aborts the
// transaction after.
func (h *Heap) CheckInstalled(progress func(done, total uint64)) *CheckReport {
	r := &CheckReport{}
	if err := h.state.validate(); err != nil {
		r.add(-1, "the installed state: %v", err)
		return r
	}
	h.checkState(r, &h.state, func(p uint64) error {
		if h.isVerified(p) {
			return nil
		}
		return h.verifyPage(p)
	}, progress)
	return r
}

// add records a problem at heap offset off (-1: none).
func (r *CheckReport) add(off int64, format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.Truncated = true
		return
	}
	p := int64(-1)
	if off >= 0 {
		p = off >> pageShift
	}
	r.Problems = append(r.Problems, Problem{Page: p, Offset: off, What: fmt.Sprintf(format, args...)})
}

// checkState verifies the heap that state st describes, as the mapping
// shows it: every page (with verify), then the objects, the references
// the roots reach, and the free lists.
func (h *Heap) checkState(r *CheckReport, st *state, verify func(p uint64) error, progress func(done, total uint64)) {
	add := r.add
	pages := st.PageCount
	bad := make(map[uint64]bool)
	for p := uint64(superPages); p < pages; p++ {
		if err := verify(p); err != nil {
			add(int64(p*PageSize), "%v", err)
			bad[p] = true
		} else {
			h.verified[p>>6] |= 1 << (p & 63)
		}
		if progress != nil && p%4096 == 0 {
			progress(p, 2*pages)
		}
	}
	r.Pages = pages
	word := func(a uint64) uint64 { return *(*uint64)(unsafe.Add(h.base, a)) }

	// Pass 1: parse the heap, recording where objects start.
	starts, err := newBitmap(h.scratchDir(), st.Frontier/wordSize)
	if err != nil {
		add(-1, "cannot make a bitmap for the check: %v", err)
		return
	}
	defer starts.release()
	free, err := newBitmap(h.scratchDir(), st.Frontier/wordSize)
	if err != nil {
		add(-1, "cannot make a bitmap for the check: %v", err)
		return
	}
	defer free.release()
	a := uint64(dataStart)
	for a < st.Frontier {
		w0, w1 := word(a), word(a+8)
		size := sizeFromHeader(w0, w1)
		f := h0Flags(w0)
		if size < headerSize || size%wordSize != 0 || a+size > st.Frontier {
			add(int64(a), "object header %#x %#x gives size %d, which does not fit before the frontier %d; the rest of the heap cannot be parsed", w0, w1, size, st.Frontier)
			break
		}
		if f&(flagForwarded|flagRemembered) != 0 || (f&flagFree != 0 && f != flagFree) {
			add(int64(a), "object header has invalid flags %#x", f)
		}
		if f&flagFree == 0 && h0Hash(w0) == 0 {
			add(int64(a), "object has no identity hash")
		}
		starts.set(a / wordSize)
		if f&flagFree != 0 {
			free.set(a / wordSize)
			r.FreeChunks++
		} else {
			r.Objects++
		}
		a += size
	}
	// Pass 2: every reference must name the start of a live object.
	validRef := func(v Oop) string {
		switch {
		case !v.IsPtr():
			return ""
		case v.IsYoung():
			return "a young-space reference in the persistent heap"
		case uint64(v) < dataStart || uint64(v) >= st.Frontier:
			return "a reference outside the heap"
		case !starts.test(uint64(v) / wordSize):
			return "a reference into the middle of an object"
		case free.test(uint64(v) / wordSize):
			return "a reference to a free chunk"
		}
		return ""
	}
	// Pass 2: from the roots, every reference must name the start of a
	// live object. Only what the roots reach is checked: garbage the sweep
	// has not reached yet (a cycle between its slices, or cut short by a
	// crash) may refer to chunks it already freed, and is never read.
	seen, err := newBitmap(h.scratchDir(), st.Frontier/wordSize)
	if err != nil {
		add(-1, "cannot make a bitmap for the check: %v", err)
		return
	}
	defer seen.release()
	stack := newMarkStack(h.scratchDir(), markStackSegment)
	defer stack.release()
	var stackErr error
	follow := func(v Oop) {
		if v.IsOld() && !seen.test(uint64(v)/wordSize) && stackErr == nil {
			seen.set(uint64(v) / wordSize)
			stackErr = stack.push(markWork{o: v})
		}
	}
	for i, root := range st.Roots {
		if msg := validRef(root); msg != "" {
			add(-1, "root %d holds %s (%#x)", i, msg, uint64(root))
		} else {
			follow(root)
		}
	}
	var traced uint64
	for !stack.empty() && stackErr == nil {
		w, err := stack.pop()
		if err != nil {
			stackErr = err
			break
		}
		a := uint64(w.o)
		w0, w1 := word(a), word(a+8)
		for i := uint64(0); i < h0Ptrs(w0); i++ {
			fa := a + headerSize + i*wordSize
			if msg := validRef(Oop(word(fa))); msg != "" {
				add(int64(fa), "field %d of the object at %d holds %s (%#x)", i, a, msg, word(fa))
			} else {
				follow(Oop(word(fa)))
			}
		}
		traced += sizeFromHeader(w0, w1)
		if progress != nil && traced%(4096*PageSize) < 64 {
			progress(pages+min(traced/PageSize, pages), 2*pages)
		}
	}
	if stackErr != nil {
		add(-1, "the references could not all be traced: %v", stackErr)
	}
	// Free lists: each link a free chunk of the list's class, no cycles.
	for c, head := range st.Free {
		seen := uint64(0)
		for a := head; a != 0; a = word(a + 16) {
			if a < dataStart || a >= st.Frontier || a%wordSize != 0 || !free.test(a/wordSize) {
				add(int64(a), "free list %d links to %#x, which is not a free chunk", c, a)
				break
			}
			if cs := word(a + 8); cs < headerSize+wordSize || sizeClass(cs) != c {
				add(int64(a), "free list %d holds a chunk of %d bytes", c, word(a+8))
				break
			}
			if seen++; seen > r.FreeChunks {
				add(-1, "free list %d has a cycle", c)
				break
			}
		}
	}
	if progress != nil {
		progress(2*pages, 2*pages)
	}
}
