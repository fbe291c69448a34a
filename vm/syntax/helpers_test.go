package syntax

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

var posType = reflect.TypeOf(Pos{})

// diffTrees compares two trees ignoring positions and returns a
// description of the first difference, or "".
func diffTrees(a, b any) string {
	return diffValues(reflect.ValueOf(a), reflect.ValueOf(b))
}

// diffValues returns "" or "PATH: difference". The path is only built
// when there is a difference, so that deep trees compare in linear time.
func diffValues(a, b reflect.Value) string {
	if a.IsValid() != b.IsValid() {
		return ": one side is missing"
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf(": %v vs %v", a.Type(), b.Type())
	}
	if a.Type() == posType {
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return ": nil vs non-nil"
			}
			return ""
		}
		if a.Type().String() == "*big.Int" {
			if a.Interface().(fmt.Stringer).String() != b.Interface().(fmt.Stringer).String() {
				return fmt.Sprintf(": %v vs %v", a.Interface(), b.Interface())
			}
			return ""
		}
		return diffValues(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if d := diffValues(a.Field(i), b.Field(i)); d != "" {
				return "." + a.Type().Field(i).Name + d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf(": length %d vs %d", a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if d := diffValues(a.Index(i), b.Index(i)); d != "" {
				return fmt.Sprintf("[%d]%s", i, d)
			}
		}
		return ""
	case reflect.Float64:
		if a.Float() != b.Float() {
			return fmt.Sprintf(": %v vs %v", a.Float(), b.Float())
		}
		return ""
	default:
		if a.Interface() != b.Interface() {
			return fmt.Sprintf(": %#v vs %#v", a.Interface(), b.Interface())
		}
		return ""
	}
}

// dump renders a tree as a compact, fully bracketed string for tests:
//
//	x                  a bare name (implicit-receiver unary send)
//	{r sel args...}    a send; r is "-" when the receiver is implicit
//	{- resend.foo}     a resend (or {- p.foo} for a directed one)
//	(paren X)          a Paren
//	(obj S...)         an Object; (method S... | X...) a Method
//	[block S... | X...]
//	(^ X)              a Return
//	'text'             a string (Go-quoted when not plain)
//	2.5f               a float
//
// Slots: ":x", "x", "x<-E", "x=E", "p*=E", "foo=(method ...)", with
// ", in 'text'" groups shown as "@'text'" after the slot and "priv:"
// before it.
func dump(n Node) string {
	var b strings.Builder
	dumpTo(&b, n)
	return b.String()
}

func dumpTo(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case nil:
		b.WriteString("<nil>")
	case *Self:
		b.WriteString("self")
	case *IntLit:
		b.WriteString(n.BigValue().String())
	case *FloatLit:
		b.WriteString(strconv.FormatFloat(n.Value, 'g', -1, 64) + "f")
	case *StringLit:
		if strings.ContainsAny(n.Value, "'\\") || strconv.Quote(n.Value) != `"`+n.Value+`"` {
			b.WriteString(strconv.Quote(n.Value))
		} else {
			b.WriteString("'" + n.Value + "'")
		}
	case *Send:
		if n.IsIdent() {
			b.WriteString(string(n.Sel))
			return
		}
		b.WriteByte('{')
		if n.Recv == nil {
			b.WriteByte('-')
		} else {
			dumpTo(b, n.Recv)
		}
		b.WriteByte(' ')
		if n.Resend != "" {
			b.WriteString(n.Resend + ".")
		}
		b.WriteString(string(n.Sel))
		for _, a := range n.Args {
			b.WriteByte(' ')
			dumpTo(b, a)
		}
		b.WriteByte('}')
	case *Paren:
		b.WriteString("(paren ")
		dumpTo(b, n.X)
		b.WriteByte(')')
	case *Object:
		b.WriteString("(obj")
		dumpBody(b, n.Slots, n.Annotation, nil)
		b.WriteByte(')')
	case *Method:
		b.WriteString("(method")
		dumpBody(b, n.Slots, n.Annotation, n.Body)
		b.WriteByte(')')
	case *Block:
		b.WriteString("[block")
		dumpBody(b, n.Slots, n.Annotation, n.Body)
		b.WriteByte(']')
	case *Return:
		b.WriteString("(^ ")
		dumpTo(b, n.X)
		b.WriteByte(')')
	case *Code:
		for i, s := range n.Stmts {
			if i > 0 {
				b.WriteString(". ")
			}
			dumpTo(b, s)
		}
	case *Slot:
		if n.Privacy != "" {
			b.WriteString(n.Privacy + ":")
		}
		switch n.Kind {
		case ArgSlot:
			b.WriteString(":" + string(n.Name))
			if n.InSelector {
				b.WriteString("(sel)")
			}
		default:
			b.WriteString(string(n.Name))
			if n.Parent {
				b.WriteString(strings.Repeat("*", int(n.Priority)))
			}
			switch {
			case n.Kind == DataSlot && n.Value != nil:
				b.WriteString("<-")
				dumpTo(b, n.Value)
			case n.Kind == ConstSlot || n.Kind == MethodSlot:
				b.WriteString("=")
				if n.Kind == MethodSlot {
					b.WriteString("M")
				}
				dumpTo(b, n.Value)
			}
		}
		for a := n.Annotation; a != nil; a = a.Outer {
			b.WriteString("@'" + a.Text + "'")
		}
	}
}

func dumpBody(b *strings.Builder, slots []*Slot, anno *Annotation, code *Code) {
	if anno != nil {
		b.WriteString(" {}='" + anno.Text + "'")
	}
	for _, s := range slots {
		b.WriteByte(' ')
		dumpTo(b, s)
	}
	if code != nil {
		b.WriteString(" |")
		for _, s := range code.Stmts {
			b.WriteByte(' ')
			dumpTo(b, s)
		}
	}
}
