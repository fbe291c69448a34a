package heap

import (
	"errors"
	"math/rand/v2"
	"os"
	"testing"
)

// A model of a graph of nodes: node id -> its children's ids (0: none).
// Node objects have field 0 = the id and nodeRefs reference fields; the
// table (root 0) has modelSlots fields holding nodes.
// Root 1 is an ephemeron of modelPairs pairs, (key node, value node).
const (
	modelSlots = 32
	nodeRefs   = 3
	modelPairs = 8
)

type graphModel struct {
	slots    [modelSlots]int
	pairs    [modelPairs][2]int // key id, value id (0: none)
	children map[int][nodeRefs]int
	next     int
}

func (m *graphModel) clone() *graphModel {
	c := &graphModel{slots: m.slots, pairs: m.pairs, children: make(map[int][nodeRefs]int, len(m.children)), next: m.next}
	for k, v := range m.children {
		c.children[k] = v
	}
	return c
}

// reachable answers the ids reachable from the table, in a stable order.
func (m *graphModel) reachable() []int {
	seen := map[int]bool{}
	var out, stack []int
	for _, id := range m.slots {
		stack = append(stack, id)
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == 0 || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
		for _, c := range m.children[id] {
			stack = append(stack, c)
		}
	}
	return out
}

// heapNodes walks the heap's graph from the table, checks it against the
// model node by node, and answers each node's object.
func heapNodes(t *testing.T, h *Heap, m *graphModel, when string) map[int]Oop {
	t.Helper()
	objs := map[int]Oop{}
	var check func(o Oop, want int)
	check = func(o Oop, want int) {
		if want == 0 {
			if o != Nil {
				t.Fatalf("%s: %#x where the model has nothing", when, uint64(o))
			}
			return
		}
		if o == Nil || h.NumPtrs(o) != 1+nodeRefs || h.Field(o, 0) != FromInt(int64(want)) {
			t.Fatalf("%s: node %d is lost or overwritten (object %#x)", when, want, uint64(o))
		}
		if prev, ok := objs[want]; ok {
			if prev != o {
				t.Fatalf("%s: node %d is two objects", when, want)
			}
			return
		}
		objs[want] = o
		for j, c := range m.children[want] {
			check(h.Field(o, 1+j), c)
		}
	}
	table := h.Root(0)
	for i, id := range m.slots {
		check(h.Field(table, i), id)
	}
	return objs
}

// checkPairs checks the ephemeron (root 1) against the model: a pair the
// collector cleared had a key nothing strong reached, and is forgotten by
// the model; every other pair holds the model's nodes, intact. It answers
// how many pairs it found cleared.
func checkPairs(t *testing.T, h *Heap, m *graphModel, when string) (cleared int) {
	t.Helper()
	strong := map[int]bool{}
	for _, id := range m.reachable() {
		strong[id] = true
	}
	node := func(o Oop, want int, what string, i int) {
		if want == 0 {
			if o != Nil {
				t.Fatalf("%s: pair %d's %s is %#x, the model has none", when, i, what, uint64(o))
			}
			return
		}
		if o == Nil || !o.IsOld() || h.NumPtrs(o) != 1+nodeRefs || h.Field(o, 0) != FromInt(int64(want)) {
			t.Fatalf("%s: pair %d's %s, node %d, is lost or overwritten (%#x)", when, i, what, want, uint64(o))
		}
	}
	eph := h.Root(1)
	for i := range m.pairs {
		key, val := h.Field(eph, 2*i), h.Field(eph, 2*i+1)
		if key == Tombstone {
			if val != Nil || strong[m.pairs[i][0]] {
				t.Fatalf("%s: pair %d (key node %d, strongly reachable %v) was cleared", when, i, m.pairs[i][0], strong[m.pairs[i][0]])
			}
			if m.pairs[i][0] != 0 {
				cleared++
			}
			m.pairs[i] = [2]int{}
			continue
		}
		node(key, m.pairs[i][0], "key", i)
		node(val, m.pairs[i][1], "value", i)
	}
	return cleared
}

