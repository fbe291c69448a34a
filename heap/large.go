package heap

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Large objects. An object of largeObject bytes or more (LANGUAGE.md: a
// large byteVector is written once) is never young: Alloc places it
// directly in the heap file, in page-aligned space that holds nothing in
// the last committed state, and its pages are filled in place, by pwrite
// for big writes (so they never become private copies: resident memory
// stays bounded whatever the object's size) and through the mapping for
// small ones. Such a page is "direct": it is never logged. The commit
// writes the direct pages' private copies and every direct page's checksum,
// and fsyncs the heap file and the checksum table, before the log record
// that makes the object reachable; a crash before that record leaves only
// unreferenced bytes in free space.
//
// The space comes from a free chunk of the persistent heap (first fit over
// the power-of-two bins, as allocOld) or from the frontier. No log record
// may hold one of its pages, inside the committed heap or past it (records
// from before a lower page count): replaying it after a crash would write
// an old image over the new object. If the log holds a record that wrote a
// page at or past the run's first page, the log is trimmed first (the heap
// file becomes the only copy). Space inside the committed heap (below its
// page count) is "reused", and writing it directly is safe only because of
// two more things done before the first direct write, in this order:
//
//   - The checkpoint layer saves the pages' committed contents (the
//     BeforeCommit hook, called with the reused pages), and what it
//     records in the state's aux words is committed at once by a record of
//     the state alone: a checkpoint's delta is then right whether this
//     transaction commits, aborts or is cut by a crash.
//   - Their checksums become sumUndefined (fsynced): free space whose
//     contents are not data and are not verified, so a crash in the middle
//     of the writes leaves no page that fails its checksum.
//
// An aborted transaction gives the space back: the allocator's state is
// restored, and the heap file and checksum table are cut back to the
// committed page count.

// largeObject is the size from which Alloc places an object in the heap file.
// A large object is never a temporary the young space forgets: made, it is
// in the file until a collection frees it, and young objects it refers to
// are kept alive (it is a root of the scavenge) and promoted at commit. So
// the bound is high enough that a program's working tables stay young (a
// 20,000-key dictionary's 32,768-place tables are 256 KiB: at a 256 KiB
// bound they and every key they held went to the file, 20 % of that
// program's time) and low enough that an object of its size is nothing to
// copy in a 16 MiB young space.
const largeObject = 1 << 20

// IsLarge reports whether an object of nptrs fields and nbytes bytes is a
// large one, which Alloc makes directly in the heap file, not in the young
// space.
func IsLarge(nptrs, nbytes int) bool { return objectSize(uint64(nptrs), uint64(nbytes)) >= largeObject }

// Checksum-table values with a meaning of their own. A real checksum has
// bit 32 set (pageSum), so these cannot be one.
const (
	// sumZero: the page was never written and must be all zeros.
	sumZero = 0
	// sumPending (in memory only): the page's checksum is computed at commit.
	sumPending = 1
	// sumUndefined (in the table): the page lies in free space and its
	// contents are not data; it is not verified.
	sumUndefined = 2
)

// largeRun is the pages of one large object made in this transaction, or
// (dead) pages such objects held that no longer hold a reachable one. A
// run's pages hold its object, at the first page's start, and then free
// space (its tail) to the end of its last page, and nothing else: so the
// pages of a dead run can be given to another object of the transaction
// (largefree.go). The tail becomes a free chunk, and a dead run one whole
// free chunk, when the transaction commits (settleLarge).
type largeRun struct {
	first uint64
	// sums holds, per page, sumZero (zeros in the file), sumPending, or the
	// checksum of what the file holds there.
	sums []uint64
	size uint64 // the object's size in bytes
	dead bool
	// reached: met by the scavenge in progress (largefree.go).
	reached bool
}

// end answers the page past the run.
func (r *largeRun) end() uint64 { return r.first + uint64(len(r.sums)) }

// obj answers the run's object.
func (r *largeRun) obj() Oop { return Oop(r.first * PageSize) }

// largeWriteback is how many bytes of direct pwrites are let accumulate in
// the page cache before they are written back and dropped from it.
const largeWriteback = 8 << 20

// diskMargin is the free space a large object must leave on the heap's
// file system, for the log, the checksum table and checkpoints.
const diskMargin = 64 << 20

func (h *Heap) isDirect(p uint64) bool {
	w := p >> 6
	return w < uint64(len(h.directBits)) && h.directBits[w]&(1<<(p&63)) != 0
}

// largeRunOf answers the run that direct page p belongs to (h.large is
// kept sorted by first page).
func (h *Heap) largeRunOf(p uint64) *largeRun {
	i, _ := slices.BinarySearchFunc(h.large, p, func(r largeRun, p uint64) int {
		switch {
		case r.end() <= p:
			return -1
		case r.first > p:
			return 1
		}
		return 0
	})
	if i < len(h.large) && p >= h.large[i].first && p < h.large[i].end() {
		return &h.large[i]
	}
	panic(fmt.Sprintf("heap: direct page %d belongs to no large object", p))
}

// addRun records run r, keeping h.large sorted by first page.
func (h *Heap) addRun(r largeRun) {
	i, _ := slices.BinarySearchFunc(h.large, r.first, func(x largeRun, first uint64) int {
		return cmp.Compare(x.first, first)
	})
	h.large = slices.Insert(h.large, i, r)
}

// runPages answers how many pages a run for an object of size bytes needs:
// its tail must be none or at least headerSize bytes, to become a free chunk.
func runPages(size uint64) uint64 {
	n := (size + PageSize - 1) / PageSize
	if n*PageSize-size == wordSize {
		n++
	}
	return n
}

// markDirectPrivate records that direct page p is written through the
// mapping: the commit writes its private copy.
func (h *Heap) markDirectPrivate(p uint64) {
	h.dirty[p>>6] |= 1 << (p & 63)
	h.directPrivate = append(h.directPrivate, p)
	r := h.largeRunOf(p)
	r.sums[p-r.first] = sumPending
}

// checkLarge answers nil if an object of size bytes can be placed in the
// heap file now: it is within the configured limit and the disk can hold it.
func (h *Heap) checkLarge(size uint64) error {
	if size > h.opts.ObjectLimit {
		return &oomError{msg: fmt.Sprintf("an object of %d bytes is larger than the heap's object limit of %d bytes", size, h.opts.ObjectLimit)}
	}
	if err := h.checkMemoryLimit(size); err != nil {
		return err
	}
	if h.state.Frontier+size+PageSize > h.opts.Reserve {
		return &oomError{msg: fmt.Sprintf("an object of %d bytes does not fit the heap's reserved range of %d bytes", size, h.opts.Reserve)}
	}
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(h.osFile.Fd()), &fs); err == nil {
		free := fs.Bavail * uint64(fs.Bsize)
		if free < diskMargin || size > free-diskMargin {
			return h.diskFull(fmt.Sprintf("an object of %s does not fit", Bytes(size)))
		}
	}
	return nil
}

