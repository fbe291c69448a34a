package object

import (
	"psyche/heap"
)

// Maps. A map describes the slots of every object that shares it:
//
//	field 0  Nil (maps are not Self objects)
//	field 1  info: a small integer, the number of data slots << 8 | map flags
//	field 2  annotation (a string) or Nil
//	then one triple per slot: name (a canonical string), descriptor (a small
//	integer: SlotKind | ParentBit | index << 8), value (the constant, the
//	method, or Nil for data, assignment and argument slots)
//
// Maps never change once made: adding or removing a slot gives the object a
// new map. That keeps lookup caches simple (a map's own slots are fixed) and
// means clones made before the change keep the old slots, as in Self.

// SlotKind says what a slot holds.
type SlotKind uint8

const (
	SlotConst  SlotKind = 1 // read-only value in the map
	SlotData   SlotKind = 2 // assignable value in the object, at the data index
	SlotAssign SlotKind = 3 // the assignment slot x: of data slot x (same index)
	SlotMethod SlotKind = 4 // a method object in the map
	SlotArg    SlotKind = 5 // a method's argument (activation maps only)
)

// slotKindNames name the kinds of slot that mirrors show.
var slotKindNames = map[SlotKind]string{SlotConst: "constant", SlotData: "data", SlotMethod: "method"}

// Name answers what mirrors call the kind: "constant", "data" or "method";
// "" for the kinds they do not show (an assignment slot belongs to its data
// slot, an argument to its method).
func (k SlotKind) Name() string { return slotKindNames[k] }

const (
	parentBit  = 8
	mapHeader  = 3
	slotFields = 3
)

// Map flags.
const (
	MapBlock = 1 // the map of a block literal
)

// Slot is one slot of a map, decoded.
type Slot struct {
	Name   heap.Oop // canonical string
	Kind   SlotKind
	Parent bool
	Index  int      // data index, for SlotData and SlotAssign
	Value  heap.Oop // for SlotConst and SlotMethod
}

func (s Slot) desc() heap.Oop {
	d := int64(s.Kind) | int64(s.Index)<<8
	if s.Parent {
		d |= parentBit
	}
	return heap.FromInt(d)
}

// NewMap makes a map with the given slots; nData is the number of data indices used.
func (m *Model) NewMap(slots []Slot, nData int, flags int, annotation heap.Oop) heap.Oop {
	mp := m.H.Alloc(mapHeader+slotFields*len(slots), 0, KindMap, heap.Nil)
	m.H.SetField(mp, 1, heap.FromInt(int64(nData)<<8|int64(flags)))
	m.H.SetField(mp, 2, annotation)
	for i, s := range slots {
		b := mapHeader + slotFields*i
		m.H.SetField(mp, b, s.Name)
		m.H.SetField(mp, b+1, s.desc())
		m.H.SetField(mp, b+2, s.Value)
	}
	return mp
}

// MapSlotCount answers how many slots map mp has.
func (m *Model) MapSlotCount(mp heap.Oop) int { return (m.H.NumPtrs(mp) - mapHeader) / slotFields }

// MapSlot answers slot i of map mp.
func (m *Model) MapSlot(mp heap.Oop, i int) Slot {
	b := mapHeader + slotFields*i
	d := m.H.Field(mp, b+1).Int()
	return Slot{
		Name:   m.H.Field(mp, b),
		Kind:   SlotKind(d & 7),
		Parent: d&parentBit != 0,
		Index:  int(d >> 8),
		Value:  m.H.Field(mp, b+2),
	}
}

// MapSlots answers all of map mp's slots.
func (m *Model) MapSlots(mp heap.Oop) []Slot {
	n := m.MapSlotCount(mp)
	s := make([]Slot, n)
	for i := range s {
		s[i] = m.MapSlot(mp, i)
	}
	return s
}

// MapDataCount answers how many data indices map mp uses.
func (m *Model) MapDataCount(mp heap.Oop) int { return int(m.H.Field(mp, 1).Int() >> 8) }

// MapFlags answers map mp's flags.
func (m *Model) MapFlags(mp heap.Oop) int { return int(m.H.Field(mp, 1).Int() & 0xff) }

// MapAnnotation answers map mp's annotation string, or Nil.
func (m *Model) MapAnnotation(mp heap.Oop) heap.Oop { return m.H.Field(mp, 2) }

// FindSlot answers the index of the slot named name in map mp, or -1.
func (m *Model) FindSlot(mp heap.Oop, name heap.Oop) int {
	n := m.MapSlotCount(mp)
	for i := 0; i < n; i++ {
		if m.H.Field(mp, mapHeader+slotFields*i) == name {
			return i
		}
	}
	return -1
}

// inlineData answers how many data slots object o holds in itself.
func (m *Model) inlineData(o heap.Oop) int {
	if m.H.Kind(o) == KindSlots {
		return m.H.NumPtrs(o) - FirstData
	}
	return 0
}

// DataAt answers data slot index k of object o.
func (m *Model) DataAt(o heap.Oop, k int) heap.Oop {
	if n := m.inlineData(o); k < n {
		return m.H.Field(o, FirstData+k)
	} else {
		ext := m.H.Field(o, FieldExt)
		if ext == heap.Nil || k-n >= m.H.NumPtrs(ext) {
			return m.Nil
		}
		return m.H.Field(ext, k-n)
	}
}

// DataAtPut sets data slot index k of object o, growing its extension if needed.
func (m *Model) DataAtPut(o heap.Oop, k int, v heap.Oop) {
	n := m.inlineData(o)
	if k < n {
		m.H.SetField(o, FirstData+k, v)
		return
	}
	m.ensureExt(o, k-n+1)
	m.H.SetField(m.H.Field(o, FieldExt), k-n, v)
}

// ensureExt makes o's extension hold at least size fields, keeping its contents.
func (m *Model) ensureExt(o heap.Oop, size int) {
	ext := m.H.Field(o, FieldExt)
	old := 0
	if ext != heap.Nil {
		old = m.H.NumPtrs(ext)
		if old >= size {
			return
		}
	}
	nx := m.RawVector(max(size, 2*old), m.Nil)
	for i := 0; i < old; i++ {
		m.H.SetField(nx, i, m.H.Field(ext, i))
	}
	m.H.SetField(o, FieldExt, nx)
}

// CloneObject makes a shallow copy of o with its own extension (the slots
// in it belong to the object, so clones must not share it).
func (m *Model) CloneObject(o heap.Oop) heap.Oop {
	c := m.H.Clone(o)
	if HasExt(m.H.Kind(c)) {
		if ext := m.H.Field(c, FieldExt); ext != heap.Nil {
			m.H.SetField(c, FieldExt, m.H.Clone(ext))
		}
	}
	return c
}

// NewSlotsObject makes an object with map mp and room for its data slots, set to init.
func (m *Model) NewSlotsObject(mp heap.Oop, init []heap.Oop) heap.Oop {
	n := m.MapDataCount(mp)
	o := m.H.Alloc(FirstData+n, 0, KindSlots, m.Nil)
	m.H.SetField(o, FieldMap, mp)
	m.H.SetField(o, FieldExt, heap.Nil)
	for i, v := range init {
		m.H.SetField(o, FirstData+i, v)
	}
	return o
}
