package vm

import (
	"encoding/binary"

	"psyche/heap"
	"psyche/vm/syntax"
)

// Inlining: sends of ifTrue:False:, whileTrue:, to:Do: and their kin whose
// blocks are literals compile to jumps over the blocks' code, placed in the
// enclosing activation; the blocks' arguments and locals become hidden
// variables of it. Each form runs inline only while its guard (guards.go)
// holds and its receiver is what the inlined code assumes (a boolean, small
// integers); otherwise it makes the real send, with real blocks, compiled
// beside the inline code. So a user's own ifTrue: on his own object, or his
// redefinition of to:Do: in traits integer, works as written.
//
// A block is inlined only if nothing can tell: it takes the arguments the
// form passes, sends no _Restart (which would restart the enclosing
// activation instead of the block's), and no block or inner method inside
// it that stays real refers to its arguments or locals (each real
// activation would have its own; inlined, they share one). A ^ inside an
// inlined block returns from the same method as it would from the real one.

type formKind uint8

const (
	formIf     formKind = iota // receiver: a boolean; one or two blocks
	formWhile                  // receiver: a literal block; an optional body block
	formTo                     // to:Do:, to:By:Do:: receiver and bound small integers
	formRepeat                 // timesRepeat:
)

// elseValue is what a one-block formIf answers when the receiver is the
// other boolean.
type elseValue uint8

const (
	elseNil   elseValue = iota // ifTrue:, ifFalse:
	elseOther                  // && answers false, || answers true
)

type inlineForm struct {
	kind  formKind
	guard guardID
	sense bool // formIf: the boolean that runs the first block; formWhile: the one that goes on
	els   elseValue
}

var inlineForms = map[string]inlineForm{
	"ifTrue:":       {kind: formIf, guard: guardIfTrue, sense: true},
	"ifFalse:":      {kind: formIf, guard: guardIfFalse},
	"ifTrue:False:": {kind: formIf, guard: guardIfTrueFalse, sense: true},
	"ifFalse:True:": {kind: formIf, guard: guardIfFalseTrue},
	"&&":            {kind: formIf, guard: guardAnd, sense: true, els: elseOther},
	"||":            {kind: formIf, guard: guardOr, els: elseOther},
	"whileTrue:":    {kind: formWhile, guard: guardWhileTrue, sense: true},
	"whileFalse:":   {kind: formWhile, guard: guardWhileFalse},
	"whileTrue":     {kind: formWhile, guard: guardWhileTrueUnary, sense: true},
	"whileFalse":    {kind: formWhile, guard: guardWhileFalseUnary},
	"to:Do:":        {kind: formTo, guard: guardToDo},
	"to:By:Do:":     {kind: formTo, guard: guardToByDo},
	"timesRepeat:":  {kind: formRepeat, guard: guardTimesRepeat},
}

// maxInlineStep bounds the step of an inlined to:By:Do:, so that i + step
// never leaves an int64.
const maxInlineStep = 1<<31 - 1

// literalStep answers the step of a to:By:Do: whose step is a literal the
// inlined loop can take as it stands (opForInit); any other step is
// computed at run time (opForStepInit).
func literalStep(x *syntax.Send) (int64, bool) {
	step, ok := x.Args[1].(*syntax.IntLit)
	if !ok || step.Big != nil || step.Value == 0 || step.Value > maxInlineStep || step.Value < -maxInlineStep {
		return 0, false
	}
	return step.Value, true
}

// inlined answers the form of x and its literal blocks (the receiver's
// first, for a while), or false if x is compiled as a send.
func inlined(x *syntax.Send) (inlineForm, []*syntax.Block, bool) {
	form, ok := inlineForms[string(x.Sel)]
	if !ok || x.Resend != "" {
		return form, nil, false
	}
	var blocks []*syntax.Block
	take := func(e syntax.Expr, nargs int) bool {
		blk, ok := e.(*syntax.Block)
		if ok && inlinable(blk, nargs) {
			blocks = append(blocks, blk)
			return true
		}
		return false
	}
	switch form.kind {
	case formIf:
		for _, a := range x.Args {
			if !take(a, 0) {
				return form, nil, false
			}
		}
	case formWhile:
		if !take(x.Recv, 0) || len(x.Args) == 1 && !take(x.Args[0], 0) {
			return form, nil, false
		}
	case formTo:
		if !take(x.Args[len(x.Args)-1], 1) {
			return form, nil, false
		}
	case formRepeat:
		if !take(x.Args[0], 0) {
			return form, nil, false
		}
	}
	return form, blocks, true
}