// largeBytes says what a new large object's byte part holds at first.
type largeBytes uint8

const (
	// largeZeroed: zeros (Alloc).
	largeZeroed largeBytes = iota
	// largeOverwritten: anything; the caller writes every byte (AllocJoined),
	// so space reused within the transaction is not cleared first.
	largeOverwritten
)

// allocLarge makes a persistent object of nptrs fields (each fill) and a
// byte part of nbytes in the heap file, in memory that does not grow with
// its size.
func (h *Heap) allocLarge(nptrs, nbytes uint64, kind uint8, fill Oop, init largeBytes) (Oop, error) {
	if h.opts.Access == ReadOnly || h.readOnly {
		return 0, &oomError{msg: fmt.Sprintf("an object of %d bytes cannot be placed in a heap opened read-only", objectSize(nptrs, nbytes))}
	}
	size := objectSize(nptrs, nbytes)
	if err := h.checkLarge(size); err != nil {
		return 0, err
	}
	o, err := h.placeLarge(size, init)
	if err != nil {
		return 0, err
	}
	var hdr [headerSize]byte
	binary.LittleEndian.PutUint64(hdr[0:], makeHeader0(nptrs, 0, h.nextHash()))
	binary.LittleEndian.PutUint64(hdr[8:], makeHeader1(nbytes, kind))
	if err := h.writeLarge(o, hdr[:]); err != nil {
		return 0, err
	}
	if fill != Nil && nptrs > 0 {
		buf := make([]byte, min(nptrs*wordSize, largeWriteback/8))
		for i := 0; i < len(buf); i += wordSize {
			binary.LittleEndian.PutUint64(buf[i:], uint64(fill))
		}
		for at := uint64(0); at < nptrs*wordSize; at += uint64(len(buf)) {
			n := min(uint64(len(buf)), nptrs*wordSize-at)
			if err := h.writeLarge(o+headerSize+at, buf[:n]); err != nil {
				return 0, err
			}
		}
	}
	h.Stats.LargeBytes += size
	h.state.Space.Allocated += size // garbage made of large objects starts a collection too
	h.noteFresh(Oop(o))             // made while marking: marked if its transaction commits
	h.noteLargeMade(size)
	return Oop(o), nil
}

