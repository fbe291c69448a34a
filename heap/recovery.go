package heap

import (
	"encoding/binary"
	"fmt"
)

// Recovery and the log's life: on open, the log's committed records are
// replayed into the heap file and the undo records of a transaction that
// did not commit are applied (recover); from time to time, and after
// recovery, the log's records are made durable in the heap file and the log
// is emptied (checkpointLog), which is when the superblocks are written.

// recover replays the log's complete records that the superblock does not
// already cover, discards a torn tail, and leaves the log empty. It checks
// the whole log before it writes anything, so that when it reports damage
// no file has changed.
func (h *Heap) recover() error {
	if h.log == nil {
		return nil // read-only, and the log was removed after a clean close
	}
	fi, err := h.log.Stat()
	if err != nil {
		return err
	}
	logName := h.path + ".log"
	recs, good, err := scanLog(h.log, fi.Size(), logName)
	if err != nil {
		return err
	}
	var replay []*record // the records the heap file lacks, in order
	var undo []*record   // the undo records of the transaction that did not commit
	next := h.state.Seq + 1
	for _, rec := range recs {
		if rec.kind == undoRecord || rec.seq < next {
			continue // undo records are sorted out below; older ones are in the heap file
		}
		if rec.seq != next {
			return &CorruptError{File: logName, Page: -1, Offset: rec.off,
				Msg: fmt.Sprintf("log jumps from transaction %d to %d", next-1, rec.seq)}
		}
		replay = append(replay, rec)
		next++
	}
	for _, rec := range recs {
		switch {
		case rec.kind != undoRecord || rec.seq < next:
		case rec.seq == next:
			undo = append(undo, rec)
		default:
			return &CorruptError{File: logName, Page: -1, Offset: rec.off,
				Msg: fmt.Sprintf("undo record of transaction %d after transaction %d", rec.seq, next-1)}
		}
	}
	if h.opts.Access == ReadOnly {
		if len(replay) > 0 {
			return fmt.Errorf("%w: %s holds committed transactions %d to %d, which are not in the heap file yet",
				ErrNeedsRecovery, logName, replay[0].seq, replay[len(replay)-1].seq)
		}
		if len(undo) > 0 {
			return fmt.Errorf("%w: transaction %d was writing its pages ahead to the heap file when it stopped, and %s holds what must be put back",
				ErrNeedsRecovery, undo[0].seq, logName)
		}
		return nil // the log holds only what the heap file has, and a torn tail: nothing to write
	}
	// Redo first: the undo records hold the contents the last redo record left.
	for _, rec := range replay {
		if err := h.ensureFileSize(rec.st.PageCount * PageSize); err != nil {
			return err
		}
		if _, err := readRecord(h.log, rec.off, fi.Size(), h.applyPage); err != nil {
			return &CorruptError{File: logName, Page: -1, Offset: rec.off, Msg: err.Error()}
		}
		h.state = rec.st
	}
	for _, rec := range undo {
		if _, err := readRecord(h.log, rec.off, fi.Size(), h.applyPage); err != nil {
			return &CorruptError{File: logName, Page: -1, Offset: rec.off, Msg: err.Error()}
		}
	}
	h.committed = h.state
	if len(replay) > 0 || len(undo) > 0 || good != fi.Size() || fi.Size() > 0 {
		// Make the replayed state the superblock's and start an empty log.
		return h.checkpointLog(logInUse)
	}
	return nil
}

// applyPage writes a logged page image to the heap file and its checksum to
// the checksum table.
func (h *Heap) applyPage(p loggedPage) error {
	if _, err := h.file.WriteAt(p.data, int64(p.no)*PageSize); err != nil {
		return h.poison("writing heap page", err)
	}
	var sb [8]byte
	binary.LittleEndian.PutUint64(sb[:], p.sum)
	if _, err := h.sums.WriteAt(sb[:], int64(p.no)*8); err != nil {
		return h.poison("writing page checksum", err)
	}
	h.Stats.HeapBytes += PageSize
	h.Stats.PagesWritten++
	return nil
}

// checkpointLog makes everything in the log durable in the heap file, writes
// the superblock with the given log mark, and empties the log. Order
// matters: the heap file and the checksum table are fsynced before the
// superblock claims them, and the superblock is fsynced before the log that
// covered them goes.
func (h *Heap) checkpointLog(mark logMark) error {
	if err := h.file.Sync(); err != nil {
		return h.poison("fsync heap file", err)
	}
	if err := h.sums.Sync(); err != nil {
		return h.poison("fsync checksum table", err)
	}
	if err := h.writeSuperblocks(mark); err != nil {
		return err
	}
	if err := h.log.Truncate(0); err != nil {
		return h.poison("trimming log", err)
	}
	if err := h.log.Sync(); err != nil {
		return h.poison("fsync log", err)
	}
	h.logEnd, h.spillEnd = 0, 0
	h.logMaxPage = 0
	return nil
}

// writeSuperblocks writes the committed state with the given log mark to
// both superblocks, one after the other, each fsynced: a crash can tear only
// the one being written, and once both are written a damaged copy has an
// identical twin, so opening never falls back to an older state.
func (h *Heap) writeSuperblocks(mark logMark) error {
	sb := encodeSuperblock(&h.committed, mark)
	for slot := int64(0); slot < superPages; slot++ {
		if _, err := h.file.WriteAt(sb, slot*PageSize); err != nil {
			return h.poison("writing superblock", err)
		}
		if err := h.file.Sync(); err != nil {
			return h.poison("fsync superblock", err)
		}
	}
	h.superMark = mark
	h.superVersion = formatVersion
	return nil
}

// markLogInUse makes the superblocks say that the log may hold records,
// before the first record after a clean open is appended. While the mark
// is not logInUse nothing was committed since the superblocks were written,
// so they keep their state and change only their mark. It also makes a file
// of an older format version this version before the first record of this
// program can put something in it the older program would misread.
func (h *Heap) markLogInUse() error {
	if h.superMark == logInUse && h.superVersion == formatVersion {
		return nil
	}
	return h.writeSuperblocks(logInUse)
}
