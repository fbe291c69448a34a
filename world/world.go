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
	"strconv"
	"strings"
	"time"

	"psyche/heap"
	"psyche/vat"
	"psyche/vm"
	"psyche/vm/syntax"
)

// World is an open world.
type World struct {
	dir  string
	addr string // the absolute directory: the world's vat address (Address)
	h    *heap.Heap
	vm   *vm.VM
	cps  *checkpoints
	// pending holds the checkpoints Self code asked for (world checkpoint:);
	// they are made when the evaluation commits, and forgotten if it fails.
	pending []string
	// viewing is the checkpoint an evaluation is looking at (EvalAt), if
	// any: nothing it does is kept, so what would change the world is refused.
	viewing string
	// gcSlice is how long the collection slice after each evaluation may
	// take; 0 turns automatic collection off (see SetCollectionSlice).
	gcSlice time.Duration
	// warnings, if set, is told of what the world's own bookkeeping after
	// an evaluation could not do (see SetWarnings).
	warnings io.Writer
}

// makeWorld answers the World of heap h in dir, before its VM exists.
func makeWorld(dir string, h *heap.Heap) *World {
	return &World{dir: dir, h: h, gcSlice: heap.DefaultGCSlice}
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

// attach opens the checkpoints and connects the VM's world primitives.
func (w *World) attach() error {
	cps, err := openCheckpoints(w.dir, w.h)
	if err != nil {
		return err
	}
	w.cps = cps
	if w.addr, err = filepath.Abs(w.dir); err != nil {
		return fmt.Errorf("world %s: its absolute directory (its vat address): %w", w.dir, err)
	}
	w.vm.SetWorldHooks(w)
	return nil
}

// Open opens the world in dir to change it.
func Open(dir string, out io.Writer) (*World, error) { return open(dir, heap.ReadWrite, out) }

// OpenReadOnly opens the world in dir to look at it without writing any of
// its files, as on a read-only file system: evaluations, checkpoints and
// rollbacks are refused. A world whose log must be replayed is refused with
// heap.ErrNeedsRecovery: a read-write open must do that first. (An
// interrupted rollback needs no writing: see checkpoints.resumeRollback.)
func OpenReadOnly(dir string, out io.Writer) (*World, error) { return open(dir, heap.ReadOnly, out) }

// DirtyBudgetEnv names the environment variable that sets, in MiB, how much
// of a transaction's changed pages stay in memory before they are written
// ahead to the heap file (heap.Options.DirtyBudget; default 64). Lower it to
// run under a tight memory limit.
const DirtyBudgetEnv = "PSYCHE_DIRTY_BUDGET"

// heapOptions answers the options a world's heap is opened with.
func heapOptions(access heap.Access) (heap.Options, error) {
	o := heap.Options{Access: access}
	if v := os.Getenv(DirtyBudgetEnv); v != "" {
		mib, err := strconv.ParseUint(v, 10, 32)
		if err != nil || mib == 0 {
			return o, fmt.Errorf("%s=%q: want a number of MiB, at least 1", DirtyBudgetEnv, v)
		}
		o.DirtyBudget = mib << 20
	}
	limit, err := memoryLimitFromEnv()
	if err != nil {
		return o, err
	}
	o.MemoryLimit = limit
	return o, nil
}

func open(dir string, access heap.Access, out io.Writer) (*World, error) {
	if !Exists(dir) {
		return nil, notAWorld(dir)
	}
	opts, err := heapOptions(access)
	if err != nil {
		return nil, err
	}
	h, err := heap.Open(HeapPath(dir), opts)
	if err != nil {
		if errors.Is(err, heap.ErrLocked) {
			return nil, inUse(dir)
		}
		if errors.Is(err, heap.ErrReadOnly) {
			return nil, fmt.Errorf("world %s cannot be changed: %w (it can be looked at: check, info, export, checkpoints, eval --at)", dir, err)
		}
		return nil, damaged(dir, err)
	}
	w := makeWorld(dir, h)
	booted := false
	err = heap.Catch(func() error { // the VM reads the well-known objects, which may be damaged
		w.vm = vm.New(h, out)
		booted = w.vm.Model().Booted()
		return nil
	})
	if err != nil {
		h.Close()
		return nil, damaged(dir, err)
	}
	if !booted {
		h.Close()
		return nil, unbuiltError(dir)
	}
	if err := w.attach(); err != nil {
		h.Close()
		return nil, err
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
func (w *World) Close() error {
	if w.cps != nil {
		w.cps.close()
		w.cps = nil
	}
	return w.h.Close()
}

// Eval evaluates src (statements separated by '.', as typed at the REPL)
// as one top-level evaluation and answers the text that shows its result.
// The evaluation's effects are durable when Eval returns without error;
// after an error none of them remain.
//
// Printing is not part of the evaluation: the evaluation commits first
// (transaction), then the result's printString runs in a transaction of its
// own that is always aborted, so what printing changes is thrown away and a
// failing printString (shown in the built-in form, see vm.PrintResult)
// cannot undo the evaluation. Only a heap error during printing is
// returned, and the evaluation is kept all the same.
//
// Input without code (white space and comments only) is no evaluation: it
// answers "" and changes nothing.
func (w *World) Eval(name string, src []byte) (string, error) {
	if syntax.Blank(src) {
		return "", nil
	}
	result, err := w.transaction(func() (heap.Oop, error) { return w.vm.Eval(name, src, vm.Periods) })
	if err != nil {
		return "", err
	}
	printed, err := w.print(result)
	if err != nil {
		return "", fmt.Errorf("the evaluation was kept, but its result could not be printed: %w", err)
	}
	if err := w.collectSlice(); err != nil {
		return "", fmt.Errorf("the evaluation was kept (%s), but %w", printed, err)
	}
	return printed, nil
}

// Run runs the statements of the program src, laid out as layout says, one
// after another as one top-level evaluation (vm.VM.Eval), and shows nothing
// but what the program prints. Its effects are durable when Run returns nil;
// after an error none of them remain, whichever statement failed.
func (w *World) Run(name string, src []byte, layout vm.Layout) error {
	_, err := w.transaction(func() (heap.Oop, error) { return w.vm.Eval(name, src, layout) })
	w.h.Abort() // what a program that changed nothing left open (see transaction)
	if err != nil {
		return err
	}
	if err := w.collectSlice(); err != nil {
		return fmt.Errorf("the program's changes were kept, but %w", err)
	}
	return nil
}

// SetCollectionSlice sets how long the garbage collection that runs after
// each evaluation may take (heap.DefaultGCSlice unless set); 0 turns it off.
// A cycle starts when enough was promoted since the last one
// (heap.Heap.GCWanted) and runs in such slices until it finishes.
func (w *World) SetCollectionSlice(d time.Duration) { w.gcSlice = d }

// collectSlice runs one slice of garbage collection between evaluations. A
// failure (damage met while marking, say) turns automatic collection off
// for the rest of the session, so that it is reported once; Collect still
// runs on request and reports it again.
func (w *World) collectSlice() error {
	if w.gcSlice == 0 || w.h.Access() == heap.ReadOnly {
		return nil
	}
	finished, err := w.h.CollectSlice(w.gcSlice)
	if err != nil {
		w.gcSlice = 0
		return fmt.Errorf("collecting garbage failed (automatic collection is off until the world is reopened): %w", err)
	}
	if !finished {
		return nil
	}
	err = w.collectImports()
	if errors.Is(err, vat.ErrNotFatal) && w.warnings != nil {
		fmt.Fprintf(w.warnings, "warning: %v; a later collection tries again\n", err)
		return nil
	}
	return err
}

// SetWarnings sets where the world tells of a failure of its own
// bookkeeping after an evaluation that was kept and answered: the core's
// part failed (vat.ErrNotFatal: a user broke a method it runs), its work
// was undone and is tried again later. Unset, such a failure is the
// evaluation's error, so that it is never lost.
func (w *World) SetWarnings(out io.Writer) { w.warnings = out }

// transaction runs one top-level evaluation and answers its result. It
// commits what eval did, keeping the result alive through the commit's
// promotion for printing (heap.CommitKeeping) but not in the world, then
// makes the checkpoints eval asked for; if eval fails it aborts it all and
// answers why (the heap's own error first: it means the world must be
// reopened). An evaluation that changed nothing writes nothing: its
// transaction is left open for the caller to print in and then abort.
func (w *World) transaction(eval func() (heap.Oop, error)) (heap.Oop, error) {
	w.pending = w.pending[:0]
	result, err := eval()
	if err != nil {
		w.h.Abort()
		w.pending = w.pending[:0]
		if ferr := w.h.Err(); ferr != nil {
			return heap.Nil, ferr
		}
		return heap.Nil, damaged(w.dir, err)
	}
	if w.h.Err() == nil && len(w.pending) == 0 && !w.h.Changed() {
		return result, nil
	}
	if err := w.h.CommitKeeping(&result); err != nil {
		return heap.Nil, err
	}
	for _, n := range w.pending {
		if err := w.cps.create(n); err != nil {
			return heap.Nil, fmt.Errorf("the evaluation was kept, but checkpoint %q was not made: %w", n, err)
		}
	}
	w.pending = w.pending[:0]
	return result, nil
}

// print answers the text that shows result, in a transaction that is
// aborted after: nothing printing does is kept, a checkpoint it asks for
// included.
func (w *World) print(result heap.Oop) (string, error) {
	defer func() {
		w.h.Abort()
		w.pending = w.pending[:0]
	}()
	return w.vm.PrintResult(result)
}

// EvalAt evaluates src against checkpoint name, read-only: the world is
// shown as it was then, and nothing the evaluation does is kept. The result
// is printed (vm.PrintResult) in the same read-only view, before it is
// discarded.
func (w *World) EvalAt(checkpoint, name string, src []byte) (string, error) {
	w.h.BeginView() // before installing: a view writes nothing, not even to grow the file
	if err := w.cps.lookAt(checkpoint); err != nil {
		w.h.Abort()
		w.h.EndView()
		return "", err
	}
	w.viewing = checkpoint
	defer func() {
		w.h.Abort()
		w.h.EndView()
		w.viewing = ""
	}()
	result, err := w.vm.Eval(name, src, vm.Periods)
	if err != nil {
		return "", err
	}
	return w.vm.PrintResult(result)
}

// Checkpoint names the world's committed state.
func (w *World) Checkpoint(name string) error {
	if err := w.writable(); err != nil {
		return err
	}
	return w.cps.create(name)
}

// writable answers why the world cannot be changed, or nil.
func (w *World) writable() error {
	if w.h.Access() == heap.ReadOnly {
		return fmt.Errorf("world %s was opened read-only: %w", w.dir, heap.ErrReadOnly)
	}
	return nil
}

// Checkpoints answers the checkpoints' names, oldest first.
func (w *World) Checkpoints() []string { return w.cps.names() }

// Rollback makes checkpoint name's state the world's again. No checkpoint
// is deleted: the state before it is kept as a new checkpoint, whose name it
// answers, so rolling back to that one undoes the rollback.
func (w *World) Rollback(name string, progress func(done, total int)) (kept string, err error) {
	if err := w.writable(); err != nil {
		return "", err
	}
	return w.cps.rollback(name, progress)
}

// DeleteCheckpoint deletes checkpoint name; the world does not change.
func (w *World) DeleteCheckpoint(name string) error {
	if err := w.writable(); err != nil {
		return err
	}
	return w.cps.remove(name)
}

// The world primitives' side (prims.WorldHooks).

// RequestCheckpoint asks for a checkpoint when the running evaluation commits.
func (w *World) RequestCheckpoint(name string) error {
	if w.viewing != "" {
		return fmt.Errorf("eval --at is read-only: checkpoint: cannot be used here (looking at checkpoint %q, nothing is kept)", w.viewing)
	}
	if err := w.writable(); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	for _, n := range append(w.cps.names(), w.pending...) {
		if n == name {
			return fmt.Errorf("a checkpoint named %q already exists", name)
		}
	}
	w.pending = append(w.pending, name)
	return nil
}

// CheckpointNames answers the checkpoints, those this evaluation asked for included.
func (w *World) CheckpointNames() []string { return append(w.cps.names(), w.pending...) }

// Summary answers a one-line description of the world.
func (w *World) Summary() string {
	hs := w.h.Info()
	return fmt.Sprintf("world %s: %d bytes in use, %s, %s", w.dir, hs.InUseBytes,
		counted(int(hs.Seq), "transaction"), counted(len(w.cps.names()), "checkpoint"))
}

// counted answers n and the noun, in the plural unless n is 1.
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Info answers the world's sizes and counts as name/value pairs.
func (w *World) Info() [][2]string {
	hs := w.h.Info()
	return [][2]string{
		{"world", w.dir},
		{"format version", fmt.Sprint(hs.FormatVersion)},
		{"heap file", fmt.Sprintf("%d bytes (%d pages)", hs.FileBytes, hs.Pages)},
		{"heap in use", fmt.Sprintf("%d bytes (objects, live or not yet collected)", hs.InUseBytes)},
		{"heap free", fmt.Sprintf("%d bytes (largest free run %d bytes)", hs.FreeBytes, hs.LargestFree)},
		{"live at last gc", fmt.Sprintf("%d bytes", hs.LiveBytes)},
		{"since last gc", fmt.Sprintf("%d bytes promoted", hs.Allocated)},
		{"transactions", fmt.Sprint(hs.Seq)},
		{"checkpoints", strings.Join(w.cps.names(), ", ")},
	}
}

// Check verifies the world: the heap (every page's checksum, every object
// and reference, the free lists), the checkpoint index (every entry and
// saved state) and every checkpoint's saved pages. It answers the problems
// found, each naming where, and changes no file.
func (w *World) Check(progress func(done, total uint64)) []string {
	var problems []string
	r := w.h.Check(progress)
	for _, p := range r.Problems {
		problems = append(problems, "heap: "+p.String())
	}
	if r.Truncated {
		problems = append(problems, "heap: more problems than listed")
	}
	return append(problems, w.cps.check()...)
}

// CheckpointInfo is what the world knows of one checkpoint.
type CheckpointInfo struct {
	Name    string
	Created time.Time
}

// CheckpointList answers the checkpoints, oldest first, with when each was made.
func (w *World) CheckpointList() []CheckpointInfo {
	var list []CheckpointInfo
	for _, cp := range w.cps.idx.cps {
		list = append(list, CheckpointInfo{Name: cp.Name, Created: cp.Created})
	}
	return list
}
