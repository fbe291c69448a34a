package prims

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"psyche/heap"
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
		b, err := e.readFile(p)
		if err != nil {
			return 0, err
		}
		return e.M.NewByteVector(b), nil
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

// readFile reads the file at path, at most MaxFileContents bytes. It reads
// until the end of the file, not the size the file claims (a device such as
// /dev/zero claims 0 and never ends, a file may grow), looking for an
// interrupt between reads; a read of a pipe waits at most readPoll.
func (e *Env) readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileFailure(err)
	}
	defer f.Close()
	size := int64(0)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	if size > MaxFileContents {
		return nil, errOutOfMem
	}
	polled := f.SetReadDeadline(time.Now().Add(readPoll)) == nil
	buf := make([]byte, 0, size+1) // +1: to see the end without growing
	for {
		if err := e.checkInterrupt(); err != nil {
			return nil, err
		}
		if len(buf) > MaxFileContents {
			return nil, errOutOfMem
		}
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(max(2*cap(buf), interruptStride), MaxFileContents+1))
			copy(grown, buf)
			buf = grown
		}
		if polled {
			if err := f.SetReadDeadline(time.Now().Add(readPoll)); err != nil {
				return nil, fileFailure(err)
			}
		}
		end := min(cap(buf), len(buf)+interruptStride, MaxFileContents+1)
		n, err := f.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
		case err != nil:
			return nil, fileFailure(err)
		}
	}
}

func fileFailure(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	}
	return &Failure{"ioError"}
}
