package world

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"

	"github.com/klauspost/compress/zstd"

	"psyche/heap"
)

// A delta file holds the old contents of the pages first overwritten after
// its checkpoint was made (and before the next one was): one record per page,
//
//	magic u32 | page u64 | length u32 | crc32c u32 | zstd(page): length bytes
//
// all little-endian, appended and fsynced before the commit that overwrites
// those pages is logged. The CRC-32C covers the delta's nonce (a random
// number the index keeps for each delta, which ties a record to its file),
// then magic, page and length, then the compressed bytes: a change to any
// field fails it.
//
// Every delta has a committed length, kept outside the file: the index
// records it for a closed delta (one whose checkpoint is not the newest),
// and every commit that appends to the newest delta records the new length
// in the heap's state (see auxDeltaLen), atomically with the commit. So:
//
//   - Bytes past the committed length belong to no commit: a torn append
//     whose commit never happened, or a merge a crash interrupted. They are
//     ignored, and cut off before the next append.
//   - Bytes missing below it, or records that do not parse to exactly it,
//     are damage: reported, never truncated away.
//
// openDelta only reads; only append (the first one) changes the file.

const (
	deltaMagic     = 0x32444c50 // "PLD2"
	deltaRecordHdr = 20
	maxDeltaRecord = 2 * heap.PageSize // zstd never expands a page this much
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type deltaFile struct {
	path     string
	nonce    uint64
	f        *os.File
	writable bool
	pages    map[uint64]int64 // page -> offset of its record
	end      int64            // the committed length; the next record goes here
}

// openDelta opens the delta at path, whose committed length is length, and
// reads its record headers (the records themselves are verified by read). It
// does not change the file.
func openDelta(path string, nonce uint64, length int64) (*deltaFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	d := &deltaFile{path: path, nonce: nonce, f: f, pages: map[uint64]int64{}, end: length}
	if err := d.scan(); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// createDelta makes an empty delta at path, replacing any file there. The
// caller fsyncs it.
func createDelta(path string, nonce uint64) (*deltaFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &deltaFile{path: path, nonce: nonce, f: f, writable: true, pages: map[uint64]int64{}}, nil
}

// scan indexes the records of the committed length.
func (d *deltaFile) scan() error {
	fi, err := d.f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < d.end {
		return fmt.Errorf("%s is %d bytes, but %d were committed: the file was truncated", d.path, fi.Size(), d.end)
	}
	var hdr [deltaRecordHdr]byte
	for off := int64(0); off < d.end; {
		if off+deltaRecordHdr > d.end {
			return fmt.Errorf("%s: the record at offset %d is cut short (%d committed bytes)", d.path, off, d.end)
		}
		if _, err := d.f.ReadAt(hdr[:], off); err != nil {
			return fmt.Errorf("reading %s at offset %d: %w", d.path, off, err)
		}
		le := binary.LittleEndian
		if m := le.Uint32(hdr[0:]); m != deltaMagic {
			return fmt.Errorf("%s: the record at offset %d is damaged (magic %#x, want %#x)", d.path, off, m, deltaMagic)
		}
		p, n := le.Uint64(hdr[4:]), int64(le.Uint32(hdr[12:]))
		if n == 0 || n > maxDeltaRecord || off+deltaRecordHdr+n > d.end {
			return fmt.Errorf("%s: the record at offset %d is damaged (length %d; %d committed bytes)", d.path, off, n, d.end)
		}
		if prev, ok := d.pages[p]; ok {
			return fmt.Errorf("%s: the records at offsets %d and %d both claim page %d", d.path, prev, off, p)
		}
		d.pages[p] = off
		off += deltaRecordHdr + n
	}
	return nil
}

func (d *deltaFile) has(p uint64) bool { _, ok := d.pages[p]; return ok }

// makeWritable reopens the file for writing and cuts off whatever follows
// the committed length (see the file comment).
func (d *deltaFile) makeWritable() error {
	if d.writable {
		return nil
	}
	f, err := os.OpenFile(d.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(d.end); err != nil {
		f.Close()
		return err
	}
	d.f.Close()
	d.f, d.writable = f, true
	return nil
}

// recordSum is a record's CRC: the nonce, the header's first 16 bytes and the
// compressed page.
func (d *deltaFile) recordSum(hdr, comp []byte) uint32 {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], d.nonce)
	sum := crc32.Update(0, crcTable, n[:])
	sum = crc32.Update(sum, crcTable, hdr[:16])
	return crc32.Update(sum, crcTable, comp)
}

// append adds page p's old contents; the caller fsyncs, and then records the
// new committed length (d.end).
func (d *deltaFile) append(enc *zstd.Encoder, p uint64, data []byte) error {
	if err := d.makeWritable(); err != nil {
		return err
	}
	rec := enc.EncodeAll(data, make([]byte, deltaRecordHdr, deltaRecordHdr+len(data)/2))
	comp := rec[deltaRecordHdr:]
	le := binary.LittleEndian
	le.PutUint32(rec[0:], deltaMagic)
	le.PutUint64(rec[4:], p)
	le.PutUint32(rec[12:], uint32(len(comp)))
	le.PutUint32(rec[16:], d.recordSum(rec, comp))
	if _, err := d.f.WriteAt(rec, d.end); err != nil {
		return err
	}
	d.pages[p] = d.end
	d.end += int64(len(rec))
	return nil
}

// read answers page p's saved contents, verified against the record's CRC.
func (d *deltaFile) read(dec *zstd.Decoder, p uint64) ([]byte, error) {
	off, ok := d.pages[p]
	if !ok {
		return nil, fmt.Errorf("page %d is not in %s", p, d.path)
	}
	var hdr [deltaRecordHdr]byte
	if _, err := d.f.ReadAt(hdr[:], off); err != nil {
		return nil, fmt.Errorf("reading %s at offset %d: %w", d.path, off, err)
	}
	comp := make([]byte, binary.LittleEndian.Uint32(hdr[12:]))
	if _, err := d.f.ReadAt(comp, off+deltaRecordHdr); err != nil {
		return nil, fmt.Errorf("reading %s at offset %d: %w", d.path, off, err)
	}
	if d.recordSum(hdr[:], comp) != binary.LittleEndian.Uint32(hdr[16:]) {
		return nil, fmt.Errorf("%s: the saved copy of page %d (offset %d) is damaged (checksum mismatch)", d.path, p, off)
	}
	data, err := dec.DecodeAll(comp, make([]byte, 0, heap.PageSize))
	if err != nil || len(data) != heap.PageSize {
		return nil, fmt.Errorf("%s: the saved copy of page %d (offset %d) does not decompress to a page", d.path, p, off)
	}
	return data, nil
}

func (d *deltaFile) close() error { return d.f.Close() }