// setDirect makes pages [first, end) the direct pages of a new large object.
func (h *Heap) setDirect(first, end uint64) {
	for p := first; p < end; p++ {
		h.directBits[p>>6] |= 1 << (p & 63)
		h.verified[p>>6] |= 1 << (p & 63)
	}
	h.addRun(largeRun{first: first, sums: make([]uint64, end-first)})
}

// prepareRun makes pages [first, end) the direct pages of a new large
// object, safe to write directly and zero: reused pages are first kept out
// of the log, saved for the checkpoints and marked undefined (see the top
// of the file); then every page that may hold old bytes (those below
// filePages, the file's size before the object) is zeroed in the file, and
// private copies are dropped.
func (h *Heap) prepareRun(first, end, filePages uint64) error {
	if err := h.preparePages(first, end, filePages); err != nil {
		return err
	}
	h.setDirect(first, end)
	return nil
}

// preparePages makes pages [first, end) safe to write directly, and zeros
// (prepareRun), without giving them to a run.
func (h *Heap) preparePages(first, end, filePages uint64) error {
	// No log record may hold a page of the run: replaying it after a crash
	// would write an old image over the object, which is never logged. That
	// holds past the committed end too, where records from before a lower
	// page count (a rollback to a smaller heap, a collection that gave the
	// tail back) may still write. A spilled transaction never gets here
	// with such a page: its first spill emptied the log.
	if h.logEnd > 0 && first <= h.logMaxPage {
		if err := h.checkpointLog(logInUse); err != nil {
			return err
		}
	}
	committedEnd := h.committed.PageCount
	if first < committedEnd {
		reused := make([]uint64, 0, min(end, committedEnd)-first)
		for p := first; p < min(end, committedEnd); p++ {
			reused = append(reused, p)
		}
		if err := h.protectReused(reused); err != nil {
			return err
		}
		h.Stats.ReusedPages += uint64(len(reused))
	}
	// Pages past the file's end read as zeros already; the others may hold
	// an old object or a direct write that never committed.
	if oldEnd := min(end, filePages); first < oldEnd {
		if err := h.zeroPages(first, oldEnd); err != nil {
			return err
		}
	}
	unix.Madvise(h.mem[first*PageSize:end*PageSize], unix.MADV_DONTNEED)
	return nil
}

// protectReused does the other two things reused pages need before the
// first direct write, in order (prepareRun kept them out of the log):
// the checkpoints have their committed contents, and their checksums say
// "undefined".
func (h *Heap) protectReused(pages []uint64) error {
	if h.beforeCommit != nil {
		aux := h.state.Aux
		if err := h.beforeCommit(pages); err != nil {
			return err
		}
		if h.state.Aux != aux {
			if err := h.commitAux(aux); err != nil {
				return err
			}
		}
	}
	buf := make([]byte, 0, min(len(pages), 1<<16)*8)
	for i := 0; i < len(pages); {
		buf = buf[:0]
		j := i
		for ; j < len(pages) && j-i < 1<<16; j++ {
			buf = binary.LittleEndian.AppendUint64(buf, sumUndefined)
		}
		if _, err := h.sums.WriteAt(buf, int64(pages[i])*8); err != nil {
			return h.poison("writing page checksums", err)
		}
		i = j
	}
	if err := h.sums.Sync(); err != nil {
		return h.poison("fsync checksum table", err)
	}
	return nil
}

