package heap

import (
	"fmt"
	"slices"
)

// Spilling: how a transaction larger than memory stays atomic.
//
// Every store goes to a private copy-on-write page of the mapping, so a
// transaction's dirty pages are anonymous memory until it ends. When more
// than the dirty budget (Options.DirtyBudget) are dirty, the barrier spills
// them before it marks another page: their new contents are written in place
// to the heap file and their private copies dropped, so the mapping shows the
// file, which now holds the transaction's contents, and later reads in the
// transaction see them with no indirection. Before any spilled page can reach
// the file its committed contents are saved twice over:
//
//  1. the first spill of a transaction trims the log (checkpointLog), so no
//     older redo record can later be replayed over a spilled page;
//  2. the BeforeCommit hook sees the pages (the world saves them to the
//     newest checkpoint's delta, fsynced), exactly once per transaction;
//  3. an undo record (log.go) with the pages' committed contents, read from
//     the heap file, is appended to the log and fsynced.
//
// Only then are the pages and their checksums written to the heap file. A
// page is saved in the undo record the first time it spills in a
// transaction; when it spills again the file holds the transaction's own
// contents, which are not what an undo must restore.
//
// Commit fsyncs the heap file and the checksum table before the redo record,
// which then carries only the pages still dirty: a spilled page is in the
// file, durably, before the record that commits it. Abort writes the undo
// records' pages back, fsyncs, and cuts the log back to its last redo record.
// Recovery replays the redo records and then applies the undo records of the
// transaction after the last one, the one that did not commit.
//
// Invariants:
//
//   - A page of the committed heap differs in the file from its committed
//     contents only while an fsynced undo record of the current transaction
//     holds them (and, if a checkpoint needs them, its delta).
//   - The log holds at most one transaction's undo records, and they follow
//     every redo record of earlier transactions.
//   - Pages past the committed end are spilled without undo: they hold no
//     committed object.
//
// Read-only heaps and views of a checkpoint never write the heap file: they
// spill to a scratch file instead (viewspill.go).

// maybeSpill spills the dirty pages when there are more than the budget. The
// barrier calls it before it marks a page, never between marking a page and
// writing it: a spilled page is clean again, and a write to it must mark it
// anew. A failure is raised as a heap panic (spillError or the heap's fatal
// error), as any barrier failure is.
func (h *Heap) maybeSpill() {
	if uint64(len(h.dirtyList)) < h.budgetPages || h.fatal != nil {
		return
	}
	spill := h.spill
	if h.opts.Access == ReadOnly || h.readOnly {
		spill = h.scratchSpill
	}
	if err := spill(); err != nil {
		if h.fatal != nil {
			panic(h.fatal)
		}
		panic(&spillError{err})
	}
}

func (h *Heap) isSpilled(p uint64) bool { return h.spilled[p>>6]&(1<<(p&63)) != 0 }

// spill writes every dirty page to the heap file, as the protocol above says.
func (h *Heap) spill() error {
	if len(h.spilledList) == 0 {
		if err := h.markLogInUse(); err != nil {
			return err
		}
		if h.logEnd > 0 {
			if err := h.checkpointLog(logInUse); err != nil {
				return err
			}
		}
		h.spillEnd = h.logEnd
	}
	pages := h.dirtyList
	slices.Sort(pages)
	fresh := h.firstSpills(pages)
	if h.beforeCommit != nil && len(fresh) > 0 {
		if err := h.beforeCommit(fresh); err != nil {
			return err
		}
	}
	var undo []uint64 // the fresh pages of the committed heap
	for _, p := range fresh {
		if p < h.committed.PageCount {
			undo = append(undo, p)
		}
	}
	if len(undo) > 0 {
		buf := make([]byte, PageSize)
		w := &recordWriter{f: h.log, off: h.spillEnd, buf: h.recBuf[:0], fail: h.poison}
		size, err := writeRecord(w, undoRecord, h.committed.Seq+1, nil, undo, func(p uint64) ([]byte, error) {
			return buf, h.ReadCommittedPage(p, buf)
		}, nil)
		h.recBuf = w.buf
		if err != nil {
			return err
		}
		if err := h.log.Sync(); err != nil {
			return h.poison("fsync log", err)
		}
		h.spillEnd += size
		h.Stats.LogBytes += uint64(size)
	}
	if err := h.ensureFileSize(h.state.PageCount * PageSize); err != nil {
		return err
	}
	err := h.writePages(pages, func(_ int, p uint64) uint64 {
		return pageSum(p, h.mem[p*PageSize:(p+1)*PageSize])
	})
	if err != nil {
		return err
	}
	for _, p := range fresh {
		h.spilled[p>>6] |= 1 << (p & 63)
	}
	h.spilledList = append(h.spilledList, fresh...)
	h.Stats.Spills++
	h.dropDirty()
	return nil
}

// firstSpills answers the sorted pages that have not spilled before in this
// transaction.
func (h *Heap) firstSpills(pages []uint64) []uint64 {
	fresh := h.spillBuf[:0]
	for _, p := range pages {
		if !h.isSpilled(p) {
			fresh = append(fresh, p)
		}
	}
	h.spillBuf = fresh
	return fresh
}

// syncSpills makes the spilled pages durable before the redo record that
// commits them is written.
func (h *Heap) syncSpills() error {
	if len(h.spilledList) == 0 {
		return nil
	}
	if err := h.file.Sync(); err != nil {
		return h.poison("fsync heap file", err)
	}
	if err := h.sums.Sync(); err != nil {
		return h.poison("fsync checksum table", err)
	}
	return nil
}

// forgetSpills ends the spilled state of the transaction's pages, after it
// committed or was undone.
func (h *Heap) forgetSpills() {
	for _, p := range h.spilledList {
		h.spilled[p>>6] &^= 1 << (p & 63)
	}
	h.spilledList = h.spilledList[:0]
	h.spillEnd = h.logEnd
}

// undoSpills puts the committed contents of the spilled pages back into the
// heap file from the undo records, makes them durable, and cuts the records
// off the log. A failure poisons the heap; recovery then undoes the
// transaction from the same records.
func (h *Heap) undoSpills() error {
	if len(h.spilledList) == 0 {
		return nil
	}
	for off := h.logEnd; off < h.spillEnd; {
		rec, err := readRecord(h.log, off, h.spillEnd, h.applyPage)
		if err != nil {
			return h.poison("undoing a spilled transaction", err)
		}
		off += rec.size
	}
	if err := h.file.Sync(); err != nil {
		return h.poison("fsync heap file", err)
	}
	if err := h.sums.Sync(); err != nil {
		return h.poison("fsync checksum table", err)
	}
	if err := h.log.Truncate(h.logEnd); err != nil {
		return h.poison("trimming log", err)
	}
	if err := h.log.Sync(); err != nil {
		return h.poison("fsync log", err)
	}
	h.dropPrivate(h.spilledList)
	h.forgetSpills()
	return nil
}

// spillError is a failure to spill, raised from the write barrier.
type spillError struct{ err error }

func (e *spillError) Error() string {
	return fmt.Sprintf("the transaction is larger than the dirty budget and its pages could not be written ahead: %v", e.err)
}
func (e *spillError) Unwrap() error { return e.err }
