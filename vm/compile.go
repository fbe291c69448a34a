package vm

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
	"psyche/vm/syntax"
)

// The compiler turns syntax trees into heap-resident methods: bytecodes in a
// code object, literals in a raw vector, both held by the method, which a
// map's method slot holds. So code persists with the objects it belongs to.
//
// Object literals are built when the code holding them is compiled, as in
// Self: their slot initializers run then, in the lobby's context. Top-level
// code is compiled one statement at a time, just before it runs, so a
// statement's literals may use what the statements before it made. Local
// variables and arguments are resolved here, to (depth, index) pairs; every
// other name is a message to self.

// CompileError is a compile-time error with a source position.
type CompileError struct {
	File string
	Pos  syntax.Pos
	Msg  string
}

func (e *CompileError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
	}
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// scope is one activation's variables, as the compiler sees them.
type scope struct {
	names    []string
	readOnly []bool
	parent   *scope // lexically enclosing activation (blocks, inner methods)
	isBlock  bool
	hidden   map[int]bool // variables no name reaches: an inlined block's, once its code ends (inline.go)
}

func (s *scope) hide(i int) {
	if s.hidden == nil {
		s.hidden = map[int]bool{}
	}
	s.hidden[i] = true
}

func (s *scope) resolve(name string) (depth, index int, readOnly, ok bool) {
	for d := 0; s != nil; d, s = d+1, s.parent {
		for i := len(s.names) - 1; i >= 0; i-- {
			if s.names[i] == name && !s.hidden[i] {
				return d, i, s.readOnly[i], true
			}
		}
	}
	return 0, 0, false, false
}

// Operand limits of the instruction set (bytecode.go), which the compiler
// reports as errors rather than emit operands that do not fit.
const (
	maxArgs     = 0xff   // u8 argument count of a send
	maxLexDepth = 0xff   // u8 depth of a local's activation
	maxVars     = 0xffff // u16 index of a local; nargs and nlocals in methInfo
	maxLits     = 0xfffe // u16 literal index (0xffff is undirected)
)

// methodBuilder collects one method's code and literals.
type methodBuilder struct {
	code   []byte
	lits   []heap.Oop
	litIdx map[heap.Oop]int // index of each literal in lits
	sc     *scope
	pos    []position // where the instructions that can fail were written (positions.go)
	// assigned is len(code) just after an assignment's opPushSelf, 0
	// otherwise: while it is len(code), discard takes that push back
	// instead of writing an opPop. Whatever may start at len(code) (a
	// landing jump, a marked position) clears it.
	assigned int
}

func (b *methodBuilder) op(o byte) { b.code = append(b.code, o) }
func (b *methodBuilder) u8(v int)  { b.code = append(b.code, byte(v)) }
func (b *methodBuilder) u16(v int) { b.code = binary.LittleEndian.AppendUint16(b.code, uint16(v)) }

// discard drops the value of a statement or loop body: the value of an
// assignment to a local, which pushes self only to answer it, is never
// pushed; any other is popped.
func (b *methodBuilder) discard() {
	if b.assigned != 0 && b.assigned == len(b.code) {
		b.code = b.code[:len(b.code)-1]
		b.assigned = 0
		return
	}
	b.op(opPop)
}

func (b *methodBuilder) lit(o heap.Oop) int {
	if i, ok := b.litIdx[o]; ok {
		return i
	}
	if b.litIdx == nil {
		b.litIdx = map[heap.Oop]int{}
	}
	b.lits = append(b.lits, o)
	b.litIdx[o] = len(b.lits) - 1
	return len(b.lits) - 1
}

type compiler struct {
	vm   *VM
	file string
	src  []byte
	// built holds the object literals and initial values already made:
	// an inlined block's code is compiled twice (inline, and as the real
	// block its guard falls back to), and both must use the same objects,
	// built once.
	built map[syntax.Expr]heap.Oop
}

