package syntax

import "math/big"

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF        tokKind = iota
	tIllegal            // a lexical error; token.text holds the message
	tNL                 // synthetic: a line break that ends a top-level statement (file mode only)
	tName               // foo, _Foo, and (rejected by the parser) Foo
	tKeyword            // foo: and _foo: (a lowercase or primitive keyword starts a message)
	tCapKeyword         // Foo: (continues a keyword message)
	tArg                // :foo (an argument slot)
	tResend             // resend. or parent. immediately followed by a message
	tSelf               // self
	tInt                // 42, -42, 16r1F
	tFloat              // 3.14, 1e10
	tString             // 'text', decoded
	tOp                 // a binary operator other than the ones below
	tEq                 // =
	tArrow              // <-
	tBar                // a lone |
	tCaret              // a lone ^
	tDot                // .
	tLParen             // (
	tRParen             // )
	tLBrack             // [
	tRBrack             // ]
	tLBrace             // {
	tRBrace             // }
)

// token is one lexical token. It is returned by value; only the fields
// that matter for its kind are set.
type token struct {
	kind  tokKind
	nl    bool   // a line break (outside comments) separates it from the previous token
	neg   bool   // tInt/tFloat written with a leading '-'
	pos   Pos    // position of the first byte
	nlPos Pos    // position of the first such line break, when nl
	end   int    // offset just past the token
	text  string // name, keyword, operator, resend parent, decoded string, or error message
	ival  int64  // tInt value when big == nil
	big   *big.Int
	fval  float64
}

// isOp reports whether t can be used as a binary operator in an
// expression. '=' and '<-' are operators there; a lone '|' or '^' is not.
func (t *token) isOp() bool {
	return t.kind == tOp || t.kind == tEq || t.kind == tArrow
}

// describe names the token for error messages ("found ...").
func (t *token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tNL:
		return "end of line"
	case tName, tKeyword, tCapKeyword, tOp:
		return "'" + t.text + "'"
	case tArg:
		return "':" + t.text + "'"
	case tResend:
		return "'" + t.text + ".'"
	case tSelf:
		return "'self'"
	case tInt:
		return "number"
	case tFloat:
		return "number"
	case tString:
		return "a string"
	case tEq:
		return "'='"
	case tArrow:
		return "'<-'"
	case tBar:
		return "'|'"
	case tCaret:
		return "'^'"
	case tDot:
		return "'.'"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tLBrack:
		return "'['"
	case tRBrack:
		return "']'"
	case tLBrace:
		return "'{'"
	case tRBrace:
		return "'}'"
	}
	return "invalid token"
}
