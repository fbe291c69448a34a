package syntax

import "strings"

// This file parses object and block literals and their slot lists.

// body is what is between the brackets of an object or block literal.
type body struct {
	open, close Pos
	slots       []*Slot
	anno        *Annotation
	code        *Code
}

// parseBody parses "( [slotlist] [code] )" or "[ [slotlist] [code] ]";
// p.tok is the opening bracket.
func (p *parser) parseBody() body {
	p.enter()
	defer p.leave()
	openTok := p.tok.kind
	b := body{open: p.tok.pos}
	closeKind, opener, closer := tRParen, "(", ")"
	if openTok == tLBrack {
		closeKind, opener, closer = tRBrack, "[", "]"
	}
	p.depth++
	p.next()
	if openTok == tLBrack {
		p.checkBlockArgs()
	}
	if p.tok.kind == tBar {
		b.slots, b.anno = p.parseSlotList()
	}
	b.code = p.parseCode()
	if p.tok.kind != closeKind {
		p.fail(p.tok.pos, "expected '%s' to close '%s' opened at %s", closer, opener, b.open)
	}
	b.close = p.tok.pos
	p.depth--
	p.next()
	return b
}

// noArgs rejects argument slots in an object that cannot take arguments.
func (p *parser) noArgs(slots []*Slot) {
	for _, s := range slots {
		if s.Kind == ArgSlot {
			p.fail(s.NamePos, "expected no argument slot here: ':%s' is only allowed in a block or in a method with arguments", s.Name)
		}
	}
}

// parseParen parses "(" ... ")" in expression position: a Paren, a
// Method (inner method) or an Object (data object).
func (p *parser) parseParen() Expr {
	b := p.parseBody()
	p.noArgs(b.slots)
	return b.expr()
}

func (b *body) expr() Expr {
	switch {
	case len(b.code.Stmts) == 0:
		return &Object{Open: b.open, Close: b.close, Slots: b.slots, Annotation: b.anno}
	case len(b.slots) == 0 && b.anno == nil && len(b.code.Stmts) == 1:
		if _, ret := b.code.Stmts[0].(*Return); !ret {
			return &Paren{Open: b.open, Close: b.close, X: b.code.Stmts[0]}
		}
	}
	return &Method{Open: b.open, Close: b.close, Slots: b.slots, Annotation: b.anno, Body: b.code}
}

// parseBlock parses a block literal.
func (p *parser) parseBlock() Expr {
	b := p.parseBody()
	if len(b.code.Stmts) == 0 {
		for _, s := range b.slots {
			if s.Kind == ArgSlot {
				p.fail(s.NamePos, "expected code in a block with argument slots (':%s' is unused)", s.Name)
			}
		}
	}
	return &Block{Open: b.open, Close: b.close, Slots: b.slots, Annotation: b.anno, Body: b.code}
}

// parseAnnotated parses an annotated object literal in expression
// position: { 'text' ( ... ) } or { 'text' [ ... ] }.
func (p *parser) parseAnnotated() Expr {
	p.enter()
	defer p.leave()
	open := p.tok.pos
	p.depth++
	p.next()
	if p.tok.kind != tString {
		p.fail(p.tok.pos, "expected an annotation string after '{', found %s", p.found())
	}
	anno := &Annotation{At: p.tok.pos, Text: p.tok.text}
	p.next()
	var x Expr
	switch p.tok.kind {
	case tLParen:
		b := p.parseBody()
		p.noArgs(b.slots)
		if b.anno != nil {
			p.fail(b.anno.At, "expected one annotation for the object, found a second one ({} = ... inside { '...' ( ) })")
		}
		b.anno = anno
		x = b.expr()
	case tLBrack:
		blk := p.parseBlock().(*Block)
		if blk.Annotation != nil {
			p.fail(blk.Annotation.At, "expected one annotation for the block, found a second one ({} = ... inside { '...' [ ] })")
		}
		blk.Annotation = anno
		x = blk
	default:
		p.fail(p.tok.pos, "expected '(' or '[' after the annotation string, found %s", p.found())
	}
	if p.tok.kind != tRBrace {
		p.fail(p.tok.pos, "expected '}' to close '{' opened at %s", open)
	}
	p.depth--
	p.next()
	return x
}