// commitAux makes durable, at once, the aux words the checkpoint layer
// changed from before (the transaction's other changes wait for its
// commit): a log record of the committed state with those words, and no pages.
func (h *Heap) commitAux(before [NumAux]uint64) error {
	if len(h.spilledList) > 0 {
		return fmt.Errorf("heap: aux words committed during a spilled transaction (the undo records must stay last)")
	}
	st := h.committed
	for i := range st.Aux {
		if h.state.Aux[i] != before[i] {
			st.Aux[i] = h.state.Aux[i]
		}
	}
	st.Seq = h.committed.Seq + 1
	if err := h.markLogInUse(); err != nil {
		return err
	}
	w := &recordWriter{f: h.log, off: h.logEnd, buf: h.recBuf[:0], fail: h.poison}
	size, err := writeRecord(w, redoRecord, st.Seq, &st, nil, nil, nil)
	if err != nil {
		return err
	}
	if err := h.log.Sync(); err != nil {
		return h.poison("fsync log", err)
	}
	h.logEnd += size
	h.spillEnd = h.logEnd
	h.Stats.LogBytes += uint64(size)
	h.committed = st
	return nil
}

// zeroPages makes pages [first, end) of the heap file zeros, without
// writing them where the file system can punch holes, and keeps their
// space allocated so that the writes to come cannot fail for want of disk.
func (h *Heap) zeroPages(first, end uint64) error {
	fd := int(h.osFile.Fd())
	off, n := int64(first*PageSize), int64((end-first)*PageSize)
	err := unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	if err == nil {
		err = unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, off, n)
		if errors.Is(err, unix.ENOSPC) {
			return h.diskFull(fmt.Sprintf("an object of %s does not fit", Bytes(n)))
		}
		if err == nil || errors.Is(err, unix.EOPNOTSUPP) {
			return nil
		}
	}
	if !errors.Is(err, unix.EOPNOTSUPP) {
		return h.poison("zeroing heap pages", err)
	}
	zeros := make([]byte, min(n, largeWriteback))
	for at := int64(0); at < n; at += int64(len(zeros)) {
		if _, err := h.file.WriteAt(zeros[:min(int64(len(zeros)), n-at)], off+at); err != nil {
			return h.poison("zeroing heap pages", err)
		}
	}
	return nil
}

// writeLarge writes src at heap offset a, inside the direct pages of a
// large object made in this transaction. Pages the mapping holds a private
// copy of are written there; the others are written to the file, so that
// they never take memory, and their checksums are computed from src where
// src covers the whole page.
func (h *Heap) writeLarge(a uint64, src []byte) error {
	for len(src) > 0 {
		p := a >> pageShift
		if h.dirty[p>>6]&(1<<(p&63)) != 0 {
			n := min(uint64(len(src)), PageSize-a%PageSize)
			copy(unsafe.Slice((*byte)(unsafe.Add(h.base, a)), n), src[:n])
			a, src = a+n, src[n:]
			continue
		}
		// The longest run of pages without private copies.
		end := a + uint64(len(src))
		for q := p + 1; q<<pageShift < end; q++ {
			if h.dirty[q>>6]&(1<<(q&63)) != 0 {
				end = q << pageShift
				break
			}
		}
		n := end - a
		if _, err := h.file.WriteAt(src[:n], int64(a)); err != nil {
			return h.poison("writing a large object", err)
		}
		r := h.largeRunOf(p)
		for q := p; q<<pageShift < end; q++ {
			lo, hi := q<<pageShift, (q+1)<<pageShift
			if lo >= a && hi <= end {
				r.sums[q-r.first] = pageSum(q, src[lo-a:hi-a])
			} else {
				r.sums[q-r.first] = sumPending
			}
		}
		h.Stats.HeapBytes += n
		h.writtenBack(a, n)
		a, src = end, src[n:]
	}
	return nil
}

// writtenBack counts n bytes pwritten at a and, every largeWriteback
// bytes, writes them back and drops them from the page cache, so that
// filling a large object takes neither private nor dirty cached memory
// that grows with its size.
func (h *Heap) writtenBack(a, n uint64) {
	if h.pendingBytes == 0 || a < h.pendingFrom {
		h.pendingFrom = a
	}
	h.pendingBytes += n
	if h.pendingBytes < largeWriteback {
		return
	}
	fd := int(h.osFile.Fd())
	from, length := int64(h.pendingFrom), int64(a+n-h.pendingFrom)
	// Advisory: where the calls fail, the fsync at commit writes the pages.
	if unix.SyncFileRange(fd, from, length, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER) == nil {
		unix.Fadvise(fd, from, length, unix.FADV_DONTNEED)
	}
	h.pendingBytes = 0
}

