package syntax

import (
	"fmt"
	"math"
	"math/big"
)

// MaxNesting is how deeply code may nest: each parenthesis, bracket or
// brace, each keyword argument and each annotation group of slots opens
// one level. Deeper code is the syntax error "expression nested too
// deeply (limit 1000)". Everything that walks a syntax tree recursively
// (this parser, Format, Inspect, the compiler) recurses once per level at
// most a few frames deep, so the limit keeps every walk far below Go's
// stack limit. Chains of unary and binary sends (1 + 1 + 1 ...) do not
// nest: they may be as long as the source, and every walk follows them
// in a loop.
const MaxNesting = 1000

// mode selects how top-level statements end.
type mode uint8

const (
	modeCode mode = iota // statements are separated by '.' only
	modeFile             // also by a line break outside (), [] and {}
)

// parser is a recursive-descent parser with one token of lookahead.
// It stops at the first error: fail records it and unwinds with a
// bailout panic that the entry point recovers.
type parser struct {
	lx       *lexer
	filename string
	mode     mode
	tok      token // current token
	held     token // in file mode, the real token behind a synthetic tNL
	hasHeld  bool
	depth    int // open (, [ and { (file mode ends statements at depth 0)
	nest     int // levels open, bounded by MaxNesting
	err      *Error
	scratch  []byte      // for building keyword selectors
	init     initContext // the slot initializer being parsed, if any
}

type bailout struct{}

// ParseCode parses a REPL input or a script: statements separated by
// '.', the last of which may be a '^' return.
func ParseCode(filename string, src []byte) (*Code, error) {
	var code *Code
	err := parse(filename, src, modeCode, func(p *parser) {
		code = p.parseCode()
		if p.tok.kind != tEOF {
			p.fail(p.tok.pos, "expected '.' or end of input after the statement, found %s", p.found())
		}
	})
	if err != nil {
		return nil, err
	}
	return code, nil
}

