package heap

import (
	"encoding/binary"
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// Transactions. A transaction is everything since the last Commit or Abort.
//
// Commit: promote the young objects persistent ones reach; append one log
// record holding every dirty page and the new state; fsync the log (from here
// on the transaction is durable); write the same pages to the heap file, so
// that the file always shows the last committed state, and the commit mark
// (recovery.go), so that a log cut before this transaction is noticed; drop
// the private copies of those pages (MADV_DONTNEED, in bulk: see keepClean),
// so that resident memory does not grow with the number of pages ever
// written; and now and then fsync the heap file and trim the log.
//
// Abort: drop every private dirty page (the mapping shows the file again,
// which holds the last committed state), forget the young space and the
// remembered set, and restore the state. Nothing of the transaction remains.

// Commit makes the transaction durable. On an error before the log is
// fsynced the transaction is aborted and the heap stays usable; a failed log
// write or fsync is fatal (ErrFatal), since the record may or may not have
// reached the disk.
func (h *Heap) Commit() error {
	err := h.commit(nil)
	h.invalidateCaches()
	return err
}

// CommitKeeping is Commit that also keeps *o alive through it: a young *o
// is promoted with what it reaches, and *o is updated to its new place,
// even when nothing persistent reaches it. It is then a garbage object of
// the committed heap, readable until the next collection frees it. This is
// how a result outlives the commit of the evaluation that made it, to be
// printed after (see world.World.Eval), without being kept.
func (h *Heap) CommitKeeping(o *Oop) error {
	err := h.commit(o)
	h.invalidateCaches()
	return err
}

func (h *Heap) commit(keep *Oop) error {
	if h.fatal != nil {
		return h.fatal
	}
	if h.opts.Access == ReadOnly {
		h.Abort()
		return fmt.Errorf("%w: nothing is kept", ErrReadOnly)
	}
	if h.readOnly {
		h.Abort()
		return fmt.Errorf("heap: read-only (a view of a checkpoint): nothing is kept")
	}
	if err := Catch(func() error { return h.promote(keep, nil) }); err != nil || h.fatal != nil {
		h.Abort()
		if h.fatal != nil {
			return h.fatal
		}
		return fmt.Errorf("commit: %w", err)
	}
	h.young.reset()
	if len(h.dirtyList) == 0 && len(h.spilledList) == 0 && h.state == h.committed {
		return nil
	}
	if err := h.writeLargeRuns(); err != nil {
		return err
	}
	slices.Sort(h.dirtyList)
	if h.beforeCommit != nil {
		if err := h.beforeCommit(h.overwritten()); err != nil {
			h.Abort()
			if h.fatal != nil {
				return h.fatal
			}
			return fmt.Errorf("commit: %w", err)
		}
	}
	if err := h.markLogInUse(); err != nil {
		return err
	}
	if err := h.syncSpills(); err != nil {
		return err
	}
	h.state.Seq = h.committed.Seq + 1
	h.sumBuf = slices.Grow(h.sumBuf[:0], len(h.dirtyList))[:len(h.dirtyList)]
	w := &recordWriter{f: h.log, off: h.spillEnd, buf: h.recBuf[:0], fail: h.poison}
	size, err := writeRecord(w, redoRecord, h.state.Seq, &h.state, h.dirtyList, func(p uint64) ([]byte, error) {
		return h.mem[p*PageSize : (p+1)*PageSize], nil
	}, h.sumBuf)
	h.recBuf = w.buf
	if err != nil {
		return err
	}
	if err := h.log.Sync(); err != nil {
		return h.poison("fsync log", err)
	}
	h.logEnd = h.spillEnd + size
	h.Stats.LogBytes += uint64(size)
	if n := len(h.dirtyList); n > 0 {
		h.logMaxPage = max(h.logMaxPage, h.dirtyList[n-1])
	}
	h.Stats.Commits++
	// Durable. Now bring the heap file up to date.
	if err := h.ensureFileSize(h.state.PageCount * PageSize); err != nil {
		return h.poison("growing heap file", err)
	}
	if err := h.writeDirtyPages(); err != nil {
		return err
	}
	if err := h.writeCommitMark(h.state.Seq); err != nil {
		return err
	}
	h.keepClean()
	h.endLarge() // their pages are in the file now
	h.forgetSpills()
	h.committed = h.state
	if err := h.shrinkFile(); err != nil {
		return err
	}
	if h.logEnd > h.opts.LogLimit {
		return h.checkpointLog(logInUse)
	}
	return nil
}

// writeDirtyPages pwrites the dirty pages and their checksums (h.sumBuf, in
// dirtyList order).
func (h *Heap) writeDirtyPages() error {
	return h.writePages(h.dirtyList, func(i int, _ uint64) uint64 { return h.sumBuf[i] })
}

// writePages pwrites the given sorted pages from the mapping to the heap
// file, and their checksums (sum(i, page)) to the table, one write of each
// per run of consecutive pages.
func (h *Heap) writePages(pages []uint64, sum func(i int, p uint64) uint64) error {
	var err error
	forRuns(pages, func(i int, first, n uint64) bool {
		if _, werr := h.file.WriteAt(h.mem[first*PageSize:(first+n)*PageSize], int64(first)*PageSize); werr != nil {
			err = h.poison("writing heap pages", werr)
			return false
		}
		sb := slices.Grow(h.sumBytes[:0], int(n)*8)[:n*8]
		for k := uint64(0); k < n; k++ {
			binary.LittleEndian.PutUint64(sb[k*8:], sum(i+int(k), first+k))
		}
		h.sumBytes = sb
		if _, werr := h.sums.WriteAt(sb, int64(first)*8); werr != nil {
			err = h.poison("writing page checksums", werr)
			return false
		}
		h.Stats.HeapBytes += n * PageSize
		h.Stats.PagesWritten += n
		return true
	})
	return err
}

// forRuns calls f for each run of consecutive pages in the sorted list:
// the index of its first page in the list, the page, and the run's length.
// f answers false to stop.
func forRuns(pages []uint64, f func(i int, first, n uint64) bool) {
	for i := 0; i < len(pages); {
		j := i + 1
		for j < len(pages) && pages[j] <= pages[j-1]+1 {
			j++
		}
		if !f(i, pages[i], pages[j-1]-pages[i]+1) {
			return
		}
		i = j
	}
}

// keepClean ends the dirty state of the pages just written. Their private
// copies now equal the file, so they need not be dropped at once: dropping
// them costs a fault and a copy the next time the page is written, which for
// a hot page is every transaction. They are dropped in bulk once more than
// cleanLimit accumulate, which bounds the resident memory they take.
func (h *Heap) keepClean() {
	for _, p := range h.dirtyList {
		h.dirty[p>>6] &^= 1 << (p & 63)
	}
	h.clean = append(h.clean, h.dirtyList...)
	h.dirtyList = h.dirtyList[:0]
	if len(h.clean) > cleanLimit {
		h.dropPrivate(h.clean)
		h.clean = h.clean[:0]
	}
}

// cleanLimit is how many committed private pages are kept before they are
// dropped (64 MiB).
const cleanLimit = 16384

// dropPrivate discards the private copies of the given pages, so that the
// mapping shows the file's contents again.
func (h *Heap) dropPrivate(pages []uint64) {
	slices.Sort(pages)
	forRuns(pages, func(_ int, first, n uint64) bool {
		unix.Madvise(h.mem[first*PageSize:(first+n)*PageSize], unix.MADV_DONTNEED)
		return true
	})
}

// dropDirty discards the dirty pages' private copies and their dirty state.
func (h *Heap) dropDirty() {
	h.dropPrivate(h.dirtyList)
	for _, p := range h.dirtyList {
		h.dirty[p>>6] &^= 1 << (p & 63)
	}
	h.dirtyList = h.dirtyList[:0]
}

// DropCaches gives back every private page copy; the layer above calls it
// before it changes the heap file behind the mapping (a rollback).
func (h *Heap) DropCaches() {
	h.dropPrivate(h.clean)
	h.clean = h.clean[:0]
}

// unsaved answers the dirty pages the BeforeCommit hook has not seen: those
// that did not spill (a spilled page was shown to it before it spilled, and
// the file no longer holds its committed contents).
func (h *Heap) unsaved() []uint64 {
	if len(h.spilledList) == 0 {
		return h.dirtyList
	}
	return h.firstSpills(h.dirtyList)
}

// overwritten answers the pages whose committed contents the commit takes
// away, for the BeforeCommit hook: the dirty pages it has not seen, and the
// pages a lower page count gives back (a collection that frees the heap's
// tail, a rollback to a smaller heap), which the file loses when the commit
// cuts it (shrinkFile).
func (h *Heap) overwritten() []uint64 {
	pages := h.unsaved()
	if h.state.PageCount >= h.committed.PageCount {
		return pages
	}
	pages = slices.Clone(pages)
	for p := h.state.PageCount; p < h.committed.PageCount; p++ {
		pages = append(pages, p)
	}
	slices.Sort(pages)
	return slices.Compact(pages)
}

// shrinkFile truncates the heap file and its checksum table to the
// committed size, after a commit that lowered it. A crash before the
// truncation leaves pages past the committed end, which hold nothing and
// are never verified (opening cuts them off); the pages' private copies and
// verified bits go, so that nothing in this process reads past the new end
// of the file.
func (h *Heap) shrinkFile() error {
	end := h.committed.PageCount * PageSize
	if h.fileSize <= end || len(h.large) > 0 {
		return nil
	}
	old := h.fileSize
	if err := h.file.Truncate(int64(end)); err != nil {
		return h.poison("truncating heap file", err)
	}
	if err := h.sums.Truncate(int64(h.committed.PageCount) * 8); err != nil {
		return h.poison("truncating checksum table", err)
	}
	h.fileSize = end
	pages := make([]uint64, 0, (old-end)/PageSize)
	for p := end / PageSize; p < old/PageSize; p++ {
		h.verified[p>>6] &^= 1 << (p & 63)
		pages = append(pages, p)
	}
	h.dropPrivate(pages)
	return nil
}

// Abort undoes the transaction: every page it wrote shows the committed
// contents again, and every object it allocated is gone. Pages it spilled
// are put back in the heap file; if that fails the heap is poisoned
// (ErrFatal) and recovery puts them back on the next open.
func (h *Heap) Abort() {
	h.dropDirty()
	if h.fatal == nil {
		// The error is the heap's fatal error, which every later call answers.
		_ = h.undoSpills()
	}
	h.dropScratch()
	h.abortLarge()
	h.remembered = h.remembered[:0]
	h.young.reset()
	h.state = h.committed
	h.releaseSpace()
	h.forgetUncommitted()
	h.invalidateCaches()
}

// Changed reports whether the transaction changed anything a commit would
// keep (a page, the state); objects allocated and reached by nothing
// persistent are not a change.
func (h *Heap) Changed() bool {
	return len(h.dirtyList) > 0 || len(h.spilledList) > 0 || len(h.large) > 0 || len(h.remembered) > 0 || h.state != h.committed
}

// InTransaction reports whether anything has been allocated or written since
// the last Commit or Abort.
func (h *Heap) InTransaction() bool {
	return len(h.dirtyList) > 0 || len(h.spilledList) > 0 || len(h.scratchList) > 0 || len(h.large) > 0 || h.young.used() > wordSize || h.state != h.committed
}
