package vm

import (
	"errors"

	"psyche/heap"
	"psyche/prims"
)

// Sending a primitive: the table lookup (cached per selector), the fast path
// for methods that only wrap one, running it and its failure (an IfFail:
// block, or primitiveFailedError:Name:), and the few primitives the
// interpreter implements itself because they run Self code (_Perform:...,
// _OnReturn:, through runEnsure).

// runEnsure runs an onReturn: block to completion, on top of the stack.
func (vm *VM) runEnsure(block heap.Oop) {
	if vm.ensureMeth == heap.Nil {
		// A method of one argument that sends it value: (:b | b value).
		b := &methodBuilder{sc: &scope{names: []string{"b"}, readOnly: []bool{true}}}
		b.op(opPushLocal)
		b.u8(0)
		b.u16(0)
		b.op(opSend)
		b.u16(b.lit(vm.m.Intern("value")))
		b.u8(0)
		b.op(opReturn)
		vm.ensureMeth = (&compiler{vm: vm}).finish(b, heap.Nil, 1, nil, 0, nil)
	}
	vm.push(block)
	vm.pushMethodFrame(vm.ensureMeth, vm.m.Lobby, vm.m.Lobby, vm.methodCacheOf(vm.ensureMeth), vm.sp-1)
	vm.interpret(len(vm.frames) - 1)
}

// primEntry is what primitive needs of a primitive's selector, found once
// per selector: the Go primitive (nil for one the interpreter implements),
// its name without IfFail:, and, for a _Perform:, the arity vmPrims gives
// it (-1 for any other primitive).
type primEntry struct {
	p       *prims.Prim
	name    string
	perform int
	// vector is the indexOp of a vector primitive (_VectorAt:,
	// _VectorAt:Put:, _VectorSize), which the loop runs as it runs
	// at:, at:Put: and size (vectorPrim); numIndex for any other.
	vector indexOp
	// intArith is the arithOp of an integer primitive the loop runs on
	// two small integers (_IntAdd:, _IntLT: ..., intPrim); numArith for
	// any other.
	intArith arithOp
}

// vmPrims are the primitives the interpreter implements itself, because
// they send messages.
var vmPrims = map[string]int{"_Perform:": 1, "_Perform:With:": 2, "_Perform:With:With:": 3, "_Perform:With:With:With:": 4}

func isVMPrim(name string) bool {
	_, ok := vmPrims[name]
	return ok || name == "_Restart" || name == "_OnReturn:"
}

// onReturn sends value to rcv and arranges for cleanup to run when that
// activation ends, whether it returns or a non-local return unwinds it.
func (vm *VM) onReturn(rcv, cleanup heap.Oop, argc int) {
	vm.sp -= argc + 1
	vm.push(rcv)
	depth := len(vm.frames)
	vm.send(vm.m.Intern("value"), 0)
	if len(vm.frames) > depth {
		vm.frames[len(vm.frames)-1].ensure = cleanup
		return
	}
	vm.runEnsure(cleanup) // value answered at once: the activation is already over
}

// tryFastPrim runs p, the primitive a fast-primitive method calls; on
// success it replaces receiver and arguments with the result and reports true.
func (vm *VM) tryFastPrim(p *prims.Prim, rcv heap.Oop, argc int) bool {
	if p.Arity != argc {
		return false
	}
	result, err := p.Fn(&vm.env, rcv, vm.stack[vm.sp-argc:vm.sp])
	if err != nil {
		var abort *prims.Abort
		if errors.As(err, &abort) {
			panic(vm.errorf("%s", abort.Msg))
		}
		return false // let the method run and handle the failure as written
	}
	vm.sp -= argc + 1
	vm.push(result)
	return true
}

