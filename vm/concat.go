package vm

import (
	"psyche/heap"
	"psyche/vm/object"
	"psyche/vm/syntax"
)

// Concatenation in one copy. A chain x , y , 'literal' (the shape of
// s , i printString , ' ') makes two strings, and the first, x , y, is
// only the receiver of the second: no Self code can see it. The compiler
// emits opConcat after x and y, before the two real sends; when x and y
// are strings and both sends would run the core world's , (the method
// that only wraps concatPrim, for x's map and for the map of the string
// the first send answers), the interpreter makes x + y + literal at once
// and jumps over the sends. Otherwise, or when the result cannot be
// made now (too large, the young space full), it falls through to the
// sends, which answer or fail exactly as they always do.
//
// The literal is evaluated before the first send rather than after it,
// which no Self code can tell: pushing a literal has no effect.

// concatSel and concatPrim: the selector opConcat fuses and the primitive
// the core world's method for it only wraps. TestCoreGuards checks them
// against bootstrap (40-string).
const (
	concatSel  = ","
	concatPrim = "_StringConcat:"
)

// concatGuards caches, for the last receiver map seen and for the string
// map, whether , finds the core world's method (indexGuard's caching).
type concatGuards struct {
	rcv, result indexGuard
}

// isConcat reports whether x is a send of , with one argument (not a
// resend): the sends opConcat fuses.
func isConcat(x *syntax.Send) bool {
	return string(x.Sel) == concatSel && len(x.Args) == 1 && x.Resend == ""
}

// concatChain compiles first's argument and the sends of first and of
// second, with opConcat before them, when second sends , with a string
// literal to the result of first, a send of , whose receiver is on the
// stack. For any other pair it emits nothing and reports false.
func (c *compiler) concatChain(b *methodBuilder, first, second *syntax.Send) bool {
	if !isConcat(first) || !isConcat(second) {
		return false
	}
	lit, ok := second.Args[0].(*syntax.StringLit)
	if !ok {
		return false
	}
	c.expr(b, first.Args[0])
	b.op(opConcat)
	b.u16(b.lit(c.vm.m.Intern(lit.Value)))
	done := b.jumpFrom()
	c.checkLits(b, second.SelPos)
	c.emitSend(b, first)
	c.sendTo(b, second)
	b.land(done)
	return true
}

// concat runs opConcat: x and y are on top of the stack, lit is the
// chain's literal. It reports false, touching nothing, when the real sends
// must run.
func (vm *VM) concat(lit heap.Oop) bool {
	h, m := vm.h, vm.m
	x, y := vm.stack[vm.sp-2], vm.stack[vm.sp-1]
	if !m.IsString(x) || !m.IsString(y) {
		return false
	}
	strMap := m.Special(object.SpStringMap)
	if m.MapOf(lit) != strMap || !vm.concatGuard(&vm.concatGuards.rcv, x) || !vm.concatGuard(&vm.concatGuards.result, lit) {
		return false
	}
	a, b, c := h.Bytes(x), h.Bytes(y), h.Bytes(lit)
	if h.CheckAlloc(object.ByteObjectFields, len(a)+len(b)+len(c)) != nil {
		return false
	}
	vm.sp--
	vm.stack[vm.sp-1] = m.NewStringJoined(a, b, c)
	return true
}

// concatGuard reports whether , sent to rcv finds, through constant
// parents, a method that only wraps concatPrim; g caches the answer for
// rcv's map in this epoch.
func (vm *VM) concatGuard(g *indexGuard, rcv heap.Oop) bool {
	mp := vm.m.MapOf(rcv)
	now := vm.epoch.Current()
	if g.mp == mp && g.stamp == now {
		return g.ok
	}
	res, st, byMap := vm.lookupMap(rcv, mp, vm.m.Intern(concatSel))
	ok := st == found && byMap && res.kind == object.SlotMethod
	if ok {
		fp := vm.h.Field(res.value, methFastPrim)
		ok = fp != heap.Nil && vm.m.StringOf(fp) == concatPrim
	}
	*g = indexGuard{mp: mp, guardState: guardState{stamp: now, ok: ok}}
	return ok
}
