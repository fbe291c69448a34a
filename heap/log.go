package heap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The redo log. A transaction is durable when its record is in the log and
// the log is fsynced; only then are its pages written to the heap file. A record
// holds the full new image of every page the transaction dirtied, each with its
// checksum, and the new state, so replaying a record twice is harmless.
//
// A transaction larger than the dirty budget also leaves undo records before
// its redo record: the old contents of the pages it spilled into the heap file
// (spill.go). They carry the transaction's sequence number and no state, and
// recovery applies them only when no redo record of that transaction follows.
//
// Record layout (little-endian):
//
//	magic u32 | version u16 | reserved u16 | seq u64 | npages u32 | stateLen u32 | length u64
//	state [stateLen]                      (stateSize for a redo record, 0 for an undo record)
//	npages × ( pageNo u64 | sum u64 | data [PageSize] )
//	crc u32 (CRC-32C of everything above) | endMagic u32
//
// Records are appended one at a time, each followed by an fsync, so only the
// last record can be torn by a crash. A record that fails its checks is a
// torn tail, and is discarded, only if nothing follows it: no valid record
// later in the log, and no bytes past the end its own header declares. Any
// other bad record is damage in the middle of the log, reported, never
// skipped. Damage to the last record cannot be told from a torn write; that
// transaction is lost as if the crash had come before its fsync.
//
// Records are written and read through buffers of recordChunk bytes, never
// whole: a record is as large as its transaction.

const (
	logMagic    = 0x474F4C50 // "PLOG": a redo record
	undoMagic   = 0x444E5550 // "PUND": an undo record
	logEndMagic = 0x504C4F47 // "GOLP"
	logVersion  = 1
	recHeader   = 32
	recTrailer  = 8
	recPageHdr  = 16
	// recordChunk is the size of the buffers records are written and read
	// through: a 1-page commit is one write, and a record of any size needs
	// no more memory than this.
	recordChunk = 1 << 20
)

// recordKind tells a redo record from an undo record.
type recordKind int

const (
	redoRecord recordKind = iota
	undoRecord
)

func (k recordKind) magic() uint32 {
	if k == undoRecord {
		return undoMagic
	}
	return logMagic
}

func (k recordKind) stateLen() int64 {
	if k == undoRecord {
		return 0
	}
	return stateSize
}

// record is one decoded log record: its header and state, not its pages,
// which are read again from off when they are applied.
type record struct {
	kind   recordKind
	seq    uint64
	st     state // redo records only
	npages int64
	off    int64 // where the record starts in the log
	size   int64 // bytes the record occupies in the log
}

// loggedPage is one page image of a record, as visitPage sees it; data is
// valid only during the call.
type loggedPage struct {
	no   uint64
	sum  uint64
	data []byte
}

// recordSize is the size of a redo record of npages pages.
func recordSize(npages int) int64 { return recordLen(redoRecord, npages) }

func recordLen(kind recordKind, npages int) int64 {
	return recHeader + kind.stateLen() + int64(npages)*(recPageHdr+PageSize) + recTrailer
}

// recordWriter streams one record to the log through a bounded buffer,
// computing its CRC on the way. A failed write goes to fail (the heap's
// poison): a log write that failed may have reached the disk or not.
type recordWriter struct {
	f    File
	off  int64
	buf  []byte
	crc  uint32
	fail func(op string, err error) error
}

func (w *recordWriter) put(b []byte) error {
	w.crc = crc32.Update(w.crc, castagnoli, b)
	w.buf = append(w.buf, b...)
	if len(w.buf) >= recordChunk {
		return w.flush()
	}
	return nil
}