// TestIncrementalCollectionKeepsEverythingLive interleaves random
// transactions (new nodes, edges moved, slots cleared; some aborted) with
// collection slices of random small budgets, so that cycles span many
// transactions, objects are scanned two fields at a time and the mark
// stack spills to its file, and checks after each step that every node the model says
// is reachable is in the heap, intact.
func TestIncrementalCollectionKeepsEverythingLive(t *testing.T) {
	steps := 2000
	if os.Getenv("PSYCHE_SOAK") != "" {
		steps = 30000
	}
	h, _ := newHeap(t)
	h.gcScale = gcScale{chunk: 2, segment: 4} // nodes and the table scanned in chunks, the stack spilled
	rng := rand.New(rand.NewPCG(7, uint64(steps)))
	h.SetRoot(0, h.Alloc(modelSlots, 0, 1, Nil))
	h.SetRoot(1, h.Alloc(2*modelPairs, 0, 1, Nil))
	h.SetFlags(h.Root(1), FlagEphemeron)
	mustCommit(t, h)
	m := &graphModel{children: map[int][nodeRefs]int{}, next: 1}
	cycles, cleared := 0, 0
	for step := 0; step < steps; step++ {
		objs := heapNodes(t, h, m, "before a transaction")
		cleared += checkPairs(t, h, m, "before a transaction")
		ids := m.reachable()
		tx := m.clone()
		pick := func() (int, Oop) {
			if len(ids) == 0 || rng.IntN(4) == 0 {
				return 0, Nil
			}
			id := ids[rng.IntN(len(ids))]
			return id, objs[id]
		}
		for n := rng.IntN(6); n > 0; n-- {
			switch rng.IntN(5) {
			case 0: // a new node, holding existing ones
				id := tx.next
				tx.next++
				o := h.Alloc(1+nodeRefs, 0, 3, Nil)
				h.SetField(o, 0, FromInt(int64(id)))
				var ch [nodeRefs]int
				for j := range ch {
					cid, co := pick()
					ch[j] = cid
					h.SetField(o, 1+j, co)
				}
				tx.children[id] = ch
				slot := rng.IntN(modelSlots)
				tx.slots[slot] = id
				h.SetField(h.Root(0), slot, o)
			case 1, 2: // move an edge of an existing node
				if len(ids) == 0 {
					continue
				}
				id := ids[rng.IntN(len(ids))]
				cid, co := pick()
				j := rng.IntN(nodeRefs)
				ch := tx.children[id]
				ch[j] = cid
				tx.children[id] = ch
				h.SetField(objs[id], 1+j, co)
			case 3: // clear a slot
				slot := rng.IntN(modelSlots)
				tx.slots[slot] = 0
				h.SetField(h.Root(0), slot, Nil)
			case 4: // an ephemeron pair: a node, and what it keeps
				kid, ko := pick()
				if kid == 0 {
					continue
				}
				vid, vo := pick()
				i := rng.IntN(modelPairs)
				tx.pairs[i] = [2]int{kid, vid}
				h.SetField(h.Root(1), 2*i, ko)
				h.SetField(h.Root(1), 2*i+1, vo)
			}
		}
		if rng.IntN(5) == 0 {
			h.Abort()
		} else {
			mustCommit(t, h)
			m = tx
		}
		for k := rng.IntN(2); k >= 0; k-- {
			_, finished, err := h.collect(&budget{units: 1 + rng.IntN(12)}, nil)
			if err != nil {
				t.Fatalf("step %d: slice: %v", step, err)
			}
			if finished {
				cycles++
			}
		}
	}
	heapNodes(t, h, m, "at the end")
	if _, err := h.Collect(); err != nil {
		t.Fatal(err)
	}
	heapNodes(t, h, m, "after a whole collection")
	checkPairs(t, h, m, "after a whole collection")
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check: %v", r.Problems)
	}
	if cleared == 0 {
		t.Fatalf("no ephemeron pair was ever cleared in %d steps: the test did not exercise ephemerons", steps)
	}
	if cycles < 10 {
		t.Fatalf("only %d cycles finished in %d steps: the test did not exercise incremental collection", cycles, steps)
	}
	t.Logf("%d steps, %d cycles, %d nodes live, %d ephemeron pairs cleared", steps, cycles, len(m.reachable()), cleared)
}

