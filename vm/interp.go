package vm

import (
	"encoding/binary"

	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
)

// The interpreter loop. Frames are a slice and sends push onto it, so Self
// recursion never recurses in Go. A method's arguments and locals live on
// the VM's stack, its self and holder in its frame; only when it makes a
// real block or runs an inner method (which close over its variables) does
// it get a heap activation, which holds them from then on (materialize): a
// block that outlives its method keeps that activation alive. Blocks' and
// inner methods' own activations are always heap objects.
//
// Safe points: before every send the loop may scavenge the young space. Then
// every oop the VM holds is on the value stack or in a frame, both of which
// the root scanner visits, and the loop reloads its cached code and literals.

func u16(code []byte, pc int) int { return int(binary.LittleEndian.Uint16(code[pc:])) }
func u32(code []byte, pc int) int { return int(binary.LittleEndian.Uint32(code[pc:])) }

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

// interpret runs until the frame at index base returns, and answers its result.
// Errors are panics (*Error, heap errors), recovered once by run.
func (vm *VM) interpret(base int) heap.Oop {
	// The loop keeps as few values in locals as it can (the frame, its
	// code and pc): every local the loop carries is one more register Go
	// spills and reloads around each dispatch. Literals and the heap are
	// read through f and vm.
	var (
		f    *frame
		code []byte
		pc   int
	)
	load := func() {
		f = &vm.frames[len(vm.frames)-1]
		code, pc = f.ic.run, f.pc
	}
	load()
	for {
		op := code[pc]
		pc++
		switch op {
		case opPushSelf:
			vm.push(f.self)
		case opPushLit:
			vm.push(f.ic.litv[u16(code, pc)])
			pc += 2
		case opPushInt:
			vm.push(heap.FromInt(int64(int32(u32(code, pc)))))
			pc += 4
		case opPushLocal, opStoreLocal:
			d, i := code[pc], u16(code, pc+1)
			pc += 3
			if d == 0 && f.act == heap.Nil {
				if op == opPushLocal {
					vm.push(vm.stack[f.vars+i])
				} else {
					vm.stack[f.vars+i] = vm.pop()
				}
				continue
			}
			a := f.act // a method's frame has no outer scope, so depth > 0 means a heap activation
			for ; d > 0; d-- {
				a = vm.h.Field(a, actLex)
			}
			if op == opPushLocal {
				vm.push(vm.h.Field(a, actVars+i))
			} else {
				vm.h.SetField(a, actVars+i, vm.pop())
			}
		case opPop:
			vm.sp--
		case opIndex:
			if vm.index(indexOp(code[pc+3])) {
				pc += 4
				continue
			}
			if !vm.quickStep() && vm.safepoint() {
				f.pc = pc - 1
				load()
				continue
			}
			selLit, argc := u16(code, pc), int(code[pc+2])
			pc += 4
			f.pc = pc
			vm.sendFrom(f, selLit, argc)
			load()
		case opConcat:
			if vm.concat(f.ic.litv[u16(code, pc)]) {
				pc = u32(code, pc+2)
			} else {
				pc += 6
			}
		case opArith, opLocalLitArith, opLocalIntArith:
			// The commonest cases without a call: + - * or a comparison of
			// two small integers under the integer guard, and + - * / or a
			// comparison of an immediate float and an immediate float or
			// small integer under the float guard, when the result is an
			// immediate; arith does the rest, and every case when the guard
			// is stale. The fused forms (fuse.go) take a local and a literal
			// or an integer operand instead of the two on the stack.
			var a, b heap.Oop // Nil is neither an integer nor a float
			aop, next := arithOp(code[pc+3]), pc+4
			switch op {
			case opArith:
				a, b = vm.stack[vm.sp-2], vm.stack[vm.sp-1]
			case opLocalLitArith:
				aop, next = arithOp(code[pc+10]), pc+11
				if code[pc] == 0 && f.act == heap.Nil {
					a, b = vm.stack[f.vars+u16(code, pc+1)], f.ic.litv[u16(code, pc+4)]
				}
			default:
				aop, next = arithOp(code[pc+12]), pc+13
				if code[pc] == 0 && f.act == heap.Nil {
					a, b = vm.stack[f.vars+u16(code, pc+1)], heap.FromInt(int64(int32(u32(code, pc+4))))
				}
			}
			var r heap.Oop
			if a.IsInt() && b.IsInt() {
				g := &vm.arithGuards[aop][rcvInt-rcvInt]
				if !g.ok || g.stamp != vm.epoch.Current() {
					goto general
				}
				x, y := a.Int(), b.Int()
				switch aop {
				case arithAdd:
					r = heap.FromInt(x + y) // two small integers cannot overflow an int64
					if !heap.FitsSmallInt(x + y) {
						goto general
					}
				case arithSub:
					r = heap.FromInt(x - y)
					if !heap.FitsSmallInt(x - y) {
						goto general
					}
				case arithMul:
					if x < -halfWord || x > halfWord || y < -halfWord || y > halfWord || !heap.FitsSmallInt(x*y) {
						goto general
					}
					r = heap.FromInt(x * y)
				default:
					r = vm.m.Bool(compare(aop, x < y, x == y))
				}
			} else if a.IsImmFloat() && (b.IsImmFloat() || b.IsInt()) {
				g := &vm.arithGuards[aop][rcvFloat-rcvInt]
				if !g.ok || g.stamp != vm.epoch.Current() {
					goto general
				}
				x, y := a.ImmFloat(), float64(b.Int()) // an integer rounds to nearest even, as _FloatAdd:'s conversion does
				if !b.IsInt() {
					y = b.ImmFloat()
				}
				var v float64
				switch aop {
				case arithAdd:
					v = x + y
				case arithSub:
					v = x - y
				case arithMul:
					v = x * y
				case arithDiv:
					v = x / y
				default: // an immediate float is never a nan
					r = vm.m.Bool(compare(aop, x < y, x == y))
					goto done
				}
				var ok bool
				if r, ok = heap.FromFloat(v); !ok {
					goto general // arith boxes it
				}
			} else {
				goto general
			}
		done:
			if op == opArith {
				vm.sp--
				vm.stack[vm.sp-1] = r
			} else {
				vm.push(r)
			}
			pc = next
			continue
		general:
			if op != opArith { // the push of the local alone
				vm.pushVar(f, code[pc], u16(code, pc+1))
				pc += 3
				continue
			}
			if vm.arith(aop) {
				pc += 4
				continue
			}
			fallthrough
		case opSend, opResend, opPrim:
			if !vm.quickStep() && vm.safepoint() {
				f.pc = pc - 1
				load()
				continue
			}
			selLit := u16(code, pc)
			argc := int(code[pc+2])
			switch op {
			case opSend, opArith:
				pc += 3
				if op == opArith {
					pc++
				}
				f.pc = pc
				vm.sendFrom(f, selLit, argc)
				load()
				continue
			}
			sel := f.ic.litv[selLit]
			switch op {
			case opResend:
				parent := heap.Nil
				if p := u16(code, pc+3); p != undirected {
					parent = f.ic.litv[p]
				}
				pc += 5
				f.pc = pc
				vm.resend(f.holder, sel, argc, parent)
			case opPrim:
				ifFail := code[pc+3] != 0
				pc += 4
				f.pc = pc
				vm.primitive(vm.primAt(f.ic, selLit), argc, ifFail)
			}
			load()
		case opSelfSend, opLocalSend:
			if !vm.quickStep() && vm.safepoint() {
				f.pc = pc - 1
				load()
				continue
			}
			if op == opSelfSend {
				vm.push(f.self)
				pc++
			} else {
				vm.pushVar(f, code[pc], u16(code, pc+1))
				pc += 4
			}
			selLit, argc := u16(code, pc), int(code[pc+2])
			pc += 3
			f.pc = pc
			vm.sendFrom(f, selLit, argc)
			load()
		case opPushBlock:
			b := vm.h.Alloc(3, 0, object.KindBlock, heap.Nil)
			vm.h.SetField(b, object.FieldMap, f.ic.litv[u16(code, pc)])
			vm.h.SetField(b, blockAct, vm.materialize(f))
			pc += 2
			vm.push(b)
		case opInner:
			meth := f.ic.litv[u16(code, pc)]
			pc += 2
			f.pc = pc
			act := vm.newActivation(meth, f.self, vm.materialize(f), heap.Nil, f.holder)
			vm.pushFrame(act, meth, vm.methodCacheOf(meth))
			load()
		case opReturn:
			var result heap.Oop
			if f.act == heap.Nil && f.ensure == heap.Nil {
				// No activation to mark returned, no onReturn: block to run.
				result = vm.stack[vm.sp-1]
				vm.sp = f.bottom
				vm.frames = vm.frames[:len(vm.frames)-1]
			} else {
				result = vm.returnFrom(vm.pop())
			}
			if len(vm.frames) == base {
				return result
			}
			load()
			vm.push(result)
		case opNonLocalReturn:
			result := vm.pop()
			home := vm.h.Field(vm.materialize(f), actHome) // a method's own ^ (only a foreign image has one) returns from it
			live := vm.h.Field(home, actLive)
			if !live.IsInt() || live.Int() < 0 || int(live.Int()) >= len(vm.frames) || vm.frames[live.Int()].act != home {
				f.pc = pc // so that the error names this return's place
				panic(vm.errorf("nonLifoReturn: the method that made the block has returned"))
			}
			target := int(live.Int())
			if target < base {
				f.pc = pc
				panic(vm.errorf("nonLifoReturn: the block's method is outside this evaluation"))
			}
			for len(vm.frames) > target {
				result = vm.returnFrom(result)
			}
			if len(vm.frames) == base {
				return result
			}
			load()
			vm.push(result)
		case opRestart:
			vm.checkStep()
			pc = 0
			vm.sp = f.base
		case opJump:
			t := u32(code, pc)
			pc += 4
			if t < pc {
				f.pc = pc // an interrupt names the loop's place
				if !vm.quickStep() && vm.safepoint() {
					f.pc = t
					load()
					continue
				}
			}
			pc = t
		case opIf:
			top := vm.stack[vm.sp-1]
			isTrue := top == vm.m.True
			if (isTrue || top == vm.m.False) && vm.guardHolds(guardID(code[pc])) {
				vm.sp--
				if isTrue == (code[pc+1] != 0) {
					pc += 10
				} else {
					pc = u32(code, pc+2)
				}
			} else {
				pc = u32(code, pc+6)
			}
		case opGuard:
			if vm.guardHolds(guardID(code[pc])) {
				pc += 5
			} else {
				pc = u32(code, pc+1)
			}
		case opForInit:
			first, last := heap.FromInt(1), vm.stack[vm.sp-1]
			if code[pc+1] == forTo {
				first = vm.stack[vm.sp-2]
			}
			if !first.IsInt() || !last.IsInt() || !vm.guardHolds(guardID(code[pc])) {
				pc = u32(code, pc+12)
				continue
			}
			if code[pc+1] == forTo {
				vm.sp--
			}
			vm.setLocal(f, u16(code, pc+2), first)
			vm.setLocal(f, u16(code, pc+4), last)
			step := f.ic.litv[u16(code, pc+6)].Int()
			if step > 0 && first.Int() > last.Int() || step < 0 && first.Int() < last.Int() {
				pc = u32(code, pc+8)
			} else {
				pc += 16
			}
		case opForNext:
			iv := u16(code, pc)
			stop := vm.local(f, u16(code, pc+2)).Int()
			step := f.ic.litv[u16(code, pc+4)].Int()
			t := u32(code, pc+6)
			pc += 10
			next := vm.local(f, iv).Int() + step
			if step > 0 && next <= stop || step < 0 && next >= stop {
				vm.setLocal(f, iv, heap.FromInt(next))
				f.pc = pc
				if !vm.quickStep() && vm.safepoint() {
					f.pc = t
					load()
					continue
				}
				pc = t
			}
		case opForStepInit:
			first, last, step := vm.stack[vm.sp-3], vm.stack[vm.sp-2], vm.stack[vm.sp-1]
			if !first.IsInt() || !last.IsInt() || !step.IsInt() || step.Int() == 0 ||
				step.Int() > maxInlineStep || step.Int() < -maxInlineStep || !vm.guardHolds(guardID(code[pc])) {
				pc = u32(code, pc+11)
				continue
			}
			vm.sp -= 2
			vm.setLocal(f, u16(code, pc+1), first)
			vm.setLocal(f, u16(code, pc+3), last)
			vm.setLocal(f, u16(code, pc+5), step)
			if s := step.Int(); s > 0 && first.Int() > last.Int() || s < 0 && first.Int() < last.Int() {
				pc = u32(code, pc+7)
			} else {
				pc += 15
			}
		case opForStepNext:
			iv := u16(code, pc)
			stop := vm.local(f, u16(code, pc+2)).Int()
			step := vm.local(f, u16(code, pc+4)).Int()
			t := u32(code, pc+6)
			pc += 10
			next := vm.local(f, iv).Int() + step
			if step > 0 && next <= stop || step < 0 && next >= stop {
				vm.setLocal(f, iv, heap.FromInt(next))
				f.pc = pc
				if !vm.quickStep() && vm.safepoint() {
					f.pc = t
					load()
					continue
				}
				pc = t
			}
		default:
			panic(vm.errorf("bad instruction %d at %d", op, pc-1))
		}
	}
}