// inlinable reports whether blk may be compiled in place of a block taking
// nargs arguments.
func inlinable(blk *syntax.Block, nargs int) bool {
	names := map[string]bool{}
	args, locals := 0, 0
	for _, s := range blk.Slots {
		if s.Parent || names[string(s.Name)] {
			return false // an error the real block reports
		}
		names[string(s.Name)] = true
		switch s.Kind {
		case syntax.ArgSlot:
			if locals > 0 {
				return false
			}
			args++
		case syntax.DataSlot, syntax.ConstSlot:
			locals++
		default:
			return false
		}
	}
	if args != nargs {
		return false
	}
	w := captureWalk{names: names}
	w.code(blk.Body, false)
	return !w.found
}

// captureWalk looks through code for a _Restart, and for names used
// inside a block or inner method that stays real.
type captureWalk struct {
	names map[string]bool
	found bool
}

func (w *captureWalk) code(c *syntax.Code, inReal bool) {
	for _, st := range c.Stmts {
		w.expr(st, inReal)
	}
}

func (w *captureWalk) expr(e syntax.Expr, inReal bool) {
	if w.found {
		return
	}
	switch x := e.(type) {
	case *syntax.Paren:
		w.expr(x.X, inReal)
	case *syntax.Return:
		w.expr(x.X, inReal)
	case *syntax.Block:
		w.code(x.Body, true)
	case *syntax.Method:
		w.code(x.Body, true)
	case *syntax.Send:
		w.send(x, inReal)
	}
}

func (w *captureWalk) send(x *syntax.Send, inReal bool) {
	if x.Recv == nil {
		sel := string(x.Sel)
		if sel == "_Restart" {
			w.found = true
			return
		}
		if inReal && len(w.names) > 0 {
			name := sel
			if x.Sel.Kind() == syntax.Keyword && x.Sel.Arity() == 1 {
				name = sel[:len(sel)-1]
			}
			if w.names[name] {
				w.found = true
				return
			}
		}
	}
	_, blocks, ok := inlined(x)
	isInlined := func(e syntax.Expr) bool {
		for _, b := range blocks {
			if syntax.Expr(b) == e {
				return ok
			}
		}
		return false
	}
	for _, e := range append([]syntax.Expr{x.Recv}, x.Args...) {
		if blk, isBlock := e.(*syntax.Block); isBlock && isInlined(e) {
			w.code(blk.Body, inReal)
		} else if e != nil {
			w.expr(e, inReal)
		}
	}
}

// jumpFrom emits the u32 operand of a jump whose target is not known yet,
// and answers where to patch it.
func (b *methodBuilder) jumpFrom() int {
	b.code = binary.LittleEndian.AppendUint32(b.code, 0)
	return len(b.code) - 4
}

// land makes the jump operands at, emitted by jumpFrom, target the next
// instruction.
func (b *methodBuilder) land(at ...int) {
	b.assigned = 0
	for _, a := range at {
		binary.LittleEndian.PutUint32(b.code[a:], uint32(len(b.code)))
	}
}

func (b *methodBuilder) jumpTo(target int) {
	b.op(opJump)
	b.code = binary.LittleEndian.AppendUint32(b.code, uint32(target))
}

// hiddenVar adds a variable of the current activation that no name
// reaches, and answers its index.
func (c *compiler) hiddenVar(b *methodBuilder, p syntax.Pos) int {
	b.sc.names = append(b.sc.names, "(inlined)")
	b.sc.readOnly = append(b.sc.readOnly, true)
	b.sc.hide(len(b.sc.names) - 1)
	c.checkVars(b, p)
	return len(b.sc.names) - 1
}

func (c *compiler) checkVars(b *methodBuilder, p syntax.Pos) {
	if len(b.sc.names) > maxVars {
		c.errorf(p, "too many arguments and locals in one method or block (limit %d)", maxVars)
	}
}

