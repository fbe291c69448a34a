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
		case opArith, opLocalLitArith, opLocalIntArith, opLitLocalArith, opIntLocalArith, opLocalArith, opIntArith:
			// The commonest cases without a call: + - * or a comparison of
			// two small integers under the integer guard, and + - * / or a
			// comparison of an immediate float and an immediate float or
			// small integer under the float guard, when the result is an
			// immediate; arith does the rest, and every case when the guard
			// is stale. The fused forms (fuse.go) take one or both operands
			// from a local, a literal or the code instead of the stack;
			// taken says how many the stack gave, which the result replaces.
			var a, b heap.Oop // Nil is neither an integer nor a float
			aop, next, taken := arithOp(code[pc+3]), pc+4, 2
			switch op {
			case opArith:
				a, b = vm.stack[vm.sp-2], vm.stack[vm.sp-1]
			case opLocalLitArith:
				aop, next, taken = arithOp(code[pc+10]), pc+11, 0
				if code[pc] == 0 && f.act == heap.Nil {
					a, b = vm.stack[f.vars+u16(code, pc+1)], f.ic.litv[u16(code, pc+4)]
				}
			case opLocalIntArith:
				aop, next, taken = arithOp(code[pc+12]), pc+13, 0
				if code[pc] == 0 && f.act == heap.Nil {
					a, b = vm.stack[f.vars+u16(code, pc+1)], heap.FromInt(int64(int32(u32(code, pc+4))))
				}
			case opLitLocalArith:
				aop, next, taken = arithOp(code[pc+10]), pc+11, 0
				if code[pc+3] == 0 && f.act == heap.Nil {
					a, b = f.ic.litv[u16(code, pc)], vm.stack[f.vars+u16(code, pc+4)]
				}
			case opIntLocalArith:
				aop, next, taken = arithOp(code[pc+12]), pc+13, 0
				if code[pc+5] == 0 && f.act == heap.Nil {
					a, b = heap.FromInt(int64(int32(u32(code, pc)))), vm.stack[f.vars+u16(code, pc+6)]
				}
			case opLocalArith:
				aop, next, taken = arithOp(code[pc+7]), pc+8, 1
				if code[pc] == 0 && f.act == heap.Nil {
					a, b = vm.stack[vm.sp-1], vm.stack[f.vars+u16(code, pc+1)]
				}
			default: // opIntArith
				aop, next, taken = arithOp(code[pc+8]), pc+9, 1
				a, b = vm.stack[vm.sp-1], heap.FromInt(int64(int32(u32(code, pc))))
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
				v, computed := floatArith(aop, x, y)
				if !computed { // a comparison; an immediate float is never a nan
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
			vm.sp -= taken
			if code[next] == opStoreLocal && code[next+1] == 0 && f.act == heap.Nil {
				// sum: sum + x: the result goes to its local without a
				// dispatch of its own (code ends in a return, so next
				// is an instruction).
				vm.stack[f.vars+u16(code, next+2)] = r
				pc = next + 4
				continue
			}
			vm.push(r)
			pc = next
			continue
		general:
			switch op { // a fused form runs its first instruction alone
			case opIntArith, opIntLocalArith:
				vm.push(heap.FromInt(int64(int32(u32(code, pc)))))
				pc += 4
				continue
			case opLitLocalArith:
				vm.push(f.ic.litv[u16(code, pc)])
				pc += 2
				continue
			case opLocalLitArith, opLocalIntArith, opLocalArith:
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
				e := vm.primAt(f.ic, selLit)
				if e.vector != numIndex && vm.vectorPrim(e.vector, argc) ||
					e.intArith != numArith && argc == 1 && vm.intPrim(e.intArith) {
					pc += 4
					continue
				}
				ifFail := code[pc+3] != 0
				pc += 4
				f.pc = pc
				vm.primitive(e, argc, ifFail)
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
			if code[pc] == opPop { // a send whose result is dropped
				pc++
				continue
			}
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
		case opJumpPop:
			vm.sp--
			pc = u32(code, pc) + 1
		case opLitJumpPop:
			pc = u32(code, pc+3) + 1
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
		case opForNext, opForStepNext:
			iv := u16(code, pc)
			stop := vm.local(f, u16(code, pc+2)).Int()
			var step int64
			if op == opForNext {
				step = f.ic.litv[u16(code, pc+4)].Int()
			} else {
				step = vm.local(f, u16(code, pc+4)).Int()
			}
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
