package object

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"psyche/heap"
)

// The built-in print form: what `_ObjectPrintString` answers, and what a
// result prints as when its own printString fails. It runs no Self code and
// allocates nothing in the heap, so it cannot fail, loop or change the
// world. Its work is bounded by PrintLimit, not by the size of the object:
// a 50 MB byteVector prints its first few thousand bytes and a count.
//
//	plain object   (| x = 3. y <- 'a'. parent* = traits clonable |)
//	vector         (1, 'a', (2, 3))
//	byteVector     byteVector(1, 2, 3)
//
// A plain object lists its data, constant and parent slots in definition
// order (not its methods or assignment slots), each with its value in the
// short form of Describe: one level deep. A value that is a well-known
// object (a slot of the lobby, of globals or of traits) is shown by its
// name (traits clonable, vector). An object met again while it is being
// printed (a vector that contains itself) prints as "...".

// PrintLimit is the most characters the printed form of one result has. A
// longer one is cut there and ends with CutMark's "… (N more characters)".
const PrintLimit = 10000

// ListLimit is where a collection's form stops listing elements: once its
// text is this long, the rest are counted, not printed ("… (N more)"), so
// the form with its closing parenthesis still fits in PrintLimit.
const ListLimit = PrintLimit - 100

// CycleMark is what an object prints as where it appears inside itself.
const CycleMark = "..."

// CutMark answers the mark that ends a list cut short: n elements were not
// printed.
func CutMark(n int) string { return fmt.Sprintf("… (%d more)", n) }

// CutText cuts text to PrintLimit bytes (at a UTF-8 character boundary),
// marking how many were left out. It copies at most PrintLimit bytes of
// text, so text may be a view of a large heap object.
func CutText(text []byte) string {
	if len(text) <= PrintLimit {
		return string(text)
	}
	n := PrintLimit
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return string(text[:n]) + fmt.Sprintf("… (%d more characters)", len(text)-n)
}

// PrintForm answers the built-in print form of o.
func (m *Model) PrintForm(o heap.Oop) string {
	p := &printer{m: m, open: map[heap.Oop]bool{}}
	p.form(o)
	return CutText([]byte(p.b.String()))
}

// SlotValueForm answers v as the print form of a plain object shows it as
// the value of one of holder's slots: a well-known object by its name
// (traits clonable, vector), a string quoted, anything else in its short
// built-in form. The REPL's inspector shows slots with it.
func (m *Model) SlotValueForm(holder, v heap.Oop) string {
	p := &printer{m: m}
	p.short(holder, v)
	return CutText([]byte(p.b.String()))
}

// BytesPrintForm answers the print form of byteVector bv, byteVector(1, 2),
// cut short after ListLimit characters.
func (m *Model) BytesPrintForm(bv heap.Oop) string {
	p := &printer{m: m}
	p.bytes(bv)
	return p.b.String()
}

// printer builds one print form. open holds the objects being printed (a
// cycle back to one prints as CycleMark); names is the well-known objects'
// names, built on first need.
type printer struct {
	m     *Model
	b     strings.Builder
	open  map[heap.Oop]bool
	names map[heap.Oop]string
}

func (p *printer) full() bool { return p.b.Len() >= ListLimit }

func (p *printer) form(o heap.Oop) {
	if !o.IsPtr() || o == p.m.Nil || o == p.m.True || o == p.m.False || o == p.m.Lobby {
		p.b.WriteString(p.m.Describe(o))
		return
	}
	switch p.m.H.Kind(o) {
	case KindString, KindMutableString:
		p.quoted(p.m.H.Bytes(o))
	case KindByteVector:
		p.bytes(o)
	case KindVector:
		p.vector(o)
	case KindSlots:
		p.slots(o)
	default:
		p.b.WriteString(p.m.Describe(o))
	}
}

