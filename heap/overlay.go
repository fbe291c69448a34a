package heap

import (
	"fmt"
	"unsafe"
)

// Support for checkpoints, which the world layer keeps as page deltas: a
// hook that sees a commit's pages before they are logged (so their old
// contents can be saved first), committed-page reads, and installing old
// page contents and an old state, either as a transaction (rollback) or
// only in this process's private mapping (looking at the past).

// BeforeCommit, if set, is called by Commit with the sorted list of pages
// the transaction will overwrite, before its log record is written. An error
// aborts the transaction. The layer above uses it to save the pages'
// committed contents (ReadCommittedPage) durably before they can change.
func (h *Heap) SetBeforeCommit(f func(pages []uint64) error) { h.beforeCommit = f }

// SetCacheInvalidator installs f, which the heap calls after every event that
// changes or moves objects other than through a store the caller made:
// Commit (promotion moves young objects; a failed commit aborts), Abort
// (pages revert), Install (old pages come back) and Scavenge (young objects
// move). The VM's lookup caches and well-known objects are read from the
// heap; the heap owns the events, so it, not each of their callers, tells
// the VM to forget them.
func (h *Heap) SetCacheInvalidator(f func()) { h.invalidate = f }

func (h *Heap) invalidateCaches() {
	if h.invalidate != nil {
		h.invalidate()
	}
}

// ReadCommittedPage reads page p as the heap file holds it: the last
// committed contents, whatever the current transaction has written.
func (h *Heap) ReadCommittedPage(p uint64, buf []byte) error {
	if p < superPages || p >= h.fileSize/PageSize {
		return fmt.Errorf("heap: page %d is outside the heap file", p)
	}
	if _, err := h.file.ReadAt(buf[:PageSize], int64(p)*PageSize); err != nil {
		return fmt.Errorf("reading page %d: %w", p, err)
	}
	return nil
}

// FirstDataPage is the first page that holds objects (the superblocks come
// before it): the first page whose contents may be saved and installed.
const FirstDataPage = superPages

// State is an opaque copy of the heap's committed state (roots, allocator,
// size), for the layer above to keep with a checkpoint.
type State []byte

// CommittedState answers the committed state.
func (h *Heap) CommittedState() State {
	b := make([]byte, stateSize)
	h.committed.encode(b)
	return b
}

// PageCountOf answers the heap size, in pages, that a saved state records
// (0 for a blob that is not a state: check it first with ValidateState).
func PageCountOf(s State) uint64 {
	if len(s) != stateSize {
		return 0
	}
	var st state
	st.decode(s)
	return st.PageCount
}

// ValidateState reports whether s is a state this heap could install: the
// right size, and the invariants the heap keeps for its own superblocks
// (page count, frontier, roots and free lists inside the heap). Install
// checks the same; the layer above calls it to refuse a damaged saved state
// before it commits to using one.
func ValidateState(s State) error {
	if len(s) != stateSize {
		return fmt.Errorf("a saved state of %d bytes, want %d", len(s), stateSize)
	}
	var st state
	st.decode(s)
	return st.validate()
}

// InstallState begins installing a saved state: it makes st the state of
// the current transaction (nothing else may be in it), keeping the sequence
// number monotonic. InstallPage then writes the saved pages; Commit makes all
// of it durable atomically. On any error the caller must Abort.
func (h *Heap) InstallState(st State) error {
	// A salvaging heap's transaction holds the log's pages (salvage.go):
	// they are the present a checkpoint's pages go over.
	if h.InTransaction() && h.salvage == nil {
		return fmt.Errorf("heap: Install inside a transaction")
	}
	h.cancelCollection() // its marks describe pages that are about to change
	return h.installState(st)
}

// ReinstallState makes st the state a view installs (BeginView, then
// InstallState), in place of the one installed before; the pages installed
// so far stay. Looking at checkpoints from the newest down, each one's saved
// pages over the last's, so costs what changed since the oldest rather than
// since each.
func (h *Heap) ReinstallState(st State) error {
	if !h.readOnly {
		return fmt.Errorf("heap: ReinstallState outside a view")
	}
	return h.installState(st)
}

// installState validates st and makes it the transaction's state, growing
// the heap (or a view's mapping) to its size and keeping the sequence number.
func (h *Heap) installState(st State) error {
	defer h.invalidateCaches()
	if err := ValidateState(st); err != nil {
		return fmt.Errorf("heap: saved state: %v", err)
	}
	var s state
	s.decode(st)
	grow := h.ensureFileSize
	if h.opts.Access == ReadOnly || h.readOnly {
		grow = h.extendView // a view must not write the file, not even to grow it
	}
	if err := grow(s.PageCount * PageSize); err != nil {
		return err
	}
	seq := h.state.Seq
	h.state = s
	h.state.Seq = seq
	return nil
}

// InstallPage writes data as page p's contents, as part of the transaction
// InstallState began. It goes through the write barrier like any store, so
// an install larger than the dirty budget spills (spill.go) and needs no
// more memory than the budget. The page it overwrites is verified first, as
// any written page is: a damaged page or checksum table is answered as a
// *CorruptError, never a panic.
func (h *Heap) InstallPage(p uint64, data []byte) error {
	defer h.invalidateCaches()
	if p < FirstDataPage || p >= h.fileSize/PageSize || len(data) != PageSize {
		return fmt.Errorf("heap: cannot install page %d", p)
	}
	if h.salvage != nil {
		h.verified[p>>6] |= 1 << (p & 63) // overwritten whole: what was there does not matter
	}
	return Catch(func() error {
		h.markDirty(p)
		copy(unsafe.Slice((*byte)(unsafe.Add(h.base, p*PageSize)), PageSize), data)
		return nil
	})
}

// BeginView makes every Commit fail, and keeps the heap file unwritten (not
// even grown), until EndView: the transactions of a look at a checkpoint, or
// of a peek, are always thrown away.
func (h *Heap) BeginView() { h.readOnly = true }

// EndView ends what BeginView began; the caller aborts the view's
// transaction first.
func (h *Heap) EndView() { h.readOnly = false }
