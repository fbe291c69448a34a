package heap

import (
	"errors"
	"io"
	"math/rand"
	"os"
	"testing"
)

// largeModel drives random transactions of large objects against a model of
// which holders refer to which contents. Holders: the VM's stack (a root
// scanner), the heap's roots, the fields of a young vector, of a committed
// persistent object, and of a large vector made in the transaction.
type largeModel struct {
	t     *testing.T
	h     *Heap
	rng   *rand.Rand
	stack []Oop        // what the root scanner shows
	want  map[Oop]byte // each object the model holds: the byte it is filled with
	// holders, each a place an oop can be kept; committed says whether it
	// survives a commit (roots, the persistent object's fields).
	young Oop // a young vector on the stack (stack[0])
	old   Oop // a committed persistent object (root 0)
	lvec  Oop // a large vector made this transaction (stack[1]), or Nil
}

const (
	largeSlots    = 8 // fields of each holder
	largeRootBase = 1 // roots 1..largeSlots hold objects
)

func (m *largeModel) startTransaction() {
	h := m.h
	m.stack = m.stack[:0]
	m.young = h.Alloc(largeSlots, 0, 7, Nil)
	m.stack = append(m.stack, m.young, Nil)
	m.old = h.Root(0)
	m.lvec = Nil
	for i := 0; i < largeSlots; i++ {
		m.stack = append(m.stack, Nil)
	}
}

// holders answers every place an object can be kept now, as setters and getters.
func (m *largeModel) places() (get []func() Oop, set []func(Oop)) {
	h := m.h
	for i := 0; i < largeSlots; i++ {
		get = append(get, func() Oop { return m.stack[2+i] })
		set = append(set, func(o Oop) { m.stack[2+i] = o })
		get = append(get, func() Oop { return h.Root(largeRootBase + i) })
		set = append(set, func(o Oop) { h.SetRoot(largeRootBase+i, o) })
		get = append(get, func() Oop { return h.Field(m.stack[0], i) })
		set = append(set, func(o Oop) { h.SetField(m.stack[0], i, o) })
		get = append(get, func() Oop { return h.Field(m.old, i) })
		set = append(set, func(o Oop) { h.SetField(m.old, i, o) })
		if m.stack[1] != Nil {
			get = append(get, func() Oop { return h.Field(m.stack[1], i) })
			set = append(set, func(o Oop) { h.SetField(m.stack[1], i, o) })
		}
	}
	return get, set
}

// check compares every object a place holds with the model.
func (m *largeModel) check(when string) {
	m.t.Helper()
	get, _ := m.places()
	for _, g := range get {
		o := g()
		if o == Nil {
			continue
		}
		b, ok := m.want[o]
		if !ok {
			m.t.Fatalf("%s: a place holds %#x, which the model does not know", when, o)
		}
		n := m.h.NumBytes(o)
		for _, at := range []int{0, n / 2, n - 1} {
			if got := m.h.ByteAt(o, at); got != b {
				m.t.Fatalf("%s: object %#x byte %d is %d, want %d (it was freed while held)", when, o, at, got, b)
			}
		}
	}
}

// makeObject makes a large byte object filled with b, by AllocJoined, by
// Alloc and SetBytes, or from a stream.
func (m *largeModel) makeObject(b byte) Oop {
	n := largeObject + m.rng.Intn(2*largeObject)
	data := make([]byte, n)
	for i := range data {
		data[i] = b
	}
	var o Oop
	switch m.rng.Intn(3) {
	case 0:
		o = m.h.AllocJoined(1, 5, Nil, data[:n/3], data[n/3:])
	case 1:
		o = m.h.Alloc(1, n, 5, Nil)
		m.h.SetBytes(o, 0, data)
	default:
		var err error
		o, err = m.h.AllocStreamed(1, 5, Nil, func(p []byte) (int, error) {
			k := copy(p, data[:min(len(data), 100<<10)])
			data = data[k:]
			if len(data) == 0 {
				return k, io.EOF
			}
			return k, nil
		})
		if err != nil {
			m.t.Fatal(err)
		}
	}
	m.want[o] = b
	return o
}

