package heap

// An Oop is an object reference: a tagged 64-bit word.
//
//	...xxx1  an immediate small integer (63-bit, two's complement)
//	...x000  an object in the persistent heap: its byte offset in the heap file (0 is Nil)
//	...x100  an object in the young space: its byte offset there, plus 4
//	...x010  an immediate float (float.go), or Tombstone (the heap treats both as non-pointers)
//
// Persistent offsets are file offsets, so the same Oop names the same object in
// every process that opens the heap. Young oops are private to one transaction:
// at commit every young object that is still reachable moves to the persistent
// heap and the references to it are rewritten, so no young oop is ever written
// to disk.
type Oop uint64

// Nil is the null reference. It is never an object: offset 0 is a superblock.
const Nil Oop = 0

const (
	tagMask   = 7
	tagOld    = 0
	tagYoung  = 4
	tagVMImm  = 2
	intTagBit = 1
)

// Small integers are 63-bit; larger values are the VM's business (big integers).
const (
	MaxSmallInt = 1<<62 - 1
	MinSmallInt = -1 << 62
)

// FromInt makes a small-integer oop. The caller must check the range with FitsSmallInt.
func FromInt(i int64) Oop { return Oop(uint64(i)<<1 | intTagBit) }

// FitsSmallInt reports whether i can be an immediate.
func FitsSmallInt(i int64) bool { return i >= MinSmallInt && i <= MaxSmallInt }

// IsInt reports whether o is an immediate small integer.
func (o Oop) IsInt() bool { return o&intTagBit != 0 }

// Int answers the value of a small-integer oop.
func (o Oop) Int() int64 { return int64(o) >> 1 }

// IsPtr reports whether o refers to an object (persistent or young).
func (o Oop) IsPtr() bool { return o != Nil && o&3 == 0 }

// IsOld reports whether o refers to a persistent object.
func (o Oop) IsOld() bool { return o != Nil && o&tagMask == tagOld }

// IsYoung reports whether o refers to an object in the young space.
func (o Oop) IsYoung() bool { return o&tagMask == tagYoung }

// VMImmediate makes an oop of the VM-defined immediate kind from a 61-bit payload.
func VMImmediate(payload uint64) Oop { return Oop(payload<<3 | tagVMImm) }

// IsVMImmediate reports whether o is a VM-defined immediate.
func (o Oop) IsVMImmediate() bool { return o&tagMask == tagVMImm }

// VMPayload answers the payload of a VM-defined immediate.
func (o Oop) VMPayload() uint64 { return uint64(o) >> 3 }

func youngOop(off uint64) Oop  { return Oop(off | tagYoung) }
func (o Oop) youngOff() uint64 { return uint64(o) &^ tagMask }
