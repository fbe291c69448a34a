package heap

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// spillOptions makes a heap whose transactions spill beyond 16 dirty pages.
func spillOptions() Options {
	o := testOptions()
	o.DirtyBudget = 16 * PageSize
	return o
}

// ballastSize is the byte count of a ballast object: one per page.
const ballastSize = PageSize - headerSize - 8

// makeBallast commits root 1: a table of n byte objects, one per page, all
// bytes 0.
func makeBallast(t testing.TB, h *Heap, n int) {
	t.Helper()
	table := h.Alloc(n, 0, 1, Nil)
	for i := 0; i < n; i++ {
		h.SetField(table, i, h.Alloc(0, ballastSize, 2, Nil))
	}
	h.SetRoot(1, table)
	mustCommit(t, h)
}

// fillBallast sets every byte of every ballast object to b: one dirty page each.
func fillBallast(h *Heap, b byte) {
	table := h.Root(1)
	buf := make([]byte, ballastSize)
	for i := range buf {
		buf[i] = b
	}
	for i := 0; i < h.NumPtrs(table); i++ {
		h.SetBytes(h.Field(table, i), 0, buf)
	}
}

// ballastByte answers the byte every ballast object holds, or fails.
func ballastByte(t testing.TB, h *Heap) byte {
	t.Helper()
	table := h.Root(1)
	want := h.ByteAt(h.Field(table, 0), 0)
	for i := 0; i < h.NumPtrs(table); i++ {
		o := h.Field(table, i)
		if h.ByteAt(o, 0) != want || h.ByteAt(o, ballastSize-1) != want {
			t.Fatalf("ballast object %d holds %d..%d, object 0 holds %d: a transaction is half there",
				i, h.ByteAt(o, 0), h.ByteAt(o, ballastSize-1), want)
		}
	}
	return want
}

func TestSpillCommitReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap")
	h, err := Create(path, spillOptions())
	if err != nil {
		t.Fatal(err)
	}
	makeBallast(t, h, 200)
	fillBallast(h, 7)
	h.SetRoot(2, list(h, 3000)) // young objects promoted at commit, spilling too
	if h.Stats.Spills == 0 {
		t.Fatal("200 dirty pages with a budget of 16 did not spill")
	}
	if got := ballastByte(t, h); got != 7 {
		t.Fatalf("inside the transaction the spilled pages read %d, want 7", got)
	}
	mustCommit(t, h)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h, err = Open(path, spillOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got := ballastByte(t, h); got != 7 {
		t.Fatalf("after reopening the ballast holds %d, want 7", got)
	}
	if vs := listValues(h, h.Root(2)); len(vs) != 3000 || vs[2999] != 2999 {
		t.Fatalf("the promoted list has %d cells", len(vs))
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
}

func TestSpillAbortLeavesNoTrace(t *testing.T) {
	h, _ := newHeapWith(t, spillOptions())
	makeBallast(t, h, 200)
	fillBallast(h, 3)
	mustCommit(t, h)
	before := dataHashes(t, h.Path())
	fillBallast(h, 9)
	h.SetRoot(2, list(h, 100))
	if h.Stats.Spills == 0 {
		t.Fatal("did not spill")
	}
	h.Abort()
	if got := ballastByte(t, h); got != 3 {
		t.Fatalf("after abort the ballast reads %d, want 3", got)
	}
	if after := dataHashes(t, h.Path()); after != before {
		t.Fatal("an aborted spilled transaction changed the heap's pages or checksums")
	}
	// The heap goes on: a spilled transaction commits after the aborted one.
	fillBallast(h, 5)
	mustCommit(t, h)
	if got := ballastByte(t, h); got != 5 {
		t.Fatalf("after commit the ballast reads %d, want 5", got)
	}
}

func TestSpillCrashIsUndone(t *testing.T) {
	h, path := newHeapWith(t, spillOptions())
	makeBallast(t, h, 200)
	fillBallast(h, 3)
	mustCommit(t, h)
	fillBallast(h, 9)
	if h.Stats.Spills == 0 {
		t.Fatal("did not spill")
	}
	h.crash() // the heap file holds spilled pages of a transaction that never committed
	ro := spillOptions()
	ro.Access = ReadOnly
	if _, err := Open(path, ro); !errors.Is(err, ErrNeedsRecovery) {
		t.Fatalf("a read-only open of a heap with spilled pages to undo: %v, want ErrNeedsRecovery", err)
	}
	h, err := Open(path, spillOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got := ballastByte(t, h); got != 3 {
		t.Fatalf("after recovery the ballast reads %d, want 3", got)
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
}

// TestSpillAfterLoggedCommits: records still in the log when a transaction
// spills must not be replayed over its pages after it commits.
func TestSpillAfterLoggedCommits(t *testing.T) {
	h, path := newHeapWith(t, spillOptions())
	makeBallast(t, h, 100)
	fillBallast(h, 1) // spills; its record stays in the log
	mustCommit(t, h)
	h.SetBytes(h.Field(h.Root(1), 50), 0, []byte{2}) // a small logged commit of a ballast page
	mustCommit(t, h)
	fillBallast(h, 4)
	mustCommit(t, h)
	h.crash()
	h, err := Open(path, spillOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got := ballastByte(t, h); got != 4 {
		t.Fatalf("after replay the ballast reads %d, want 4", got)
	}
}

func newHeapWith(t testing.TB, opts Options) (*Heap, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "heap")
	h, err := Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, path
}

// dataHashes hashes the heap file's object pages and the checksum table:
// what a transaction may change. The superblocks and the log change when a
// spill first trims the log, which is no change to the heap's contents.
func dataHashes(t testing.TB, path string) [2][32]byte {
	t.Helper()
	heapBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := os.ReadFile(path + ".sums")
	if err != nil {
		t.Fatal(err)
	}
	return [2][32]byte{sha256.Sum256(heapBytes[dataStart:]), sha256.Sum256(sums)}
}

// A view (a heap that never commits) spills to a scratch file: its reads
// see its own pages, and Abort brings back the heap file's.
func TestViewSpillsToScratch(t *testing.T) {
	h, _ := newHeapWith(t, spillOptions())
	makeBallast(t, h, 200)
	before := dataHashes(t, h.Path())
	h.BeginView()
	for round := byte(1); round <= 2; round++ {
		fillBallast(h, 40+round)
		if h.Stats.Spills == 0 || len(h.scratchList) == 0 {
			t.Fatal("a view of 200 dirty pages with a budget of 16 did not spill to scratch")
		}
		if got := ballastByte(t, h); got != 40+round {
			t.Fatalf("the view reads %d, want %d", got, 40+round)
		}
		h.Abort()
		if got := ballastByte(t, h); got != 0 {
			t.Fatalf("after the view the heap reads %d, want 0", got)
		}
	}
	if after := dataHashes(t, h.Path()); after != before {
		t.Fatal("a view changed the heap's pages")
	}
	h.EndView()
	fillBallast(h, 5)
	mustCommit(t, h)
	if got := ballastByte(t, h); got != 5 {
		t.Fatalf("after the view a commit left %d, want 5", got)
	}
}

// TestSpillThenLargeObjectTakesNoFreeRun: a transaction that has spilled
// places its large objects past the frontier, never in freed space (reusing
// it would write to the log after the undo records); a crash then undoes it
// all, and a commit keeps it all.
func TestSpillThenLargeObjectTakesNoFreeRun(t *testing.T) {
	const n = 1 << 20
	h, path := newHeapWith(t, spillOptions())
	makeBallast(t, h, 100)
	h.SetRoot(0, h.Alloc(1, n, 5, Nil)) // a large object, then freed: a free run
	mustCommit(t, h)
	h.SetRoot(0, Nil)
	mustCommit(t, h)
	if _, err := h.Collect(); err != nil {
		t.Fatal(err)
	}
	for _, end := range []string{"crash", "commit"} {
		reused := h.Stats.ReusedPages
		fillBallast(h, 7) // spills
		if h.Stats.Spills == 0 {
			t.Fatal("did not spill")
		}
		bv := h.Alloc(1, n, 5, Nil)
		h.SetBytes(bv, 0, bytes.Repeat([]byte{7}, n))
		h.SetRoot(0, bv)
		if h.Stats.ReusedPages != reused {
			t.Fatalf("%s: a spilled transaction placed a large object in freed space", end)
		}
		want := byte(0)
		if end == "crash" {
			h.crash()
		} else {
			mustCommit(t, h)
			h.Close()
			want = 7
		}
		var err error
		if h, err = Open(path, spillOptions()); err != nil {
			t.Fatalf("%s: %v", end, err)
		}
		if got := ballastByte(t, h); got != want {
			t.Fatalf("%s: the ballast reads %d, want %d", end, got, want)
		}
		if r := h.Check(nil); len(r.Problems) > 0 {
			t.Fatalf("%s: %v", end, r.Problems)
		}
	}
	h.Close()
}
