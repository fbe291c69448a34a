package heap

import (
	"encoding/binary"
	"testing"
)

func TestScavengeKeepsReachable(t *testing.T) {
	h, _ := newHeap(t)
	var held Oop
	h.SetRootScanner(func(visit func(*Oop)) { visit(&held) })
	held = list(h, 100)
	for i := 0; i < 200; i++ {
		list(h, 100) // garbage
	}
	used := h.YoungUsed()
	h.Scavenge()
	if h.YoungUsed() >= used/10 {
		t.Fatalf("scavenge kept %d of %d bytes", h.YoungUsed(), used)
	}
	if vs := listValues(h, held); len(vs) != 100 || vs[42] != 42 {
		t.Fatalf("held list after scavenge: %v", vs)
	}
	// A young object reached only from a persistent one survives a scavenge.
	h.SetRoot(0, h.Alloc(1, 0, 1, Nil))
	mustCommit(t, h)
	h.SetField(h.Root(0), 0, list(h, 10))
	h.Scavenge()
	h.Scavenge()
	if vs := listValues(h, h.Field(h.Root(0), 0)); len(vs) != 10 {
		t.Fatalf("remembered list after scavenges: %v", vs)
	}
	mustCommit(t, h)
	h = reopen(t, h)
	if vs := listValues(h, h.Field(h.Root(0), 0)); len(vs) != 10 || vs[9] != 9 {
		t.Fatalf("after reopen: %v", vs)
	}
}

func TestCollectFreesAndReuses(t *testing.T) {
	h, _ := newHeap(t)
	h.SetRoot(0, list(h, 2000))
	mustCommit(t, h)
	h.SetRoot(1, list(h, 2000))
	mustCommit(t, h)
	frontier := h.state.Frontier
	h.SetRoot(1, Nil)
	mustCommit(t, h)
	st, err := h.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if st.LiveObjects != 2000 || st.FreedBytes != 2000*objectSize(2, 0) {
		t.Fatalf("gc stats %+v", st)
	}
	// The freed list was allocated after the kept one, at the end: the frontier retreats.
	if h.state.Frontier >= frontier {
		t.Fatalf("frontier %d did not retreat from %d", h.state.Frontier, frontier)
	}
	// Free the first list instead: its space is reused by the next allocation.
	h.SetRoot(1, h.Root(0))
	h.SetRoot(0, Nil)
	mustCommit(t, h)
	h.SetRoot(1, list(h, 1000))
	mustCommit(t, h)
	before := h.state.Frontier
	if _, err := h.Collect(); err != nil {
		t.Fatal(err)
	}
	h.SetRoot(2, list(h, 1500))
	mustCommit(t, h)
	if h.state.Frontier > before {
		t.Fatalf("allocation grew the heap (%d > %d) instead of reusing freed space", h.state.Frontier, before)
	}
	if vs := listValues(h, h.Root(2)); len(vs) != 1500 {
		t.Fatalf("list in reused space: %d", len(vs))
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check after gc: %v", r.Problems)
	}
	// A second collection with nothing to free writes nothing.
	if _, err := h.Collect(); err != nil {
		t.Fatal(err)
	}
	logged := h.Stats.LogBytes
	if _, err := h.Collect(); err != nil {
		t.Fatal(err)
	}
	if h.Stats.LogBytes != logged {
		t.Fatalf("an idle collection logged %d bytes", h.Stats.LogBytes-logged)
	}
}

func TestWeakAndEphemeron(t *testing.T) {
	h, _ := newHeap(t)
	keep := h.Alloc(0, 0, 1, Nil)
	dead := h.Alloc(0, 0, 1, Nil)
	weak := h.Alloc(2, 0, 2, Nil)
	h.SetFlags(weak, FlagWeak)
	h.SetField(weak, 0, keep)
	h.SetField(weak, 1, dead)
	// Ephemeron table: (keep -> v1), (dead -> v2), and (k3 -> k3's value reaches k3 only).
	eph := h.Alloc(6, 8, 3, Nil)
	h.SetFlags(eph, FlagEphemeron)
	v1, v2 := list(h, 3), list(h, 4)
	k3 := h.Alloc(0, 0, 1, Nil)
	v3 := h.Alloc(1, 0, 1, Nil)
	h.SetField(v3, 0, k3)
	for i, o := range []Oop{keep, v1, dead, v2, k3, v3} {
		h.SetField(eph, i, o)
	}
	var cnt [8]byte
	binary.LittleEndian.PutUint64(cnt[:], 3)
	h.SetBytes(eph, 0, cnt[:])
	root := h.Alloc(3, 0, 1, Nil)
	h.SetField(root, 0, keep)
	h.SetField(root, 1, weak)
	h.SetField(root, 2, eph)
	h.SetRoot(0, root)
	mustCommit(t, h)
	st, err := h.Collect()
	if err != nil {
		t.Fatal(err)
	}
	root = h.Root(0)
	weak, eph = h.Field(root, 1), h.Field(root, 2)
	if h.Field(weak, 0) != h.Field(root, 0) || h.Field(weak, 1) != Nil {
		t.Fatalf("weak fields: %#x %#x", h.Field(weak, 0), h.Field(weak, 1))
	}
	if h.Field(eph, 0) != h.Field(root, 0) || len(listValues(h, h.Field(eph, 1))) != 3 {
		t.Fatal("live ephemeron pair was cleared")
	}
	for _, i := range []int{2, 4} {
		if h.Field(eph, i) != Tombstone || h.Field(eph, i+1) != Nil {
			t.Fatalf("dead ephemeron pair %d not cleared: %#x", i, h.Field(eph, i))
		}
	}
	h.ReadBytes(eph, 0, cnt[:])
	if c := binary.LittleEndian.Uint64(cnt[:]); c != 1 || st.Cleared != 3 {
		t.Fatalf("count %d, cleared %d", c, st.Cleared)
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check: %v", r.Problems)
	}
}