// writeLargeRuns writes the private copies of this transaction's direct
// pages and the checksums of all of them, and fsyncs both files: the
// large objects are then on disk before the log record that makes them
// reachable. Pages written by pwrite are not written again.
func (h *Heap) writeLargeRuns() error {
	if len(h.large) == 0 {
		return nil
	}
	h.settleLarge()
	slices.Sort(h.directPrivate)
	if err := h.writePages(h.directPrivate, func(_ int, p uint64) uint64 {
		return pageSum(p, h.mem[p*PageSize:(p+1)*PageSize])
	}); err != nil {
		return err
	}
	var buf []byte
	for _, r := range h.large {
		for i := 0; i < len(r.sums); {
			buf = buf[:0]
			j := i
			for ; j < len(r.sums) && j-i < 1<<16; j++ {
				p := r.first + uint64(j)
				if r.sums[j] == sumPending {
					r.sums[j] = pageSum(p, h.mem[p*PageSize:(p+1)*PageSize])
				}
				buf = binary.LittleEndian.AppendUint64(buf, r.sums[j])
			}
			if _, err := h.sums.WriteAt(buf, int64(r.first+uint64(i))*8); err != nil {
				return h.poison("writing page checksums", err)
			}
			i = j
		}
	}
	if err := h.file.Sync(); err != nil {
		return h.poison("fsync heap file", err)
	}
	if err := h.sums.Sync(); err != nil {
		return h.poison("fsync checksum table", err)
	}
	return nil
}

// endLarge forgets this transaction's large objects after its commit or
// abort: their pages become ordinary pages (logged when written), and
// their private copies are dropped.
func (h *Heap) endLarge() {
	for _, p := range h.directPrivate {
		h.dirty[p>>6] &^= 1 << (p & 63)
	}
	h.dropPrivate(h.directPrivate)
	h.directPrivate = h.directPrivate[:0]
	for _, r := range h.large {
		for p := r.first; p < r.first+uint64(len(r.sums)); p++ {
			h.directBits[p>>6] &^= 1 << (p & 63)
		}
	}
	h.large = h.large[:0]
	h.pendingBytes = 0
	h.held = heldMemory{}
	h.largeTracing = false // a scavenge that failed may have left it set
	clear(h.largeHolders)
}

// abortLarge forgets this transaction's large objects after an abort, and
// clears what they wrote past the committed frontier in the committed
// heap's pages (zeros there, unless a collection left old bytes), so that
// the heap file is byte for byte what the last commit left. Pages of free
// chunks inside the heap that they took were cleared when they were taken
// and stay so: a free chunk's bytes are not data. Pages past the committed
// heap are cut off by releaseSpace.
func (h *Heap) abortLarge() {
	from := (h.committed.Frontier + PageSize - 1) / PageSize
	to := min(h.committed.PageCount, h.fileSize/PageSize)
	for _, r := range h.large {
		if first, end := max(r.first, from), min(r.end(), to); first < end && h.fatal == nil {
			// A failure poisons the heap (zeroPages); the abort goes on
			// regardless, and recovery on the next open decides.
			_ = h.zeroPages(first, end)
		}
	}
	h.endLarge()
}

// releaseSpace cuts the heap file and the checksum table back to the
// committed heap, after an abort: space a large object took past the
// committed end goes back to the file system.
func (h *Heap) releaseSpace() {
	end := h.committed.PageCount * PageSize
	if h.fileSize <= end || h.opts.Access == ReadOnly || h.fatal != nil {
		return
	}
	if err := h.file.Truncate(int64(end)); err != nil {
		h.poison("cutting the heap file back", err)
		return
	}
	if err := h.sums.Truncate(int64(h.committed.PageCount * 8)); err != nil {
		h.poison("cutting the checksum table back", err)
		return
	}
	h.fileSize = end
}
