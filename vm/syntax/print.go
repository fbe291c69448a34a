package syntax

import (
	"strconv"
	"strings"
)

// Format prints n as canonical Self source: one line per top-level
// statement of a *Code (each ending with '.'), everything else on one
// line, single spaces between tokens, integers in decimal, strings with
// non-printable bytes escaped. Parsing the output of a tree made by the
// parser gives the same tree back (positions aside), with ParseCode and
// with ParseFile.
//
// Format adds no parentheses to trees made by the parser (parentheses in
// the source are Paren, Method or Object nodes). For hand-made trees
// whose shape could not come from source it adds them where needed, so
// reparsing gives an equivalent tree with Paren nodes.
func Format(n Node) string {
	var pr printer
	switch n := n.(type) {
	case *Code:
		for _, s := range n.Stmts {
			pr.expr(s, ctxFree)
			pr.b.WriteString(".\n")
		}
	case *Slot:
		pr.slot(n)
	case Expr:
		pr.expr(n, ctxFree)
	}
	return pr.b.String()
}

func (x *Self) String() string      { return Format(x) }
func (x *IntLit) String() string    { return Format(x) }
func (x *FloatLit) String() string  { return Format(x) }
func (x *StringLit) String() string { return Format(x) }
func (x *Send) String() string      { return Format(x) }
func (x *Paren) String() string     { return Format(x) }
func (x *Object) String() string    { return Format(x) }
func (x *Method) String() string    { return Format(x) }
func (x *Block) String() string     { return Format(x) }
func (x *Return) String() string    { return Format(x) }
func (x *Slot) String() string      { return Format(x) }
func (c *Code) String() string      { return Format(c) }

type printer struct {
	b strings.Builder
}

// context is where an expression is printed, which decides whether it
// needs parentheses.
type context uint8

const (
	ctxFree        context = iota // statement, slot value, last keyword argument
	ctxUnaryRecv                  // receiver of a unary send
	ctxBinaryRecv                 // receiver of a binary send (same operator is fine)
	ctxBinaryArg                  // argument of a binary send
	ctxKeywordRecv                // receiver of a keyword send
	ctxKeywordArg                 // keyword argument followed by more keyword parts
)

// level is the precedence level of x: 0 primary, 1 unary, 2 binary,
// 3 keyword.
func level(x Expr) int {
	s, ok := x.(*Send)
	if !ok {
		return 0
	}
	switch s.Sel.Kind() {
	case Keyword:
		return 3
	case Binary:
		return 2
	}
	if s.Recv == nil {
		return 0
	}
	return 1
}

// endsOpen reports whether x ends with a keyword send, which would
// swallow whatever is printed after it.
func endsOpen(x Expr) bool {
	s, ok := x.(*Send)
	if !ok {
		return false
	}
	switch s.Sel.Kind() {
	case Keyword:
		return true
	case Binary:
		return len(s.Args) == 1 && endsOpen(s.Args[0])
	}
	return false
}

func needParens(x Expr, ctx context, op Selector) bool {
	if _, ok := x.(*Return); ok {
		return ctx != ctxFree
	}
	l := level(x)
	switch ctx {
	case ctxUnaryRecv:
		return l > 1 || endsOpen(x)
	case ctxBinaryRecv:
		return l == 3 || endsOpen(x) || l == 2 && x.(*Send).Sel != op
	case ctxBinaryArg:
		if l == 3 {
			// Self reads "3 + foo: 4" as 3 + (self foo: 4).
			s := x.(*Send)
			return s.Recv != nil || s.Resend != ""
		}
		return l == 2
	case ctxKeywordRecv:
		return l == 3 || endsOpen(x)
	case ctxKeywordArg:
		return endsOpen(x)
	}
	return false
}

func (pr *printer) expr(x Expr, ctx context) {
	pr.exprOp(x, ctx, "")
}

func (pr *printer) exprOp(x Expr, ctx context, op Selector) {
	if needParens(x, ctx, op) {
		pr.b.WriteByte('(')
		pr.exprOp(x, ctxFree, "")
		pr.b.WriteByte(')')
		return
	}
	b := &pr.b
	switch x := x.(type) {
	case *Self:
		b.WriteString("self")
	case *IntLit:
		if x.Big != nil {
			b.WriteString(x.Big.String())
		} else {
			b.WriteString(strconv.FormatInt(x.Value, 10))
		}
	case *FloatLit:
		s := strconv.FormatFloat(x.Value, 'g', -1, 64)
		b.WriteString(s)
		if !strings.ContainsAny(s, ".eIN") {
			b.WriteString(".0")
		}
	case *StringLit:
		quote(b, x.Value)
	case *Send:
		pr.send(x)
	case *Paren:
		b.WriteByte('(')
		pr.expr(x.X, ctxFree)
		b.WriteByte(')')
	case *Object:
		pr.body("(", ")", x.Slots, x.Annotation, nil)
	case *Method:
		pr.body("(", ")", x.Slots, x.Annotation, x.Body)
	case *Block:
		pr.body("[", "]", x.Slots, x.Annotation, x.Body)
	case *Return:
		b.WriteString("^ ")
		pr.expr(x.X, ctxFree)
	case nil:
		b.WriteString("<nil>")
	}
}