func TestCheckFindsDamage(t *testing.T) {
	h, _ := newHeap(t)
	h.SetRoot(0, list(h, 100))
	mustCommit(t, h)
	if r := h.Check(nil); len(r.Problems) > 0 || r.Objects != 100 {
		t.Fatalf("clean heap: %+v", r)
	}
	// A dangling reference, written through the barrier as a VM bug would.
	cell := h.Field(h.Root(0), 1)
	h.SetField(cell, 1, Oop(uint64(cell)+8))
	mustCommit(t, h)
	r := h.Check(nil)
	if len(r.Problems) != 1 || r.Problems[0].Offset != int64(cell)+headerSize+8 {
		t.Fatalf("dangling reference: %v", r.Problems)
	}
}

func TestLargeObjectsAndGrowth(t *testing.T) {
	h, _ := newHeap(t)
	big := h.Alloc(0, 10<<20, 5, Nil)
	data := make([]byte, 10<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	h.SetBytes(big, 0, data)
	h.SetRoot(0, big)
	mustCommit(t, h)
	h = reopen(t, h)
	got := make([]byte, 100)
	h.ReadBytes(h.Root(0), 5<<20, got)
	for i, b := range got {
		if b != byte((5<<20+i)*7) {
			t.Fatalf("byte %d = %d", i, b)
		}
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
}

// TestTemporariesAreNotWritten: a transaction that allocates 20 MB of
// temporaries (with scavenges at safe points) and keeps one small object
// writes a few pages, not the temporaries.
func TestTemporariesAreNotWritten(t *testing.T) {
	h, _ := newHeap(t)
	var held Oop
	h.SetRootScanner(func(visit func(*Oop)) { visit(&held) })
	h.SetRoot(0, h.Alloc(1, 0, 1, Nil))
	mustCommit(t, h)
	before := h.Stats.LogBytes + h.Stats.HeapBytes
	held = h.Alloc(0, 1000, 2, Nil)
	for allocated := 0; allocated < 20<<20; allocated += 64 {
		h.Alloc(2, 32, 3, Nil)
		if h.ScavengeWanted() {
			h.Scavenge()
		}
	}
	h.SetField(h.Root(0), 0, held)
	mustCommit(t, h)
	if written := h.Stats.LogBytes + h.Stats.HeapBytes - before; written > 8*PageSize {
		t.Fatalf("keeping 1 KB of 20 MB allocated wrote %d bytes", written)
	}
	if h.Stats.Scavenges == 0 {
		t.Fatal("the young space was never scavenged")
	}
}

// TestLargeObjectWrittenOnce: a large byte object reaches the heap file
// directly, not through the log, and survives reopening and a crash.
func TestLargeObjectWrittenOnce(t *testing.T) {
	h, path := newHeap(t)
	const n = 8 << 20
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*13 + 7)
	}
	logBefore, heapBefore := h.Stats.LogBytes, h.Stats.HeapBytes
	bv := h.Alloc(1, n, 5, Nil)
	h.SetBytes(bv, 0, data)
	h.SetRoot(0, bv)
	small := list(h, 100)
	h.SetRoot(1, small)
	mustCommit(t, h)
	if logged := h.Stats.LogBytes - logBefore; logged > 64<<10 {
		t.Fatalf("an 8 MiB object logged %d bytes", logged)
	}
	if written := h.Stats.HeapBytes - heapBefore; written < n || written > n+(1<<20) {
		t.Fatalf("heap file writes %d bytes for an 8 MiB object", written)
	}
	h.crash() // no clean close: recovery replays the small record
	h2, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	got := make([]byte, n)
	h2.ReadBytes(h2.Root(0), 0, got)
	if string(got) != string(data) {
		t.Fatal("the large object's bytes differ after recovery")
	}
	if len(listValues(h2, h2.Root(1))) != 100 {
		t.Fatal("small objects lost")
	}
	if r := h2.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
	// An aborted large object leaves the file's committed part alone and the
	// space is used again.
	h2.SetRoot(2, h2.Alloc(0, n, 5, Nil))
	h2.Abort()
	h2.SetRoot(2, h2.Alloc(0, 1<<20, 5, Nil))
	mustCommit(t, h2)
	if r := h2.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
	if _, err := h2.Collect(); err != nil {
		t.Fatal(err)
	}
}
