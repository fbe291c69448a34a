package heap

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"sync"
	"unsafe"
)

// Salvaging: opening a damaged heap to read what can still be read, for
// building a new heap from it (psyche recover). Nothing is written: the
// heap is opened ReadOnly, and what opening would have refused is recorded
// instead (Salvage.Problems):
//
//   - damage in the middle of the log, or a log that jumps: the records
//     before it are used, the ones from it on are lost;
//   - a log cut before the commit mark (recovery.go): the heap file's
//     pages, which may be newer than the log's, are kept wherever they
//     verify, and the log's pages are used only where they do not;
//   - a missing log or checksum table, a truncated heap file: pages past
//     the file's end that no log record holds cannot be read;
//   - both superblocks damaged: the state is taken from the log's records
//     (stateFromLog).
//
// The log's records are installed into the private mapping (a view, as a
// checkpoint's pages are for eval --at, spilling past the dirty budget), so
// the walk sees the newest state the files still describe.
//
// A page that fails its checksum is then judged, not just refused. The
// table may be what is damaged (zeroed, truncated, missing, a byte
// flipped), and the page intact: such a page is read as suspect, and the
// objects on it must pass the validation an image's objects pass before
// they are used (the layer above does that). A page whose stored checksum
// is a well-formed one that differs from the page's in more than one byte
// is taken as damaged: one flipped byte of an entry changes one byte of it,
// while any damage to the page changes the CRC in every byte but with a
// chance of about one in ten million. A damaged page is repaired when
// exactly one change of one byte makes it match its checksum (a CRC is
// affine, so the byte is found from the difference of the two checksums
// without trying every change): a flipped byte, the commonest damage, then
// costs nothing. Otherwise it is not read, and its objects are lost.

// Salvage collects what a salvaging open (Options.Salvage) found damaged.
type Salvage struct {
	// Problems is the damage found at open, each as opening would have
	// reported it.
	Problems []Problem
	// Suspect counts the pages read although they failed their checksum,
	// because the checksum table, not the page, looked damaged;
	// SuspectPages lists the first of them.
	Suspect      uint64
	SuspectPages []uint64
	// Lost counts the pages that could not be read at all (damaged, or past
	// the end of a truncated file); LostPages lists the first of them.
	Lost      uint64
	LostPages []uint64
	// Repaired lists the damaged pages made to match their checksum again
	// by changing one byte, each as "page N: byte at offset X".
	Repaired []string

	// noState: both superblocks are damaged, so the state must come from
	// the log's first record (stateFromLog).
	noState      bool
	replay, undo []*record // the log's records to install (recovery.go)
	logSize      int64
	logCut       bool   // the log ends before the commit mark
	fileSize     uint64 // the heap file's real size
	lostSeen     map[uint64]bool
}

// maxListedPages bounds SuspectPages and LostPages.
const maxListedPages = 100

// note records damage found at open.
func (s *Salvage) note(err error) {
	s.Problems = append(s.Problems, Problem{Page: -1, Offset: -1, What: err.Error()})
}

// noSuperblock notes that neither superblock can be read.
func (s *Salvage) noSuperblock(err error) {
	s.note(err)
	s.noState = true
}

// stateFromLog gives a heap whose superblocks are both damaged the state
// from before the log's first redo record, so that every record is
// replayed: each carries the whole state after its transaction. Without
// one there is no state to read the heap by.
func (h *Heap) stateFromLog(recs []*record) error {
	for _, rec := range recs {
		if rec.kind == redoRecord {
			h.state = rec.st
			h.state.Seq = rec.seq - 1
			h.committed = h.state
			return nil
		}
	}
	return &CorruptError{File: h.path, Page: 0, Offset: 0,
		Msg: "neither superblock can be read and the log holds no transaction's state: the roots cannot be found"}
}

