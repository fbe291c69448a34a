// Package vm is Psyche's interpreter: it compiles Self syntax trees into
// heap-resident methods and runs them. Message lookup goes through the
// receiver's map and its parents, with a cache keyed by map and selector.
// Sends do not recurse in Go: frames live in a slice, so a deep Self recursion
// ends in a "stack overflow" error, never a Go stack overflow.
//
// Reading order: bytecode.go (instructions and layouts), compile.go (syntax
// to methods; inline.go, the control structures it compiles to jumps),
// lookup.go (finding slots), frames.go (the stack, frames and activations),
// interp.go (the loop), send.go (a send after lookup), inlinecache.go and
// epoch.go (caches at send sites and what ends them), guards.go, arith.go,
// index.go, concat.go and hashtables.go (what the loop does without a send,
// and when it may), fuse.go (superinstructions), vm.go (this file: the VM,
// evaluation and errors), boot.go (the skeleton of a new world).
package vm

import (
	"io"
	"os"
	"sync/atomic"

	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
	"psyche/vm/syntax"
)

// MaxDepth is how many activations may be on the stack at once.
const MaxDepth = 100000

// VM runs Self code in one heap. It is not safe for concurrent use.
type VM struct {
	h   *heap.Heap
	m   *object.Model
	env prims.Env

	stack  []heap.Oop
	sp     int
	frames []frame

	cache      [cacheSize]cacheEntry
	epoch      epoch                     // of the inline caches and everything cached from the heap
	ics        map[heap.Oop]*methodCache // inline caches by method (inlinecache.go)
	icStats    CacheStats
	primCache  map[heap.Oop]primEntry
	ensureMeth heap.Oop // the method runEnsure uses, made on first use
	lastOld    oldReceiver
	printing   prims.Printing
	printee    heap.Oop // the result PrintResult is printing (a scavenge may move it)

	guards       [numGuards]guardState
	arithGuards  [numArith][2]guardState // integer, float
	indexGuards  [numIndex][numIndexKinds]indexGuard
	indexLast    [numIndex]indexLast
	tables       tableGuards // of the hash-table primitives (hashtables.go)
	concatGuards concatGuards

	noScavenge  int // > 0 while Go code holds young oops the scanner cannot see
	interrupted atomic.Bool
	// StepLimit, when > 0, bounds the number of sends of one evaluation (for fuzzing).
	StepLimit int
	steps     int
}

// frame is one running activation. A method's frame starts without a heap
// activation (act is Nil): its arguments and locals are the stack slots
// from vars to base, and self and holder are here. The first block or inner
// method it makes needs an activation to close over, so materialize makes
// one then and copies the variables into it; from then on the heap
// activation holds them, and the stack copies are dead. Blocks' and inner
// methods' frames always have their activation (they reach outer variables
// through its lexical link). Invariant: act is Nil or its variables are the
// frame's; self and holder are the frame's, whichever.
type frame struct {
	act    heap.Oop
	method heap.Oop
	self   heap.Oop
	holder heap.Oop // the object the method was found in, for resends
	pc     int
	vars   int      // stack index of the first argument while act is Nil
	base   int      // stack index where this frame's operands start (after its variables)
	bottom int      // the stack depth to go back to when the frame ends
	ensure heap.Oop // a block to run when this frame returns or is unwound (onReturn:), or Nil

	// ic is the method's decoded info (its code and literals) and inline
	// caches, never nil; a scavenge replaces it (safepoint).
	ic *methodCache
}

// New makes a VM on an open heap. out receives what Self code prints.
func New(h *heap.Heap, out io.Writer) *VM {
	if out == nil {
		out = os.Stdout
	}
	vm := &VM{h: h, m: object.NewModel(h), stack: make([]heap.Oop, 1024), epoch: epoch{n: 1}}
	vm.env = prims.Env{M: vm.m, Out: out, SlotsChanged: vm.FlushCaches, Interrupted: vm.interrupted.Load,
		MethodSource: vm.MethodSource, Printing: &vm.printing}
	vm.env.Tables = (*hashTables)(vm)
	h.SetRootScanner(vm.scanRoots)
	h.SetCacheInvalidator(vm.FlushCaches)
	return vm
}

// Model answers the VM's object model.
func (vm *VM) Model() *object.Model { return vm.m }

// Heap answers the VM's heap.
func (vm *VM) Heap() *heap.Heap { return vm.h }

// SetOutput changes where Self code prints.
func (vm *VM) SetOutput(w io.Writer) { vm.env.Out = w }

// Steps answers how many sends (primitive sends and restarts included) the
// last evaluation started with Eval has made so far.
func (vm *VM) Steps() int { return vm.steps }

// Interrupt asks the running evaluation to stop with an "interrupted" error.
// It is safe to call from another goroutine (a signal handler).
func (vm *VM) Interrupt() { vm.interrupted.Store(true) }

// FlushCaches drops everything cached from the heap's contents and starts a
// new epoch, which invalidates every inline cache. The heap calls it after a
// commit, an abort, an install and a scavenge; the VM itself after a slot
// change.
func (vm *VM) FlushCaches() {
	vm.epoch.Bump()
	vm.ics = nil
	vm.cache = [cacheSize]cacheEntry{}
	vm.primCache = nil
	vm.ensureMeth = heap.Nil
	vm.m.Refresh()
}

// ScanRoots visits every oop the VM holds, as Scavenge must see them; code
// that installs a root scanner of its own for a while calls it from there
// and puts it back after.
func (vm *VM) ScanRoots(visit func(*heap.Oop)) { vm.scanRoots(visit) }

