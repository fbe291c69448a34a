package heap

import (
	"errors"
	"path/filepath"
	"testing"
)

// testOptions keep reservations small so that tests can open many heaps.
func testOptions() Options {
	return Options{Reserve: 4 << 30, YoungReserve: 1 << 30, YoungLimit: 1 << 20}
}

func newHeap(t testing.TB) (*Heap, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "heap")
	h, err := Create(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, path
}

func reopen(t testing.TB, h *Heap) *Heap {
	t.Helper()
	path := h.Path()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h2, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h2.Close() })
	return h2
}

func mustCommit(t testing.TB, h *Heap) {
	t.Helper()
	if err := h.Commit(); err != nil {
		t.Fatal(err)
	}
}

// list builds a young linked list of n cells: field 0 = value, field 1 = next.
func list(h *Heap, n int) Oop {
	head := Nil
	for i := n - 1; i >= 0; i-- {
		c := h.Alloc(2, 0, 7, Nil)
		h.SetField(c, 0, FromInt(int64(i)))
		h.SetField(c, 1, head)
		head = c
	}
	return head
}

func listValues(h *Heap, o Oop) []int64 {
	var vs []int64
	for o != Nil {
		vs = append(vs, h.Field(o, 0).Int())
		o = h.Field(o, 1)
	}
	return vs
}

func TestOopTags(t *testing.T) {
	for _, v := range []int64{0, 1, -1, MaxSmallInt, MinSmallInt, 12345} {
		o := FromInt(v)
		if !o.IsInt() || o.IsPtr() || o.Int() != v {
			t.Errorf("FromInt(%d) = %#x: IsInt %v Int %d", v, uint64(o), o.IsInt(), o.Int())
		}
	}
	if FitsSmallInt(MaxSmallInt+1) || FitsSmallInt(MinSmallInt-1) {
		t.Error("FitsSmallInt accepts out-of-range values")
	}
	if Nil.IsPtr() || Nil.IsOld() || Tombstone.IsPtr() || !VMImmediate(5).IsVMImmediate() {
		t.Error("tag predicates wrong")
	}
	if y := youngOop(64); !y.IsYoung() || !y.IsPtr() || y.IsOld() || y.youngOff() != 64 {
		t.Error("young oop tags wrong")
	}
}

func TestAllocCommitReopen(t *testing.T) {
	h, _ := newHeap(t)
	l := list(h, 1000)
	bv := h.Alloc(1, 10, 9, Nil)
	h.SetBytes(bv, 0, []byte("hello, wor"))
	h.SetField(bv, 0, l)
	h.SetRoot(0, bv)
	if !h.Root(0).IsYoung() {
		t.Fatal("new object should be young")
	}
	mustCommit(t, h)
	if !h.Root(0).IsOld() {
		t.Fatal("root should have been promoted")
	}
	hash := h.Hash(h.Root(0))
	h = reopen(t, h)
	r := h.Root(0)
	if got := string(h.Bytes(r)); got != "hello, wor" {
		t.Fatalf("bytes = %q", got)
	}
	if h.Kind(r) != 9 || h.NumPtrs(r) != 1 || h.NumBytes(r) != 10 || h.Hash(r) != hash {
		t.Fatalf("header lost: kind %d ptrs %d bytes %d hash %x/%x", h.Kind(r), h.NumPtrs(r), h.NumBytes(r), h.Hash(r), hash)
	}
	vs := listValues(h, h.Field(r, 0))
	if len(vs) != 1000 || vs[999] != 999 {
		t.Fatalf("list = %d values", len(vs))
	}
}

func TestAbortLeavesNoTrace(t *testing.T) {
	h, _ := newHeap(t)
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	before := snapshotFile(t, h)
	st := h.state
	r := h.Root(0)
	h.SetField(r, 0, FromInt(99))
	h.SetField(h.Field(r, 1), 1, list(h, 50))
	h.SetRoot(1, list(h, 5))
	h.SetAux(3, 42)
	h.Abort()
	if h.state != st {
		t.Fatal("state not restored")
	}
	if vs := listValues(h, h.Root(0)); len(vs) != 10 || vs[0] != 0 {
		t.Fatalf("after abort list = %v", vs)
	}
	if h.InTransaction() {
		t.Fatal("still in a transaction after abort")
	}
	if after := snapshotFile(t, h); after != before {
		t.Fatal("heap file changed by an aborted transaction")
	}
}