// ephemeronChain commits an ephemeron table of n pairs whose values are the
// next pairs' keys, laid out so that a rescan per round would need n
// rounds; root 0 holds the table and root 1 the first key when rooted.
func ephemeronChain(t testing.TB, h *Heap, n int, rooted bool) {
	t.Helper()
	keys := make([]Oop, n+1)
	for i := range keys {
		keys[i] = h.Alloc(0, 8, 1, Nil)
	}
	table := h.Alloc(2*n, 8, 1, Nil)
	h.SetFlags(table, FlagEphemeron)
	for i := 0; i < n; i++ {
		pair := n - 1 - i // the last link first
		h.SetField(table, 2*pair, keys[i])
		h.SetField(table, 2*pair+1, keys[i+1])
	}
	h.SetRoot(0, table)
	if rooted {
		h.SetRoot(1, keys[0])
	}
	mustCommit(t, h)
}

// TestEphemeronChainIsLinear: a chain of ephemerons costs work linear in
// its pairs, whether it lives (rooted) or goes (not).
func TestEphemeronChainIsLinear(t *testing.T) {
	perPair := map[int]float64{}
	for _, n := range []int{1000, 10000} {
		for _, rooted := range []bool{true, false} {
			h, _ := newHeap(t)
			ephemeronChain(t, h, n, rooted)
			st, err := h.Collect()
			if err != nil {
				t.Fatal(err)
			}
			table := h.Root(0)
			alive := 0
			for i := 0; i < n; i++ {
				if h.Field(table, 2*i) != Tombstone {
					alive++
				}
			}
			if want := map[bool]int{true: n, false: 0}[rooted]; alive != want {
				t.Fatalf("n=%d rooted=%v: %d pairs alive, want %d", n, rooted, alive, want)
			}
			if rooted {
				perPair[n] = float64(st.EphemeronVisits) / float64(n)
			}
		}
	}
	if perPair[10000] > 2*perPair[1000] {
		t.Fatalf("ephemeron visits per pair grow with the chain: %.1f at 1000, %.1f at 10000", perPair[1000], perPair[10000])
	}
}

// freeListBytes sums the chunks on the free lists, walking them.
func freeListBytes(h *Heap) (total, largest uint64) {
	for c, a := range h.committed.Free {
		for a != 0 {
			size := h.word(a + 8)
			total += size
			largest = max(largest, size)
			a = h.freeNext(a, c)
		}
	}
	return total, largest
}

// TestInfoIsTrueAfterFreeing: the counters Info reads agree with the heap
// walked, after freeing, after reuse, and after a reopen.
func TestInfoIsTrueAfterFreeing(t *testing.T) {
	h, _ := newHeap(t)
	h.SetRoot(0, list(h, 5000))
	h.SetRoot(1, list(h, 5000))
	h.SetRoot(2, list(h, 100))
	mustCommit(t, h)
	h.SetRoot(0, Nil)
	mustCommit(t, h)
	st, err := h.Collect()
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		info := h.Info()
		total, largest := freeListBytes(h)
		if info.FreeBytes != total || info.LargestFree != largest {
			t.Fatalf("%s: info says %d free bytes, largest %d; the free lists hold %d, largest %d",
				when, info.FreeBytes, info.LargestFree, total, largest)
		}
		if info.InUseBytes != info.Frontier-dataStart-total {
			t.Fatalf("%s: in use %d, frontier %d, free %d", when, info.InUseBytes, info.Frontier, total)
		}
	}
	check("after the collection")
	if info := h.Info(); info.LiveBytes != st.LiveBytes || info.FreeBytes == 0 || info.InUseBytes != st.LiveBytes {
		t.Fatalf("after the collection: info %+v, gc %+v", info, st)
	}
	h.SetRoot(3, list(h, 300))
	mustCommit(t, h)
	check("after reuse")
	h = reopen(t, h)
	check("after reopening")
}