// declareBlock makes blk's arguments and locals variables of the current
// activation and answers the index of the first (its argument, if any).
func (c *compiler) declareBlock(b *methodBuilder, blk *syntax.Block) int {
	first := len(b.sc.names)
	for _, s := range blk.Slots {
		b.sc.names = append(b.sc.names, string(s.Name))
		b.sc.readOnly = append(b.sc.readOnly, s.Kind != syntax.DataSlot)
	}
	c.checkVars(b, blk.Open)
	return first
}

// blockBody emits blk's code in place: its locals set to their initial
// values, then its statements; the last one's value (nil if none) is left
// on the stack. Its variables, declared at first, are hidden afterwards.
func (c *compiler) blockBody(b *methodBuilder, blk *syntax.Block, first int) {
	for i, s := range blk.Slots {
		if s.Kind == syntax.ArgSlot {
			continue
		}
		v := c.vm.m.Nil
		if s.Value != nil {
			v = c.eval(s.Value)
		}
		b.op(opPushLit)
		b.u16(b.lit(v))
		c.local(b, opStoreLocal, 0, first+i, string(s.Name), s.NamePos)
	}
	stmts := blk.Body.Stmts
	if len(stmts) == 0 {
		b.op(opPushLit)
		b.u16(b.lit(c.vm.m.Nil))
	}
	for i, st := range stmts {
		if r, ok := st.(*syntax.Return); ok {
			if i < len(stmts)-1 {
				c.errorf(stmts[i+1].Pos(), "statement after a return")
			}
			c.expr(b, r.X)
			if b.sc.isBlock {
				b.markPos(r.Caret)
				b.op(opNonLocalReturn)
			} else {
				b.op(opReturn)
			}
			break
		}
		c.expr(b, st)
		if i < len(stmts)-1 {
			b.discard()
		}
	}
	for i := range blk.Slots {
		b.sc.hide(first + i)
	}
}

// inline compiles x as an inlined form if it is one; the receiver is on
// the stack, except for a while, whose receiver is a literal block.
func (c *compiler) inline(b *methodBuilder, x *syntax.Send) bool {
	form, blocks, ok := inlined(x)
	if !ok {
		return false
	}
	sel := b.lit(c.vm.m.Intern(string(x.Sel)))
	sense := 0
	if form.sense {
		sense = 1
	}
	// send emits the real send: the stack holds what the form's inline
	// code found there, and pushes are the rest of its receiver and arguments.
	send := func(pushes ...syntax.Expr) {
		for _, e := range pushes {
			c.expr(b, e)
		}
		b.markPos(x.SelPos)
		b.op(opSend)
		b.u16(sel)
		b.u8(len(x.Args))
	}
	switch form.kind {
	case formIf:
		b.op(opIf)
		b.u8(int(form.guard))
		b.u8(sense)
		els, snd := b.jumpFrom(), b.jumpFrom()
		c.blockBody(b, blocks[0], c.declareBlock(b, blocks[0]))
		b.op(opJump)
		end := []int{b.jumpFrom()}
		b.land(els)
		if len(blocks) == 2 {
			c.blockBody(b, blocks[1], c.declareBlock(b, blocks[1]))
		} else {
			v := c.vm.m.Nil
			if form.els == elseOther {
				v = c.vm.m.Bool(!form.sense)
			}
			b.op(opPushLit)
			b.u16(b.lit(v))
		}
		b.op(opJump)
		end = append(end, b.jumpFrom())
		b.land(snd)
		send(x.Args...)
		b.land(end...)
	case formWhile:
		b.op(opGuard)
		b.u8(int(form.guard))
		snd := b.jumpFrom()
		top := len(b.code)
		c.blockBody(b, blocks[0], c.declareBlock(b, blocks[0]))
		b.op(opIf)
		b.u8(int(form.guard))
		b.u8(sense)
		exit, nonBool := b.jumpFrom(), b.jumpFrom()
		body := len(b.code)
		if len(blocks) == 2 {
			c.blockBody(b, blocks[1], c.declareBlock(b, blocks[1]))
			b.discard()
		}
		b.markPos(x.SelPos)
		b.jumpTo(top)
		// A condition that answers no boolean gets what the core loop
		// sends it (ifFalse: for whileTrue), then the body runs.
		b.land(nonBool)
		b.op(opPushLit)
		b.u16(b.lit(c.vm.m.Nil))
		b.markPos(x.SelPos)
		b.op(opSend)
		if form.sense {
			b.u16(b.lit(c.vm.m.Intern("ifFalse:")))
		} else {
			b.u16(b.lit(c.vm.m.Intern("ifTrue:")))
		}
		b.u8(1)
		b.discard()
		b.jumpTo(body)
		b.land(exit)
		b.op(opPushLit)
		b.u16(b.lit(c.vm.m.Nil))
		b.op(opJump)
		end := b.jumpFrom()
		b.land(snd)
		send(append([]syntax.Expr{x.Recv}, x.Args...)...)
		b.land(end)
	case formTo, formRepeat:
		if len(x.Args) == 3 {
			if _, ok := literalStep(x); !ok {
				c.forStep(b, x, form, blocks[0], send)
				break
			}
		}
		blk := blocks[0]
		var step heap.Oop = heap.FromInt(1)
		var rest []syntax.Expr // pushed only for the real send
		formOp := forRepeat
		if form.kind == formTo {
			formOp = forTo
			c.expr(b, x.Args[0])
			if len(x.Args) == 3 {
				v, _ := literalStep(x)
				step = heap.FromInt(v)
				rest = append(rest, x.Args[1])
			}
		}
		rest = append(rest, blk)
		stop := c.hiddenVar(b, x.SelPos)
		first := c.declareBlock(b, blk)
		i := first
		if form.kind == formRepeat {
			i = c.hiddenVar(b, x.SelPos)
		}
		stepLit := b.lit(step)
		b.op(opForInit)
		b.u8(int(form.guard))
		b.u8(formOp)
		b.u16(i)
		b.u16(stop)
		b.u16(stepLit)
		exit, snd := b.jumpFrom(), b.jumpFrom()
		c.countedLoop(b, x, blk, first, countedLoop{next: opForNext, i: i, stop: stop, step: stepLit, exit: exit, send: snd},
			func() { send(rest...) })
	}
	c.checkLits(b, x.SelPos)
	return true
}

