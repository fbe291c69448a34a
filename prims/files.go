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
// (a device such as /dev/zero claims 0 and never ends), into the heap as it
// comes (heap.AllocStreamed): the evaluation's memory limit, the heap's
// object limit and the disk bound it. A read of a pipe waits at most
// readPoll, so that an interrupt is seen between reads.
func (e *Env) readStream(f *os.File) (heap.Oop, error) {
	polled := f.SetReadDeadline(time.Now().Add(readPoll)) == nil
	h := e.M.H
	o, err := h.AllocStreamed(object.ByteObjectFields, uint8(object.KindByteVector), heap.Nil, func(p []byte) (int, error) {
		if err := e.checkInterrupt(); err != nil {
			return 0, err
		}
		if polled {
			if err := f.SetReadDeadline(time.Now().Add(readPoll)); err != nil {
				return 0, fileFailure(err)
			}
		}
		n, err := f.Read(p[:min(len(p), interruptStride)])
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
			return n, nil
		case err == io.EOF:
			return n, io.EOF
		}
		return n, fileFailure(err)
	})
	if errors.Is(err, heap.ErrOutOfMemory) {
		return 0, outOfMemory(err)
	}
	if err != nil {
		return 0, err
	}
	h.SetField(o, object.FieldMap, e.M.Special(object.SpByteVectorMap))
	return o, nil
}

func fileFailure(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	}
	return &Failure{Name: "ioError"}
}
