package heap

import (
	"encoding/binary"
	"fmt"
	"io"
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
	logName := h.path + ".log"
	if h.log == nil && h.salvage != nil && h.salvage.noState {
		return h.stateFromLog(nil)
	}
	if h.log == nil {
		// Read-only, and the log was removed after a clean close (or, when
		// salvaging, is missing).
		return h.checkCommitMark(logName, h.state.Seq)
	}
	fi, err := h.log.Stat()
	if err != nil {
		return err
	}
	recs, good, err := scanLog(h.log, fi.Size(), logName)
	if err != nil {
		if h.salvage == nil {
			return err
		}
		h.salvage.note(err) // the records before the damage are still good
	}
	if h.salvage != nil && h.salvage.noState {
		if err := h.stateFromLog(recs); err != nil {
			return err
		}
	}
	var replay []*record // the records the heap file lacks, in order
	var undo []*record   // the undo records of the transaction that did not commit
	next := h.state.Seq + 1
	for _, rec := range recs {
		if rec.kind == undoRecord || rec.seq < next {
			continue // undo records are sorted out below; older ones are in the heap file
		}
		if rec.seq != next {
			jump := &CorruptError{File: logName, Page: -1, Offset: rec.off,
				Msg: fmt.Sprintf("log jumps from transaction %d to %d", next-1, rec.seq)}
			if h.salvage == nil {
				return jump
			}
			h.salvage.note(jump)
			break
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
	if err := h.checkCommitMark(logName, next-1); err != nil {
		return err
	}
	if h.salvage != nil {
		h.salvage.replay, h.salvage.undo, h.salvage.logSize = replay, undo, fi.Size()
		return nil // installed into the private mapping once it exists (salvage.go)
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

// The commit mark. The checksum table's entries for the superblock pages
// are free (a superblock carries its own checksum), so they hold the
// sequence number of the newest transaction whose log record was fsynced
// (entry 0) and a check of it (entry 1, pageSum of the number). Commit
// writes it after the log's fsync and the pages' pwrites, so it never names
// a transaction the log may not hold: a log that ends, after replay, before
// the mark was cut (truncated, or its end zeroed or torn away by hand), and
// replaying it would silently take the heap back to an older state over
// pages of newer transactions. The mark is not fsynced with the log: lost
// in a power cut it only reads lower, which hides nothing a crash could
// have cut. Zero entries (a new table, or one older programs wrote) say
// nothing; a mark whose check fails is damage to the table, reported by
// Check and ignored by opening, since the pages' own checksums still guard
// every page read.

// commitMarkLen is the bytes of the table the mark takes: entries 0 and 1.
const commitMarkLen = superPages * 8

func encodeCommitMark(seq uint64) []byte {
	b := make([]byte, commitMarkLen)
	binary.LittleEndian.PutUint64(b, seq)
	binary.LittleEndian.PutUint64(b[8:], pageSum(0, b[:8]))
	return b
}

// writeCommitMark records seq as the newest transaction the log holds.
func (h *Heap) writeCommitMark(seq uint64) error {
	if _, err := h.sums.WriteAt(encodeCommitMark(seq), 0); err != nil {
		return h.poison("writing the commit mark", err)
	}
	return nil
}

// readCommitMark answers the mark (0 when there is none) and whether the
// table's entries hold a damaged one.
func (h *Heap) readCommitMark() (seq uint64, damaged bool, err error) {
	b := make([]byte, commitMarkLen)
	n, err := h.sums.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return 0, false, &CorruptError{File: h.path + ".sums", Page: -1, Offset: 0,
			Msg: fmt.Sprintf("cannot read the commit mark: %v", err)}
	}
	if n < commitMarkLen {
		return 0, false, nil // an empty or new table
	}
	seq = binary.LittleEndian.Uint64(b)
	check := binary.LittleEndian.Uint64(b[8:])
	switch {
	case seq == 0 && check == 0:
		return 0, false, nil
	case check != pageSum(0, b[:8]):
		return 0, true, nil
	}
	return seq, false, nil
}

// checkCommitMark refuses a log that ends at transaction reached when the
// mark says a later one was committed (see above). A salvaging open notes it
// and goes on: the heap file's pages are then the newest there are.
func (h *Heap) checkCommitMark(logName string, reached uint64) error {
	if h.sums == nil {
		return nil
	}
	mark, _, err := h.readCommitMark()
	if err != nil || mark <= reached {
		return err
	}
	cut := &CorruptError{File: logName, Page: -1, Offset: -1,
		Msg: fmt.Sprintf("the log ends at transaction %d, but transaction %d was committed (the commit mark in %s.sums): "+
			"the log was cut, and replaying it would go back to an older state over newer pages", reached, mark, h.path)}
	if h.salvage == nil {
		return cut
	}
	h.salvage.note(cut)
	h.salvage.logCut = true
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
