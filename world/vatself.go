package world

import (
	"psyche/heap"
)

// Running the core's vats methods from Go: each runs in a transaction, a
// look (aborted) or a crank (committed if it succeeds), so that a method a
// user broke undoes its own work and nothing else. What Go only reads, it
// reads directly (coreread.go).

// sendVats sends sel with args to globals vats, read from globals' slot
// rather than sent for, so that a user's vats method cannot stand in for it.
func (w *World) sendVats(sel string, args ...heap.Oop) (heap.Oop, error) {
	v, err := w.global(&coreVats)
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