// quickStep is a safepoint's common case, cheap enough to inline at every
// send: when no interrupt, step limit or scavenge can be due, it counts the
// step and reports true; otherwise it does nothing and reports false, and
// the caller runs safepoint.
func (vm *VM) quickStep() bool {
	if vm.interrupted.Load() || vm.StepLimit > 0 || vm.h.ScavengeWanted() {
		return false
	}
	vm.steps++
	return true
}

// safepoint runs the checks due before a send, and scavenges when the young
// space asks for it. It reports whether it scavenged (so oops moved).
func (vm *VM) safepoint() bool {
	vm.checkStep()
	if vm.noScavenge == 0 && vm.h.ScavengeWanted() {
		vm.h.Scavenge()            // flushes the caches (SetCacheInvalidator)
		for i := range vm.frames { // methods and literals may have moved
			vm.frames[i].ic = vm.methodCacheOf(vm.frames[i].method)
		}
		return true
	}
	return false
}

// returnFrom ends the top frame with result, running its onReturn: block if
// it has one, and answers the result (which a scavenge in the block may have
// moved: it waits on the stack meanwhile).
func (vm *VM) returnFrom(result heap.Oop) heap.Oop {
	ensure := vm.frames[len(vm.frames)-1].ensure
	vm.popFrame()
	if ensure == heap.Nil {
		return result
	}
	vm.push(result)
	vm.runEnsure(ensure)
	return vm.pop()
}