// ParseExpr parses a single expression, optionally followed by '.'.
func ParseExpr(filename string, src []byte) (Expr, error) {
	var x Expr
	err := parse(filename, src, modeCode, func(p *parser) {
		x = p.parseExprExpecting("an expression")
		if p.tok.kind == tDot {
			p.next()
		}
		if p.tok.kind != tEOF {
			p.fail(p.tok.pos, "expected end of input after the expression, found %s", p.found())
		}
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// ParseFile parses a Self source file as Self's own file reader does:
// a top-level statement ends at a '.' or at a line break outside any
// parentheses, brackets or braces (a backslash right before the line
// break joins the lines). This is the format of Self's world files
// ("transporter" files), whose statements are not separated by periods.
func ParseFile(filename string, src []byte) (*Code, error) {
	var code *Code
	err := parse(filename, src, modeFile, func(p *parser) {
		code = p.parseFileBody()
	})
	if err != nil {
		return nil, err
	}
	return code, nil
}

func parse(filename string, src []byte, m mode, body func(*parser)) (err error) {
	if len(src) >= math.MaxInt32 {
		return &Error{Filename: filename, Line: 1, Col: 1, Msg: "source is too large (2 GiB or more)"}
	}
	p := &parser{lx: newLexer(src), filename: filename, mode: m}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			err = p.err
		}
	}()
	p.next()
	body(p)
	return nil
}

// fail records a syntax error at pos and unwinds the parse.
func (p *parser) fail(pos Pos, format string, args ...any) {
	p.err = &Error{
		Filename: p.filename,
		Line:     int(pos.Line),
		Col:      int(pos.Col),
		Msg:      fmt.Sprintf(format, args...),
	}
	panic(bailout{})
}

// next advances to the next token. Lexical errors stop the parse at
// once. In file mode, a line break before a token at depth 0 first
// yields a synthetic tNL token.
func (p *parser) next() {
	if p.hasHeld {
		p.tok, p.hasHeld = p.held, false
		return
	}
	t := p.lx.scan()
	if t.kind == tIllegal {
		p.fail(t.pos, "%s", t.text)
	}
	if p.mode == modeFile && p.depth == 0 && t.nl {
		p.held, p.hasHeld = t, true
		p.tok = token{kind: tNL, pos: t.nlPos}
		return
	}
	p.tok = t
}

// enter opens a level of nesting, and leave closes it; see MaxNesting.
func (p *parser) enter() {
	p.nest++
	if p.nest > MaxNesting {
		p.fail(p.tok.pos, "expression nested too deeply (limit %d)", MaxNesting)
	}
}

func (p *parser) leave() { p.nest-- }

// found describes the current token for "found ..." in messages, with a
// hint for tokens that are often misused.
func (p *parser) found() string {
	d := p.tok.describe()
	switch p.tok.kind {
	case tInt, tFloat:
		d += " " + string(p.lx.src[p.tok.pos.Off:p.tok.end])
	case tBar:
		d += " (a lone '|' is not an operator; it delimits slot lists)"
	case tCaret:
		d += " (a '^' return can only begin a statement)"
	case tCapKeyword:
		d += " (a capitalized keyword continues a keyword message begun by a lowercase one)"
	case tResend:
		d += " (a name right before '.' and a message is a resend; put a space after '.' to end a statement)"
	}
	return d
}

// parseFileBody parses the statements of a file in file mode.
func (p *parser) parseFileBody() *Code {
	code := &Code{}
	for {
		for p.tok.kind == tNL {
			p.next()
		}
		if p.tok.kind == tEOF {
			return code
		}
		if p.tok.kind == tCaret {
			p.fail(p.tok.pos, "expected a statement, found '^' (a return is only allowed in a method or block)")
		}
		code.Stmts = append(code.Stmts, p.parseExprExpecting("a statement"))
		switch p.tok.kind {
		case tDot, tNL:
			p.next()
		case tEOF:
		default:
			p.fail(p.tok.pos, "expected '.' or a line break after the statement, found %s", p.found())
		}
	}
}

// isCloser reports whether t ends a sequence of statements.
func isCloser(k tokKind) bool {
	return k == tRParen || k == tRBrack || k == tEOF
}

// parseCode parses statements up to a closing ')' or ']' or the end of
// input, which it leaves for the caller to check.
func (p *parser) parseCode() *Code {
	code := &Code{}
	for !isCloser(p.tok.kind) {
		if p.tok.kind == tCaret {
			caret := p.tok.pos
			p.next()
			x := p.parseExprExpecting("an expression after '^'")
			code.Stmts = append(code.Stmts, &Return{Caret: caret, X: x})
			if p.tok.kind == tDot {
				p.next()
			}
			if !isCloser(p.tok.kind) {
				p.fail(p.tok.pos, "expected the end of the code after the '^' statement (a return must be the last statement), found %s", p.found())
			}
			break
		}
		code.Stmts = append(code.Stmts, p.parseExprExpecting("a statement"))
		if p.tok.kind != tDot {
			break
		}
		p.next()
		if p.tok.kind == tDot {
			p.fail(p.tok.pos, "expected a statement after '.', found another '.'")
		}
	}
	return code
}

// canStartExpr reports whether t can begin an expression.
func canStartExpr(t *token) bool {
	switch t.kind {
	case tSelf, tInt, tFloat, tString, tName, tKeyword, tResend, tLParen, tLBrack, tLBrace:
		return true
	}
	return t.isOp()
}

// parseExprExpecting parses an expression, or fails saying that what
// was expected is missing.
func (p *parser) parseExprExpecting(what string) Expr {
	if !canStartExpr(&p.tok) {
		p.fail(p.tok.pos, "expected %s, found %s", what, p.found())
	}
	return p.parseExpr()
}

// parseExpr parses an expression: a keyword send or a binary expression.
//
//	expr = [binary] kw expr { Kw expr } | binary
//
// Keyword sends are right-associative: an argument is a whole
// expression, so a lowercase keyword in it starts a nested send, while
// capitalized keywords after it continue the nested send.
func (p *parser) parseExpr() Expr {
	var x Expr
	switch p.tok.kind {
	case tKeyword:
		return p.parseKeywordSend(nil, "")
	case tResend:
		r := p.tok
		p.next()
		switch {
		case p.tok.kind == tKeyword:
			return p.parseKeywordSend(nil, r.text)
		case p.tok.isOp():
			x = p.parseBinaryRest(nil, r.text)
		default:
			x = p.parseBinaryRest(p.parseUnaryRest(p.resendUnary(r)), "")
		}
	default:
		x = p.parseBinary()
	}
	if p.tok.kind == tKeyword {
		p.checkSlotStart()
		x = p.parseKeywordSend(x, "")
	}
	return x
}

// parseKeywordSend parses the keyword parts and arguments of a keyword
// send to recv (nil: implicit receiver); p.tok is its first keyword.
func (p *parser) parseKeywordSend(recv Expr, resend string) Expr {
	first := p.tok
	p.next()
	args := []Expr{p.parseArg(first.text)}
	sel := first.text
	if p.tok.kind == tCapKeyword {
		// Arguments may hold keyword sends too: collect the parts first.
		parts := []string{sel}
		for p.tok.kind == tCapKeyword {
			kw := p.tok.text
			parts = append(parts, kw)
			p.next()
			args = append(args, p.parseArg(kw))
		}
		sel = p.selector(parts)
	}
	return &Send{Recv: recv, Sel: Selector(sel), SelPos: first.pos, Args: args, Resend: resend}
}

// selector returns the interned concatenation of keyword parts.
func (p *parser) selector(parts []string) string {
	b := p.scratch[:0]
	for _, part := range parts {
		b = append(b, part...)
	}
	p.scratch = b
	return p.lx.intern(b)
}

func (p *parser) parseArg(kw string) Expr {
	if !canStartExpr(&p.tok) {
		p.fail(p.tok.pos, "expected an argument after '%s', found %s", kw, p.found())
	}
	return p.parseNested()
}

// parseNested parses an expression one level of nesting deeper: a
// keyword argument, which may hold further keyword sends.
func (p *parser) parseNested() Expr {
	p.enter()
	defer p.leave()
	return p.parseExpr()
}

// parseBinary parses a binary expression; it may start with an operator
// (implicit receiver: "+ 3" sends + 3 to self).
func (p *parser) parseBinary() Expr {
	if p.tok.isOp() {
		return p.parseBinaryRest(nil, "")
	}
	return p.parseBinaryRest(p.parseUnary(), "")
}

// parseBinaryRest parses { op unary } after left. If left is nil, p.tok
// is an operator and the first send has an implicit receiver; resend
// applies to that first send. All operators of the chain must be the
// same: binary operators have no precedence. A negative number literal
// right after an operand is a binary minus: "3 -4" and "3-4" are 3 - 4.
func (p *parser) parseBinaryRest(left Expr, resend string) Expr {
	var first string
	for {
		var op string
		var opPos Pos
		var arg Expr
		switch {
		case p.tok.isOp():
			p.checkCascade()
			op, opPos = p.tok.text, p.tok.pos
			p.next()
			if p.tok.kind == tKeyword {
				// As in Self, "3 + foo: 4" is 3 + (self foo: 4).
				arg = p.parseNested()
			} else {
				if !canStartExpr(&p.tok) || p.tok.isOp() {
					p.fail(p.tok.pos, "expected an operand after '%s', found %s", op, p.found())
				}
				arg = p.parseUnary()
			}
		case left != nil && p.tok.neg && (p.tok.kind == tInt || p.tok.kind == tFloat):
			op, opPos = "-", p.tok.pos
			lit := p.unsignedLiteral()
			p.next()
			arg = p.parseUnaryRest(lit)
		default:
			return left
		}
		if first != "" && op != first {
			p.fail(opPos, "expected parentheses to mix binary operators '%s' and '%s' (they have no precedence)", first, op)
		}
		first = op
		left = &Send{Recv: left, Sel: Selector(op), SelPos: opPos, Args: []Expr{arg}, Resend: resend}
		resend = ""
	}
}

// unsignedLiteral returns the current negative number token as a
// positive literal placed after its '-'.
func (p *parser) unsignedLiteral() Expr {
	t := &p.tok
	pos := Pos{Line: t.pos.Line, Col: t.pos.Col + 1, Off: t.pos.Off + 1}
	if t.kind == tFloat {
		return &FloatLit{At: pos, Value: -t.fval}
	}
	switch {
	case t.big != nil:
		return &IntLit{At: pos, Big: new(big.Int).Neg(t.big)}
	case t.ival == math.MinInt64:
		return &IntLit{At: pos, Big: new(big.Int).Neg(big.NewInt(t.ival))}
	}
	return &IntLit{At: pos, Value: -t.ival}
}

// parseUnary parses a primary followed by unary messages.
func (p *parser) parseUnary() Expr {
	return p.parseUnaryRest(p.parsePrimary())
}

func (p *parser) parseUnaryRest(x Expr) Expr {
	for p.tok.kind == tName {
		p.checkSlotStart()
		p.checkLower()
		x = &Send{Recv: x, Sel: Selector(p.tok.text), SelPos: p.tok.pos}
		p.next()
	}
	return x
}

// checkLower rejects a capitalized name, or a lone '_', used as a message.
func (p *parser) checkLower() {
	if p.tok.text == "_" {
		p.fail(p.tok.pos, "expected a primitive name after '_' (as in _Clone)")
	}
	if is(p.tok.text[0], cUpper) {
		p.fail(p.tok.pos, "expected a name beginning with a lowercase letter or '_', found '%s' (capitalized names only continue keyword messages, as in at: 1 Put: 2)", p.tok.text)
	}
}

// resendUnary parses the unary message after the resend prefix r.
func (p *parser) resendUnary(r token) Expr {
	if p.tok.kind != tName {
		p.fail(p.tok.pos, "expected a message after '%s.', found %s", r.text, p.found())
	}
	p.checkLower()
	x := &Send{Sel: Selector(p.tok.text), SelPos: p.tok.pos, Resend: r.text}
	p.next()
	return x
}

// parsePrimary parses self, a literal, a name, a unary resend, or an
// object, block or parenthesized expression.
func (p *parser) parsePrimary() Expr {
	t := &p.tok
	var x Expr
	switch t.kind {
	case tSelf:
		x = &Self{At: t.pos}
	case tInt:
		x = &IntLit{At: t.pos, Value: t.ival, Big: t.big}
	case tFloat:
		x = &FloatLit{At: t.pos, Value: t.fval}
	case tString:
		x = &StringLit{At: t.pos, Value: t.text}
	case tName:
		p.checkLower()
		x = &Send{Sel: Selector(t.text), SelPos: t.pos}
	case tResend:
		r := p.tok
		p.next()
		return p.resendUnary(r)
	case tLParen:
		return p.parseParen()
	case tLBrack:
		return p.parseBlock()
	case tLBrace:
		return p.parseAnnotated()
	default:
		p.fail(t.pos, "expected an expression, found %s", p.found())
	}
	p.next()
	return x
}
