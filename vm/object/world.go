package object

import (
	"fmt"

	"psyche/heap"
)

// Special is the index of a well-known object in the specials vector, the
// heap's root 0. The numbers are part of the heap format.
type Special int

const (
	SpLobby Special = iota
	SpGlobals
	SpTraits
	SpNil
	SpTrue
	SpFalse
	SpSymbols     // the canonical-string table (raw vector, open addressing)
	SpSymbolCount // small integer
	SpSmallIntMap // the map every small integer has
	SpBigIntMap
	SpFloatMap
	SpStringMap // canonical strings
	SpMutableStringMap
	SpByteVectorMap
	SpVectorMap
	SpMirrorMap
	SpWeakStoreMap
	SpTraitsDefaults
	SpTraitsClonable
	SpTraitsInteger
	SpTraitsFloat
	SpTraitsString
	SpTraitsByteVector
	SpTraitsVector
	SpTraitsBlock
	SpTraitsBoolean
	SpTraitsTrue
	SpTraitsFalse
	SpTraitsNil
	SpTraitsMirror
	SpTraitsWeakStore
	SpWorld // the `world` object
	NumSpecials
)

// RootSpecials is the heap root that holds the specials vector.
const RootSpecials = 0

// Model is the object model of one heap. It caches the well-known objects
// in Go fields; Refresh reloads them after anything that may move or drop
// them (a commit, an abort, a scavenge).
type Model struct {
	H        *heap.Heap
	specials heap.Oop

	// Cached well-known objects (valid until the next Refresh).
	Nil, True, False, Lobby heap.Oop
	SmallIntMap             heap.Oop
	FloatMap                heap.Oop // the map of every float, immediate or boxed
}

// NewModel wraps an open heap.
func NewModel(h *heap.Heap) *Model {
	m := &Model{H: h}
	m.Refresh()
	return m
}

// Booted reports whether the heap holds a world (its specials vector exists).
func (m *Model) Booted() bool { return m.H.Root(RootSpecials) != heap.Nil }

// Refresh reloads the cached well-known objects.
func (m *Model) Refresh() {
	m.specials = m.H.Root(RootSpecials)
	if m.specials == heap.Nil {
		return
	}
	m.Nil, m.True, m.False = m.Special(SpNil), m.Special(SpTrue), m.Special(SpFalse)
	m.Lobby = m.Special(SpLobby)
	m.SmallIntMap = m.Special(SpSmallIntMap)
	m.FloatMap = m.Special(SpFloatMap)
}

// Special answers well-known object s.
func (m *Model) Special(s Special) heap.Oop { return m.H.Field(m.specials, int(s)) }

// SetSpecial sets well-known object s.
func (m *Model) SetSpecial(s Special, v heap.Oop) {
	m.H.SetField(m.specials, int(s), v)
	if s == SpNil || s == SpTrue || s == SpFalse || s == SpLobby || s == SpSmallIntMap || s == SpFloatMap {
		m.Refresh()
	}
}

// InitSpecials makes an empty specials vector; the world builder fills it.
func (m *Model) InitSpecials() {
	sp := m.H.Alloc(int(NumSpecials), 0, KindRaw, heap.Nil)
	m.H.SetRoot(RootSpecials, sp)
	m.specials = sp
}

// Bool answers Self's true or false.
func (m *Model) Bool(b bool) heap.Oop {
	if b {
		return m.True
	}
	return m.False
}

// MapOf answers the map of any object, immediates included.
func (m *Model) MapOf(o heap.Oop) heap.Oop {
	if o.IsInt() {
		return m.SmallIntMap
	}
	if o.IsImmFloat() {
		return m.FloatMap
	}
	if !o.IsPtr() {
		panic(&heap.CorruptError{File: "object", Page: -1, Offset: -1, Msg: fmt.Sprintf("%#x is not an object", uint64(o))})
	}
	return m.H.Field(o, FieldMap)
}

// RawVector makes a VM-internal vector of n fields set to fill.
func (m *Model) RawVector(n int, fill heap.Oop) heap.Oop {
	return m.H.Alloc(n, 0, KindRaw, fill)
}

// NewVector makes a Self vector of n elements, each fill.
func (m *Model) NewVector(n int, fill heap.Oop) heap.Oop {
	v := m.H.Alloc(FirstData+n, 0, KindVector, fill)
	m.H.SetField(v, FieldMap, m.Special(SpVectorMap))
	m.H.SetField(v, FieldExt, heap.Nil)
	return v
}

// VectorSize answers the number of elements of a Self vector.
func (m *Model) VectorSize(v heap.Oop) int { return m.H.NumPtrs(v) - FirstData }

// VectorAt answers element i of a Self vector (no bounds check beyond the heap's).
func (m *Model) VectorAt(v heap.Oop, i int) heap.Oop { return m.H.Field(v, FirstData+i) }

// VectorAtPut sets element i of a Self vector.
func (m *Model) VectorAtPut(v heap.Oop, i int, x heap.Oop) { m.H.SetField(v, FirstData+i, x) }

// ByteObjectFields is the number of pointer fields of a string or
// byteVector: FieldMap and FieldExt.
const ByteObjectFields = 2

// NewBytes makes a byte object of kind k with map mp holding the
// concatenation of parts (copied, each byte written once; parts may be
// byte parts of heap objects).
func (m *Model) NewBytes(k Kind, mp heap.Oop, parts ...[]byte) heap.Oop {
	o := m.H.AllocJoined(ByteObjectFields, k, heap.Nil, parts...)
	m.H.SetField(o, FieldMap, mp)
	return o
}

// NewString makes an immutable (not canonical) string holding a copy of b.
func (m *Model) NewString(b []byte) heap.Oop {
	return m.NewBytes(KindString, m.Special(SpStringMap), b)
}

// NewStringJoined makes an immutable (not canonical) string holding the
// concatenation of parts, without an intermediate copy.
func (m *Model) NewStringJoined(parts ...[]byte) heap.Oop {
	return m.NewBytes(KindString, m.Special(SpStringMap), parts...)
}

// NewByteVector makes a byteVector holding a copy of b.
func (m *Model) NewByteVector(b []byte) heap.Oop {
	return m.NewBytes(KindByteVector, m.Special(SpByteVectorMap), b)
}

// NewMutableString makes a mutable string holding a copy of s.
func (m *Model) NewMutableString(s []byte) heap.Oop {
	return m.NewBytes(KindMutableString, m.Special(SpMutableStringMap), s)
}

// IsString reports whether o is a string (immutable or mutable).
func (m *Model) IsString(o heap.Oop) bool { return o.IsPtr() && IsStringKind(m.H.Kind(o)) }

// StringOf answers the contents of a string or byteVector as a Go string.
func (m *Model) StringOf(o heap.Oop) string { return string(m.H.Bytes(o)) }