func TestNothingDirtyCommitWritesNothing(t *testing.T) {
	h, _ := newHeap(t)
	before := h.Stats.LogBytes
	for i := 0; i < 100; i++ {
		list(h, 100) // garbage only
	}
	mustCommit(t, h)
	if h.Stats.LogBytes != before {
		t.Fatalf("a commit of temporaries logged %d bytes", h.Stats.LogBytes-before)
	}
}

func TestLocked(t *testing.T) {
	h, path := newHeap(t)
	_, err := Open(path, testOptions())
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	h.Close()
	h2, err := Open(path, testOptions())
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	h2.Close()
}

// Catch must answer the error its function returned as well as a heap panic:
// when the function assigned its error to the caller's variable, Catch's
// own nil result overwrote it.
func TestCatchKeepsBothErrors(t *testing.T) {
	want := errors.New("returned")
	if err := Catch(func() error { return want }); err != want {
		t.Fatalf("returned error: got %v", err)
	}
	err := Catch(func() error { panic(&CorruptError{File: "f", Page: 3, Offset: -1, Msg: "m"}) })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("heap panic: got %v", err)
	}
	if err := Catch(func() error { return nil }); err != nil {
		t.Fatalf("no error: got %v", err)
	}
}

// The heap, not its callers, tells the layer above to forget what it cached:
// after every commit (failed ones too), abort, install and scavenge.
func TestCacheInvalidatorRunsAfterEveryEvent(t *testing.T) {
	h, _ := newHeap(t)
	calls := 0
	h.SetCacheInvalidator(func() { calls++ })
	expect := func(event string, want int) {
		t.Helper()
		if calls != want {
			t.Fatalf("after %s: invalidated %d times, want %d", event, calls, want)
		}
	}
	h.SetRoot(1, list(h, 3))
	h.Scavenge()
	expect("scavenge", 1)
	if err := h.Commit(); err != nil {
		t.Fatal(err)
	}
	expect("commit", 2)
	h.SetRoot(1, Nil)
	h.Abort()
	expect("abort", 3)
	if err := h.InstallState(h.CommittedState()); err != nil {
		t.Fatal(err)
	}
	expect("install", 4)
	h.Abort()
	h.BeginView()
	h.SetRoot(1, Nil)
	if err := h.Commit(); err == nil {
		t.Fatal("a read-only commit succeeded")
	}
	if calls < 6 {
		t.Fatalf("a failed commit did not invalidate (%d calls)", calls)
	}
}

// TestReinstallStateInAView: a view can install one saved state and then
// another over it, keeping the pages it installed; outside a view the state
// cannot be replaced, and the view leaves the heap as it was.
func TestReinstallStateInAView(t *testing.T) {
	h, _ := newHeap(t)
	h.SetRoot(0, FromInt(1))
	mustCommit(t, h)
	one := h.CommittedState()
	h.SetRoot(0, FromInt(2))
	mustCommit(t, h)
	two := h.CommittedState()
	if err := h.ReinstallState(one); err == nil {
		t.Fatal("ReinstallState outside a view was accepted")
	}
	h.BeginView()
	if err := h.InstallState(two); err != nil {
		t.Fatal(err)
	}
	page := make([]byte, PageSize)
	page[0] = 0x5a
	last := h.Info().Pages - 1
	if err := h.InstallPage(last, page); err != nil {
		t.Fatal(err)
	}
	if err := h.ReinstallState(one); err != nil {
		t.Fatal(err)
	}
	if got := h.Root(0); got != FromInt(1) {
		t.Fatalf("after ReinstallState root 0 is %v, want 1", got)
	}
	if got := h.mem[last*PageSize]; got != 0x5a {
		t.Fatalf("ReinstallState dropped an installed page (byte %#x)", got)
	}
	h.Abort()
	h.EndView()
	if got := h.Root(0); got != FromInt(2) {
		t.Fatalf("after the view root 0 is %v, want 2", got)
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
}
