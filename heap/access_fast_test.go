package heap

import "testing"

// FieldOfKind answers a field only of an object of the kind asked, within
// its fields, young or old (verified on first touch by the checked path).
func TestFieldOfKind(t *testing.T) {
	h, _ := newHeap(t)
	const kind, other = 9, 10
	o := h.Alloc(3, 0, kind, Nil)
	h.SetField(o, 2, FromInt(42))
	check := func(when string, o Oop) {
		t.Helper()
		if v, ok := h.FieldOfKind(o, kind, 2); !ok || v != FromInt(42) {
			t.Errorf("%s: field 2 = %v, %v; want 42, true", when, v, ok)
		}
		if _, ok := h.FieldOfKind(o, kind, 3); ok {
			t.Errorf("%s: field 3 of a 3-field object answered", when)
		}
		if _, ok := h.FieldOfKind(o, other, 0); ok {
			t.Errorf("%s: an object of kind %d answered for kind %d", when, kind, other)
		}
	}
	check("young", o)
	h.SetRoot(0, o)
	mustCommit(t, h)
	o = h.Root(0)
	if !o.IsOld() {
		t.Fatal("the root was not promoted")
	}
	h = reopen(t, h)
	o = h.Root(0)
	if _, ok := h.FieldOfKind(o, kind, 2); ok {
		t.Error("an old object on a page not yet verified answered without the checked path")
	}
	if h.Field(o, 2) != FromInt(42) { // verifies the page
		t.Fatal("field 2 of the old object is not 42")
	}
	check("old", o)
	if _, ok := h.FieldOfKind(FromInt(1), kind, 0); ok {
		t.Error("a small integer answered")
	}
}

// YoungField answers only for a young object, within its fields.
func TestYoungField(t *testing.T) {
	h, _ := newHeap(t)
	o := h.Alloc(2, 0, 9, Nil)
	h.SetField(o, 1, FromInt(7))
	if v, ok := h.YoungField(o, 1); !ok || v != FromInt(7) {
		t.Errorf("field 1 = %v, %v; want 7, true", v, ok)
	}
	if _, ok := h.YoungField(o, 2); ok {
		t.Error("field 2 of a 2-field object answered")
	}
	if _, ok := h.YoungField(FromInt(3), 0); ok {
		t.Error("a small integer answered")
	}
	h.SetRoot(0, o)
	mustCommit(t, h)
	if _, ok := h.YoungField(h.Root(0), 1); ok {
		t.Error("an old object answered")
	}
}

// SetYoungFieldOfKind stores only into a young object of the kind asked,
// within its fields; anything else is left to SetField and its barrier.
func TestSetYoungFieldOfKind(t *testing.T) {
	h, _ := newHeap(t)
	const kind, other = 9, 10
	o := h.Alloc(2, 0, kind, Nil)
	if !h.SetYoungFieldOfKind(o, kind, 1, FromInt(7)) || h.Field(o, 1) != FromInt(7) {
		t.Errorf("field 1 = %v; want 7 stored", h.Field(o, 1))
	}
	if h.SetYoungFieldOfKind(o, kind, 2, FromInt(8)) {
		t.Error("field 2 of a 2-field object was stored")
	}
	if h.SetYoungFieldOfKind(o, other, 0, FromInt(8)) || h.Field(o, 0) != Nil {
		t.Errorf("an object of kind %d was stored into for kind %d", kind, other)
	}
	if h.SetYoungFieldOfKind(FromInt(3), kind, 0, FromInt(8)) {
		t.Error("a small integer was stored into")
	}
	h.SetRoot(0, o)
	mustCommit(t, h)
	if h.SetYoungFieldOfKind(h.Root(0), kind, 1, FromInt(9)) || h.Field(h.Root(0), 1) != FromInt(7) {
		t.Error("an old object was stored into without the barrier")
	}
}
