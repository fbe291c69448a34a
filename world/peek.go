package world

import (
	"psyche/heap"
	"psyche/vm"
)

// Peek evaluates src and hands its result to look, then undoes the
// evaluation, whatever it did: nothing of it is kept and no checkpoint it
// asked for is made. The REPL's inspector and its completion use it to look
// at objects without changing the world. steps, when > 0, bounds the sends
// the evaluation may make (an error beyond). The oops look sees are valid
// only until it returns.
func (w *World) Peek(name string, src []byte, steps int, look func(result heap.Oop) error) error {
	w.pending = w.pending[:0]
	w.h.BeginView()
	w.vm.StepLimit = steps
	defer func() {
		w.vm.StepLimit = 0
		w.h.Abort()
		w.h.EndView()
		w.pending = w.pending[:0]
	}()
	result, err := w.vm.Eval(name, src, vm.Periods)
	if err != nil {
		return err
	}
	return heap.Catch(func() error { return look(result) })
}
