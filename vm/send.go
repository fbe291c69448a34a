package vm

import (
	"psyche/heap"
	"psyche/vm/object"
)

// A send once its receiver and arguments are on the stack: lookup, then a
// data or constant slot answered at once, a method activated, or, when
// lookup finds nothing, Self's undefinedSelector hook or the error.

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
	name := vm.m.StringOf(sel)
	return vm.errorf("undefinedSelector: %s sent to %s%s", name, vm.m.Describe(rcv), vm.undefinedHint(rcv, name))
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
