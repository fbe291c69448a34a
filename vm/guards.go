package vm

import (
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// Guards: what inlined code assumes about the core world, checked once per
// epoch (epoch.go). The compiler turns ifTrue:False:, whileTrue:, to:Do:
// and their kin with literal block arguments into jumps, and + < = ... into
// one instruction; each such instruction names a guard, and runs inline
// only while its guard holds. A guard holds while the methods a real send
// would run are the core world's: found by the ordinary lookup, through
// constant parents only, and with the same source (a user's method with the
// same text behaves the same). When a user redefines one, the guard fails
// and the instruction makes the real send, with real blocks.
//
// The table below is data the core world must match: TestCoreGuards
// (guards_test.go) checks every guard against a world built from bootstrap.

type guardID uint8

const (
	guardIfTrue guardID = iota
	guardIfFalse
	guardIfTrueFalse
	guardIfFalseTrue
	guardAnd
	guardOr
	guardWhileTrue
	guardWhileFalse
	guardWhileTrueUnary
	guardWhileFalseUnary
	guardToDo
	guardToByDo
	guardTimesRepeat
	numGuards
)

// guardReceiver is a receiver the guard's lookups start from.
type guardReceiver uint8

const (
	rcvTrue guardReceiver = iota
	rcvFalse
	rcvBlock // a literal block (its map's only parent is traits block)
	rcvInt
	rcvFloat
)

// expectation is one fact about the core world: what sel finds for rcv.
// Exactly one of source and prim is set, or neither: then the slot must
// be a constant holding nil (the core world's nil, sent as a message).
type expectation struct {
	rcv    guardReceiver
	sel    string
	source string // the method's source, runs of white space made one space
	prim   string // the method only wraps this primitive (compiler.fastPrim)
}

type guardSpec struct {
	expect []expectation
	deps   []guardID // guards whose methods these methods send to
}

// nilConst: the core methods that answer nil send nil to their receiver.
func nilConst(r guardReceiver) expectation { return expectation{rcv: r, sel: "nil"} }

func intPrim(sel, prim string) expectation { return expectation{rcv: rcvInt, sel: sel, prim: prim} }

var guardTable = [numGuards]guardSpec{
	guardIfTrue: {expect: []expectation{
		{rcv: rcvTrue, sel: "ifTrue:", source: "( trueBlock value )"},
		{rcv: rcvFalse, sel: "ifTrue:", source: "( nil )"}, nilConst(rcvFalse)}},
	guardIfFalse: {expect: []expectation{
		{rcv: rcvTrue, sel: "ifFalse:", source: "( nil )"}, nilConst(rcvTrue),
		{rcv: rcvFalse, sel: "ifFalse:", source: "( falseBlock value )"}}},
	guardIfTrueFalse: {expect: []expectation{
		{rcv: rcvTrue, sel: "ifTrue:False:", source: "( trueBlock value )"},
		{rcv: rcvFalse, sel: "ifTrue:False:", source: "( falseBlock value )"}}},
	guardIfFalseTrue: {expect: []expectation{
		{rcv: rcvTrue, sel: "ifFalse:True:", source: "( trueBlock value )"},
		{rcv: rcvFalse, sel: "ifFalse:True:", source: "( falseBlock value )"}}},
	guardAnd: {expect: []expectation{
		{rcv: rcvTrue, sel: "&&", source: "( b value )"},
		{rcv: rcvFalse, sel: "&&", source: "( self )"}}},
	guardOr: {expect: []expectation{
		{rcv: rcvTrue, sel: "||", source: "( self )"},
		{rcv: rcvFalse, sel: "||", source: "( b value )"}}},
	guardWhileTrue: {expect: []expectation{
		{rcv: rcvBlock, sel: "whileTrue:", source: "( value ifFalse: [^ nil]. body value. _Restart )"}, nilConst(rcvBlock)},
		deps: []guardID{guardIfFalse}},
	guardWhileFalse: {expect: []expectation{
		{rcv: rcvBlock, sel: "whileFalse:", source: "( value ifTrue: [^ nil]. body value. _Restart )"}, nilConst(rcvBlock)},
		deps: []guardID{guardIfTrue}},
	guardWhileTrueUnary: {expect: []expectation{
		{rcv: rcvBlock, sel: "whileTrue", source: "( value ifFalse: [^ nil]. _Restart )"}, nilConst(rcvBlock)},
		deps: []guardID{guardIfFalse}},
	guardWhileFalseUnary: {expect: []expectation{
		{rcv: rcvBlock, sel: "whileFalse", source: "( value ifTrue: [^ nil]. _Restart )"}, nilConst(rcvBlock)},
		deps: []guardID{guardIfTrue}},
	guardToDo: {expect: []expectation{
		{rcv: rcvInt, sel: "to:Do:", source: "( | i. stop. stop4 | stop: (last _IntAdd: 0 IfFail: [|:e. :p| last floor]). stop4: stop _IntSub: 3. i: self. [ (i _IntLE: stop4) ifFalse: [ [ (i _IntLE: stop) ifFalse: [^ self]. block value: i. i: i _IntAdd: 1. _Restart ] value]. block value: i. block value: (i _IntAdd: 1). block value: (i _IntAdd: 2). block value: (i _IntAdd: 3). i: i _IntAdd: 4. _Restart ] value )"}},
		deps: []guardID{guardIfFalse}},
	guardToByDo: {expect: []expectation{
		{rcv: rcvInt, sel: "to:By:Do:", source: "( | i | (step = 0) ifTrue: [^ error: 'to:By:Do: with a step of 0']. i: self. (step > 0) ifTrue: [ [ (i <= last) ifFalse: [^ self]. block value: i. i: i + step. _Restart ] value ] False: [ [ (i >= last) ifFalse: [^ self]. block value: i. i: i + step. _Restart ] value ] )"},
		intPrim("=", "_IntEQ:"), intPrim(">", "_IntGT:"), intPrim("<=", "_IntLE:"), intPrim(">=", "_IntGE:"), intPrim("+", "_IntAdd:")},
		deps: []guardID{guardIfTrue, guardIfFalse, guardIfTrueFalse}},
	guardTimesRepeat: {expect: []expectation{
		{rcv: rcvInt, sel: "timesRepeat:", source: "( | n | n: self. [ (n _IntGE: 4) ifFalse: [ [ (n _IntGT: 0) ifFalse: [^ self]. block value. n: n _IntSub: 1. _Restart ] value]. block value. block value. block value. block value. n: n _IntSub: 4. _Restart ] value )"}},
		deps: []guardID{guardIfFalse}},
}

// guardState caches whether a guard held in an epoch.
type guardState struct {
	stamp uint64 // the epoch in which ok was found
	ok    bool
}

// guardHolds reports whether the guard id holds now: guard's common case,
// the state found earlier in this epoch, small enough for the compiler to
// inline into the interpreter loop.
func (vm *VM) guardHolds(id guardID) bool {
	if g := &vm.guards[id]; g.stamp == vm.epoch.n {
		return g.ok
	}
	return vm.guard(id)
}

// guard reports whether the guard id holds now.
func (vm *VM) guard(id guardID) bool {
	g := &vm.guards[id]
	if g.stamp == vm.epoch.Current() {
		return g.ok
	}
	ok := true
	for _, e := range guardTable[id].expect {
		ok = ok && vm.holds(e)
	}
	for _, d := range guardTable[id].deps {
		ok = ok && vm.guard(d)
	}
	*g = guardState{stamp: vm.epoch.Current(), ok: ok}
	return ok
}

// holds checks one expectation with the ordinary lookup.
func (vm *VM) holds(e expectation) bool {
	h, m := vm.h, vm.m
	var rcv heap.Oop
	switch e.rcv {
	case rcvTrue:
		rcv = m.True
	case rcvFalse:
		rcv = m.False
	case rcvBlock:
		rcv = m.Special(object.SpTraitsBlock)
	case rcvInt:
		rcv = heap.FromInt(0)
	case rcvFloat:
		rcv = m.Float(0)
	}
	l := lookupState{vm: vm, sel: m.Intern(e.sel), cacheable: true}
	l.search(rcv, true)
	res, st := l.result()
	if st != found || !l.cacheable {
		return false
	}
	switch {
	case e.prim != "":
		fp := heap.Nil
		if res.kind == object.SlotMethod {
			fp = h.Field(res.value, methFastPrim)
		}
		return fp != heap.Nil && m.StringOf(fp) == e.prim
	case e.source != "":
		src, ok := vm.MethodSource(res.value)
		return res.kind == object.SlotMethod && ok && collapseSpace(src) == e.source
	}
	return res.kind == object.SlotConst && res.value == m.Nil
}

// collapseSpace makes each run of white space in s one space.
func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// arithOp is an arithmetic or comparison selector the interpreter runs
// itself on two small integers or two floats (opArith).
type arithOp uint8

const (
	arithAdd arithOp = iota
	arithSub
	arithMul
	arithLT
	arithLE
	arithGT
	arithGE
	arithEQ
	arithNE
	arithDiv // added after the others: the numbers are in compiled methods on disk and in images
	numArith
)

// arithTable: each operator's selector and the primitives the core
// world's integer and float methods for it only wrap ("": none, so the
// operator is always sent to an integer, or to a float). Integer / is not
// a plain wrap: its failure code retries in floating point only for a
// float argument.
var arithTable = [numArith]struct{ sel, intPrim, floatPrim string }{
	arithAdd: {"+", "_IntAdd:", "_FloatAdd:"},
	arithSub: {"-", "_IntSub:", "_FloatSub:"},
	arithMul: {"*", "_IntMul:", "_FloatMul:"},
	arithLT:  {"<", "_IntLT:", "_FloatLT:"},
	arithLE:  {"<=", "_IntLE:", "_FloatLE:"},
	arithGT:  {">", "_IntGT:", "_FloatGT:"},
	arithGE:  {">=", "_IntGE:", "_FloatGE:"},
	arithEQ:  {"=", "_IntEQ:", "_FloatEQ:"},
	arithNE:  {"!=", "_IntNE:", ""},
	arithDiv: {"/", "", "_FloatDiv:"},
}

// arithFor answers the operator whose selector is sel.
func arithFor(sel string) (arithOp, bool) {
	for i, a := range arithTable {
		if a.sel == sel {
			return arithOp(i), true
		}
	}
	return 0, false
}

// arithGuard reports whether op on receivers of kind r (rcvInt or
// rcvFloat) is the core world's.
func (vm *VM) arithGuard(op arithOp, r guardReceiver) bool {
	if g := &vm.arithGuards[op][r-rcvInt]; g.stamp == vm.epoch.Current() {
		return g.ok
	}
	return vm.checkArithGuard(op, r)
}

// checkArithGuard finds and records whether arithGuard holds in this epoch.
func (vm *VM) checkArithGuard(op arithOp, r guardReceiver) bool {
	prim := arithTable[op].intPrim
	if r == rcvFloat {
		prim = arithTable[op].floatPrim
	}
	ok := prim != "" && vm.holds(expectation{rcv: r, sel: arithTable[op].sel, prim: prim})
	vm.arithGuards[op][r-rcvInt] = guardState{stamp: vm.epoch.Current(), ok: ok}
	return ok
}