// quoted writes a string's quoted form, cut to what room is left.
func (p *printer) quoted(s []byte) {
	room := max(ListLimit-p.b.Len(), 0)
	if QuotedLen(s) <= room {
		p.b.WriteString(Quote(string(s)))
		return
	}
	n := min(len(s), room)
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	p.b.WriteString(strings.TrimSuffix(Quote(string(s[:n])), "'"))
	fmt.Fprintf(&p.b, "…' (%d more characters)", len(s)-n)
}

func (p *printer) bytes(bv heap.Oop) {
	b := p.m.H.Bytes(bv)
	p.b.WriteString("byteVector(")
	for i, c := range b {
		if i > 0 {
			p.b.WriteString(", ")
		}
		if p.full() {
			p.b.WriteString(CutMark(len(b) - i))
			break
		}
		p.b.WriteString(strconv.Itoa(int(c)))
	}
	p.b.WriteByte(')')
}

func (p *printer) vector(v heap.Oop) {
	if p.open[v] {
		p.b.WriteString(CycleMark)
		return
	}
	p.open[v] = true
	defer delete(p.open, v)
	n := p.m.VectorSize(v)
	p.b.WriteByte('(')
	for i := 0; i < n; i++ {
		if i > 0 {
			p.b.WriteString(", ")
		}
		if p.full() {
			p.b.WriteString(CutMark(n - i))
			break
		}
		p.form(p.m.VectorAt(v, i))
	}
	p.b.WriteByte(')')
}

// slots writes a plain object with its slots' values in short form.
func (p *printer) slots(o heap.Oop) {
	p.b.WriteString("(|")
	slots := p.m.MapSlots(p.m.MapOf(o))
	n := 0
	for i, s := range slots {
		var op string
		var v heap.Oop
		switch s.Kind {
		case SlotConst:
			op, v = " = ", s.Value
		case SlotData:
			op, v = " <- ", p.m.DataAt(o, s.Index)
		default:
			continue
		}
		if n > 0 {
			p.b.WriteByte('.')
		}
		if p.full() {
			p.b.WriteString(" " + CutMark(len(slots)-i))
			break
		}
		n++
		p.b.WriteByte(' ')
		p.b.WriteString(p.m.StringOf(s.Name))
		if s.Parent {
			p.b.WriteByte('*')
		}
		p.b.WriteString(op)
		p.short(o, v)
	}
	p.b.WriteString(" |)")
}

// short writes v as a slot value of o: its name if it has one, else its
// short form.
func (p *printer) short(o, v heap.Oop) {
	switch {
	case v == o:
		p.b.WriteString(CycleMark)
	case v.IsPtr() && p.m.H.Kind(v) == KindSlots && v != p.m.Lobby:
		if name, ok := p.nameOf(v); ok {
			p.b.WriteString(name)
			return
		}
		p.b.WriteString(p.m.Describe(v))
	case v.IsPtr() && IsStringKind(p.m.H.Kind(v)):
		p.quoted(p.m.H.Bytes(v))
	default:
		p.b.WriteString(p.m.Describe(v))
	}
}

// nameOf answers the name of a well-known object: a slot of the lobby
// (x), of globals (vector), or of traits (traits clonable), first found
// first.
func (p *printer) nameOf(o heap.Oop) (string, bool) {
	if p.names == nil {
		p.names = map[heap.Oop]string{}
		p.addNames(p.m.Lobby, "")
		p.addNames(p.m.Special(SpGlobals), "")
		p.addNames(p.m.Special(SpTraits), "traits ")
	}
	name, ok := p.names[o]
	return name, ok
}

func (p *printer) addNames(holder heap.Oop, prefix string) {
	for _, s := range p.m.MapSlots(p.m.MapOf(holder)) {
		if s.Parent { // a parent slot's name says how, not what
			continue
		}
		var v heap.Oop
		switch s.Kind {
		case SlotConst:
			v = s.Value
		case SlotData:
			v = p.m.DataAt(holder, s.Index)
		default:
			continue
		}
		if _, seen := p.names[v]; !seen && v.IsPtr() {
			p.names[v] = prefix + p.m.StringOf(s.Name)
		}
	}
}