// recvContext is where the receiver of a send with selector sel is printed.
func recvContext(sel Selector) context {
	switch sel.Kind() {
	case Unary:
		return ctxUnaryRecv
	case Binary:
		return ctxBinaryRecv
	}
	return ctxKeywordRecv
}

// send prints s. A chain of sends (1 + 1 + 1 ..., x foo bar) nests in its
// receivers as deep as it is long, so the chain is printed in a loop: its
// innermost receiver first, then each send's selector and arguments.
func (pr *printer) send(s *Send) {
	chain := []*Send{s}
	for {
		r, ok := s.Recv.(*Send)
		if !ok || needParens(r, recvContext(s.Sel), s.Sel) {
			break
		}
		chain = append(chain, r)
		s = r
	}
	if s.Recv != nil {
		pr.exprOp(s.Recv, recvContext(s.Sel), s.Sel)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		pr.message(chain[i])
	}
}

// message prints what follows the receiver of s: a space (if s has a
// receiver), the resend prefix, the selector and the arguments.
func (pr *printer) message(s *Send) {
	b := &pr.b
	if s.Recv != nil {
		b.WriteByte(' ')
	}
	if s.Resend != "" {
		b.WriteString(s.Resend)
		b.WriteByte('.')
	}
	switch s.Sel.Kind() {
	case Unary:
		b.WriteString(string(s.Sel))
	case Binary:
		b.WriteString(string(s.Sel))
		b.WriteByte(' ')
		if len(s.Args) > 0 {
			pr.expr(s.Args[0], ctxBinaryArg)
		}
	default:
		parts := s.Sel.Parts()
		for i, part := range parts {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(part)
			b.WriteByte(' ')
			if i < len(s.Args) {
				ctx := ctxKeywordArg
				if i == len(parts)-1 {
					ctx = ctxFree
				}
				pr.expr(s.Args[i], ctx)
			}
		}
	}
}

// body prints an object, method or block literal. Argument slots named
// in a method slot's selector are left out (slot prints them there).
func (pr *printer) body(open, close string, slots []*Slot, anno *Annotation, code *Code) {
	b := &pr.b
	b.WriteString(open)
	shown := slots[:0:0]
	for _, s := range slots {
		if !s.InSelector {
			shown = append(shown, s)
		}
	}
	hasList := len(shown) > 0 || anno != nil
	if hasList {
		b.WriteString(" | ")
		pr.slotList(shown, anno)
		b.WriteString(" |")
	}
	if code != nil && len(code.Stmts) > 0 {
		if hasList {
			b.WriteByte(' ')
		}
		for i, s := range code.Stmts {
			if i > 0 {
				b.WriteString(". ")
			}
			pr.expr(s, ctxFree)
		}
	}
	if hasList {
		b.WriteByte(' ')
	}
	b.WriteString(close)
}

// slotList prints slots separated by ". ", opening and closing
// annotation groups { 'text' ... } as the slots' Annotation chains
// require.
func (pr *printer) slotList(slots []*Slot, anno *Annotation) {
	b := &pr.b
	first := true
	sep := func() {
		if !first {
			b.WriteString(". ")
		}
		first = false
	}
	if anno != nil {
		sep()
		b.WriteString("{} = ")
		quote(b, anno.Text)
	}
	var open []*Annotation // groups now open, outermost first
	for _, s := range slots {
		chain := annotationChain(s.Annotation)
		common := 0
		for common < len(open) && common < len(chain) && open[common] == chain[common] {
			common++
		}
		for len(open) > common {
			b.WriteString(" }")
			open = open[:len(open)-1]
		}
		for _, g := range chain[common:] {
			sep()
			b.WriteString("{ ")
			quote(b, g.Text)
			b.WriteByte(' ')
			first = true
			open = append(open, g)
		}
		sep()
		pr.slot(s)
	}
	for range open {
		b.WriteString(" }")
	}
}

// annotationChain lists a's groups, outermost first.
func annotationChain(a *Annotation) []*Annotation {
	var chain []*Annotation
	for ; a != nil; a = a.Outer {
		chain = append(chain, a)
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain
}

func (pr *printer) slot(s *Slot) {
	b := &pr.b
	if s.Privacy != "" {
		b.WriteString(s.Privacy)
		b.WriteByte(' ')
	}
	switch s.Kind {
	case ArgSlot:
		b.WriteByte(':')
		b.WriteString(string(s.Name))
		return
	case MethodSlot:
		m, ok := s.Value.(*Method)
		if ok && s.Name.Kind() != Unary {
			var args []*Slot
			for _, a := range m.Slots {
				if a.InSelector {
					args = append(args, a)
				}
			}
			for i, part := range s.Name.Parts() {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(part)
				if i < len(args) {
					b.WriteByte(' ')
					b.WriteString(string(args[i].Name))
				}
			}
			b.WriteString(" = ")
			pr.expr(m, ctxFree)
			return
		}
	}
	b.WriteString(string(s.Name))
	if s.Parent {
		b.WriteByte('*')
		for i := 1; i < int(s.Priority); i++ {
			b.WriteByte('*')
		}
	}
	if s.Value == nil {
		return
	}
	if s.Kind == DataSlot {
		b.WriteString(" <- ")
	} else {
		b.WriteString(" = ")
	}
	pr.expr(s.Value, ctxFree)
}

// quote writes s as a Self string literal.
func quote(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < ' ' || c == 0x7f {
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('\'')
}
