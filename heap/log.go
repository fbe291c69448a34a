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
// Record layout (little-endian):
//
//	magic u32 | version u16 | reserved u16 | seq u64 | npages u32 | stateLen u32 | length u64
//	state [stateLen]
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

const (
	logMagic    = 0x474F4C50 // "PLOG"
	logEndMagic = 0x504C4F47 // "GOLP"
	logVersion  = 1
	recHeader   = 32
	recTrailer  = 8
	recPageHdr  = 16
)

// record is one decoded log record.
type record struct {
	seq   uint64
	st    state
	pages []loggedPage
	size  int64 // bytes the record occupies in the log
}

type loggedPage struct {
	no   uint64
	sum  uint64
	data []byte
}

func recordSize(npages int) int64 {
	return recHeader + stateSize + int64(npages)*(recPageHdr+PageSize) + recTrailer
}

// encodeRecord lays out a record for st and the given pages, reading each
// page's contents with page(no), and stores each page's checksum in sums.
func encodeRecord(buf []byte, st *state, pageNos []uint64, page func(uint64) []byte, sums []uint64) []byte {
	n := recordSize(len(pageNos))
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	b := buf[:n]
	le := binary.LittleEndian
	le.PutUint32(b[0:], logMagic)
	le.PutUint16(b[4:], logVersion)
	le.PutUint16(b[6:], 0)
	le.PutUint64(b[8:], st.Seq)
	le.PutUint32(b[16:], uint32(len(pageNos)))
	le.PutUint32(b[20:], stateSize)
	le.PutUint64(b[24:], uint64(n))
	st.encode(b[recHeader:])
	o := recHeader + stateSize
	for i, no := range pageNos {
		data := page(no)
		sum := pageSum(no, data)
		sums[i] = sum
		le.PutUint64(b[o:], no)
		le.PutUint64(b[o+8:], sum)
		copy(b[o+recPageHdr:], data)
		o += recPageHdr + PageSize
	}
	le.PutUint32(b[o:], crc32.Checksum(b[:o], castagnoli))
	le.PutUint32(b[o+4:], logEndMagic)
	return b
}

// errTorn marks a record that is incomplete or fails its checks: a torn
// tail if it is the last thing in the log, damage otherwise.
var errTorn = errors.New("torn log record")

// readHeader decodes the fixed header of the record at off and answers the
// number of pages and the size the record declares. A header that is
// consistent in itself tells where the record ends even when its body is
// damaged.
func readHeader(r io.ReaderAt, off, logSize int64) (npages, size int64, err error) {
	var hdr [recHeader]byte
	if logSize-off < recHeader {
		return 0, 0, fmt.Errorf("%w: %d bytes left, a header needs %d", errTorn, logSize-off, recHeader)
	}
	if _, err := r.ReadAt(hdr[:], off); err != nil {
		return 0, 0, err
	}
	le := binary.LittleEndian
	if le.Uint32(hdr[0:]) != logMagic {
		return 0, 0, fmt.Errorf("%w: bad magic", errTorn)
	}
	if v := le.Uint16(hdr[4:]); v != logVersion {
		return 0, 0, fmt.Errorf("%w: log record version %d", ErrVersion, v)
	}
	npages = int64(le.Uint32(hdr[16:]))
	if le.Uint32(hdr[20:]) != stateSize {
		return 0, 0, fmt.Errorf("%w: state size %d", errTorn, le.Uint32(hdr[20:]))
	}
	size = int64(le.Uint64(hdr[24:]))
	if size != recordSize(int(npages)) || size < 0 {
		return 0, 0, fmt.Errorf("%w: length %d does not match %d pages", errTorn, size, npages)
	}
	return npages, size, nil
}

// readRecord decodes the record at off. It answers errTorn (wrapped) when the
// record is incomplete or fails its checks; the caller decides whether that
// is a torn tail or damage by looking at what follows.
func readRecord(r io.ReaderAt, off, logSize int64) (*record, error) {
	npages, size, err := readHeader(r, off, logSize)
	if err != nil {
		return nil, err
	}
	if off+size > logSize {
		return nil, fmt.Errorf("%w: record of %d bytes runs past the end of the log", errTorn, size)
	}
	b := make([]byte, size)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	body := size - recTrailer
	if le.Uint32(b[body+4:]) != logEndMagic || crc32.Checksum(b[:body], castagnoli) != le.Uint32(b[body:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errTorn)
	}
	rec := &record{seq: le.Uint64(b[8:]), size: size}
	rec.st.decode(b[recHeader:])
	if err := rec.st.validate(); err != nil {
		return nil, fmt.Errorf("log record %d: %v", rec.seq, err)
	}
	if rec.st.Seq != rec.seq {
		return nil, fmt.Errorf("log record %d carries state of transaction %d", rec.seq, rec.st.Seq)
	}
	o := int64(recHeader + stateSize)
	rec.pages = make([]loggedPage, npages)
	for i := range rec.pages {
		p := loggedPage{no: le.Uint64(b[o:]), sum: le.Uint64(b[o+8:]), data: b[o+recPageHdr : o+recPageHdr+PageSize]}
		if p.no < superPages || p.no >= rec.st.PageCount {
			return nil, fmt.Errorf("log record %d: page %d is outside the heap (%d pages)", rec.seq, p.no, rec.st.PageCount)
		}
		if pageSum(p.no, p.data) != p.sum {
			return nil, fmt.Errorf("log record %d: page %d checksum mismatch", rec.seq, p.no)
		}
		rec.pages[i] = p
		o += recPageHdr + PageSize
	}
	return rec, nil
}

// scanLog reads every complete record from the start of the log. It answers
// the records, the offset just past the last good one, and an error for damage
// that is not a torn tail.
func scanLog(r io.ReaderAt, logSize int64, logName string) ([]*record, int64, error) {
	var recs []*record
	off := int64(0)
	minSeq := uint64(0) // a record after a bad one must be newer than those before it
	for off < logSize {
		rec, err := readRecord(r, off, logSize)
		if err == nil {
			recs = append(recs, rec)
			off += rec.size
			minSeq = rec.seq + 1
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
		if _, size, herr := readHeader(r, off, logSize); herr == nil && laterHeaderAt(r, off+size, logSize, minSeq+1) {
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
	if _, _, err := readHeader(r, off, logSize); err != nil {
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
		if binary.LittleEndian.Uint32(hdr[:]) != logMagic {
			continue
		}
		if rec, err := readRecord(r, off, logSize); err == nil && rec.seq >= minSeq {
			return off
		}
	}
	return -1
}
