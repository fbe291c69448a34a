// Package prims is the primitive table: the operations Self code reaches
// with selectors that begin with '_' (_IntAdd:, _Clone, _AddSlots:, ...).
// A primitive works on heap objects through the object model; it never runs
// Self code. The few operations that must (perform, restart) are the
// interpreter's own. docs/vm.md lists every primitive and its failures.
package prims

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// Env is what a primitive may use.
type Env struct {
	M   *object.Model
	Out io.Writer
	// SlotsChanged is called after a primitive changes an object's slots, so
	// that the interpreter can drop lookup caches.
	SlotsChanged func()
	// World is the world the VM runs in, for the world primitives; nil when
	// the VM runs on a bare heap.
	World WorldHooks
	// Interrupted reports whether the running evaluation was asked to stop
	// (Ctrl-C). Primitives whose work grows with their data ask it every
	// interruptStride steps and then stop with ErrInterrupted; nil: never.
	Interrupted func() bool
	// MethodSource answers the source a method was compiled from, for
	// _MirrorSource (the VM owns the method layout).
	MethodSource func(meth heap.Oop) (string, bool)
	// Printing is the objects being printed (see Printing); the VM owns it.
	Printing *Printing
	// Tables is what the hash-table primitives need of the interpreter
	// (hashtables.go); nil: they always fail, and the Self code runs.
	Tables Tables

	// digits holds a small integer's printString while it is copied into
	// the heap: a buffer on the stack would escape (the heap may write a
	// large object's bytes through the file) and cost an allocation.
	digits [20]byte
}

// WorldHooks is what the world primitives need of the world.
type WorldHooks interface {
	RequestCheckpoint(name string) error // made when the evaluation commits
	CheckpointNames() []string           // oldest first
	Summary() string
	Address() string // the world's vat address (docs/vats.md): its absolute directory
}

// Fn is a primitive's implementation. args excludes the receiver and the
// IfFail: block.
type Fn func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error)

// Prim is one entry of the table.
type Prim struct {
	Name  string // the selector without IfFail:, e.g. "_IntAdd:"
	Arity int
	Fn    Fn
}

// Failure is a primitive's ordinary failure: IfFail: blocks receive Name.
// Detail, when there is one, says more (which limit, which disk) and is
// shown with the name when no IfFail: block handles the failure.
type Failure struct {
	Name   string
	Detail string
}

func (f *Failure) Error() string {
	if f.Detail != "" {
		return f.Name + ": " + f.Detail
	}
	return f.Name
}

// Abort stops the whole evaluation with a message (_Error:).
type Abort struct{ Msg string }

func (a *Abort) Error() string { return a.Msg }

// ErrInterrupted stops the evaluation when it is interrupted, whether in a
// primitive or between sends (the interpreter reports it too).
var ErrInterrupted = &Abort{"interrupted"}

// interruptStride is how many steps (bytes, elements) a primitive's loop
// takes between two looks at Env.Interrupted: a few milliseconds of work.
const interruptStride = 1 << 20

// checkInterrupt answers ErrInterrupted if the evaluation was interrupted.
func (e *Env) checkInterrupt() error {
	if e.Interrupted != nil && e.Interrupted() {
		return ErrInterrupted
	}
	return nil
}

// checkAlloc answers outOfMemoryError unless the heap can make an object
// of nptrs fields and nbytes bytes (see heap.CheckAlloc: a large object is
// bounded by the disk and the heap's object limit, not by memory); it is
// asked before anything is allocated, so a refused request costs nothing.
func (e *Env) checkAlloc(nptrs, nbytes int64) error {
	if nptrs > heap.MaxObjectFields {
		return errOutOfMem
	}
	if err := e.M.H.CheckAlloc(int(nptrs), int(nbytes)); err != nil {
		return outOfMemory(err)
	}
	return nil
}

// outOfMemory answers the failure for a refused allocation: outOfMemoryError
// with the reason the heap gave; past the evaluation's memory limit, the
// evaluation stops instead (an IfFail: block that tried something smaller,
// as printString's does, would let a runaway program go on).
func outOfMemory(err error) error {
	reason, _ := heap.OutOfMemoryReason(err)
	if errors.Is(err, heap.ErrMemoryLimit) {
		return &Abort{Msg: errOutOfMem.Name + ": " + reason}
	}
	return &Failure{Name: errOutOfMem.Name, Detail: reason}
}

// checkBytes answers outOfMemoryError unless a string or byteVector of n
// bytes can be made.
func (e *Env) checkBytes(n int64) error { return e.checkAlloc(object.ByteObjectFields, n) }

// The failure names of docs/vm.md.
var (
	errBadType   = &Failure{Name: "badTypeError"}
	errBadIndex  = &Failure{Name: "badIndexError"}
	errDivZero   = &Failure{Name: "divisionByZeroError"}
	errImmutable = &Failure{Name: "immutableError"}
	errBadSize   = &Failure{Name: "badSizeError"}
	errNotFound  = &Failure{Name: "notFoundError"}
	errPresent   = &Failure{Name: "alreadyPresentError"}
	errOverflow  = &Failure{Name: "overflowError"}
	errOutOfMem  = &Failure{Name: "outOfMemoryError"}
)

var table = map[string]*Prim{}

func register(name string, fn Fn) {
	if _, dup := table[name]; dup {
		panic("prims: duplicate " + name)
	}
	table[name] = &Prim{Name: name, Arity: strings.Count(name, ":"), Fn: fn}
}

// Lookup finds the primitive for a selector. A selector ending in IfFail:
// names the primitive without that part; ifFail reports whether it did.
func Lookup(sel string) (p *Prim, ifFail bool, ok bool) {
	if p, ok := table[sel]; ok {
		return p, false, true
	}
	if base, found := strings.CutSuffix(sel, "IfFail:"); found {
		if p, ok := table[base]; ok {
			return p, true, true
		}
	}
	return nil, false, false
}

// StripIfFail answers a primitive selector without a trailing IfFail: part.
func StripIfFail(sel string) string {
	if base, ok := strings.CutSuffix(sel, "IfFail:"); ok && base != "" && base != "_" {
		return base
	}
	return sel
}

func (e *Env) str(s string) heap.Oop {
	return e.M.NewString([]byte(s))
}

func (e *Env) isKind(o heap.Oop, k object.Kind) bool { return o.IsPtr() && e.M.H.Kind(o) == k }

// index checks that o is a small integer in [0, n).
func index(o heap.Oop, n int) (int, error) {
	if !o.IsInt() {
		return 0, errBadType
	}
	i := o.Int()
	if i < 0 || i >= int64(n) {
		return 0, errBadIndex
	}
	return int(i), nil
}

func abortf(format string, args ...any) error { return &Abort{fmt.Sprintf(format, args...)} }
