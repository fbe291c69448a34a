package world

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
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
// temporary file (removed as soon as it is made: it lives while mapped).
type oopTable struct {
	mem  []byte
	oops []heap.Oop
}

// newOopTable maps a zeroed table of n oops in a temporary file in dir. The
// file is sparse: only the entries written take disk.
func newOopTable(dir string, n uint64) (*oopTable, error) {
	f, err := os.CreateTemp(dir, ".psyche-table-*")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return nil, err
	}
	size := max(n, 1) * uint64(unsafe.Sizeof(heap.Oop(0)))
	if size > uint64(maxMapped) {
		return nil, fmt.Errorf("a table of %d objects is larger than this machine can map", n)
	}
	if err := f.Truncate(int64(size)); err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping a table of %d objects: %w", n, err)
	}
	return &oopTable{mem: mem, oops: unsafe.Slice((*heap.Oop)(unsafe.Pointer(&mem[0])), n)}, nil
}

// maxMapped is the largest table mapped: far beyond any real image, it
// keeps a hostile object count from overflowing a size.
const maxMapped = 1 << 46

// close unmaps the table, which frees its file.
func (t *oopTable) close() error {
	if t == nil || t.mem == nil {
		return nil
	}
	err := unix.Munmap(t.mem)
	t.mem, t.oops = nil, nil
	return err
}

// spillFile is a sequence of fixed-size records written to a temporary
// file and read back in order, any number of times.
type spillFile struct {
	f *os.File
	w *bufio.Writer
	n uint64 // records written
}

// spillBuffer is how much of a spill file is buffered in memory.
const spillBuffer = 256 << 10

func newSpillFile(dir string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, ".psyche-spill-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, spillBuffer)}, nil
}

// put appends one record of words.
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

// each reads the records back in order, width words each, calling visit
// with each; it stops at visit's first error.
func (s *spillFile) each(width int, visit func(rec []uint64) error) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, int64(s.n)*int64(width)*8), spillBuffer)
	buf := make([]byte, width*8)
	rec := make([]uint64, width)
	for i := uint64(0); i < s.n; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("reading back a temporary file: %w", err)
		}
		for j := range rec {
			rec[j] = binary.LittleEndian.Uint64(buf[j*8:])
		}
		if err := visit(rec); err != nil {
			return err
		}
	}
	return nil
}

func (s *spillFile) close() error {
	if s == nil {
		return nil
	}
	return s.f.Close()
}

// tempDir answers where a heap's temporary tables go: beside its file, on
// the disk the world is on (a temporary file system may be memory).
func tempDir(h *heap.Heap) string { return filepath.Dir(h.Path()) }
