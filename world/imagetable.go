package world

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"

	"psyche/heap"
)

// Import and export number an image's objects. The tables that hold the
// numbering live in temporary files beside the heap file, mapped into
// memory or read sequentially, so that an image's object count costs disk
// and reclaimable page cache rather than the process's own memory.

// oopTable is an array of oops, indexed by object number, in a mapped
// temporary file.
type oopTable struct {
	mem  []byte
	oops []heap.Oop
}

// newOopTable maps a zeroed table of n oops in a temporary file in dir.
func newOopTable(dir string, n uint64) (*oopTable, error) {
	mem, err := mapTemp(dir, n, uint64(unsafe.Sizeof(heap.Oop(0))))
	if err != nil {
		return nil, err
	}
	return &oopTable{mem: mem, oops: unsafe.Slice((*heap.Oop)(unsafe.Pointer(&mem[0])), n)}, nil
}

// close unmaps the table, which frees its file.
func (t *oopTable) close() error {
	if t == nil || t.mem == nil {
		return nil
	}
	err := unix.Munmap(t.mem)
	t.mem, t.oops = nil, nil
	return err
}

// numberTable answers the number export gave an object, by the object's
// address: an entry for every place an object can start (objects are at
// least heap.MinObjectBytes apart), so that the table is read and written
// where the heap itself is, and costs a quarter of the heap's size in a
// sparse temporary file instead of a map entry per object in memory.
type numberTable struct {
	mem     []byte
	numbers []uint32 // number+1 of the object at each place; 0: none yet
}

// maxNumbered is the most objects a numberTable numbers.
const maxNumbered = math.MaxUint32 - 1

// newNumberTable maps a zeroed table for a heap file of fileBytes bytes.
func newNumberTable(dir string, fileBytes uint64) (*numberTable, error) {
	n := fileBytes / heap.MinObjectBytes
	mem, err := mapTemp(dir, n, uint64(unsafe.Sizeof(uint32(0))))
	if err != nil {
		return nil, err
	}
	return &numberTable{mem: mem, numbers: unsafe.Slice((*uint32)(unsafe.Pointer(&mem[0])), n)}, nil
}

// place answers the entry of the persistent object o, or an error for an
// oop that is not one in the heap file.
func (t *numberTable) place(o heap.Oop) (*uint32, error) {
	i := uint64(o) / heap.MinObjectBytes
	if !o.IsOld() || i >= uint64(len(t.numbers)) {
		return nil, fmt.Errorf("a reference (%#x) to no object of the heap file", uint64(o))
	}
	return &t.numbers[i], nil
}

func (t *numberTable) close() error {
	if t == nil || t.mem == nil {
		return nil
	}
	err := unix.Munmap(t.mem)
	t.mem, t.numbers = nil, nil
	return err
}

// mapTemp maps n zeroed entries of width bytes in a temporary file in dir.
// The file is sparse, so only the entries written take disk, and removed
// at once: it lives while it is mapped.
func mapTemp(dir string, n, width uint64) ([]byte, error) {
	if n > maxMapped/width {
		return nil, fmt.Errorf("a table of %d entries is larger than this machine can map", n)
	}
	size := max(n, 1) * width
	f, err := createTemp(dir, ".psyche-table-*")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping a table of %d entries: %w", n, err)
	}
	return mem, nil
}

// maxMapped is the most bytes a table maps: far beyond any real image, it
// keeps a hostile object count from overflowing a size.
const maxMapped = 1 << 46

// createTemp makes a temporary file in dir, or, where dir takes none (a
// world looked at read-only), in the system's temporary directory, and
// unlinks it: it lives while it is open or mapped.
func createTemp(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		f, err = os.CreateTemp("", pattern)
	}
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// spillFile is a sequence of fixed-size records written to a temporary
// file and read back in order, any number of times, even while it grows
// (export's breadth-first queue is read behind its own end).
type spillFile struct {
	f     *os.File
	w     *bufio.Writer
	width int    // words in a record
	n     uint64 // records written
}

// spillBuffer is how much of a spill file is buffered in memory.
const spillBuffer = 256 << 10

func newSpillFile(dir string, width int) (*spillFile, error) {
	f, err := createTemp(dir, ".psyche-spill-*")
	if err != nil {
		return nil, err
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, spillBuffer), width: width}, nil
}

// put appends one record of width words.
func (s *spillFile) put(words ...uint64) error {
	var b [8]byte
	for _, v := range words {
		binary.LittleEndian.PutUint64(b[:], v)
		if _, err := s.w.Write(b[:]); err != nil {
			return err
		}
	}
	s.n++
	return nil
}

// spillReader reads a spill file's records from the first.
type spillReader struct {
	s    *spillFile
	i    uint64 // the next record
	buf  []byte
	have []byte // read, not yet answered
}

func (s *spillFile) reader() *spillReader { return &spillReader{s: s, buf: make([]byte, spillBuffer)} }

// next reads the next record into rec, answering false after the last one
// written so far.
func (r *spillReader) next(rec []uint64) (bool, error) {
	size := uint64(r.s.width) * 8
	if r.i == r.s.n {
		return false, nil
	}
	if len(r.have) == 0 {
		if err := r.s.w.Flush(); err != nil {
			return false, err
		}
		want := min(uint64(len(r.buf))/size, r.s.n-r.i) * size
		if _, err := r.s.f.ReadAt(r.buf[:want], int64(r.i*size)); err != nil {
			return false, fmt.Errorf("reading back a temporary file: %w", err)
		}
		r.have = r.buf[:want]
	}
	for j := range rec {
		rec[j] = binary.LittleEndian.Uint64(r.have[j*8:])
	}
	r.have = r.have[size:]
	r.i++
	return true, nil
}

// each reads the records back in order, calling visit with each; it stops
// at visit's first error.
func (s *spillFile) each(visit func(rec []uint64) error) error {
	r := s.reader()
	rec := make([]uint64, s.width)
	for {
		ok, err := r.next(rec)
		if err != nil || !ok {
			return err
		}
		if err := visit(rec); err != nil {
			return err
		}
	}
}

func (s *spillFile) close() error {
	if s == nil {
		return nil
	}
	return s.f.Close()
}

// An objectOrder is the objects an image holds, in the order of their
// numbers.
type objectOrder interface {
	count() uint64
	each(visit func(o heap.Oop) error) error
}

// oopList is an objectOrder in memory (psyche recover's).
type oopList []heap.Oop

func (l oopList) count() uint64 { return uint64(len(l)) }

func (l oopList) each(visit func(o heap.Oop) error) error {
	for _, o := range l {
		if err := visit(o); err != nil {
			return err
		}
	}
	return nil
}

// spilledOrder is an objectOrder in a spill file of one-word records.
type spilledOrder struct{ *spillFile }

func (s spilledOrder) count() uint64 { return s.n }

func (s spilledOrder) each(visit func(o heap.Oop) error) error {
	return s.spillFile.each(func(rec []uint64) error { return visit(heap.Oop(rec[0])) })
}

// tempDir answers where a heap's temporary tables go: beside its file, on
// the disk the world is on (a temporary file system may be memory).
func tempDir(h *heap.Heap) string { return filepath.Dir(h.Path()) }