// slotList collects the slots of one slot list.
type slotList struct {
	open  Pos // the opening '|'
	slots []*Slot
	anno  *Annotation // the object annotation, {} = 'text'
}

// parseSlotList parses "| slots |"; p.tok is the first '|'.
func (p *parser) parseSlotList() ([]*Slot, *Annotation) {
	l := slotList{open: p.tok.pos}
	p.next()
	p.parseSlots(&l, nil, tBar, l.open)
	if p.tok.kind != tBar {
		p.fail(p.tok.pos, "expected '|' to close the slot list opened at %s", l.open)
	}
	p.next()
	return l.slots, l.anno
}

// parseSlots parses slots, annotation groups and object annotations up
// to closer ('|' for a slot list, '}' for a group opened at open),
// which it leaves for the caller. Slots are separated by '.'; after a
// group the '.' is optional.
func (p *parser) parseSlots(l *slotList, group *Annotation, closer tokKind, open Pos) {
	closerText := "|"
	what := "the slot list"
	if closer == tRBrace {
		closerText, what = "}", "the annotation group"
	}
	for {
		for p.tok.kind == tLBrace {
			p.parseGroup(l, group)
			if p.tok.kind == tDot {
				p.next()
			}
		}
		if p.tok.kind == closer {
			return
		}
		name, sep := p.parseSlot(l, group, closerText, what, open)
		switch {
		case sep:
		case p.tok.kind == tDot:
			p.next()
		case p.tok.kind == closer:
			return
		case p.tok.kind == tLBrace || p.tok.kind == tArg ||
			l.slots[len(l.slots)-1].Kind == ArgSlot && (p.tok.kind == tName || p.tok.kind == tKeyword):
			// The '.' is not needed to tell a slot from a following
			// group (Self's own Self-written parser accepts that), nor
			// around an argument slot (old code has [| :a :b t | ...]).
		case l.slots[len(l.slots)-1].Kind == ArgSlot && (p.tok.kind == tEq || p.tok.kind == tArrow):
			p.fail(p.tok.pos, "expected '.' or '%s' after argument slot ':%s', found %s (arguments have no initial value)", closerText, name, p.found())
		case p.tok.kind == tName || p.tok.kind == tKeyword:
			p.failMissingPeriod(name)
		default:
			p.fail(p.tok.pos, "expected '.' or '%s' after slot '%s', found %s", closerText, name, p.found())
		}
	}
}

// parseGroup parses "{ 'text' slots }" or "{} = 'text'"; p.tok is '{'.
func (p *parser) parseGroup(l *slotList, group *Annotation) {
	p.enter()
	defer p.leave()
	open := p.tok.pos
	p.next()
	if p.tok.kind == tRBrace {
		p.next()
		if p.tok.kind != tEq {
			p.fail(p.tok.pos, "expected '=' after '{}' (an object annotation is written {} = 'text'), found %s", p.found())
		}
		p.next()
		if p.tok.kind != tString {
			p.fail(p.tok.pos, "expected an annotation string after '{} =', found %s", p.found())
		}
		if l.anno != nil {
			p.fail(open, "expected one object annotation, found a second one (the first is at %s)", l.anno.At)
		}
		l.anno = &Annotation{At: p.tok.pos, Text: p.tok.text}
		p.next()
		return
	}
	if p.tok.kind != tString {
		p.fail(p.tok.pos, "expected an annotation string after '{', found %s", p.found())
	}
	g := &Annotation{At: p.tok.pos, Text: p.tok.text, Outer: group}
	p.next()
	p.parseSlots(l, g, tRBrace, open)
	if p.tok.kind != tRBrace {
		p.fail(p.tok.pos, "expected '}' to close '{' opened at %s", open)
	}
	p.next()
}

// checkSlotName rejects slot names Self rejects: those beginning with
// '_' (reserved for primitives) or with a capital letter.
func (p *parser) checkSlotName(name string, pos Pos) {
	switch {
	case name[0] == '_':
		p.fail(pos, "expected a slot name not beginning with '_' (reserved for primitives), found '%s'", name)
	case is(name[0], cUpper):
		p.fail(pos, "expected a slot name beginning with a lowercase letter, found '%s'", name)
	}
}