// checkStep stops the evaluation when it was interrupted or ran out of steps.
func (vm *VM) checkStep() {
	if vm.interrupted.Load() {
		panic(vm.errorf("%s", prims.ErrInterrupted.Msg))
	}
	vm.steps++
	if vm.StepLimit > 0 && vm.steps > vm.StepLimit {
		panic(vm.errorf("step limit exceeded"))
	}
}

// send sends sel to the receiver under argc arguments on the stack.
func (vm *VM) send(sel heap.Oop, argc int) {
	rcv := vm.stack[vm.sp-argc-1]
	res, st := vm.lookup(rcv, sel)
	vm.dispatch(rcv, sel, argc, res, st)
}

func (vm *VM) resend(holder, sel heap.Oop, argc int, parent heap.Oop) {
	rcv := vm.stack[vm.sp-argc-1]
	res, st := vm.lookupParents(holder, sel, parent)
	if st == notFound && parent != heap.Nil {
		panic(vm.errorf("undefinedSelector: %s sent to %s through parent %s", vm.m.StringOf(sel), vm.m.Describe(rcv), vm.m.StringOf(parent)))
	}
	vm.dispatch(rcv, sel, argc, res, st)
}

func (vm *VM) dispatch(rcv, sel heap.Oop, argc int, res lookupResult, st lookupStatus) {
	switch st {
	case notFound:
		vm.sendUndefined(rcv, sel, argc)
		return
	case ambiguous:
		panic(vm.errorf("ambiguousSelector: %s sent to %s", vm.m.StringOf(sel), vm.m.Describe(rcv)))
	}
	if !vm.runSlot(rcv, argc, &res) {
		panic(vm.undefinedSelector(rcv, sel))
	}
}