func (vm *VM) primEntry(sel heap.Oop) primEntry {
	e, ok := vm.primCache[sel]
	if !ok {
		name := vm.m.StringOf(sel)
		p, _, _ := prims.Lookup(name)
		e = primEntry{p: p, name: prims.StripIfFail(name), perform: -1}
		if n, ok := vmPrims[e.name]; ok {
			e.perform = n
		}
		e.vector, e.intArith = numIndex, numArith
		for op, x := range arithTable {
			if x.intPrim != "" && x.intPrim == name { // the exact name, as for vector
				e.intArith = arithOp(op)
			}
		}
		for op, x := range indexTable {
			if x.prims[idxVector] == name { // the exact name: an IfFail: form keeps the general path
				e.vector = indexOp(op)
			}
		}
		if vm.primCache == nil {
			vm.primCache = map[heap.Oop]primEntry{}
		}
		vm.primCache[sel] = e
	}
	return e
}

// primAt answers the primitive entry of literal lit of mc's method, from the
// method's own table after the first time, so that a primitive send makes
// no Go map lookup.
func (vm *VM) primAt(mc *methodCache, lit int) *primEntry {
	if mc.prims == nil {
		mc.prims = make([]*primEntry, len(mc.litv))
	}
	e := mc.prims[lit]
	if e == nil {
		pe := vm.primEntry(mc.litv[lit])
		e = &pe
		mc.prims[lit] = e
	}
	return e
}

// primitive runs the primitive e with argc arguments (the IfFail: block, if
// any, last) under the receiver on the stack.
func (vm *VM) primitive(e *primEntry, argc int, ifFail bool) {
	h := vm.h
	nargs := argc
	if ifFail {
		nargs--
	}
	if nargs < 0 || e.p != nil && e.p.Arity != nargs {
		panic(vm.errorf("primitive %s sent with %d arguments", e.name, nargs))
	}
	rcv := vm.stack[vm.sp-argc-1]
	if e.perform == nargs {
		s := vm.stack[vm.sp-argc]
		if !vm.m.IsString(s) {
			vm.primFailed(rcv, e.name, "badTypeError", argc, ifFail)
			return
		}
		// Drop the selector argument (and IfFail: block), then send.
		copy(vm.stack[vm.sp-argc:], vm.stack[vm.sp-argc+1:vm.sp])
		vm.sp--
		if ifFail {
			vm.sp--
		}
		vm.send(vm.m.InternBytes(append([]byte(nil), h.Bytes(s)...)), nargs-1)
		return
	}
	if e.name == "_OnReturn:" && nargs == 1 {
		vm.onReturn(rcv, vm.stack[vm.sp-argc], argc)
		return
	}
	if e.p == nil {
		panic(vm.errorf("unknown primitive %s", e.name))
	}
	args := vm.stack[vm.sp-argc : vm.sp-argc+nargs]
	result, err := e.p.Fn(&vm.env, rcv, args)
	if err == nil {
		vm.sp -= argc + 1
		vm.push(result)
		return
	}
	var fail *prims.Failure
	var abort *prims.Abort
	switch {
	case errors.As(err, &fail) && ifFail:
		vm.primFailed(rcv, e.name, fail.Name, argc, ifFail)
	case errors.As(err, &fail):
		vm.primFailed(rcv, e.name, fail.Error(), argc, ifFail)
	case errors.As(err, &abort):
		panic(vm.errorf("%s", abort.Msg))
	default:
		panic(vm.errorf("primitive %s: %v", e.name, err))
	}
}

// primFailed answers the IfFail: block's value, or sends
// primitiveFailedError:Name: to the receiver (an error if it has none).
func (vm *VM) primFailed(rcv heap.Oop, name, errName string, argc int, ifFail bool) {
	m := vm.m
	if ifFail {
		block := vm.stack[vm.sp-1]
		vm.sp -= argc + 1
		vm.push(block)
		vm.push(m.Intern(errName))
		vm.push(m.Intern(name))
		vm.send(m.Intern("value:With:"), 2)
		return
	}
	sel := m.Intern("primitiveFailedError:Name:")
	if _, st := vm.lookup(rcv, sel); st != found {
		panic(vm.errorf("primitive %s failed: %s", name, errName))
	}
	vm.sp -= argc + 1
	vm.push(rcv)
	vm.push(m.Intern(errName))
	vm.push(m.Intern(name))
	vm.send(sel, 2)
}