// forStep compiles a to:By:Do: whose step is computed: receiver, last and
// step are evaluated once, in that order, as for the real send, and stay on
// the stack for it should opForStepInit find them unfit.
func (c *compiler) forStep(b *methodBuilder, x *syntax.Send, form inlineForm, blk *syntax.Block, send func(...syntax.Expr)) {
	c.expr(b, x.Args[0])
	c.expr(b, x.Args[1])
	stop, step := c.hiddenVar(b, x.SelPos), c.hiddenVar(b, x.SelPos)
	i := c.declareBlock(b, blk)
	b.op(opForStepInit)
	b.u8(int(form.guard))
	b.u16(i)
	b.u16(stop)
	b.u16(step)
	exit, snd := b.jumpFrom(), b.jumpFrom()
	c.countedLoop(b, x, blk, i, countedLoop{next: opForStepNext, i: i, stop: stop, step: step, exit: exit, send: snd},
		func() { send(blk) })
}

// countedLoop is what the end of an inlined to:Do: or to:By:Do: needs: the
// instruction that steps it (opForNext, whose step is a literal, or
// opForStepNext, whose step is a variable), its operands, and the places of
// its init instruction's two jumps still to land.
type countedLoop struct {
	next          byte
	i, stop, step int
	exit, send    int
}

// countedLoop compiles a counting loop's body (the block's statements, its
// first variable the counter) and its backward step, lands the init's exit
// after it, and then compiles the real send the init jumps to when the
// loop cannot run inline.
func (c *compiler) countedLoop(b *methodBuilder, x *syntax.Send, blk *syntax.Block, first int, l countedLoop, realSend func()) {
	top := len(b.code)
	c.blockBody(b, blk, first)
	b.discard()
	b.markPos(x.SelPos)
	b.op(l.next)
	b.u16(l.i)
	b.u16(l.stop)
	b.u16(l.step)
	b.code = binary.LittleEndian.AppendUint32(b.code, uint32(top))
	b.land(l.exit)
	b.op(opJump)
	end := b.jumpFrom()
	b.land(l.send)
	realSend()
	b.land(end)
}