// UndefinedSelectorHook is the selector Self sends, in place of raising
// undefinedSelector, to a receiver that understands it: the selector that
// was not found, its lookup type ('normal'), the delegatee and the method
// holder (nil here, as in Self for a normal send) and a vector of the
// arguments. Far references (docs/vats.md) use it to turn every message
// they do not define into an eventual send.
const UndefinedSelectorHook = "undefinedSelector:Type:Delegatee:MethodHolder:Arguments:"

// sendUndefined handles a send of sel to rcv, under argc arguments on the
// stack, that lookup did not find: it sends UndefinedSelectorHook instead if
// rcv understands it, and raises undefinedSelector otherwise. The miss is
// never cached (lookupMap caches found results only), so a slot added later
// is found by the next send.
func (vm *VM) sendUndefined(rcv, sel heap.Oop, argc int) {
	res, st := vm.lookup(rcv, vm.m.Intern(UndefinedSelectorHook))
	if st != found {
		panic(vm.undefinedSelector(rcv, sel))
	}
	args := vm.m.NewVector(argc, vm.m.Nil)
	for i := 0; i < argc; i++ {
		vm.m.VectorAtPut(args, i, vm.stack[vm.sp-argc+i])
	}
	vm.sp -= argc
	vm.push(sel)
	vm.push(vm.m.Intern("normal"))
	vm.push(vm.m.Nil)
	vm.push(vm.m.Nil)
	vm.push(args)
	if !vm.runSlot(rcv, 5, &res) {
		panic(vm.undefinedSelector(rcv, sel))
	}
}

