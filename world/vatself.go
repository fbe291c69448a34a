package world

import (
	"bytes"
	"errors"
	"fmt"

	"psyche/heap"
	"psyche/vm"
	"psyche/vm/object"
)

// Reaching the vats object from Go: sending to it, running Self code as a
// look (aborted) or a crank (one transaction), and reading what it answers
// with errors that name what was wrong.

// sendVats sends sel with args to the vats object.
func (w *World) sendVats(sel string, args ...heap.Oop) (heap.Oop, error) {
	v, err := w.vm.Send(w.vm.Model().Lobby, "vats")
	if err != nil {
		return heap.Nil, err
	}
	return w.vm.Send(v, sel, args...)
}

// look runs f in a transaction that is aborted after it: f only reads.
func (w *World) look(f func() error) error {
	defer w.h.Abort()
	w.vm.StartTopLevel()
	return heap.Catch(f)
}

// crank runs f as one transaction: committed if f succeeds, gone if not.
func (w *World) crank(f func() error) error {
	w.vm.StartTopLevel()
	_, err := w.transaction(func() (heap.Oop, error) { return heap.Nil, heap.Catch(f) })
	w.h.Abort() // a crank that changed nothing left its transaction open (see transaction)
	return err
}

// selfError reports whether err is an error of the Self code a crank ran
// (it rejects the message), not a failure of the heap (which stops).
func selfError(err error) bool {
	var e *vm.Error
	var ce *vm.CompileError
	return errors.As(err, &e) && e.Cause == nil || errors.As(err, &ce)
}

func (w *World) str(s string) heap.Oop { return w.vm.Model().NewString([]byte(s)) }

func (w *World) stringOf(o heap.Oop, what string) (string, error) {
	m := w.vm.Model()
	if o == m.Nil {
		return "", nil
	}
	if !m.IsString(o) {
		return "", fmt.Errorf("vats: %s is not a string but %s", what, m.Describe(o))
	}
	return m.StringOf(o), nil
}

func (w *World) intOf(o heap.Oop, what string) (uint64, error) {
	if !o.IsInt() || o.Int() < 0 {
		return 0, fmt.Errorf("vats: %s is not a sequence number but %s", what, w.vm.Model().Describe(o))
	}
	return uint64(o.Int()), nil
}

// vectorElems answers the elements of o, which must be a Self vector of n
// elements (n < 0: any number).
func (w *World) vectorElems(o heap.Oop, n int, what string) ([]heap.Oop, error) {
	m := w.vm.Model()
	if !o.IsPtr() || object.Kind(w.h.Kind(o)) != object.KindVector || n >= 0 && m.VectorSize(o) != n {
		return nil, fmt.Errorf("vats: %s is not a vector of %d elements but %s", what, n, m.Describe(o))
	}
	elems := make([]heap.Oop, m.VectorSize(o))
	for i := range elems {
		elems[i] = m.VectorAt(o, i)
	}
	return elems, nil
}

// bytesOf answers a byteVector's bytes (a copy), or nil for nil.
func (w *World) bytesOf(o heap.Oop, what string) ([]byte, error) {
	m := w.vm.Model()
	if o == m.Nil {
		return nil, nil
	}
	if !o.IsPtr() || object.Kind(w.h.Kind(o)) != object.KindByteVector {
		return nil, fmt.Errorf("vats: %s is not a byteVector but %s", what, m.Describe(o))
	}
	return bytes.Clone(w.h.Bytes(o)), nil
}