// parseSlot parses one slot definition and appends it to l. It returns
// the slot's name, and sep = true if it consumed the '.' after it (the
// lexer reads "a.|" as a resend prefix "a." followed by '|'; in a slot
// list that can only be slot a and a separator).
func (p *parser) parseSlot(l *slotList, group *Annotation, closerText, what string, open Pos) (name string, sep bool) {
	privacy := p.parsePrivacy()
	t := p.tok
	s := &Slot{NamePos: t.pos, Name: Selector(t.text), Annotation: group, Privacy: privacy}
	switch t.kind {
	case tArg:
		if privacy != "" {
			p.fail(t.pos, "expected a slot name after privacy mark '%s', found %s (arguments have no privacy)", privacy, p.found())
		}
		p.checkSlotName(t.text, t.pos)
		s.Kind = ArgSlot
		p.next()
	case tResend:
		if t.text == "resend" {
			p.fail(t.pos, "expected a slot name, found 'resend' (a reserved word)")
		}
		p.checkSlotName(t.text, t.pos)
		s.Kind = DataSlot
		sep = true
		p.next()
	case tName:
		p.checkSlotName(t.text, t.pos)
		p.next()
		p.parseNamedSlot(s)
	case tOp, tEq, tArrow:
		p.next()
		var args []*Slot
		if p.tok.kind == tName {
			args = append(args, p.argInSelector(group))
		}
		if p.tok.kind != tEq {
			if args == nil {
				p.fail(p.tok.pos, "expected an argument name or '=' after binary slot '%s', found %s", t.text, p.found())
			}
			p.fail(p.tok.pos, "expected '=' after '%s %s', found %s", t.text, args[0].Name, p.found())
		}
		p.next()
		s.Kind = MethodSlot
		s.Value = p.parseMethodBody(t.text, 1, args)
	case tKeyword:
		p.checkSlotName(t.text, t.pos)
		p.next()
		s.Name = Selector(p.parseKeywordSlot(s, t.text, group))
	case tCapKeyword:
		p.checkSlotName(t.text, t.pos)
	default:
		if privacy != "" {
			p.fail(t.pos, "expected a slot name after privacy mark '%s', found %s", privacy, p.found())
		}
		p.fail(t.pos, "expected a slot or '%s' to close %s opened at %s, found %s", closerText, what, open, p.found())
	}
	l.slots = append(l.slots, s)
	return string(s.Name), sep
}

// parsePrivacy parses the privacy marks of old Self ("^", "_", "^_",
// "_^") before a slot, if any. A lone '_' is lexed as a name and a lone
// '^' as a return; before a slot they can only be privacy marks.
func (p *parser) parsePrivacy() string {
	mark := ""
	for len(mark) < 2 {
		switch {
		case p.tok.kind == tCaret && !strings.Contains(mark, "^"):
			mark += "^"
			end := p.tok.end
			p.next()
			// "^_name" is "^_" and "name".
			if t := &p.tok; (t.kind == tName || t.kind == tKeyword) && len(t.text) > 1 &&
				t.text[0] == '_' && int(t.pos.Off) == end && !strings.Contains(mark, "_") {
				mark += "_"
				p.lx.reset(end + 1)
				p.next()
			}
			continue
		case p.tok.kind == tName && p.tok.text == "_" && !strings.Contains(mark, "_"):
			mark += "_"
		default:
			return mark
		}
		p.next()
	}
	return mark
}

