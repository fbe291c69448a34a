package object

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"psyche/heap"
)

// Describe answers a short description of o for error messages and stack
// traces. It runs no Self code, so it is safe to use while reporting an
// error raised by Self code (a broken printString, say).
func (m *Model) Describe(o heap.Oop) string {
	switch {
	case o.IsInt():
		return strconv.FormatInt(o.Int(), 10)
	case o.IsImmFloat():
		return FormatFloat(o.ImmFloat())
	case !o.IsPtr():
		return "?"
	case o == m.Nil:
		return "nil"
	case o == m.True:
		return "true"
	case o == m.False:
		return "false"
	case o == m.Lobby:
		return "lobby"
	}
	switch m.H.Kind(o) {
	case KindBigInt:
		v := m.BigOf(o)
		if v.BitLen() > MaxIntegerBits {
			// Too large to convert quickly (one from a foreign image).
			return fmt.Sprintf("(an integer of %d bits)", v.BitLen())
		}
		s := v.String()
		if len(s) > 40 {
			s = s[:20] + "..." + s[len(s)-10:]
		}
		return s
	case KindFloat:
		return FormatFloat(m.FloatOf(o))
	case KindString, KindMutableString:
		n := m.H.NumBytes(o)
		b := make([]byte, min(n, 40)) // only what is shown: the string may be gigabytes
		m.H.ReadBytes(o, 0, b)
		s := string(b)
		if n > 40 {
			s = s[:37] + "..."
		}
		return Quote(s)
	case KindByteVector:
		return "a byteVector"
	case KindVector:
		return "a vector"
	case KindBlock:
		return "a block"
	case KindMirror:
		return "a mirror"
	case KindWeakStore:
		return "a weakStore"
	case KindSlots:
		return m.SlotNamesForm(o)
	}
	return "an object"
}

// SlotNamesForm is the default print form of a plain object: its slot
// names (parents starred, methods and assignment slots left out), at most 8.
func (m *Model) SlotNamesForm(o heap.Oop) string {
	var b strings.Builder
	b.WriteString("(|")
	n := 0
	for _, s := range m.MapSlots(m.MapOf(o)) {
		if s.Kind == SlotMethod || s.Kind == SlotAssign || s.Kind == SlotArg {
			continue
		}
		if n == 8 {
			b.WriteString(" ...")
			break
		}
		if n > 0 {
			b.WriteString(".")
		}
		b.WriteString(" ")
		b.WriteString(m.StringOf(s.Name))
		if s.Parent {
			b.WriteString("*")
		}
		n++
	}
	b.WriteString(" |)")
	return b.String()
}

// FormatFloat prints a float as Psyche does: the shortest decimal that reads
// back to the same double, always with a '.' or an exponent; plain digits
// from 1e-4 up to 1e16, an exponent outside that range.
func FormatFloat(f float64) string {
	var s string
	if a := math.Abs(f); a == 0 || (a >= 1e-4 && a < 1e16) {
		s = strconv.FormatFloat(f, 'f', -1, 64)
	} else {
		s = strconv.FormatFloat(f, 'e', -1, 64)
	}
	switch s {
	case "+Inf":
		return "inf"
	case "-Inf":
		return "-inf"
	case "NaN":
		return "nan"
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// Quote answers the printString form of a string: quoted, with escapes.
func Quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '\'')
	b = AppendEscaped(b, []byte(s))
	return string(append(b, '\''))
}

// AppendEscaped appends to dst the bytes of s as Quote writes them between
// its quotes.
func AppendEscaped(dst, s []byte) []byte {
	for _, c := range s {
		if esc := escapes[c]; esc != "" {
			dst = append(dst, esc...)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// QuotedLen answers len(Quote(s)) without making it.
func QuotedLen(s []byte) int {
	n := 2
	for _, c := range s {
		n += max(1, len(escapes[c]))
	}
	return n
}

// escapes holds the escape sequence Quote writes for each byte, or "" for
// a byte that stands for itself.
var escapes = func() (t [256]string) {
	for c := 0; c < 32; c++ {
		t[c] = `\x` + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	t[127] = `\x7f`
	t['\''], t['\\'], t['\n'], t['\t'], t['\r'], t[0] = `\'`, `\\`, `\n`, `\t`, `\r`, `\0`
	return t
}()

// FieldName names field f of object o for a report of what was lost (psyche
// recover): the slot it holds, the object's map, an element.
func (m *Model) FieldName(o heap.Oop, f int) string {
	k := m.H.Kind(o)
	switch {
	case k == KindMap && f >= mapHeader:
		return fmt.Sprintf("the map's slot %s", m.StringOf(m.H.Field(o, mapHeader+slotFields*((f-mapHeader)/slotFields))))
	case f == FieldMap && HasExt(k):
		return "its map"
	case f == FieldExt && HasExt(k):
		return "its extension"
	case k == KindSlots:
		for _, s := range m.MapSlots(m.MapOf(o)) {
			if s.Kind == SlotData && FirstData+s.Index == f {
				return "slot " + m.StringOf(s.Name)
			}
		}
	case k == KindVector && f >= FirstData:
		return fmt.Sprintf("element %d", f-FirstData)
	}
	return fmt.Sprintf("field %d", f)
}
