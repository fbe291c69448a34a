package syntax

import "strings"

// This file holds the syntax errors that explain the Self way to a
// programmer who writes what Smalltalk (or habit) suggests: block
// arguments without bars, a cascade, a missing '.' between slots. Each
// would otherwise parse as something else, or fail with a message about
// a token that does not show the real mistake.

// cascadeOp is the operator Smalltalk uses for cascades. In Self a lone
// ';' is an ordinary binary operator; Psyche refuses it as a send, so that
// "x foo; bar", almost always a cascade written from habit, is an error
// that says so instead of the binary send "(x foo) ; (self bar)". A slot
// may still be named ';' (Self's own sources define one); it is sent with
// perform:.
const cascadeOp = ";"

// cascadeMsg is the error for a lone ';' in an expression.
const cascadeMsg = "Self has no cascades (;): send each message to the receiver in its own statement"

// peek answers up to n tokens after p.tok without consuming them. It
// stops early at an illegal token or the end of input.
func (p *parser) peek(n int) []token {
	var toks []token
	if p.hasHeld {
		toks = append(toks, p.held)
	}
	saved := *p.lx
	defer func() { *p.lx = saved }()
	for len(toks) < n {
		if len(toks) > 0 {
			if k := toks[len(toks)-1].kind; k == tEOF || k == tIllegal {
				break
			}
		}
		toks = append(toks, p.lx.scan())
	}
	return toks
}

// checkBlockArgs rejects "[ :x | ... ]": p.tok is the first token after
// '[', and Self puts argument slots inside a slot list, "[| :x | ... ]".
func (p *parser) checkBlockArgs() {
	if p.tok.kind != tArg {
		return
	}
	names := []string{":" + p.tok.text}
	for _, t := range p.peek(16) {
		if t.kind == tDot {
			continue
		}
		if t.kind != tArg {
			break
		}
		names = append(names, ":"+t.text)
	}
	p.fail(p.tok.pos, "block arguments go inside bars: write [| %s | ... ]", strings.Join(names, ". "))
}

// checkCascade rejects a lone ';' used as a binary operator at p.tok.
func (p *parser) checkCascade() {
	if p.tok.kind == tOp && p.tok.text == cascadeOp {
		p.fail(p.tok.pos, cascadeMsg)
	}
}

// initContext is the slot whose initializer is being parsed, so that a
// following slot written without the '.' before it is reported as such
// and not as a send to the initial value ("x <- 3 y <- 4" would be
// "x <- ((3 y) <- 4)").
type initContext struct {
	slot  string // "" when not in a slot initializer
	depth int    // p.depth of the slot list; deeper brackets are not checked
}

// beginInit records that the initializer of slot name starts at p.tok;
// endInit restores the context that was saved.
func (p *parser) beginInit(name string) initContext {
	saved := p.init
	p.init = initContext{slot: name, depth: p.depth}
	return saved
}

func (p *parser) endInit(saved initContext) { p.init = saved }

// checkSlotStart fails if p.tok, met where a message could continue an
// initializer, instead begins a new slot: a name followed by '=', '<-'
// or '*' and one of those (unary or parent slot), or a keyword followed
// by a name, '=' and '(' (keyword method slot).
func (p *parser) checkSlotStart() {
	if p.init.slot == "" || p.depth != p.init.depth {
		return
	}
	var starts bool
	switch p.tok.kind {
	case tName:
		next := p.peek(2)
		switch k := next[0].kind; {
		case k == tEq || k == tArrow:
			starts = true
		case k == tOp && strings.Trim(next[0].text, "*") == "":
			starts = len(next) == 2 && (next[1].kind == tEq || next[1].kind == tArrow)
		case k == tOp && next[0].text[0] == '*':
			rest := strings.TrimLeft(next[0].text, "*")
			starts = rest == "=" || rest == "<-"
		}
	case tKeyword:
		next := p.peek(3)
		starts = len(next) == 3 && next[0].kind == tName && next[1].kind == tEq && next[2].kind == tLParen
	}
	if starts {
		p.failMissingPeriod(p.init.slot)
	}
}

// failMissingPeriod reports a slot at p.tok that follows slot prev
// without the '.' that separates them.
func (p *parser) failMissingPeriod(prev string) {
	p.fail(p.tok.pos, "expected '.' between slots (after slot '%s')", prev)
}
