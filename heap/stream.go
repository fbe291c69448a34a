package heap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Byte objects whose size is known only at the end: a stream (a pipe, a
// device such as /dev/zero) read into the heap. Its bytes go into a large
// object at the frontier whose run grows as they come, written to the heap
// file as a regular file's are, so memory holds one piece whatever the
// stream's length; the memory limit, the object limit and the disk bound
// it, each with its own error.

// AllocStreamed makes a byte object of nptrs fields (each fill) and kind
// whose bytes are what read answers until it answers io.EOF: a young
// object if they are fewer than a large object's, else a large one grown in
// the heap file as they come. read answers how many bytes it put in its
// argument; it may answer 0 and no error (a read that timed out), and its
// other errors are answered as they are. A stream that passes a limit is
// answered an error (errors.Is ErrOutOfMemory); the space it took is freed
// in the transaction.
func (h *Heap) AllocStreamed(nptrs int, kind uint8, fill Oop, read func([]byte) (int, error)) (Oop, error) {
	piece := make([]byte, largeObject)
	n, err := readPiece(read, piece)
	if err == io.EOF {
		if err := h.CheckAlloc(nptrs, n); err != nil {
			return 0, err
		}
		return h.AllocJoined(nptrs, kind, fill, piece[:n]), nil
	}
	if err != nil {
		return 0, err
	}
	if err := h.CheckAlloc(nptrs, n); err != nil {
		return 0, err
	}
	head := objectSize(uint64(nptrs), 0)
	size := objectSize(uint64(nptrs), uint64(n)) // the object's, its byte part padded
	o, err := h.takeFrontier(size, h.fileSize/PageSize)
	if err != nil {
		return 0, err
	}
	h.countStreamed(size)
	fail := func(err error) (Oop, error) {
		h.killRun(h.largeRunOf(o >> pageShift)) // its space is reused, or freed at commit
		return 0, err
	}
	if err := h.writeLarge(o+head, piece[:n]); err != nil {
		return fail(err)
	}
	total := uint64(n)
	for err != io.EOF {
		if n, err = readPiece(read, piece); err != nil && err != io.EOF {
			return fail(err)
		}
		if n == 0 {
			continue
		}
		more := objectSize(uint64(nptrs), total+uint64(n)) - size
		if err := h.checkLarge(more); err != nil {
			return fail(err)
		}
		if err := h.extendRun(o, size+more); err != nil {
			return fail(err)
		}
		size += more
		h.countStreamed(more)
		if err := h.writeLarge(o+head+total, piece[:n]); err != nil {
			return fail(err)
		}
		total += uint64(n)
	}
	var hdr [headerSize]byte
	binary.LittleEndian.PutUint64(hdr[0:], makeHeader0(uint64(nptrs), 0, h.nextHash()))
	binary.LittleEndian.PutUint64(hdr[8:], makeHeader1(total, kind))
	if err := h.writeLarge(o, hdr[:]); err != nil {
		return fail(err)
	}
	for i := 0; i < nptrs; i++ {
		h.SetField(Oop(o), i, fill)
	}
	h.noteFresh(Oop(o))
	return Oop(o), nil
}

// countStreamed counts n more bytes of a streamed object, as allocLarge
// counts a large object's.
func (h *Heap) countStreamed(n uint64) {
	h.Stats.LargeBytes += n
	h.state.Space.Allocated += n
	h.noteLargeMade(n)
}

// readPiece fills p from read, answering io.EOF (with what it read) when
// the stream ends first.
func readPiece(read func([]byte) (int, error), p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := read(p[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// extendRun grows the run of the object at o, the last thing at the
// frontier, to hold size bytes.
func (h *Heap) extendRun(o, size uint64) error {
	r := h.largeRunOf(o >> pageShift)
	if h.state.Frontier != r.end()*PageSize {
		return errStreamNotAtFrontier
	}
	if size > h.opts.ObjectLimit {
		return &oomError{msg: fmt.Sprintf("an object of more than %s is larger than the heap's object limit of %s", Bytes(size), Bytes(h.opts.ObjectLimit))}
	}
	end, want := r.end(), r.first+runPages(size)
	if want > end {
		if want*PageSize > h.opts.Reserve {
			return &oomError{msg: fmt.Sprintf("the heap's reserved range of %s is full", Bytes(h.opts.Reserve))}
		}
		filePages := h.fileSize / PageSize
		if err := h.ensureFileSize(want * PageSize); err != nil {
			return err
		}
		// Pages inside the committed heap are protected as a new run's are.
		if err := h.preparePages(end, want, filePages); err != nil {
			return err
		}
		for p := end; p < want; p++ {
			h.directBits[p>>6] |= 1 << (p & 63)
			h.verified[p>>6] |= 1 << (p & 63)
		}
		r.sums = append(r.sums, make([]uint64, want-end)...)
		h.state.PageCount = max(h.state.PageCount, want)
		h.state.Frontier = want * PageSize
	}
	r.size = size
	return nil
}

// errStreamNotAtFrontier: the object extendRun would grow is not the last
// at the frontier (AllocStreamed allocates nothing else while it reads).
var errStreamNotAtFrontier = errors.New("heap: a streamed object is not the last at the frontier")
