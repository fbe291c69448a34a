package heap

import (
	"fmt"
	"math/bits"
)

// The collector's table of ephemeron pairs waiting for their keys to be
// marked (gc.go): an open-addressing hash table of (key, the address of the
// key's field) slots, a slot per pair, the value being the next word. It
// lives in a word array that becomes a file mapping beyond inMemoryBitmap,
// as the mark bitmap does, so that a chain of millions of weakStore entries
// is collected in memory bounded by a constant, the kernel paging the
// table; at 16 bytes a slot and at least half full, it is as small as such
// a table gets, so that marking such a chain keeps a small working set.

// ephWaitSlots is the table's first capacity, in slots.
const ephWaitSlots = 1024

// ephSlotWords is the size of a slot: the key (0: empty), and the address
// of the key's field in its ephemeron.
const ephSlotWords = 2

// ephemeronWaits is the table. Invariant: every slot holding a key is at or
// after the key's home slot with no empty slot between (linear probing);
// a key has a slot for each pair seen with it unmarked since it was last
// taken.
type ephemeronWaits struct {
	dir   string
	slots *bitmap // nil until the first pair
	n     uint64  // slots in use
}

func newEphemeronWaits(dir string) *ephemeronWaits { return &ephemeronWaits{dir: dir} }

// empty reports whether no pair is waiting.
func (t *ephemeronWaits) empty() bool { return t.n == 0 }

func (t *ephemeronWaits) capacity() uint64 { return uint64(len(t.slots.words)) / ephSlotWords }

// home is key's first slot: the top bits of a Fibonacci hash, which mix
// all of the key's bits (objects are words apart, so low bits repeat).
func (t *ephemeronWaits) home(key Oop) uint64 {
	return (uint64(key) >> 3 * 0x9E3779B97F4A7C15) >> (65 - bits.Len64(t.capacity()))
}

// find answers the first slot of key, or the empty slot that ends its
// probe run.
func (t *ephemeronWaits) find(key Oop) uint64 {
	mask := t.capacity() - 1
	i := t.home(key)
	for {
		k := Oop(t.slots.words[i*ephSlotWords])
		if k == 0 || k == key {
			return i
		}
		i = (i + 1) & mask
	}
}

// add records that the pair whose key field is at field waits for key.
func (t *ephemeronWaits) add(key Oop, field uint64) {
	if t.slots == nil || (t.n+1)*2 > t.capacity() {
		t.grow()
	}
	mask := t.capacity() - 1
	i := t.home(key)
	for t.slots.words[i*ephSlotWords] != 0 {
		i = (i + 1) & mask
	}
	t.slots.words[i*ephSlotWords], t.slots.words[i*ephSlotWords+1] = uint64(key), field
	t.n++
}

// take removes one pair waiting for key and answers its key field's
// address, if any is left.
func (t *ephemeronWaits) take(key Oop) (uint64, bool) {
	if t.n == 0 {
		return 0, false
	}
	i := t.find(key)
	s := t.slots.words
	if Oop(s[i*ephSlotWords]) != key {
		return 0, false
	}
	field := s[i*ephSlotWords+1]
	t.n--
	// Backward-shift deletion: move later keys of the probe run into the
	// hole when the hole lies between their home and where they are.
	mask := t.capacity() - 1
	for j := i; ; {
		j = (j + 1) & mask
		kj := Oop(s[j*ephSlotWords])
		if kj == 0 {
			break
		}
		h := t.home(kj)
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			s[i*ephSlotWords], s[i*ephSlotWords+1] = s[j*ephSlotWords], s[j*ephSlotWords+1]
			i = j
		}
	}
	s[i*ephSlotWords], s[i*ephSlotWords+1] = 0, 0
	return field, true
}

// grow doubles the table (or makes it), reinserting its slots.
func (t *ephemeronWaits) grow() {
	old := t.slots
	n := uint64(ephWaitSlots)
	if old != nil {
		n = 2 * t.capacity()
	}
	t.slots = &bitmap{}
	if err := t.slots.resize(t.dir, n*ephSlotWords*8); err != nil {
		panic(&oomError{msg: fmt.Sprintf("gc: growing the ephemeron table: %v", err)})
	}
	if old == nil {
		return
	}
	t.n = 0
	for i := 0; i+1 < len(old.words); i += ephSlotWords {
		if key := Oop(old.words[i]); key != 0 {
			t.add(key, old.words[i+1])
		}
	}
	old.release()
}

// release gives back the table's memory and file.
func (t *ephemeronWaits) release() {
	if t.slots != nil {
		t.slots.release()
	}
	t.slots, t.n = nil, 0
}
