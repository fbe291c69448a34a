package heap

import (
	"bytes"
	"os"
	"testing"
)

// fileBlocks answers the bytes the heap file takes on disk.
func fileBlocks(t *testing.T, h *Heap) int64 {
	t.Helper()
	fi, err := os.Stat(h.Path())
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestLargeReadTouchesOnlyItsPage: reading one byte or the size of a large
// object verifies only the pages read, not the whole byte part.
func TestLargeReadTouchesOnlyItsPage(t *testing.T) {
	h, _ := newHeap(t)
	const n = 4 << 20
	bv := h.Alloc(1, n, 5, Nil)
	h.SetByteAt(bv, n-1, 42)
	h.SetRoot(0, bv)
	mustCommit(t, h)
	h = reopen(t, h)
	bv = h.Root(0)
	verified := func() int {
		c := 0
		for p := uint64(0); p < h.committed.PageCount; p++ {
			if h.isVerified(p) {
				c++
			}
		}
		return c
	}
	if h.NumBytes(bv) != n || h.ByteAt(bv, n-1) != 42 || h.ByteAt(bv, 0) != 0 {
		t.Fatal("the large object reads wrong")
	}
	if v := verified(); v > 3 {
		t.Fatalf("reading its size and two bytes verified %d pages", v)
	}
}

// TestLargeAllocIsSparse: a huge fresh byteVector is zeros in the file,
// made without touching memory, committed, and readable anywhere.
func TestLargeAllocIsSparse(t *testing.T) {
	opts := testOptions()
	opts.Reserve = 64 << 30
	h, err := Create(t.TempDir()+"/heap", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	const n = 8 << 30
	bv := h.Alloc(1, n, 5, Nil)
	h.SetRoot(0, bv)
	mustCommit(t, h)
	if h.Stats.HeapBytes > 1<<20 {
		t.Fatalf("an 8 GiB zero object wrote %d bytes", h.Stats.HeapBytes)
	}
	if h.ByteAt(h.Root(0), n/2) != 0 || h.ByteAt(h.Root(0), n-1) != 0 {
		t.Fatal("not zeros")
	}
}

// TestLargeAbortGivesSpaceBack: an aborted transaction's large object
// leaves nothing in the file: it is cut back to the committed heap.
func TestLargeAbortGivesSpaceBack(t *testing.T) {
	h, _ := newHeap(t)
	size := fileBlocks(t, h)
	h.Alloc(1, 64<<20, 5, Nil)
	if fileBlocks(t, h) <= size {
		t.Fatal("the large object did not grow the file")
	}
	h.Abort()
	if got := fileBlocks(t, h); got != size {
		t.Fatalf("after abort the file has %d bytes, want %d", got, size)
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
}

// TestLargeSpaceReused: storing a large object, dropping it, collecting
// and storing another, round after round, keeps the file near the live
// size plus one object; every round's contents survive a reopen.
func TestLargeSpaceReused(t *testing.T) {
	h, _ := newHeap(t)
	const n = 16 << 20
	var sizes []int64
	reused := uint64(0)
	for round := 0; round < 4; round++ {
		data := bytes.Repeat([]byte{byte(round + 1)}, n)
		bv := h.Alloc(1, n, 5, Nil)
		h.SetBytes(bv, 0, data)
		h.SetRoot(0, bv)
		h.SetRoot(1, list(h, 50))
		mustCommit(t, h)
		reused += h.Stats.ReusedPages
		h = reopen(t, h)
		got := make([]byte, n)
		h.ReadBytes(h.Root(0), 0, got)
		if !bytes.Equal(got, data) {
			t.Fatalf("round %d: contents differ", round)
		}
		if r := h.Check(nil); len(r.Problems) > 0 {
			t.Fatalf("round %d: %v", round, r.Problems)
		}
		h.SetRoot(0, Nil)
		mustCommit(t, h)
		if _, err := h.Collect(); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fileBlocks(t, h))
	}
	if reused == 0 {
		t.Fatal("no large object was placed in freed space")
	}
	if last := sizes[len(sizes)-1]; last > 2*n+(4<<20) {
		t.Fatalf("heap file sizes over the rounds %v: freed space was not reused", sizes)
	}
}

// TestLargeAfterRollbackSurvivesReplay: a heap whose page count came back
// down (an installed older state, as a rollback commits) still has log
// records that wrote pages past its end. A large object made at the
// frontier, right at that end, lies on those pages and is never logged;
// replaying the older records after a crash must not write their images
// over it: the log is trimmed before the first direct write.
func TestLargeAfterRollbackSurvivesReplay(t *testing.T) {
	h, path := newHeap(t)
	const n = 2 << 20
	h.SetRoot(0, h.Alloc(0, n, 5, Nil)) // ends the heap at its frontier's page
	mustCommit(t, h)
	old := h.CommittedState()
	// Keep what the next commit overwrites of the old heap, as a
	// checkpoint's delta does, so that installing the old state can put
	// it back as a rollback would (the old heap's last page may hold a
	// free chunk the new objects take).
	saved := map[uint64][]byte{}
	h.SetBeforeCommit(func(pages []uint64) error {
		for _, p := range pages {
			if _, ok := saved[p]; !ok && p < PageCountOf(old) {
				saved[p] = make([]byte, PageSize)
				if err := h.ReadCommittedPage(p, saved[p]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	h.SetRoot(1, list(h, 100000)) // grows the heap; its pages are logged
	mustCommit(t, h)
	h.SetBeforeCommit(nil)
	if h.logEnd == 0 || h.logMaxPage < PageCountOf(old) {
		t.Fatalf("the log holds no page past the old heap (log end %d, highest page %d, old heap %d pages)",
			h.logEnd, h.logMaxPage, PageCountOf(old))
	}
	if err := h.InstallState(old); err != nil {
		t.Fatal(err)
	}
	for p, data := range saved {
		if err := h.InstallPage(p, data); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, h)
	data := bytes.Repeat([]byte{0xcd}, n)
	bv := h.Alloc(0, n, 5, Nil)
	if first := uint64(bv) >> pageShift; first != PageCountOf(old) {
		t.Fatalf("the object starts on page %d, not at the heap's end, page %d", first, PageCountOf(old))
	}
	h.SetBytes(bv, 0, data)
	h.SetRoot(2, bv)
	mustCommit(t, h)
	h.crash()
	h, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
	got := make([]byte, n)
	h.ReadBytes(h.Root(2), 0, got)
	if !bytes.Equal(got, data) {
		t.Fatal("after replay the large object's bytes differ")
	}
}
