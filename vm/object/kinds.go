package object

// Kind is the heap's type tag for an object.
type Kind = uint8

// The kinds. Their numbers are part of the heap format.
const (
	KindRaw           Kind = 0 // VM-internal: fields only, no map
	KindSlots         Kind = 1
	KindVector        Kind = 2
	KindString        Kind = 3 // immutable, canonical when made by Intern
	KindMutableString Kind = 4
	KindByteVector    Kind = 5
	KindFloat         Kind = 6
	KindBigInt        Kind = 7
	KindBlock         Kind = 8
	KindMirror        Kind = 9
	KindWeakStore     Kind = 10
	KindMap           Kind = 16
	KindMethod        Kind = 17
	KindActivation    Kind = 18
	KindCode          Kind = 19 // bytecodes
)

// Field indices shared by the layouts.
const (
	FieldMap  = 0
	FieldExt  = 1
	FirstData = 2 // first data slot (KindSlots) or element (KindVector)

	FieldReflectee = 2 // a mirror's reflectee (KindMirror)
	MirrorFields   = 3 // the fields of a mirror
)

// HasExt reports whether objects of kind k have an extension field.
func HasExt(k Kind) bool {
	switch k {
	case KindSlots, KindVector, KindString, KindMutableString, KindByteVector, KindBlock, KindMirror, KindWeakStore:
		return true
	}
	return false
}

// IsBytes reports whether objects of kind k keep their contents as bytes.
func IsBytes(k Kind) bool {
	return k == KindString || k == KindMutableString || k == KindByteVector
}

// IsStringKind reports whether k is a string kind.
func IsStringKind(k Kind) bool { return k == KindString || k == KindMutableString }