func (vm *VM) undefinedSelector(rcv, sel heap.Oop) *Error {
	return vm.errorf("undefinedSelector: %s sent to %s", vm.m.StringOf(sel), vm.m.Describe(rcv))
}

// runSlot does what a send that found res does to the receiver rcv under
// argc arguments on the stack, and reports false when res is not a slot a
// send can use.
func (vm *VM) runSlot(rcv heap.Oop, argc int, res *lookupResult) bool {
	holder := res.holder
	if holder == heap.Nil {
		holder = rcv
	}
	switch res.kind {
	case object.SlotConst:
		vm.sp -= argc + 1
		vm.push(res.value)
	case object.SlotData:
		vm.sp -= argc + 1
		vm.push(vm.m.DataAt(holder, res.index))
	case object.SlotAssign:
		vm.m.DataAtPut(holder, res.index, vm.stack[vm.sp-1])
		vm.sp -= argc + 1
		vm.push(rcv)
	case object.SlotMethod:
		if res.fast != nil && vm.tryFastPrim(res.fast, rcv, argc) {
			return true
		}
		vm.activate(res.value, rcv, holder, argc)
	default:
		return false
	}
	return true
}

// activate runs method meth for rcv, with argc arguments on the stack.
func (vm *VM) activate(meth, rcv, holder heap.Oop, argc int) {
	vm.activateInfo(meth, rcv, holder, argc, vm.methodCacheOf(meth))
}

// activateInfo is activate with meth's info and caches at hand (mc).
func (vm *VM) activateInfo(meth, rcv, holder heap.Oop, argc int, mc *methodCache) {
	h := vm.h
	if mc.nargs != argc {
		panic(vm.errorf("wrong number of arguments: %s takes %d, got %d", vm.m.StringOf(h.Field(meth, methSelector)), mc.nargs, argc))
	}
	if mc.flags&methBlock == 0 {
		vm.pushMethodFrame(meth, rcv, holder, mc, vm.sp-argc-1)
		return
	}
	// A block's method runs over the activation its block closes over.
	if !rcv.IsPtr() || h.Kind(rcv) != object.KindBlock {
		panic(vm.errorf("a block's method sent to %s, which is not a block", vm.m.Describe(rcv)))
	}
	lex := h.Field(rcv, blockAct)
	act := vm.newActivation(meth, h.Field(lex, actSelf), lex, h.Field(lex, actHome), h.Field(lex, actHolder))
	for i := 0; i < argc; i++ {
		h.SetField(act, actVars+i, vm.stack[vm.sp-argc+i])
	}
	vm.sp -= argc + 1
	vm.pushFrame(act, meth, mc)
}