// TestCollectionShrinksTheFile: a large object dropped and collected gives
// its pages back to the file system, and a checkpoint hook sees the pages
// before they go.
func TestCollectionShrinksTheFile(t *testing.T) {
	h, path := newHeap(t)
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	small := h.Info().FileBytes
	h.SetRoot(1, h.Alloc(0, 8<<20, 2, Nil))
	mustCommit(t, h)
	big := h.Info().FileBytes
	if big < 8<<20 { // the object may start inside the old file
		t.Fatalf("the file did not grow: %d then %d", small, big)
	}
	var seen []uint64
	h.SetBeforeCommit(func(pages []uint64) error { seen = append(seen, pages...); return nil })
	h.SetRoot(1, Nil)
	mustCommit(t, h)
	st, err := h.Collect()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(fi.Size()) != st.FileBytes || st.FileBytes > small+2*shrinkSlack {
		t.Fatalf("after collecting the dropped object the file is %d bytes (gc says %d); it was %d before it", fi.Size(), st.FileBytes, small)
	}
	if last := big/PageSize - 1; len(seen) == 0 || seen[len(seen)-1] != last {
		t.Fatalf("the commit hook was not shown the released pages (up to %d): %v", last, len(seen))
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check: %v", r.Problems)
	}
	h.SetBeforeCommit(nil)
	h = reopen(t, h)
	h.SetRoot(1, h.Alloc(0, 1<<20, 2, Nil))
	h.SetRoot(2, list(h, 1000))
	mustCommit(t, h)
	if vs := listValues(h, h.Root(2)); len(vs) != 1000 {
		t.Fatalf("list after the file shrank and grew: %d", len(vs))
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check after growing again: %v", r.Problems)
	}
}

// TestSliceStartsWhenGarbageGrew: CollectSlice starts nothing until enough
// was promoted since the last cycle, then collects in slices.
func TestSliceStartsWhenGarbageGrew(t *testing.T) {
	h, _ := newHeap(t)
	h.opts.GCMinGarbage = 1 << 20
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	if _, err := h.CollectSlice(DefaultGCSlice); err != nil || h.Collecting() || h.Stats.Collections != 0 {
		t.Fatalf("a slice with nothing to collect started a cycle (err %v)", err)
	}
	for i := 0; h.Stats.Collections == 0; i++ {
		if i > 100 {
			t.Fatalf("no cycle after %d bytes promoted", h.Info().Allocated)
		}
		h.SetRoot(1, list(h, 2000)) // 64 KB, the last one's garbage
		mustCommit(t, h)
		if _, err := h.CollectSlice(DefaultGCSlice); err != nil {
			t.Fatal(err)
		}
	}
	if info := h.Info(); info.FreeBytes == 0 || info.Allocated >= h.opts.GCMinGarbage {
		t.Fatalf("after the automatic collection: %+v", info)
	}
	if vs := listValues(h, h.Root(1)); len(vs) != 2000 {
		t.Fatalf("live list after the automatic collection: %d", len(vs))
	}
}

// TestFailedCommitWhileMarking: objects promoted by a commit that then
// failed are not shaded: their space is free again.
func TestFailedCommitWhileMarking(t *testing.T) {
	h, _ := newHeap(t)
	h.SetRoot(0, list(h, 500))
	mustCommit(t, h)
	if _, finished, err := h.collect(&budget{units: 10}, nil); err != nil || finished || !h.Collecting() {
		t.Fatalf("a 10-unit slice of a 500-object heap: finished %v, err %v", finished, err)
	}
	refuse := errors.New("refused")
	h.SetBeforeCommit(func([]uint64) error { return refuse })
	h.SetRoot(1, list(h, 100))
	if err := h.Commit(); !errors.Is(err, refuse) {
		t.Fatalf("commit: %v", err)
	}
	h.SetBeforeCommit(nil)
	if _, err := h.Collect(); err != nil {
		t.Fatalf("finishing the cycle after a failed commit: %v", err)
	}
	if vs := listValues(h, h.Root(0)); len(vs) != 500 || h.Root(1) != Nil {
		t.Fatalf("after the cycle: %d cells, root 1 %#x", len(vs), uint64(h.Root(1)))
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check: %v", r.Problems)
	}
}
