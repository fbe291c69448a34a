package prims

import (
	"errors"
	"io/fs"
	"os"

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
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, fileFailure(err)
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

func fileFailure(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	}
	return &Failure{"ioError"}
}