// TestLargeFreedInTransactionModel: random transactions that make large
// objects (streamed ones too), keep them in every kind of place, drop them, scavenge, commit
// and abort. Nothing held is ever freed (every held object keeps its
// bytes), dead ones are freed and their space reused within the
// transaction, and the heap checks clean after every commit and a reopen.
func TestLargeFreedInTransactionModel(t *testing.T) {
	h, _ := newHeap(t)
	m := &largeModel{t: t, h: h, rng: rand.New(rand.NewSource(1)), want: map[Oop]byte{}}
	h.SetRootScanner(func(visit func(*Oop)) {
		for i := range m.stack {
			visit(&m.stack[i])
		}
	})
	h.SetRoot(0, h.Alloc(largeSlots, 0, 7, Nil))
	mustCommit(t, h)
	m.startTransaction()
	steps := 250
	if os.Getenv("PSYCHE_SOAK") != "" {
		steps = 1500
	}
	next := byte(1)
	for step := 0; step < steps; step++ {
		get, set := m.places()
		switch op := m.rng.Intn(20); {
		case op < 8: // make one and keep it somewhere (or nowhere)
			o := m.makeObject(next)
			next = next%250 + 1
			if m.rng.Intn(5) > 0 {
				set[m.rng.Intn(len(set))](o)
			}
		case op < 12: // move or copy a held one, or drop one
			from, to := m.rng.Intn(len(get)), m.rng.Intn(len(set))
			set[to](get[from]())
			if m.rng.Intn(2) == 0 {
				set[from](Nil)
			}
		case op == 12 && m.stack[1] == Nil: // a large vector of references
			m.stack[1] = h.Alloc(largeObject/8, 0, 7, Nil)
		case op < 17:
			h.Scavenge()
			m.check("after a scavenge")
		case op < 19:
			mustCommit(t, h)
			if r := h.Check(nil); len(r.Problems) > 0 {
				t.Fatalf("step %d: after a commit: %v", step, r.Problems)
			}
			m.startTransaction()
			m.check("after a commit")
		default:
			h.Abort()
			m.startTransaction()
			m.check("after an abort")
		}
	}
	mustCommit(t, h)
	if h.Stats.LargeFreedBytes == 0 || h.Stats.LargeReusedBytes == 0 {
		t.Fatalf("freed %d, reused %d bytes of large objects: none was freed or reused in its transaction",
			h.Stats.LargeFreedBytes, h.Stats.LargeReusedBytes)
	}
	h = reopen(t, h)
	m.h = h
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
	m.startTransaction()
	m.check("after a reopen")
}

// TestLargeGarbageFollowsLiveData: a transaction that replaces a growing
// large object a thousand times, scavenging as the VM does when asked,
// grows the heap file by what it holds between two scavenges (the live
// object and as much again, at least largeScavengeFloor) and the gaps
// between reused runs, not by what it made.
func TestLargeGarbageFollowsLiveData(t *testing.T) {
	h, _ := newHeap(t)
	var keep [1]Oop
	h.SetRootScanner(func(visit func(*Oop)) { visit(&keep[0]) })
	before := fileBlocks(t, h)
	piece := make([]byte, 1000)
	keep[0] = h.Alloc(1, largeObject, 5, Nil)
	made := 0
	for i := 0; i < 1000; i++ {
		old := keep[0]
		keep[0] = h.AllocJoined(1, 5, Nil, h.Bytes(old), piece)
		made += h.NumBytes(keep[0])
		if h.ScavengeWanted() {
			h.Scavenge()
		}
	}
	live := h.NumBytes(keep[0])
	h.SetRoot(0, keep[0])
	mustCommit(t, h)
	grew := fileBlocks(t, h) - before
	if grew > int64(3*live+2*largeScavengeFloor) {
		t.Fatalf("made %d bytes of large objects, %d live: the file grew by %d", made, live, grew)
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
}

// TestMemoryLimit: past Options.MemoryLimit a large allocation and a
// scavenge are refused with ErrOutOfMemory, and an abort gives it all back.
func TestMemoryLimit(t *testing.T) {
	opts := testOptions()
	opts.MemoryLimit = 8 << 20
	h, _ := newHeapWith(t, opts)
	var keep []Oop
	h.SetRootScanner(func(visit func(*Oop)) {
		for i := range keep {
			visit(&keep[i])
		}
	})
	err := Catch(func() error {
		for i := 0; i < 16; i++ {
			keep = append(keep, h.Alloc(1, 1<<20, 5, Nil))
			h.Scavenge()
		}
		return nil
	})
	if !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("16 MiB held under an 8 MiB limit: %v", err)
	}
	if reason, ok := OutOfMemoryReason(err); !ok || len(reason) == 0 {
		t.Fatalf("no reason in %v", err)
	}
	h.Abort()
	keep = nil
	if err := h.CheckAlloc(1, 6<<20); err != nil {
		t.Fatalf("after the abort the limit is still spent: %v", err)
	}
}
