package prims

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"psyche/heap"
	"psyche/vm/object"
)

// File primitives. The receiver is any object; the path is a string. Files
// are outside the world: like printing, a file written by an evaluation that
// later fails stays written.

func (e *Env) pathArg(o heap.Oop) (string, bool) {
	b, ok := e.stringArg(o)
	if !ok || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

func init() {
	register("_FileExists:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		p, ok := e.pathArg(args[0])
		if !ok {
			return 0, errBadType
		}
		_, err := os.Stat(p)
		return e.M.Bool(err == nil), nil
	})
	register("_FileSize:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		p, ok := e.pathArg(args[0])
		if !ok {
			return 0, errBadType
		}
		fi, err := os.Stat(p)
		if err != nil {
			return 0, fileFailure(err)
		}
		return e.M.Int64(fi.Size()), nil
	})
	register("_FileContents:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		p, ok := e.pathArg(args[0])
		if !ok {
			return 0, errBadType
		}
		return e.readFile(p)
	})
	register("_FileWrite:Data:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		p, ok := e.pathArg(args[0])
		if !ok {
			return 0, errBadType
		}
		b, ok := e.bytesOf(args[1])
		if !ok {
			return 0, errBadType
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return 0, fileFailure(err)
		}
		return rcv, nil
	})
}

// MaxStreamContents is the most bytes _FileContents: reads from a file
// that is not a regular file (a pipe, a device): its size is known only at
// its end, so its pieces are held in memory until then. A regular file's
// size is known first, and it is streamed into the heap in pieces: the
// heap's object limit and the disk bound it (heap.Options.ObjectLimit).
const MaxStreamContents = 1 << 30

// readPoll is how long one read of a pipe or terminal may wait for data
// before readFile looks for an interrupt again.
const readPoll = 50 * time.Millisecond

// readFile reads the file at path into a new byteVector, looking for an
// interrupt between pieces of interruptStride bytes.
func (e *Env) readFile(path string) (heap.Oop, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fileFailure(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return e.readRegular(f, fi.Size())
	}
	return e.readStream(f)
}

// readRegular reads the size bytes a regular file has into a new
// byteVector, one piece at a time, each written into the byteVector as it
// is read: a large one lives in the heap file, so memory holds one piece
// whatever the file's size. A file cut shorter while it is read fails
// with ioError.
func (e *Env) readRegular(f *os.File, size int64) (heap.Oop, error) {
	if err := e.checkBytes(size); err != nil {
		return 0, err
	}
	h := e.M.H
	o := h.Alloc(object.ByteObjectFields, int(size), object.KindByteVector, heap.Nil)
	h.SetField(o, object.FieldMap, e.M.Special(object.SpByteVectorMap))
	piece := make([]byte, min(size, interruptStride))
	for off := int64(0); off < size; {
		if err := e.checkInterrupt(); err != nil {
			return 0, err
		}
		n, err := io.ReadFull(f, piece[:min(int64(len(piece)), size-off)])
		if err != nil {
			return 0, fileFailure(err)
		}
		h.SetBytes(o, int(off), piece[:n])
		off += int64(n)
	}
	return o, nil
}

// readStream reads a pipe or device until its end, not the size it claims
// (a device such as /dev/zero claims 0 and never ends), at most
// MaxStreamContents bytes; a read of a pipe waits at most readPoll. The
// pieces are copied once, into the byteVector.
func (e *Env) readStream(f *os.File) (heap.Oop, error) {
	polled := f.SetReadDeadline(time.Now().Add(readPoll)) == nil
	var pieces [][]byte
	total := 0
	for {
		if err := e.checkInterrupt(); err != nil {
			return 0, err
		}
		if total > MaxStreamContents {
			return 0, errOutOfMem
		}
		if polled {
			if err := f.SetReadDeadline(time.Now().Add(readPoll)); err != nil {
				return 0, fileFailure(err)
			}
		}
		piece := make([]byte, min(interruptStride, MaxStreamContents+1-total))
		n, err := io.ReadFull(f, piece)
		if n > 0 {
			pieces = append(pieces, piece[:n])
			total += n
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return e.byteVectorOf(pieces, total)
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		default:
			return 0, fileFailure(err)
		}
	}
}

// byteVectorOf answers a new byteVector holding the concatenation of
// pieces, whose lengths add up to total.
func (e *Env) byteVectorOf(pieces [][]byte, total int) (heap.Oop, error) {
	if err := e.checkBytes(int64(total)); err != nil {
		return 0, err
	}
	h := e.M.H
	o := h.Alloc(object.ByteObjectFields, total, object.KindByteVector, heap.Nil)
	h.SetField(o, object.FieldMap, e.M.Special(object.SpByteVectorMap))
	off := 0
	for _, p := range pieces {
		h.SetBytes(o, off, p)
		off += len(p)
	}
	return o, nil
}

func fileFailure(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	}
	return &Failure{"ioError"}
}