// once answers make's value for e, calling it only the first time.
func (c *compiler) once(e syntax.Expr, make func() heap.Oop) heap.Oop {
	if v, ok := c.built[e]; ok {
		return v
	}
	v := make()
	if c.built == nil {
		c.built = map[syntax.Expr]heap.Oop{}
	}
	c.built[e] = v
	return v
}

func (c *compiler) errorf(p syntax.Pos, format string, args ...any) {
	panic(&CompileError{File: c.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// statement compiles one top-level statement (of a REPL input, a script, a
// world file) into a method with no arguments that answers its value. A
// top-level '^' only answers the value too.
func (c *compiler) statement(st syntax.Expr) heap.Oop {
	if r, ok := st.(*syntax.Return); ok {
		st = r.X
	}
	b := &methodBuilder{sc: &scope{}}
	c.expr(b, st)
	b.op(opReturn)
	return c.finish(b, heap.Nil, 0, nil, 0, nil)
}

// body compiles statements; the last one's value is returned. An empty body
// answers self in a method and nil in a block.
func (c *compiler) body(b *methodBuilder, code *syntax.Code, inBlock bool) {
	if len(code.Stmts) == 0 {
		if inBlock {
			b.op(opPushLit)
			b.u16(b.lit(c.vm.m.Nil))
		} else {
			b.op(opPushSelf)
		}
		b.op(opReturn)
		return
	}
	for i, st := range code.Stmts {
		last := i == len(code.Stmts)-1
		if r, ok := st.(*syntax.Return); ok {
			c.expr(b, r.X)
			if inBlock {
				b.markPos(r.Caret)
				b.op(opNonLocalReturn)
			} else {
				b.op(opReturn)
			}
			if !last {
				c.errorf(code.Stmts[i+1].Pos(), "statement after a return")
			}
			return
		}
		c.expr(b, st)
		if last {
			b.op(opReturn)
		} else {
			b.discard()
		}
	}
}

// finish makes the method object.
func (c *compiler) finish(b *methodBuilder, selector heap.Oop, nargs int, locals []heap.Oop, flags int, source []byte) heap.Oop {
	m, h := c.vm.m, c.vm.h
	for nargs+len(locals) < len(b.sc.names) { // inlined blocks' variables start as nil
		locals = append(locals, m.Nil)
	}
	code := h.Alloc(0, len(b.code), object.KindCode, heap.Nil)
	h.SetBytes(code, 0, b.code)
	lits := m.RawVector(len(b.lits), heap.Nil)
	for i, l := range b.lits {
		h.SetField(lits, i, l)
	}
	names := m.RawVector(len(b.sc.names), heap.Nil)
	for i, n := range b.sc.names {
		h.SetField(names, i, m.Intern(n))
	}
	inits := m.RawVector(len(locals), heap.Nil)
	for i, v := range locals {
		h.SetField(inits, i, v)
	}
	table := encodePositions(c.file, b.pos)
	meth := h.Alloc(methFields, len(table), object.KindMethod, heap.Nil)
	h.SetBytes(meth, 0, table)
	h.SetField(meth, methCode, code)
	h.SetField(meth, methLits, lits)
	h.SetField(meth, methSelector, selector)
	h.SetField(meth, methInfo, heap.FromInt(int64(nargs)|int64(len(locals))<<16|int64(flags)<<32))
	h.SetField(meth, methNames, names)
	h.SetField(meth, methInits, inits)
	if source != nil {
		h.SetField(meth, methSource, m.NewString(source))
	}
	return meth
}

func (c *compiler) expr(b *methodBuilder, e syntax.Expr) {
	m := c.vm.m
	switch x := e.(type) {
	case *syntax.Self:
		b.op(opPushSelf)
	case *syntax.IntLit:
		switch {
		case x.Big != nil:
			if x.Big.BitLen() > object.MaxIntegerBits {
				c.errorf(x.At, "integer literal too large (limit %d bits)", object.MaxIntegerBits)
			}
			b.op(opPushLit)
			b.u16(b.lit(m.Int(new(big.Int).Set(x.Big))))
		case int64(int32(x.Value)) == x.Value:
			b.op(opPushInt)
			b.code = binary.LittleEndian.AppendUint32(b.code, uint32(int32(x.Value)))
		default:
			b.op(opPushLit)
			b.u16(b.lit(m.Int64(x.Value)))
		}
	case *syntax.FloatLit:
		b.op(opPushLit)
		b.u16(b.lit(m.Float(x.Value)))
	case *syntax.StringLit:
		b.op(opPushLit)
		b.u16(b.lit(m.Intern(x.Value)))
	case *syntax.Paren:
		c.expr(b, x.X)
	case *syntax.Object:
		b.op(opPushLit)
		b.u16(b.lit(c.once(x, func() heap.Oop { return c.object(x.Slots, x.Annotation) })))
	case *syntax.Method:
		meth := c.method(x, "", b.sc, methInner)
		b.markPos(x.Open)
		b.op(opInner)
		b.u16(b.lit(meth))
	case *syntax.Block:
		b.op(opPushBlock)
		b.u16(b.lit(c.block(x, b.sc)))
	case *syntax.Send:
		c.send(b, x)
	case *syntax.Return:
		c.errorf(x.Caret, "'^' can only begin the last statement of a body")
	default:
		c.errorf(e.Pos(), "cannot compile %T", e)
	}
	c.checkLits(b, e.Pos())
}

func (c *compiler) checkLits(b *methodBuilder, p syntax.Pos) {
	if len(b.lits) > maxLits {
		c.errorf(p, "too many literals in one method (limit %d)", maxLits)
	}
}

// local emits op (opPushLocal or opStoreLocal) for the variable at depth d,
// index i of the scope chain.
func (c *compiler) local(b *methodBuilder, op byte, d, i int, name string, p syntax.Pos) {
	if d > maxLexDepth {
		c.errorf(p, "%s is defined %d blocks or methods out (limit %d)", name, d, maxLexDepth)
	}
	b.op(op)
	b.u8(d)
	b.u16(i)
}

// send compiles a send. A chain of sends (1 + 1 + 1 ..., x foo bar) nests
// in its receivers as deep as the chain is long, which only the source's
// length bounds, so the chain is compiled in a loop: the innermost send
// first, then each send to the result of the one before.
func (c *compiler) send(b *methodBuilder, x *syntax.Send) {
	chain := []*syntax.Send{x}
	for r, ok := x.Recv.(*syntax.Send); ok; r, ok = r.Recv.(*syntax.Send) {
		chain = append(chain, r)
	}
	inner := chain[len(chain)-1]
	next := len(chain) - 2 // the next send to compile, its receiver on the stack
	if inner.Recv == nil {
		c.implicitSend(b, inner)
	} else if _, isBlock := inner.Recv.(*syntax.Block); isBlock && inlineForms[string(inner.Sel)].kind == formWhile && c.inline(b, inner) {
		// a while loop: its receiver is part of the inlined code (any other
		// form, && and || too, takes its receiver, block or not, on the stack)
	} else {
		c.expr(b, inner.Recv)
		next++
	}
	for i := next; i >= 0; i-- {
		if i > 0 && c.concatChain(b, chain[i], chain[i-1]) {
			i--
			continue
		}
		c.sendTo(b, chain[i])
	}
}

// implicitSend compiles a send without a receiver: a resend, a local
// variable, an assignment to one, _Restart, or a send to self.
func (c *compiler) implicitSend(b *methodBuilder, x *syntax.Send) {
	sel := string(x.Sel)
	if x.Resend != "" {
		c.checkArgs(x)
		b.op(opPushSelf)
		for _, a := range x.Args {
			c.expr(b, a)
		}
		b.markPos(x.SelPos)
		b.op(opResend)
		b.u16(b.lit(c.vm.m.Intern(sel)))
		b.u8(len(x.Args))
		if x.Resend == "resend" {
			b.u16(undirected)
		} else {
			b.u16(b.lit(c.vm.m.Intern(x.Resend)))
		}
		c.checkLits(b, x.SelPos)
		return
	}
	if x.IsIdent() {
		if d, i, _, ok := b.sc.resolve(sel); ok {
			c.local(b, opPushLocal, d, i, sel, x.SelPos)
			return
		}
	}
	if len(x.Args) == 1 && x.Sel.Kind() == syntax.Keyword && x.Sel.Arity() == 1 {
		name := sel[:len(sel)-1]
		if d, i, ro, ok := b.sc.resolve(name); ok {
			if ro {
				c.errorf(x.SelPos, "%s is a constant and cannot be assigned", name)
			}
			c.expr(b, x.Args[0])
			c.local(b, opStoreLocal, d, i, name, x.SelPos)
			b.op(opPushSelf) // an assignment answers the receiver
			b.assigned = len(b.code)
			return
		}
	}
	if sel == "_Restart" {
		b.op(opRestart)
		b.op(opPushSelf) // never reached; keeps the stack discipline simple
		return
	}
	b.op(opPushSelf)
	c.sendTo(b, x)
}

func (c *compiler) checkArgs(x *syntax.Send) {
	if len(x.Args) > maxArgs {
		c.errorf(x.SelPos, "too many arguments in one send (limit %d)", maxArgs)
	}
}

// sendTo compiles the arguments and the send of x, whose receiver is on
// the stack.
func (c *compiler) sendTo(b *methodBuilder, x *syntax.Send) {
	if x.Resend != "" {
		c.errorf(x.SelPos, "a resend has no receiver")
	}
	c.checkArgs(x)
	if c.inline(b, x) {
		return
	}
	for _, a := range x.Args {
		c.expr(b, a)
	}
	c.emitSend(b, x)
}

// emitSend emits the instruction that sends x, its receiver and arguments
// on the stack.
func (c *compiler) emitSend(b *methodBuilder, x *syntax.Send) {
	sel := string(x.Sel)
	b.markPos(x.SelPos)
	if x.Sel.IsPrimitive() {
		b.op(opPrim)
		b.u16(b.lit(c.vm.m.Intern(sel)))
		b.u8(len(x.Args))
		if primHasIfFail(sel) {
			b.u8(1)
		} else {
			b.u8(0)
		}
	} else if op, ok := arithFor(sel); ok {
		b.op(opArith)
		b.u16(b.lit(c.vm.m.Intern(sel)))
		b.u8(len(x.Args))
		b.u8(int(op))
	} else if op, ok := indexFor(sel); ok {
		b.op(opIndex)
		b.u16(b.lit(c.vm.m.Intern(sel)))
		b.u8(len(x.Args))
		b.u8(int(op))
	} else {
		b.op(opSend)
		b.u16(b.lit(c.vm.m.Intern(sel)))
		b.u8(len(x.Args))
	}
	c.checkLits(b, x.SelPos)
}

// primHasIfFail reports whether a primitive send of sel passes an IfFail:
// block as its last argument (the operand opPrim carries). Unknown
// primitives fail at run time, so that code naming a primitive from a
// newer VM still compiles; their IfFail: part is read from the selector.
func primHasIfFail(sel string) bool {
	_, ifFail, known := prims.Lookup(sel)
	if !known && !isVMPrim(prims.StripIfFail(sel)) {
		return prims.StripIfFail(sel) != sel
	}
	return ifFail
}

// eval evaluates an initializer now, in the lobby's context. Literals,
// the most common initializers, need no run of the interpreter.
func (c *compiler) eval(e syntax.Expr) heap.Oop {
	m := c.vm.m
	switch x := e.(type) {
	case *syntax.IntLit:
		if x.Big == nil {
			return m.Int64(x.Value)
		}
	case *syntax.StringLit:
		return m.Intern(x.Value)
	case *syntax.FloatLit:
		return m.Float(x.Value)
	}
	return c.once(e, func() heap.Oop {
		b := &methodBuilder{sc: &scope{}}
		c.expr(b, e)
		b.op(opReturn)
		meth := c.finish(b, heap.Nil, 0, nil, 0, nil)
		v, err := c.vm.run(meth, c.vm.m.Lobby)
		if err != nil {
			panic(err)
		}
		return v
	})
}
