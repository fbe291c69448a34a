package heap

// Object layout. Every object, persistent or young, is 8-byte aligned:
//
//	word 0   bits  0..31  number of pointer fields
//	         bits 32..39  flags (Flag*)
//	         bits 40..63  identity hash (24 bits, never 0 for a live object)
//	word 1   bits  0..55  number of bytes in the byte part
//	         bits 56..63  kind: the VM's type tag; the heap never interprets it
//	then     the pointer fields, one Oop each
//	then     the byte part, padded to a multiple of 8
//
// A free chunk in the persistent heap has FlagFree, no fields, and word 1 holds
// the chunk's whole size in bytes; if it is at least 24 bytes, word 2 links it
// into a free list. The heap is therefore parseable from its first object to the
// frontier, which Check and the sweep rely on.
const (
	headerSize = 16
	wordSize   = 8
)

// MinObjectBytes is the least an object takes in the heap file, its
// header: two objects start at least this far apart.
const MinObjectBytes = headerSize

// Object flags.
const (
	// FlagWeak: the pointer fields do not keep their referents alive; the
	// collector replaces a reference to a dead object with Nil.
	FlagWeak = 1 << 0
	// FlagEphemeron: the pointer fields are (key, value) pairs and a value is
	// kept alive only while its key is reachable other than through ephemerons.
	// When a key dies, the collector sets the pair to (Tombstone, Nil) and, if
	// the object has a byte part of at least 8 bytes, decrements the live count
	// kept in its first 8 bytes (little-endian).
	FlagEphemeron = 1 << 1
	// flagRemembered: a persistent object that holds young references this transaction.
	flagRemembered = 1 << 5
	// flagForwarded: a young object that was copied; word 1 holds the new oop.
	flagForwarded = 1 << 6
	// flagFree: a free chunk in the persistent heap.
	flagFree = 1 << 7

	userFlags = FlagWeak | FlagEphemeron
)

// Tombstone marks a removed key in an ephemeron table so that open-addressing
// probes continue past it. It is a VM immediate the VM must not use otherwise.
const Tombstone Oop = Oop(0xDEAD<<3 | tagVMImm)

const (
	maxPtrs  = 1<<32 - 1
	maxBytes = 1<<56 - 1
	hashBits = 24
	hashMask = 1<<hashBits - 1
)

func makeHeader0(nptrs uint64, flags uint8, hash uint32) uint64 {
	return nptrs | uint64(flags)<<32 | uint64(hash&hashMask)<<40
}

func makeHeader1(nbytes uint64, kind uint8) uint64 { return nbytes | uint64(kind)<<56 }

func h0Ptrs(w uint64) uint64  { return w & maxPtrs }
func h0Flags(w uint64) uint8  { return uint8(w >> 32) }
func h0Hash(w uint64) uint32  { return uint32(w >> 40) }
func h1Bytes(w uint64) uint64 { return w & maxBytes }
func h1Kind(w uint64) uint8   { return uint8(w >> 56) }

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// objectSize answers the bytes an object with this shape occupies.
func objectSize(nptrs, nbytes uint64) uint64 {
	return headerSize + nptrs*wordSize + align8(nbytes)
}

// sizeFromHeader answers the size of the object or free chunk with these header words.
func sizeFromHeader(w0, w1 uint64) uint64 {
	if h0Flags(w0)&flagFree != 0 {
		return w1
	}
	return objectSize(h0Ptrs(w0), h1Bytes(w1))
}
