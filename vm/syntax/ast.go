package syntax

import (
	"fmt"
	"math/big"
	"strings"
)

// Pos is a position in a source: Line and Col are 1-based, Col counts
// bytes (not runes) from the start of the line, and Off is the 0-based
// byte offset. The zero Pos is "no position".
type Pos struct {
	Line, Col, Off int32
}

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Node is any node of the syntax tree.
type Node interface {
	// Pos returns the position the node is reported at: for sends the
	// selector (first keyword part), for other nodes their first token.
	Pos() Pos
}

// Expr is an expression node: *Self, *IntLit, *FloatLit, *StringLit,
// *Send, *Paren, *Object, *Method, *Block, or *Return (only as the last
// statement of a Code).
type Expr interface {
	Node
	exprNode()
}

// Self is the pseudo-variable self.
type Self struct {
	At Pos
}

// IntLit is an integer literal. Value holds it when it fits in an int64;
// otherwise Big holds it (and Value is 0). Radix literals such as 16r1F
// are stored by value: the radix is not kept.
type IntLit struct {
	At    Pos
	Value int64
	Big   *big.Int
}

// FloatLit is a float literal.
type FloatLit struct {
	At    Pos
	Value float64
}

// StringLit is a string literal with its escapes decoded. Value holds
// bytes, not necessarily UTF-8.
type StringLit struct {
	At    Pos
	Value string
}

// Send is a message send: unary (no Args), binary (one Arg) or keyword
// (one Arg per keyword part), as told by Sel.Kind().
//
// Recv is nil when the receiver is implicit: a bare name x is the unary
// send Send{Recv: nil, Sel: "x"}, which the compiler resolves through
// the lexically enclosing scopes before self. Binary and keyword sends
// can have an implicit receiver too (+ 3, at: 1 Put: 2).
//
// Resend is "" for an ordinary send, "resend" for an undirected resend
// (resend.foo) and the parent slot name for a directed one (p.foo);
// a resend always has an implicit receiver.
type Send struct {
	Recv   Expr
	Sel    Selector
	SelPos Pos // position of the selector, or of its first keyword part
	Args   []Expr
	Resend string
}

// IsIdent reports whether s is a bare name (an implicit-receiver unary
// send that is not a resend), which the compiler may resolve to a local.
func (s *Send) IsIdent() bool {
	return s.Recv == nil && s.Resend == "" && len(s.Args) == 0
}

// Paren is a parenthesized expression (e). In Self's terms it is an
// object with code, no slots and a single statement; since evaluating it
// just evaluates e, the parser gives it a node of its own. A slot
// initialized with "= (e)" is a method, never a Paren.
type Paren struct {
	Open, Close Pos
	X           Expr
}

// Object is an object literal without code: ( | slots | ). Evaluating it
// answers the object (built when the enclosing code is compiled).
type Object struct {
	Open, Close Pos
	Slots       []*Slot
	Annotation  *Annotation // from {} = 'text' or { 'text' ( ... ) }; may be nil
}

// Method is an object literal with code: ( | slots | code ). As the
// value of a method slot it is the method's body; in expression position
// it is an inner method, evaluated at once. Body is never nil and has at
// least one statement. A method taking arguments has them as ArgSlot
// slots, first.
type Method struct {
	Open, Close Pos
	Slots       []*Slot
	Annotation  *Annotation
	Body        *Code
}

// Block is a block literal [ | slots | code ]. Body is never nil but may
// have no statements.
type Block struct {
	Open, Close Pos
	Slots       []*Slot
	Annotation  *Annotation
	Body        *Code
}

// Return is "^ X". It only occurs as the last statement of a Code.
type Return struct {
	Caret Pos
	X     Expr
}

// Code is a sequence of statements. The last one may be a *Return.
type Code struct {
	Stmts []Expr
}

// SlotKind tells what a slot definition defines.
type SlotKind uint8

const (
	// ArgSlot is an argument ":x" of a block or method. Its Name has no colon.
	ArgSlot SlotKind = iota + 1
	// DataSlot is an assignable data slot, "x" (initially nil) or "x <- e";
	// it defines both x and x:.
	DataSlot
	// ConstSlot is a read-only slot "x = e".
	ConstSlot
	// MethodSlot is a method: "foo = ( code )", "+ p = ( code )" or
	// "at: i Put: v = ( code )". Its Value is a *Method.
	MethodSlot
)

