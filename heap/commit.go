package heap

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// Transactions. A transaction is everything since the last Commit or Abort.
//
// Commit: promote the young objects persistent ones reach; append one log
// record holding every dirty page and the new state; fsync the log (from here
// on the transaction is durable); write the same pages to the heap file, so
// that the file always shows the last committed state; drop the private
// copies of those pages (MADV_DONTNEED), so that resident memory does not
// grow with the number of pages ever written; and now and then fsync the heap
// file and trim the log.
//
// Abort: drop every private dirty page (the mapping shows the file again,
// which holds the last committed state), forget the young space and the
// remembered set, and restore the state. Nothing of the transaction remains.

// Commit makes the transaction durable. On an error before the log is
// fsynced the transaction is aborted and the heap stays usable; a failed log
// write or fsync is fatal (ErrFatal), since the record may or may not have
// reached the disk.
func (h *Heap) Commit() (err error) {
	if h.fatal != nil {
		return h.fatal
	}
	if err := Catch(func() { err = h.promote() }); err != nil || h.fatal != nil {
		h.Abort()
		if h.fatal != nil {
			return h.fatal
		}
		return fmt.Errorf("commit: %w", err)
	}
	h.young.reset()
	if len(h.dirtyList) == 0 && h.state == h.committed {
		return nil
	}
	h.state.Seq = h.committed.Seq + 1
	slices.Sort(h.dirtyList)
	h.recBuf = encodeRecord(h.recBuf, &h.state, h.dirtyList, func(p uint64) []byte {
		return h.mem[p*PageSize : (p+1)*PageSize]
	})
	if _, err := h.log.WriteAt(h.recBuf, h.logEnd); err != nil {
		return h.poison("appending to log", err)
	}
	if err := h.log.Sync(); err != nil {
		return h.poison("fsync log", err)
	}
	h.logEnd += int64(len(h.recBuf))
	h.Stats.LogBytes += uint64(len(h.recBuf))
	h.Stats.Commits++
	// Durable. Now bring the heap file up to date.
	if err := h.ensureFileSize(h.state.PageCount * PageSize); err != nil {
		return h.poison("growing heap file", err)
	}
	if err := h.writeDirtyPages(); err != nil {
		return err
	}
	h.dropDirty()
	h.committed = h.state
	if h.logEnd > h.opts.LogLimit {
		return h.checkpointLog()
	}
	return nil
}

// writeDirtyPages pwrites the dirty pages and their checksums.
func (h *Heap) writeDirtyPages() error {
	sums := make([]byte, 8)
	for _, p := range h.dirtyList {
		data := h.mem[p*PageSize : (p+1)*PageSize]
		if _, err := h.file.WriteAt(data, int64(p)*PageSize); err != nil {
			return h.poison("writing heap page", err)
		}
		s := pageSum(p, data)
		for i := range 8 {
			sums[i] = byte(s >> (8 * i))
		}
		if _, err := h.sums.WriteAt(sums, int64(p)*8); err != nil {
			return h.poison("writing page checksum", err)
		}
		h.Stats.HeapBytes += PageSize
		h.Stats.PagesWritten++
	}
	return nil
}

// dropDirty discards the private copies of the dirty pages, in runs.
func (h *Heap) dropDirty() {
	slices.Sort(h.dirtyList)
	for i := 0; i < len(h.dirtyList); {
		j := i + 1
		for j < len(h.dirtyList) && h.dirtyList[j] == h.dirtyList[j-1]+1 {
			j++
		}
		first, last := h.dirtyList[i], h.dirtyList[j-1]
		unix.Madvise(h.mem[first*PageSize:(last+1)*PageSize], unix.MADV_DONTNEED)
		i = j
	}
	for _, p := range h.dirtyList {
		h.dirty[p>>6] &^= 1 << (p & 63)
	}
	h.dirtyList = h.dirtyList[:0]
}

// Abort undoes the transaction: every page it wrote shows the committed
// contents again, and every object it allocated is gone.
func (h *Heap) Abort() {
	h.dropDirty()
	h.remembered = h.remembered[:0]
	h.young.reset()
	h.state = h.committed
}

// InTransaction reports whether anything has been allocated or written since
// the last Commit or Abort.
func (h *Heap) InTransaction() bool {
	return len(h.dirtyList) > 0 || h.young.used() > wordSize || h.state != h.committed
}