// parseNamedSlot parses what follows the name of a unary slot:
// ["*"] [("=" | "<-") expr].
func (p *parser) parseNamedSlot(s *Slot) {
	if p.tok.kind == tOp && p.tok.text[0] == '*' {
		op := p.tok.text
		stars := 0
		for stars < len(op) && op[stars] == '*' {
			stars++
		}
		if stars > 255 {
			p.fail(p.tok.pos, "expected at most 255 '*' after parent slot name '%s'", s.Name)
		}
		s.Parent = true
		s.Priority = uint8(stars)
		if stars < len(op) {
			// "p*=" and "p*<-": read the rest of the operator again.
			p.lx.reset(int(p.tok.pos.Off) + stars)
		}
		p.next()
	}
	switch p.tok.kind {
	case tEq:
		p.next()
		saved := p.beginInit(string(s.Name))
		v := p.parseExprExpecting("an initial value after '='")
		p.endInit(saved)
		if pr, ok := v.(*Paren); ok {
			// "foo = (e)" defines a method, not the value of e.
			v = &Method{Open: pr.Open, Close: pr.Close, Body: &Code{Stmts: []Expr{pr.X}}}
		}
		s.Kind = ConstSlot
		if _, ok := v.(*Method); ok {
			if s.Parent {
				p.fail(v.Pos(), "expected an object without code for parent slot '%s*', found a method", s.Name)
			}
			s.Kind = MethodSlot
		}
		s.Value = v
	case tArrow:
		p.next()
		s.Kind = DataSlot
		saved := p.beginInit(string(s.Name))
		s.Value = p.parseExprExpecting("an initial value after '<-'")
		p.endInit(saved)
	default:
		s.Kind = DataSlot
	}
}

// parseKeywordSlot parses the rest of a keyword method slot after its
// first keyword kw1: either "i Put: v = (...)" (arguments named in the
// selector) or "Put: = ( | :i. :v | ...)". It returns the selector.
func (p *parser) parseKeywordSlot(s *Slot, kw1 string, group *Annotation) string {
	parts := []string{kw1}
	var args []*Slot
	nargs := 1
	if p.tok.kind == tName {
		args = append(args, p.argInSelector(group))
		for p.tok.kind == tCapKeyword {
			kw := p.tok.text
			parts = append(parts, kw)
			p.next()
			if p.tok.kind != tName {
				p.fail(p.tok.pos, "expected an argument name after '%s' in the selector of a method slot, found %s", kw, p.found())
			}
			args = append(args, p.argInSelector(group))
		}
		nargs = len(args)
	} else {
		for p.tok.kind == tCapKeyword {
			parts = append(parts, p.tok.text)
			nargs++
			p.next()
		}
	}
	sel := p.selector(parts)
	if p.tok.kind == tKeyword {
		p.fail(p.tok.pos, "expected a capitalized keyword to continue selector '%s', found '%s'", sel, p.tok.text)
	}
	if p.tok.kind != tEq {
		p.fail(p.tok.pos, "expected '=' after method selector '%s', found %s", sel, p.found())
	}
	p.next()
	s.Kind = MethodSlot
	s.Value = p.parseMethodBody(sel, nargs, args)
	return sel
}

// argInSelector makes an argument slot of the name token in a method
// slot's selector.
func (p *parser) argInSelector(group *Annotation) *Slot {
	p.checkSlotName(p.tok.text, p.tok.pos)
	a := &Slot{NamePos: p.tok.pos, Kind: ArgSlot, Name: Selector(p.tok.text), InSelector: true, Annotation: group}
	p.next()
	return a
}

// parseMethodBody parses the body of a binary or keyword method slot
// sel taking nargs arguments, of which selArgs were named in the
// selector. The others must be argument slots of the body.
func (p *parser) parseMethodBody(sel string, nargs int, selArgs []*Slot) *Method {
	if p.tok.kind != tLParen {
		p.fail(p.tok.pos, "expected '(' to begin the body of method '%s', found %s", sel, p.found())
	}
	b := p.parseBody()
	if len(b.code.Stmts) == 0 {
		p.fail(b.open, "expected code in the body of method '%s' (an object without code cannot take arguments)", sel)
	}
	n := 0
	for _, s := range b.slots {
		if s.Kind == ArgSlot {
			if len(selArgs) > 0 {
				p.fail(s.NamePos, "expected no argument slot in method '%s', whose selector names its arguments, found ':%s'", sel, s.Name)
			}
			n++
		}
	}
	if len(selArgs) == 0 && n != nargs {
		p.fail(b.open, "expected %d argument slot(s) in the body of method '%s', found %d", nargs, sel, n)
	}
	slots := b.slots
	if len(selArgs) > 0 {
		slots = append(selArgs, b.slots...)
	}
	return &Method{Open: b.open, Close: b.close, Slots: slots, Annotation: b.anno, Body: b.code}
}
