package vm

import (
	"psyche/heap"
	"psyche/vm/object"
)

// Frames and activations: the VM's value stack and its frames, where a
// method's arguments and locals live until a real block or an inner method
// needs them in a heap activation (materialize), and how a frame is pushed
// and popped.

func (vm *VM) push(o heap.Oop) {
	if vm.sp == len(vm.stack) {
		vm.stack = append(vm.stack, make([]heap.Oop, len(vm.stack))...)
	}
	vm.stack[vm.sp] = o
	vm.sp++
}

func (vm *VM) pop() heap.Oop {
	vm.sp--
	return vm.stack[vm.sp]
}

// newActivation makes an activation of meth. home Nil makes it its own home
// (a method); locals start at their compile-time initial values.
func (vm *VM) newActivation(meth, self, lex, home, holder heap.Oop) heap.Oop {
	h := vm.h
	info := h.Field(meth, methInfo).Int()
	nargs, nlocals := int(info&0xffff), int(info>>16&0xffff)
	act := h.Alloc(actVars+nargs+nlocals, 0, object.KindActivation, heap.Nil)
	h.SetField(act, actMethod, meth)
	h.SetField(act, actSelf, self)
	h.SetField(act, actLex, lex)
	if home == heap.Nil {
		home = act
	}
	h.SetField(act, actHome, home)
	h.SetField(act, actHolder, holder)
	if nlocals > 0 {
		inits := h.Field(meth, methInits)
		for i := 0; i < nlocals; i++ {
			h.SetField(act, actVars+nargs+i, h.Field(inits, i))
		}
	}
	return act
}

// pushFrame starts a frame over act, a heap activation of meth (a block's
// or an inner method's).
func (vm *VM) pushFrame(act, meth heap.Oop, mc *methodCache) {
	if len(vm.frames) >= MaxDepth {
		panic(vm.errorf("stack overflow"))
	}
	h := vm.h
	if h.Field(act, actHome) == act {
		h.SetField(act, actLive, heap.FromInt(int64(len(vm.frames))))
	}
	vm.frames = append(vm.frames, frame{act: act, method: meth, self: h.Field(act, actSelf), holder: h.Field(act, actHolder),
		base: vm.sp, bottom: vm.sp, ic: mc})
}

// methodInfo is what running a method reads from it: decoded once per
// epoch into the method's methodCache (inlinecache.go), it lets a send start
// the method's frame, and the frame read its code and literals, without
// reading the method from the heap. Its code slice and oops (litv's
// included) stay valid only while the epoch it was decoded in lasts: the
// heap moves or ends them only across a FlushCaches, and the one such event
// that can happen while frames run, a scavenge, gives every frame its
// method's info anew (safepoint).
type methodInfo struct {
	nargs, nlocals int
	flags          int64
	code           []byte
	lits, inits    heap.Oop
	litv           []heap.Oop // the literals (lits' fields), copied into Go memory
}

func (vm *VM) methodInfoOf(meth heap.Oop) methodInfo {
	h := vm.h
	info := h.Field(meth, methInfo).Int()
	lits := h.Field(meth, methLits)
	litv := make([]heap.Oop, h.NumPtrs(lits))
	for i := range litv {
		litv[i] = h.Field(lits, i)
	}
	return methodInfo{nargs: int(info & 0xffff), nlocals: int(info >> 16 & 0xffff), flags: info >> 32,
		code: h.Bytes(h.Field(meth, methCode)), lits: lits, inits: h.Field(meth, methInits), litv: litv}
}

// pushMethodFrame starts a frame of method meth, whose info and caches are
// mc (neither a block's nor an inner method's), without a heap activation:
// its arguments are the top of the stack and stay there, its locals are
// pushed above them, and when it ends the stack goes back to depth bottom.
func (vm *VM) pushMethodFrame(meth, self, holder heap.Oop, mc *methodCache, bottom int) {
	if len(vm.frames) >= MaxDepth {
		panic(vm.errorf("stack overflow"))
	}
	vars := vm.sp - mc.nargs
	for i := 0; i < mc.nlocals; i++ {
		vm.push(vm.h.Field(mc.inits, i))
	}
	n := len(vm.frames)
	if n == cap(vm.frames) {
		vm.frames = append(vm.frames, frame{})
	}
	// Field by field into the slot: cheaper than storing a whole new frame.
	vm.frames = vm.frames[:n+1]
	f := &vm.frames[n]
	f.act, f.method, f.self, f.holder, f.ensure = heap.Nil, meth, self, holder, heap.Nil
	f.pc, f.vars, f.base, f.bottom = 0, vars, vm.sp, bottom
	f.ic = mc
}

// materialize answers the heap activation of f, the top frame, making it if
// f has none yet: a block made or an inner method run by f closes over it.
// The variables move into it; the frame's stack copies are dead from then on.
func (vm *VM) materialize(f *frame) heap.Oop {
	if f.act != heap.Nil {
		return f.act
	}
	h := vm.h
	n := vm.methodVars(f.method)
	act := h.Alloc(actVars+n, 0, object.KindActivation, heap.Nil)
	h.SetField(act, actMethod, f.method)
	h.SetField(act, actSelf, f.self)
	h.SetField(act, actHome, act)
	h.SetField(act, actLive, heap.FromInt(int64(len(vm.frames)-1)))
	h.SetField(act, actHolder, f.holder)
	for i := 0; i < n; i++ {
		h.SetField(act, actVars+i, vm.stack[f.vars+i])
	}
	f.act = act
	return act
}

// local and setLocal read and write f's variable i at depth 0. They are
// small enough for the compiler to inline into the loop's instructions;
// the heap activation's case is a call (kept out of line, or its field
// access inlined would make them too big to inline).
func (vm *VM) local(f *frame, i int) heap.Oop {
	if f.act == heap.Nil {
		return vm.stack[f.vars+i]
	}
	return vm.actLocal(f, i)
}

func (vm *VM) setLocal(f *frame, i int, v heap.Oop) {
	if f.act == heap.Nil {
		vm.stack[f.vars+i] = v
		return
	}
	vm.setActLocal(f, i, v)
}

//go:noinline
func (vm *VM) actLocal(f *frame, i int) heap.Oop { return vm.h.Field(f.act, actVars+i) }

//go:noinline
func (vm *VM) setActLocal(f *frame, i int, v heap.Oop) { vm.h.SetField(f.act, actVars+i, v) }

// pushVar pushes f's variable i of the activation d levels out.
func (vm *VM) pushVar(f *frame, d byte, i int) {
	if d == 0 {
		vm.push(vm.local(f, i))
		return
	}
	a := f.act // a method's frame has no outer scope, so depth > 0 means a heap activation
	for ; d > 0; d-- {
		a = vm.h.Field(a, actLex)
	}
	vm.push(vm.h.Field(a, actVars+i))
}

func (vm *VM) popFrame() {
	f := &vm.frames[len(vm.frames)-1]
	if f.act != heap.Nil && vm.h.Field(f.act, actHome) == f.act {
		vm.h.SetField(f.act, actLive, heap.Nil)
	}
	vm.sp = f.bottom
	vm.frames = vm.frames[:len(vm.frames)-1]
}