func (vm *VM) scanRoots(visit func(*heap.Oop)) {
	for i := 0; i < vm.sp; i++ {
		visit(&vm.stack[i])
	}
	for i := range vm.frames {
		visit(&vm.frames[i].act)
		visit(&vm.frames[i].method)
		visit(&vm.frames[i].self)
		visit(&vm.frames[i].holder)
		visit(&vm.frames[i].ensure)
	}
	visit(&vm.ensureMeth)
	vm.printing.Scan(visit)
	visit(&vm.printee)
}

// Layout is how the top-level statements of a source are separated.
type Layout uint8

const (
	// Periods: statements end at '.' (REPL inputs, psyche eval and run);
	// syntax.ParseCode reads them.
	Periods Layout = iota
	// Lines: a line break outside brackets ends a statement too, as in
	// Self's world files (the core world's sources); syntax.ParseFile.
	Lines
)

func (l Layout) parse(filename string, src []byte) (*syntax.Code, error) {
	if l == Lines {
		return syntax.ParseFile(filename, src)
	}
	return syntax.ParseCode(filename, src)
}

// StartTopLevel readies the VM for a new top-level activity (an evaluation,
// or a vat's delivery or reply): an interrupt that stopped the last one,
// its step count and what it was printing are forgotten.
func (vm *VM) StartTopLevel() {
	vm.interrupted.Store(false)
	vm.steps = 0
	vm.printing.Reset()
}

// Eval runs the top-level statements of src one after another, with the
// lobby as self, and answers the value of the last (the lobby if there is
// none). Each statement is compiled just before it runs, so its object
// literals are built then and may use what earlier statements made; the
// whole source is parsed first, so a syntax error runs nothing. Eval does
// not commit or abort: the caller owns the transaction, and after an error
// must abort it to undo the statements that did run.
func (vm *VM) Eval(filename string, src []byte, layout Layout) (heap.Oop, error) {
	vm.StartTopLevel()
	code, err := layout.parse(filename, src)
	if err != nil {
		return heap.Nil, err
	}
	for i, st := range code.Stmts {
		if _, ok := st.(*syntax.Return); ok && i < len(code.Stmts)-1 {
			return heap.Nil, &CompileError{File: filename, Pos: code.Stmts[i+1].Pos(), Msg: "statement after a return"}
		}
	}
	result := vm.m.Lobby
	for _, st := range code.Stmts {
		meth, err := vm.compileStatement(filename, src, st)
		if err != nil {
			return heap.Nil, err
		}
		if result, err = vm.run(meth, vm.m.Lobby); err != nil {
			return heap.Nil, err
		}
	}
	return result, nil
}

// compileStatement compiles one top-level statement of src into a method.
func (vm *VM) compileStatement(filename string, src []byte, st syntax.Expr) (meth heap.Oop, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = vm.panicToError(r)
		}
	}()
	vm.noScavenge++
	defer func() { vm.noScavenge-- }()
	c := &compiler{vm: vm, file: filename, src: src}
	return c.statement(st), nil
}

// Send sends a unary or keyword message to o from Go.
func (vm *VM) Send(o heap.Oop, sel string, args ...heap.Oop) (heap.Oop, error) {
	m := vm.m
	b := &methodBuilder{sc: &scope{}}
	b.op(opPushLit)
	b.u16(b.lit(o))
	for _, a := range args {
		b.op(opPushLit)
		b.u16(b.lit(a))
	}
	b.op(opSend)
	b.u16(b.lit(m.Intern(sel)))
	b.u8(len(args))
	b.op(opReturn)
	c := &compiler{vm: vm}
	vm.noScavenge++
	meth := c.finish(b, heap.Nil, 0, nil, 0, nil)
	vm.noScavenge--
	return vm.run(meth, m.Lobby)
}

// run runs method meth with self, on top of whatever is running, and answers
// its result. Errors abort everything: the caller aborts the transaction.
func (vm *VM) run(meth, self heap.Oop) (result heap.Oop, err error) {
	base := len(vm.frames)
	sp := vm.sp
	defer func() {
		if r := recover(); r != nil {
			err = vm.panicToError(r)
		}
		if err != nil {
			vm.frames = vm.frames[:base]
			vm.sp = sp
		}
	}()
	vm.pushMethodFrame(meth, self, vm.m.Lobby, vm.methodCacheOf(meth), vm.sp) // top-level code: no arguments
	return vm.interpret(base), nil
}

// panicToError is the one place that turns what a compilation or an
// evaluation raised (a Self error, a compile error, a heap error) into an
// error; anything else is a bug in Go code and keeps panicking.
func (vm *VM) panicToError(r any) error {
	switch e := r.(type) {
	case *Error:
		return e
	case *CompileError:
		return e
	}
	if he, ok := heap.AsHeapPanic(r); ok {
		msg := he.Error()
		if reason, ok := heap.OutOfMemoryReason(he); ok {
			msg = "outOfMemoryError: " + reason // as a primitive's failure is named
		}
		e := vm.errorf("%s", msg)
		e.Cause = he
		return e
	}
	panic(r)
}

// SetWorldHooks connects the world primitives to the world the VM runs in.
func (vm *VM) SetWorldHooks(w prims.WorldHooks) { vm.env.World = w }

// MethodSource answers the source text a method was compiled from (from its
// opening parenthesis or bracket to the closing one), if it kept one.
// Top-level code keeps none.
func (vm *VM) MethodSource(meth heap.Oop) (string, bool) {
	if !meth.IsPtr() || vm.h.Kind(meth) != object.KindMethod {
		return "", false
	}
	src := vm.h.Field(meth, methSource)
	if !vm.m.IsString(src) {
		return "", false
	}
	return vm.m.StringOf(src), true
}
