package main

import (
	"fmt"
	"io"
	"strings"

	"psyche/heap"
	"psyche/vm"
	"psyche/vm/object"
)

// The REPL's inspector (:inspect, :ls). It reads objects with the object
// model and prints them in the built-in forms error messages use: no Self
// code runs, so an object whose printString is broken can still be looked at.

// inspectValueWidth bounds the short value shown for each slot.
const inspectValueWidth = 60

// inspectNameWidth bounds the padding of the slot-name column.
const inspectNameWidth = 24

// writeInspection shows o: its built-in form, then its slots. A mirror shows
// what it reflects; a mirror on a method shows the method's source.
func writeInspection(out io.Writer, v *vm.VM, o heap.Oop) {
	m := v.Model()
	if o.IsPtr() && v.Heap().Kind(o) == object.KindMirror {
		r := v.Heap().Field(o, object.FieldReflectee)
		if src, ok := v.MethodSource(r); ok {
			fmt.Fprintf(out, "a method:\n%s\n", src)
			return
		}
		if r.IsPtr() && v.Heap().Kind(r) == object.KindMethod {
			fmt.Fprintln(out, "a method (its source was not kept)")
			return
		}
		fmt.Fprint(out, "a mirror on ")
		o = r
	}
	header := m.Describe(o)
	if o.IsPtr() {
		switch k := v.Heap().Kind(o); {
		case k == object.KindVector:
			header += fmt.Sprintf(" (%d elements)", m.VectorSize(o))
		case object.IsBytes(k):
			header += fmt.Sprintf(" (%d bytes)", len(v.Heap().Bytes(o)))
		}
	}
	fmt.Fprintln(out, header)
	writeSlots(out, v, o)
}

// writeSlots shows o's slots, one a line: the name (a parent's starred),
// the kind, and a short value (for a method, the start of its source).
func writeSlots(out io.Writer, v *vm.VM, o heap.Oop) {
	type row struct{ name, kind, value string }
	m := v.Model()
	var rows []row
	width := 0
	for _, s := range m.MapSlots(m.MapOf(o)) {
		kind := s.Kind.Name()
		if kind == "" {
			continue
		}
		r := row{name: m.StringOf(s.Name), kind: kind}
		if s.Parent {
			r.name += "*"
			r.kind += " parent"
		}
		switch s.Kind {
		case object.SlotData:
			r.value = slotValue(m, o, m.StringOf(s.Name), m.DataAt(o, s.Index))
		case object.SlotMethod:
			src, _ := v.MethodSource(s.Value)
			r.value = shortSource(src)
		default:
			r.value = slotValue(m, o, m.StringOf(s.Name), s.Value)
		}
		width = max(width, min(len(r.name), inspectNameWidth))
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "  (no slots)")
	}
	for _, r := range rows {
		fmt.Fprintf(out, "  %-*s  %-15s  %s\n", width, r.name, r.kind, r.value)
	}
}

// slotValue answers how the inspector shows value, held in slot name of o:
// as printing shows a slot's value (a well-known object by its name, such
// as traits clonable), except where that name would only repeat the slot's
// own (the lobby's slots name their values) or the value is o itself; there
// the built-in form says more.
func slotValue(m *object.Model, o heap.Oop, name string, value heap.Oop) string {
	form := m.SlotValueForm(o, value)
	if value == o || form == name || form == "traits "+name {
		return m.Describe(value)
	}
	return form
}

// shortSource answers a method's source on one line, cut to
// inspectValueWidth characters.
func shortSource(src string) string {
	s := strings.Join(strings.Fields(src), " ")
	if r := []rune(s); len(r) > inspectValueWidth {
		s = string(r[:inspectValueWidth-3]) + "..."
	}
	return s
}