func (w *recordWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.WriteAt(w.buf, w.off); err != nil {
		return w.fail("appending to log", err)
	}
	w.off += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// writeRecord streams a record of the given kind for transaction seq (st is
// nil for an undo record) holding the given pages, reading each page's
// contents with page(no), and stores each page's checksum in sums when it is
// not nil. It answers the record's size. An error from page is answered as
// it is, and leaves a torn record that the next record overwrites.
func writeRecord(w *recordWriter, kind recordKind, seq uint64, st *state, pageNos []uint64,
	page func(uint64) ([]byte, error), sums []uint64) (int64, error) {
	n := recordLen(kind, len(pageNos))
	le := binary.LittleEndian
	var hdr [recHeader + stateSize]byte
	le.PutUint32(hdr[0:], kind.magic())
	le.PutUint16(hdr[4:], logVersion)
	le.PutUint64(hdr[8:], seq)
	le.PutUint32(hdr[16:], uint32(len(pageNos)))
	le.PutUint32(hdr[20:], uint32(kind.stateLen()))
	le.PutUint64(hdr[24:], uint64(n))
	if st != nil {
		st.encode(hdr[recHeader:])
	}
	w.crc = 0
	if err := w.put(hdr[:recHeader+kind.stateLen()]); err != nil {
		return 0, err
	}
	var ph [recPageHdr]byte
	for i, no := range pageNos {
		data, err := page(no)
		if err != nil {
			return 0, err
		}
		sum := pageSum(no, data)
		if sums != nil {
			sums[i] = sum
		}
		le.PutUint64(ph[0:], no)
		le.PutUint64(ph[8:], sum)
		if err := w.put(ph[:]); err != nil {
			return 0, err
		}
		if err := w.put(data); err != nil {
			return 0, err
		}
	}
	var tr [recTrailer]byte
	le.PutUint32(tr[0:], w.crc)
	le.PutUint32(tr[4:], logEndMagic)
	w.buf = append(w.buf, tr[:]...)
	return n, w.flush()
}

// errTorn marks a record that is incomplete or fails its checks: a torn
// tail if it is the last thing in the log, damage otherwise.
var errTorn = errors.New("torn log record")

// readHeader decodes the fixed header of the record at off and answers its
// kind, the number of pages and the size the record declares. A header that
// is consistent in itself tells where the record ends even when its body is
// damaged.
func readHeader(r io.ReaderAt, off, logSize int64) (kind recordKind, npages, size int64, err error) {
	var hdr [recHeader]byte
	if logSize-off < recHeader {
		return 0, 0, 0, fmt.Errorf("%w: %d bytes left, a header needs %d", errTorn, logSize-off, recHeader)
	}
	if _, err := r.ReadAt(hdr[:], off); err != nil {
		return 0, 0, 0, err
	}
	le := binary.LittleEndian
	switch le.Uint32(hdr[0:]) {
	case logMagic:
		kind = redoRecord
	case undoMagic:
		kind = undoRecord
	default:
		return 0, 0, 0, fmt.Errorf("%w: bad magic", errTorn)
	}
	if v := le.Uint16(hdr[4:]); v != logVersion {
		return 0, 0, 0, fmt.Errorf("%w: log record version %d", ErrVersion, v)
	}
	npages = int64(le.Uint32(hdr[16:]))
	if sl := int64(le.Uint32(hdr[20:])); sl != kind.stateLen() {
		return 0, 0, 0, fmt.Errorf("%w: state size %d", errTorn, sl)
	}
	size = int64(le.Uint64(hdr[24:]))
	if size != recordLen(kind, int(npages)) || size < 0 {
		return 0, 0, 0, fmt.Errorf("%w: length %d does not match %d pages", errTorn, size, npages)
	}
	return kind, npages, size, nil
}

// readRecord decodes and verifies the record at off, reading it through a
// bounded buffer, and hands each page to visit (when not nil) once the page's
// own checksum matches. It answers errTorn (wrapped) when the record is
// incomplete or fails its CRC; the caller decides whether that is a torn tail
// or damage by looking at what follows. A record whose CRC matches but whose
// contents are wrong (a page outside the heap) is damage, reported after the
// CRC, so that a torn record is never mistaken for it. Callers that apply
// pages verify the record without visit first.
func readRecord(r io.ReaderAt, off, logSize int64, visit func(loggedPage) error) (*record, error) {
	kind, npages, size, err := readHeader(r, off, logSize)
	if err != nil {
		return nil, err
	}
	if off+size > logSize {
		return nil, fmt.Errorf("%w: record of %d bytes runs past the end of the log", errTorn, size)
	}
	le := binary.LittleEndian
	rec := &record{kind: kind, npages: npages, off: off, size: size}
	head := make([]byte, recHeader+kind.stateLen())
	if _, err := r.ReadAt(head, off); err != nil {
		return nil, err
	}
	rec.seq = le.Uint64(head[8:])
	crc := crc32.Update(0, castagnoli, head)
	var bad error // damage found under a CRC not yet checked
	if kind == redoRecord {
		rec.st.decode(head[recHeader:])
		if err := rec.st.validate(); err != nil {
			bad = fmt.Errorf("log record %d: %v", rec.seq, err)
		} else if rec.st.Seq != rec.seq {
			bad = fmt.Errorf("log record %d carries state of transaction %d", rec.seq, rec.st.Seq)
		}
	}
	const entry = recPageHdr + PageSize
	buf := make([]byte, min(npages, recordChunk/entry+1)*entry)
	pos := off + int64(len(head))
	for left := npages; left > 0; {
		n := min(left, int64(len(buf)/entry))
		b := buf[:n*entry]
		if _, err := r.ReadAt(b, pos); err != nil {
			return nil, err
		}
		crc = crc32.Update(crc, castagnoli, b)
		for i := int64(0); i < n; i++ {
			e := b[i*entry : (i+1)*entry]
			p := loggedPage{no: le.Uint64(e[0:]), sum: le.Uint64(e[8:]), data: e[recPageHdr:]}
			switch {
			case bad != nil:
			case p.no < superPages || p.no >= maxPages || (kind == redoRecord && p.no >= rec.st.PageCount):
				bad = fmt.Errorf("log record %d: page %d is outside the heap", rec.seq, p.no)
			case pageSum(p.no, p.data) != p.sum:
				bad = fmt.Errorf("log record %d: page %d checksum mismatch", rec.seq, p.no)
			case visit != nil:
				if err := visit(p); err != nil {
					return nil, err
				}
			}
		}
		pos += int64(len(b))
		left -= n
	}
	var tr [recTrailer]byte
	if _, err := r.ReadAt(tr[:], pos); err != nil {
		return nil, err
	}
	if le.Uint32(tr[4:]) != logEndMagic || crc != le.Uint32(tr[:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errTorn)
	}
	if bad != nil {
		return nil, bad
	}
	return rec, nil
}

// scanLog verifies every complete record from the start of the log. It
// answers the records (headers and states, not pages), the offset just past
// the last good one, and an error for damage that is not a torn tail.
func scanLog(r io.ReaderAt, logSize int64, logName string) ([]*record, int64, error) {
	var recs []*record
	off := int64(0)
	minSeq := uint64(0) // a record after a bad one must be newer than those before it
	for off < logSize {
		rec, err := readRecord(r, off, logSize, nil)
		if err == nil {
			recs = append(recs, rec)
			off += rec.size
			minSeq = rec.seq + 1
			if rec.kind == undoRecord {
				minSeq = rec.seq // the transaction's redo record may follow
			}
			continue
		}
		if !errors.Is(err, errTorn) {
			return nil, off, &CorruptError{File: logName, Page: -1, Offset: off, Msg: err.Error()}
		}
		// A crash tears only the record being written, the last one: a bad
		// record with a valid record after it, or with the header of a later
		// record (itself torn) where its own header says it ends, is damage.
		// Skipping it would drop the committed transactions after it. Other
		// bytes after a torn record (zeros of a file extended but never
		// written, garbage) are no record, and are ignored.
		if next := findRecordAfter(r, off+1, logSize, minSeq); next >= 0 {
			return nil, off, &CorruptError{File: logName, Page: -1, Offset: off,
				Msg: fmt.Sprintf("damaged record (%v) followed by a good record at offset %d", err, next)}
		}
		if _, _, size, herr := readHeader(r, off, logSize); herr == nil && laterHeaderAt(r, off+size, logSize, minSeq+1) {
			return nil, off, &CorruptError{File: logName, Page: -1, Offset: off,
				Msg: fmt.Sprintf("damaged record (%v) followed by a later record at offset %d: only the last record can be torn by a crash", err, off+size)}
		}
		break
	}
	return recs, off, nil
}

// laterHeaderAt reports whether a record header of transaction minSeq or
// later starts at off, whether or not the rest of that record is intact.
func laterHeaderAt(r io.ReaderAt, off, logSize int64, minSeq uint64) bool {
	if _, _, _, err := readHeader(r, off, logSize); err != nil {
		return false
	}
	var seq [8]byte
	if _, err := r.ReadAt(seq[:], off+8); err != nil {
		return false
	}
	return binary.LittleEndian.Uint64(seq[:]) >= minSeq
}

// findRecordAfter looks for a valid record of transaction minSeq or later
// starting at an 8-byte boundary at or after from (records are multiples of
// 8 bytes long). It answers its offset or -1. The bound on the sequence
// number keeps a copy of an older log that a transaction stored in the heap,
// and so in a torn record's pages, from passing for a later record.
func findRecordAfter(r io.ReaderAt, from, logSize int64, minSeq uint64) int64 {
	var hdr [4]byte
	for off := (from + 7) &^ 7; off+recHeader <= logSize; off += 8 {
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return -1
		}
		if m := binary.LittleEndian.Uint32(hdr[:]); m != logMagic && m != undoMagic {
			continue
		}
		if rec, err := readRecord(r, off, logSize, nil); err == nil && rec.seq >= minSeq {
			return off
		}
	}
	return -1
}
