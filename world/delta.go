package world

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"

	"psyche/heap"
)

// A delta file holds the old contents of the pages first overwritten after
// its checkpoint was made (and before the next one was): one record per page,
//
//	magic u32 | page u64 | length u32 | crc32c u32 of the compressed bytes | zstd(page)
//
// appended and fsynced before the commit that overwrites those pages is
// logged. Only the last record can be torn; it is dropped on open (the page
// it describes was not yet overwritten, so nothing is lost).

const deltaMagic = 0x544c4450 // "PDLT"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type deltaFile struct {
	path  string
	f     *os.File
	pages map[uint64]int64 // page -> offset of its record
	end   int64
}

func openDelta(path string, create bool) (*deltaFile, error) {
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, err
	}
	d := &deltaFile{path: path, f: f, pages: map[uint64]int64{}}
	size, err := d.scan()
	if err == nil && d.end != size { // a torn last record
		err = d.f.Truncate(d.end)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// readDelta opens a delta to read its pages. It changes nothing, so it works
// on a read-only file system (eval --at, check).
func readDelta(path string) (*deltaFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	d := &deltaFile{path: path, f: f, pages: map[uint64]int64{}}
	if _, err := d.scan(); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// scan indexes the records and sets end past the last complete one. It
// answers the file's size.
func (d *deltaFile) scan() (int64, error) {
	fi, err := d.f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	var hdr [20]byte
	off := int64(0)
	for off+20 <= size {
		if _, err := d.f.ReadAt(hdr[:], off); err != nil {
			return 0, err
		}
		n := int64(binary.LittleEndian.Uint32(hdr[12:]))
		if binary.LittleEndian.Uint32(hdr[0:]) != deltaMagic || off+20+n > size {
			break
		}
		d.pages[binary.LittleEndian.Uint64(hdr[4:])] = off
		off += 20 + n
	}
	d.end = off
	return size, nil
}

func (d *deltaFile) has(p uint64) bool { _, ok := d.pages[p]; return ok }

// append adds page p's old contents; the caller fsyncs.
func (d *deltaFile) append(enc *zstd.Encoder, p uint64, data []byte) error {
	comp := enc.EncodeAll(data, nil)
	rec := make([]byte, 20+len(comp))
	binary.LittleEndian.PutUint32(rec[0:], deltaMagic)
	binary.LittleEndian.PutUint64(rec[4:], p)
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(comp)))
	binary.LittleEndian.PutUint32(rec[16:], crc32.Checksum(comp, crcTable))
	copy(rec[20:], comp)
	if _, err := d.f.WriteAt(rec, d.end); err != nil {
		d.f.Truncate(d.end)
		return err
	}
	d.pages[p] = d.end
	d.end += int64(len(rec))
	return nil
}

// read answers page p's saved contents.
func (d *deltaFile) read(dec *zstd.Decoder, p uint64) ([]byte, error) {
	off, ok := d.pages[p]
	if !ok {
		return nil, fmt.Errorf("page %d is not in %s", p, d.path)
	}
	var hdr [20]byte
	if _, err := d.f.ReadAt(hdr[:], off); err != nil {
		return nil, err
	}
	comp := make([]byte, binary.LittleEndian.Uint32(hdr[12:]))
	if _, err := d.f.ReadAt(comp, off+20); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if crc32.Checksum(comp, crcTable) != binary.LittleEndian.Uint32(hdr[16:]) {
		return nil, fmt.Errorf("%s: the saved copy of page %d is damaged (checksum mismatch)", d.path, p)
	}
	data, err := dec.DecodeAll(comp, nil)
	if err != nil || len(data) != heap.PageSize {
		return nil, fmt.Errorf("%s: the saved copy of page %d does not decompress to a page", d.path, p)
	}
	return data, nil
}

func (d *deltaFile) close() error { return d.f.Close() }
