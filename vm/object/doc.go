// Package object is Psyche's object model on top of the heap: what the
// heap's untyped objects mean to Self. It defines the kinds of object, the
// layout of each, maps (shared slot descriptions), canonical strings, boxed
// numbers and the well-known objects the VM needs by name. The interpreter
// (package vm) and the primitives (package prims) both build on it; it knows
// nothing of either.
//
// # Layouts
//
// Every Self-visible object's field 0 is its map. Objects that can hold
// assignable slots (KindSlots, KindVector, KindString, KindMutableString,
// KindByteVector, KindMirror, KindWeakStore) have field 1, the extension: Nil,
// or a raw vector holding assignable slots that did not fit in the object
// (slots added by _AddSlots after it was made keep its identity this way).
//
//	KindSlots        map, ext, data slots...
//	KindVector       map, ext, elements...
//	KindString etc.  map, ext; bytes
//	KindFloat        map; 8 bytes (IEEE 754, little-endian): a float with no immediate form
//	KindBigInt       map; sign byte (0 or 1), then the magnitude, big-endian
//	KindBlock        map, ext, lexical activation
//	KindMirror       map, ext, reflectee
//
// Objects the VM keeps for itself have no map (field 0 is Nil): maps,
// methods, activations, and raw vectors (KindRaw: fields only).
package object
