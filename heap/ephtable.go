package heap

import (
	"fmt"
	"math/bits"
)

// The collector's table of ephemeron pairs waiting for their keys to be
// marked (gc.go): an open-addressing hash table from key to the first pair
// waiting for it, and the pairs, chained per key. Both live in word arrays
// that become file mappings beyond inMemoryBitmap, as the mark bitmap does,
// so that a chain of millions of weakStore entries is collected in memory
// bounded by a constant, the kernel paging the table in and out.

// ephWaitSlots is the table's first capacity, in slots.
const ephWaitSlots = 1024

// Word layout of a pair (ephPairWords words) and of a slot (ephSlotWords).
const (
	ephPairWords = 3 // the ephemeron, the key's field, the next pair + 1 (0: none)
	ephSlotWords = 2 // the key (0: empty), the first pair + 1
)

// ephemeronWaits is the table. Invariant: a key is in at most one slot, at
// or after its home slot with no empty slot between (linear probing), and
// its chain holds exactly the pairs seen with it unmarked since it was
// last taken.
type ephemeronWaits struct {
	dir    string
	slots  *bitmap // nil until the first pair
	pairs  *bitmap
	nkeys  uint64
	npairs uint64
}

// ephPair is pair k (the key's field) of ephemeron e, and the next pair
// waiting for the same key (-1 for none).
type ephPair struct {
	e    Oop
	k    int
	next int
}

func newEphemeronWaits(dir string) *ephemeronWaits { return &ephemeronWaits{dir: dir} }

// empty reports whether no key has pairs waiting.
func (t *ephemeronWaits) empty() bool { return t.nkeys == 0 }

func (t *ephemeronWaits) capacity() uint64 { return uint64(len(t.slots.words)) / ephSlotWords }

// home is key's first slot: the top bits of a Fibonacci hash, which mix
// all of the key's bits (objects are words apart, so low bits repeat).
func (t *ephemeronWaits) home(key Oop) uint64 {
	return (uint64(key) >> 3 * 0x9E3779B97F4A7C15) >> (65 - bits.Len64(t.capacity()))
}

// find answers the slot of key, or of the empty slot where it would go.
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

// add records pair k of ephemeron e as waiting for key.
func (t *ephemeronWaits) add(key, e Oop, k int) {
	if t.slots == nil || (t.nkeys+1)*2 > t.capacity() {
		t.grow()
	}
	if (t.npairs+1)*ephPairWords > uint64(len(t.pairs.words)) {
		t.resize(t.pairs, 2*uint64(len(t.pairs.words))*8)
	}
	i := t.find(key)
	s := t.slots.words[i*ephSlotWords:]
	if Oop(s[0]) != key {
		s[0], s[1] = uint64(key), 0
		t.nkeys++
	}
	p := t.pairs.words[t.npairs*ephPairWords:]
	p[0], p[1], p[2] = uint64(e), uint64(k), s[1]
	t.npairs++
	s[1] = t.npairs
}

// take removes key and answers the first pair that waited for it, if any.
func (t *ephemeronWaits) take(key Oop) (int, bool) {
	if t.nkeys == 0 {
		return 0, false
	}
	i := t.find(key)
	s := t.slots.words
	if Oop(s[i*ephSlotWords]) != key {
		return 0, false
	}
	first := int(s[i*ephSlotWords+1]) - 1
	t.nkeys--
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
	return first, true
}

// pair answers pair i.
func (t *ephemeronWaits) pair(i int) ephPair {
	p := t.pairs.words[uint64(i)*ephPairWords:]
	return ephPair{e: Oop(p[0]), k: int(p[1]), next: int(p[2]) - 1}
}

// grow doubles the table (or makes it), reinserting its keys.
func (t *ephemeronWaits) grow() {
	old := t.slots
	n := uint64(ephWaitSlots)
	if old != nil {
		n = 2 * t.capacity()
	} else {
		t.pairs = &bitmap{}
		t.resize(t.pairs, ephWaitSlots*ephPairWords*8)
	}
	t.slots = &bitmap{}
	t.resize(t.slots, n*ephSlotWords*8)
	if old == nil {
		return
	}
	for i := 0; i+1 < len(old.words); i += ephSlotWords {
		if key := Oop(old.words[i]); key != 0 {
			j := t.find(key)
			t.slots.words[j*ephSlotWords], t.slots.words[j*ephSlotWords+1] = old.words[i], old.words[i+1]
		}
	}
	old.release()
}

func (t *ephemeronWaits) resize(b *bitmap, nbytes uint64) {
	if err := b.resize(t.dir, nbytes); err != nil {
		panic(&oomError{fmt.Sprintf("gc: growing the ephemeron table: %v", err)})
	}
}

// release gives back the table's memory and files.
func (t *ephemeronWaits) release() {
	if t.slots != nil {
		t.slots.release()
		t.pairs.release()
	}
	t.slots, t.pairs, t.nkeys, t.npairs = nil, nil, 0, 0
}