var slotKindNames = [...]string{"", "argument", "data", "constant", "method"}

func (k SlotKind) String() string {
	if int(k) < len(slotKindNames) && k != 0 {
		return slotKindNames[k]
	}
	return fmt.Sprintf("SlotKind(%d)", k)
}

// Slot is one slot definition of an object, method or block.
type Slot struct {
	NamePos Pos
	Kind    SlotKind
	Name    Selector // "x", "+", "at:Put:"; for an ArgSlot "x"
	Parent  bool     // written with '*': a parent slot
	// Priority is the number of '*' written after a parent slot's name:
	// 1 in Self 4 and Psyche; old Self wrote "p** = ..." for parents of
	// lower priority. 0 when Parent is false.
	Priority uint8
	// Privacy is an old Self privacy mark written before the slot: "^"
	// (public), "_" (private), "^_" or "_^" (public read, private write
	// and the reverse), or "" (none, as in Self 4 and Psyche).
	Privacy string
	// Value is the initializer: nil for an ArgSlot and for a DataSlot
	// without one (which starts as nil), a *Method for a MethodSlot.
	Value Expr
	// InSelector marks an ArgSlot that was named in its method's selector
	// ("at: i Put: v = (...)") rather than written ":i" in the slot list.
	InSelector bool
	// Annotation is the innermost { 'text' ... } group the slot is in, or nil.
	Annotation *Annotation
}

// Annotation is the text of an annotation: an object's ({} = 'text') or
// a group of slots' ({ 'text' slot. slot }). Groups nest through Outer.
type Annotation struct {
	At    Pos // position of the string
	Text  string
	Outer *Annotation // enclosing group, for nested slot groups
}

// Selector is a message selector or slot name: "foo", "+", "at:Put:".
type Selector string

// SelectorKind classifies selectors.
type SelectorKind uint8

const (
	Unary SelectorKind = iota
	Binary
	Keyword
)

// Kind tells whether s is a unary, binary or keyword selector.
func (s Selector) Kind() SelectorKind {
	switch {
	case len(s) > 0 && s[len(s)-1] == ':':
		return Keyword
	case len(s) > 0 && is(s[0], cOp):
		return Binary
	}
	return Unary
}

// Arity is the number of arguments a message with selector s takes.
func (s Selector) Arity() int {
	switch s.Kind() {
	case Keyword:
		return strings.Count(string(s), ":")
	case Binary:
		return 1
	}
	return 0
}

// Parts splits a keyword selector into its parts ("at:", "Put:"); other
// selectors are one part.
func (s Selector) Parts() []string {
	if s.Kind() != Keyword {
		return []string{string(s)}
	}
	parts := make([]string, 0, 2)
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			parts = append(parts, string(s[start:i+1]))
			start = i + 1
		}
	}
	return parts
}

// IsPrimitive reports whether s names a primitive (it begins with '_').
func (s Selector) IsPrimitive() bool { return len(s) > 0 && s[0] == '_' }

func (x *Self) Pos() Pos      { return x.At }
func (x *IntLit) Pos() Pos    { return x.At }
func (x *FloatLit) Pos() Pos  { return x.At }
func (x *StringLit) Pos() Pos { return x.At }
func (x *Send) Pos() Pos      { return x.SelPos }
func (x *Paren) Pos() Pos     { return x.Open }
func (x *Object) Pos() Pos    { return x.Open }
func (x *Method) Pos() Pos    { return x.Open }
func (x *Block) Pos() Pos     { return x.Open }
func (x *Return) Pos() Pos    { return x.Caret }
func (x *Slot) Pos() Pos      { return x.NamePos }

// Pos returns the position of the first statement, or the zero Pos.
func (c *Code) Pos() Pos {
	if len(c.Stmts) == 0 {
		return Pos{}
	}
	return c.Stmts[0].Pos()
}

func (*Self) exprNode()      {}
func (*IntLit) exprNode()    {}
func (*FloatLit) exprNode()  {}
func (*StringLit) exprNode() {}
func (*Send) exprNode()      {}
func (*Paren) exprNode()     {}
func (*Object) exprNode()    {}
func (*Method) exprNode()    {}
func (*Block) exprNode()     {}
func (*Return) exprNode()    {}

// BigValue returns the literal's value as a big.Int (a new one).
func (x *IntLit) BigValue() *big.Int {
	if x.Big != nil {
		return new(big.Int).Set(x.Big)
	}
	return big.NewInt(x.Value)
}