// installSalvaged installs the log's good records into the private
// mapping, after Open has mapped the file.
func (h *Heap) installSalvaged() error {
	s := h.salvage
	s.fileSize = h.fileSize
	s.lostSeen = map[uint64]bool{}
	if n := len(s.replay); n > 0 {
		h.state = s.replay[n-1].st
		h.committed = h.state
	}
	need := h.state.PageCount * PageSize
	if need > s.fileSize {
		s.note(&CorruptError{File: h.path, Page: int64(s.fileSize / PageSize), Offset: int64(s.fileSize),
			Msg: fmt.Sprintf("heap file truncated: %d bytes, the heap needs %d", s.fileSize, need)})
	}
	h.BeginView()
	if err := h.extendView(need); err != nil {
		return err
	}
	// extendView shows zeros past the end and counts them verified; here
	// they are missing unless the log holds them.
	for p := s.fileSize / PageSize; p < need/PageSize; p++ {
		h.verified[p>>6] &^= 1 << (p & 63)
	}
	install := func(keepNewer bool) func(loggedPage) error {
		return func(lp loggedPage) error {
			// A page past the newest state's heap (an older record's, before
			// a collection shrank the file) holds nothing it reaches.
			if lp.no >= h.state.PageCount || keepNewer && h.fileHasGoodPage(lp.no) {
				return nil
			}
			return Catch(func() error {
				h.verified[lp.no>>6] |= 1 << (lp.no & 63) // the log's copy is checked by its record
				h.markDirty(lp.no)
				copy(unsafe.Slice((*byte)(unsafe.Add(h.base, lp.no*PageSize)), PageSize), lp.data)
				return nil
			})
		}
	}
	// After a cut the heap file may hold newer pages than the log's last
	// record; the undo records' pages always go back (they undo what a
	// transaction that did not commit wrote ahead).
	for _, rec := range s.replay {
		if _, err := readRecord(h.log, rec.off, s.logSize, install(s.logCut)); err != nil {
			return &CorruptError{File: h.path + ".log", Page: -1, Offset: rec.off, Msg: err.Error()}
		}
	}
	for _, rec := range s.undo {
		if _, err := readRecord(h.log, rec.off, s.logSize, install(false)); err != nil {
			return &CorruptError{File: h.path + ".log", Page: -1, Offset: rec.off, Msg: err.Error()}
		}
	}
	return nil
}

// fileHasGoodPage reports whether the heap file holds page p and it matches
// its checksum.
func (h *Heap) fileHasGoodPage(p uint64) bool {
	return (p+1)*PageSize <= h.salvage.fileSize && h.verifyPage(p) == nil
}

// readsSuspect decides, for a salvaging heap, whether page p, which failed
// verification, is read anyway (the table looks damaged, not the page: see
// above). A page that is not is counted lost.
func (h *Heap) readsSuspect(p uint64) bool {
	s := h.salvage
	if s == nil {
		return false
	}
	if (p+1)*PageSize <= s.fileSize {
		stored, err := h.storedSum(p)
		if err != nil {
			stored = sumZero // an entry that cannot be read says nothing
		}
		_, rerr := h.file.ReadAt(h.pageBuf, int64(p*PageSize))
		switch {
		case rerr != nil:
		case tableLooksDamaged(stored, pageSum(p, h.pageBuf)):
			s.Suspect++
			if len(s.SuspectPages) < maxListedPages {
				s.SuspectPages = append(s.SuspectPages, p)
			}
			return true
		default:
			if at, v, ok := repairByte(p, stored, h.pageBuf); ok {
				// Into the private mapping only: the file is never written.
				*(*byte)(unsafe.Add(h.base, p*PageSize+uint64(at))) ^= v
				s.Repaired = append(s.Repaired, fmt.Sprintf("page %d: byte at offset %d", p, p*PageSize+uint64(at)))
				return true
			}
		}
	}
	if !s.lostSeen[p] {
		s.lostSeen[p] = true
		s.Lost++
		if len(s.LostPages) < maxListedPages {
			s.LostPages = append(s.LostPages, p)
		}
	}
	return false
}

// tableLooksDamaged reports whether a stored checksum that does not match
// the page's is more likely a damaged entry than a damaged page: it is not
// a real checksum at all (zero, a special value, or bits a real one never
// has), or it differs from the page's in one byte only.
func tableLooksDamaged(stored, computed uint64) bool {
	if stored>>32 != 1 {
		return true
	}
	var a, b [8]byte
	binary.LittleEndian.PutUint64(a[:], stored)
	binary.LittleEndian.PutUint64(b[:], computed)
	differ := 0
	for i := range a {
		if a[i] != b[i] {
			differ++
		}
	}
	return differ == 1
}

// repairByte answers the one byte of page p's data (its offset, and what
// to XOR it with) whose change makes the page match its stored checksum,
// when exactly one does.
func repairByte(p, stored uint64, data []byte) (at int, v byte, ok bool) {
	if stored>>32 != 1 {
		return 0, 0, false
	}
	syndrome := uint32(stored ^ pageSum(p, data))
	t := byteSyndromes()
	found := 0
	var combo [256]uint32
	for i := range t {
		for x := 1; x < 256; x++ {
			low := x & -x
			combo[x] = combo[x&(x-1)] ^ t[i][bits.TrailingZeros(uint(low))]
			if combo[x] == syndrome {
				at, v = i, byte(x)
				found++
			}
		}
	}
	return at, v, found == 1
}

// byteSyndromes answers, for each bit of each byte of a page, how flipping
// it changes the page's CRC: since a CRC is affine, that change is the same
// whatever the page holds and whatever its number.
var byteSyndromes = sync.OnceValue(func() *[PageSize][8]uint32 {
	t := new([PageSize][8]uint32)
	buf := make([]byte, 8+PageSize) // the page number, then the page
	base := crc32.Update(0, castagnoli, buf)
	for i := range t {
		for j := range t[i] {
			buf[8+i] = 1 << j
			t[i][j] = crc32.Update(0, castagnoli, buf) ^ base
		}
		buf[8+i] = 0
	}
	return t
})
