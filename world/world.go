// Package world is a Psyche world on disk: a directory holding the heap
// (and its log and checksum table), opened by one process at a time. It runs
// every top-level evaluation as one transaction: durable before its result
// is reported, gone without a trace if it fails.
package world

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"psyche/heap"
	"psyche/vm"
)

// World is an open world.
type World struct {
	dir string
	h   *heap.Heap
	vm  *vm.VM
}

// Builder fills a new world's empty heap with the core world.
type Builder func(v *vm.VM) error

// HeapPath answers the heap file of the world in dir.
func HeapPath(dir string) string { return filepath.Join(dir, "heap") }

// Exists reports whether dir holds a world.
func Exists(dir string) bool {
	_, err := os.Stat(HeapPath(dir))
	return err == nil
}

// Create makes a new world in dir (which must not hold one) and builds its
// contents with build.
func Create(dir string, build Builder, out io.Writer) (*World, error) {
	if Exists(dir) {
		return nil, fmt.Errorf("%s already holds a world", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	h, err := heap.Create(HeapPath(dir), heap.Options{})
	if err != nil {
		return nil, err
	}
	w := &World{dir: dir, h: h, vm: vm.New(h, out)}
	if err := build(w.vm); err != nil {
		h.Close()
		for _, p := range []string{HeapPath(dir), HeapPath(dir) + ".log", HeapPath(dir) + ".sums"} {
			os.Remove(p)
		}
		return nil, fmt.Errorf("building the world: %w", err)
	}
	if err := h.Commit(); err != nil {
		h.Close()
		return nil, err
	}
	return w, nil
}

// Open opens the world in dir.
func Open(dir string, out io.Writer) (*World, error) {
	if !Exists(dir) {
		return nil, fmt.Errorf("%s: no world here (create one with: psyche new %s)", dir, dir)
	}
	h, err := heap.Open(HeapPath(dir), heap.Options{})
	if err != nil {
		if errors.Is(err, heap.ErrLocked) {
			return nil, fmt.Errorf("world %s is open in another process", dir)
		}
		return nil, err
	}
	w := &World{dir: dir, h: h, vm: vm.New(h, out)}
	if !w.vm.Model().Booted() {
		h.Close()
		return nil, fmt.Errorf("%s: the world's heap is empty (it was never built)", dir)
	}
	return w, nil
}

// Dir answers the world's directory.
func (w *World) Dir() string { return w.dir }

// VM answers the world's interpreter.
func (w *World) VM() *vm.VM { return w.vm }

// Heap answers the world's heap.
func (w *World) Heap() *heap.Heap { return w.h }

// Close closes the world; an evaluation in progress is rolled back.
func (w *World) Close() error { return w.h.Close() }

// Eval evaluates src as one top-level evaluation (isFile: statements as in a
// source file) and answers the printString of its result. The evaluation's
// effects are durable when Eval returns without error; after an error none
// of them remain.
func (w *World) Eval(name string, src []byte, isFile bool) (string, error) {
	result, err := w.vm.Eval(name, src, isFile)
	var printed string
	if err == nil {
		printed, err = w.vm.PrintString(result)
	}
	if err != nil {
		w.h.Abort()
		w.vm.FlushCaches()
		if ferr := w.h.Err(); ferr != nil {
			return "", ferr
		}
		return "", err
	}
	if err := w.h.Commit(); err != nil {
		w.vm.FlushCaches()
		return "", err
	}
	w.vm.FlushCaches()
	return printed, nil
}

// Collect collects the world's garbage. It runs between evaluations.
func (w *World) Collect() (heap.GCStats, error) {
	st, err := w.h.Collect()
	w.vm.FlushCaches() // freed maps' addresses may be reused
	return st, err
}

// Info answers the world's sizes and counts as name/value pairs.
func (w *World) Info() [][2]string {
	hs := w.h.Info()
	return [][2]string{
		{"world", w.dir},
		{"format version", fmt.Sprint(hs.FormatVersion)},
		{"heap file", fmt.Sprintf("%d bytes (%d pages)", hs.FileBytes, hs.Pages)},
		{"heap in use", fmt.Sprintf("%d bytes", hs.Frontier)},
		{"transactions", fmt.Sprint(hs.Seq)},
	}
}
