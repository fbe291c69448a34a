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

// MaxFileContents is the most bytes _FileContents: reads: the largest
// byteVector the heap makes. A longer file fails with outOfMemoryError.
const MaxFileContents = heap.MaxObjectBytes

// readPoll is how long one read of a pipe or terminal may wait for data
// before readFile looks for an interrupt again.
const readPoll = 50 * time.Millisecond

// readFile reads the file at path into a new byteVector, at most
// MaxFileContents bytes. It reads until the end of the file, not the size
// the file claims (a device such as /dev/zero claims 0 and never ends, a
// file may grow), in pieces, looking for an interrupt between them; a read
// of a pipe waits at most readPoll. The pieces are copied once, into the
// byteVector.
func (e *Env) readFile(path string) (heap.Oop, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fileFailure(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileContents {
		return 0, errOutOfMem
	}
	polled := f.SetReadDeadline(time.Now().Add(readPoll)) == nil
	var pieces [][]byte
	total := 0
	for {
		if err := e.checkInterrupt(); err != nil {
			return 0, err
		}
		if total > MaxFileContents {
			return 0, errOutOfMem
		}
		if polled {
			if err := f.SetReadDeadline(time.Now().Add(readPoll)); err != nil {
				return 0, fileFailure(err)
			}
		}
		piece := make([]byte, min(interruptStride, MaxFileContents+1-total))
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
