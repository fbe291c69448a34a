package heap

import (
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// TestMarkStackSpillsAndKeepsOrder runs random pushes and pops against a
// slice: the stack answers the same entries in the same order, and never
// holds more than two segments in memory.
func TestMarkStackSpillsAndKeepsOrder(t *testing.T) {
	const segment = 8
	s := newMarkStack(t.TempDir(), segment)
	defer s.release()
	rng := rand.New(rand.NewPCG(3, 4))
	var model []markWork
	spilled := false
	for step := 0; step < 20000; step++ {
		if len(model) == 0 || rng.IntN(5) < 3 {
			w := markWork{o: Oop(rng.Uint64() &^ 7), from: rng.Uint64N(1 << 40)}
			if err := s.push(w); err != nil {
				t.Fatal(err)
			}
			model = append(model, w)
		} else {
			w, err := s.pop()
			if err != nil {
				t.Fatal(err)
			}
			if want := model[len(model)-1]; w != want {
				t.Fatalf("step %d: popped %+v, want %+v", step, w, want)
			}
			model = model[:len(model)-1]
		}
		if s.empty() != (len(model) == 0) {
			t.Fatalf("step %d: empty %v with %d entries", step, s.empty(), len(model))
		}
		if len(s.items) > 2*segment {
			t.Fatalf("step %d: %d entries in memory, more than two segments of %d", step, len(s.items), segment)
		}
		spilled = spilled || s.spilled > 0
	}
	if !spilled {
		t.Fatal("the stack never spilled: the test did not exercise the file")
	}
}

// TestSliceMarksAWideObjectInChunks: a slice of a cycle marking one object
// of many references stops within its budget and a chunk, however wide the
// object (a sweep's step is one object's header, however large),
// keeps its mark stack within two segments, and the cycles it makes keep
// everything the object refers to.
func TestSliceMarksAWideObjectInChunks(t *testing.T) {
	const refs, chunk, segment, units = 100000, 512, 256, 2000
	h, _ := newHeap(t)
	h.gcScale = gcScale{chunk: chunk, segment: segment}
	wide := h.Alloc(refs, 0, 1, Nil)
	h.SetRoot(0, wide)
	for i := 0; i < refs; i++ {
		h.SetField(wide, i, h.Alloc(1, 0, 2, FromInt(int64(i))))
	}
	mustCommit(t, h)
	slices := 0
	for finished := false; !finished; slices++ {
		b := &budget{units: units}
		var err error
		_, finished, err = h.collect(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if marking := h.gc != nil && h.gc.phase == gcMarking; marking && b.used > units+chunk+1 {
			t.Fatalf("slice %d did %d units of work, budget %d, chunk %d", slices, b.used, units, chunk)
		}
		if h.gc != nil && len(h.gc.stack.items) > 2*segment {
			t.Fatalf("slice %d: %d mark stack entries in memory", slices, len(h.gc.stack.items))
		}
	}
	if slices < refs/units {
		t.Fatalf("a cycle over %d references took %d slices of %d units", refs, slices, units)
	}
	wide = h.Root(0) // promoted
	for i := 0; i < refs; i += 997 {
		if v := h.Field(h.Field(wide, i), 0); v != FromInt(int64(i)) {
			t.Fatalf("reference %d holds %v after the cycle", i, v)
		}
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check: %v", r.Problems[0])
	}
	t.Logf("%d references marked in %d slices of %d units", refs, slices, units)
}

// paceGarbage runs transactions that each promote about garbage bytes of
// small objects that the next transaction drops, around a live list of
// liveCells cells, with a slice after each whose own time is up at once:
// only the pacing makes it work. It answers the largest heap file seen, the
// live bytes the last finished cycle found and the cycles finished.
func paceGarbage(t testing.TB, h *Heap, liveCells, rounds, garbage int) (peakFile, live uint64, cycles int) {
	h.SetRoot(0, list(h, liveCells))
	mustCommit(t, h)
	for r := 0; r < rounds; r++ {
		h.SetRoot(1, list(h, garbage/32))
		mustCommit(t, h)
		finished, err := h.CollectSlice(0)
		if err != nil {
			t.Fatalf("round %d: slice: %v", r, err)
		}
		if finished {
			cycles++
		}
		peakFile = max(peakFile, h.fileSize)
	}
	if vs := listValues(h, h.Root(0)); len(vs) != liveCells {
		t.Fatalf("the live list has %d cells, want %d", len(vs), liveCells)
	}
	return peakFile, h.committed.Space.LiveBytes, cycles
}

// TestPacingKeepsUpWithPromotion: transactions that each promote garbage
// at a high rate, with slices that would do nothing by their time alone,
// never let the heap file grow past a small factor of the live data (plus
// the garbage a cycle waits for, two runways): the pacing makes each slice
// work in proportion to what was promoted.
func TestPacingKeepsUpWithPromotion(t *testing.T) {
	rounds := 200
	if os.Getenv("PSYCHE_SOAK") != "" {
		rounds = 2000
	}
	h, _ := newHeap(t)
	h.opts.GCMinGarbage = 1 << 20
	peak, live, cycles := paceGarbage(t, h, 40000, rounds, 256<<10)
	bound := 3*live + 4*h.opts.GCMinGarbage
	if peak > bound {
		t.Fatalf("the heap file reached %d bytes with %d live (bound %d): the collector did not keep up", peak, live, bound)
	}
	if cycles < rounds/16 {
		t.Fatalf("%d cycles finished in %d rounds promoting %d MiB", cycles, rounds, rounds/4)
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check: %v", r.Problems[0])
	}
	t.Logf("%d rounds promoting 256 KiB each: %d cycles, file peak %d KiB, live %d KiB (%.2f×)", rounds, cycles, peak>>10, live>>10, float64(peak)/float64(live))
}

// TestEphemeronWaitsAgainstAMap runs random adds and takes on the waiting
// table, past several growths and beyond the in-memory size (so that its
// array becomes a file mapping), against a map of key to its pairs' fields.
func TestEphemeronWaitsAgainstAMap(t *testing.T) {
	steps := 400000
	if os.Getenv("PSYCHE_SOAK") != "" {
		steps = 4000000
	}
	tab := newEphemeronWaits(t.TempDir())
	defer tab.release()
	rng := rand.New(rand.NewPCG(5, 6))
	model := map[Oop][]uint64{}
	var keys []Oop
	grewToFile := false
	for step := 0; step < steps; step++ {
		if len(keys) == 0 || rng.IntN(3) > 0 {
			key := Oop(dataStart + 8*rng.Uint64N(uint64(steps)))
			if rng.IntN(4) == 0 && len(keys) > 0 {
				key = keys[rng.IntN(len(keys))] // another pair for a waiting key
			}
			field := dataStart + 8*rng.Uint64N(1<<30)
			tab.add(key, field)
			if _, ok := model[key]; !ok {
				keys = append(keys, key)
			}
			model[key] = append(model[key], field)
			grewToFile = grewToFile || tab.slots.f != nil
			continue
		}
		j := rng.IntN(len(keys))
		key := keys[j]
		if rng.IntN(8) == 0 {
			key++ // never added: nothing waits for it
		}
		var got []uint64
		for {
			field, ok := tab.take(key)
			if !ok {
				break
			}
			got = append(got, field)
		}
		want := model[key]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: the pairs waiting for %#x are %v, the model has %v", step, uint64(key), got, want)
		}
		if len(want) == 0 {
			continue
		}
		delete(model, key)
		keys[j] = keys[len(keys)-1]
		keys = keys[:len(keys)-1]
		if tab.empty() != (len(model) == 0) {
			t.Fatalf("step %d: empty %v with %d keys", step, tab.empty(), len(model))
		}
	}
	if !grewToFile {
		t.Fatalf("the table never became a file mapping (%d slots)", tab.capacity())
	}
	t.Logf("%d steps, %d keys waiting at the end, %d slots", steps, len(model), tab.capacity())
}

// TestPromotionWhileSweeping: objects promoted between the slices of a
// sweep that keeps the free lists are kept wherever they land, those of a
// commit that then failed leave their chunks free, and the heap checks.
func TestPromotionWhileSweeping(t *testing.T) {
	h, _ := newHeap(t)
	h.SetRoot(0, list(h, 500))
	h.SetRoot(1, list(h, 2000))
	mustCommit(t, h)
	h.SetRoot(1, Nil)
	mustCommit(t, h)
	if _, err := h.Collect(); err != nil { // the dead list's cells are on the free lists
		t.Fatal(err)
	}
	h.SetRoot(1, list(h, 1000))
	mustCommit(t, h)
	h.SetRoot(1, Nil)
	mustCommit(t, h)
	for h.gc == nil || h.gc.phase == gcMarking {
		if _, finished, err := h.collect(&budget{units: 50}, nil); err != nil || finished {
			t.Fatalf("a 50-unit slice: finished %v, err %v", finished, err)
		}
	}
	refuse := errors.New("refused")
	h.SetBeforeCommit(func([]uint64) error { return refuse })
	h.SetRoot(2, list(h, 300))
	if err := h.Commit(); !errors.Is(err, refuse) {
		t.Fatalf("commit: %v", err)
	}
	h.SetBeforeCommit(nil)
	ahead := 0 // lists promoted into chunks the sweep had yet to reach
	for i := 0; h.gc != nil; i++ {
		h.SetRoot(2, list(h, 100+i))
		mustCommit(t, h)
		if uint64(h.Root(2)) >= h.gc.sweepAt && uint64(h.Root(2)) < h.gc.sweepEnd {
			ahead++
		}
		if _, _, err := h.collect(&budget{units: 50}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if vs := listValues(h, h.Root(0)); len(vs) != 500 {
		t.Fatalf("the live list has %d cells after the sweep", len(vs))
	}
	if ahead == 0 {
		t.Fatal("nothing was promoted ahead of the sweep: the test did not exercise it")
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check: %v", r.Problems[0])
	}
	n := len(listValues(h, h.Root(2)))
	if _, err := h.Collect(); err != nil {
		t.Fatal(err)
	}
	if vs := listValues(h, h.Root(2)); len(vs) != n || len(listValues(h, h.Root(0))) != 500 {
		t.Fatalf("after a whole collection: root 2 has %d cells, want %d", len(vs), n)
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatalf("check after a whole collection: %v", r.Problems[0])
	}
}
