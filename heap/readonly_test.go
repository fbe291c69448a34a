package heap

import (
	"errors"
	"os"
	"testing"
)

func openReadOnly(t *testing.T, path string) (*Heap, error) {
	opts := testOptions()
	opts.Access = ReadOnly
	h, err := Open(path, opts)
	if err == nil {
		t.Cleanup(func() { h.Close() })
	}
	return h, err
}

// closedHeap makes a heap with one committed transaction (root 0 = list of
// 10) and closes it.
func closedHeap(t *testing.T) string {
	t.Helper()
	h, path := newHeap(t)
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadOnlyWritesNothing: a read-only heap reads, checks and runs
// transactions in its private mapping, refuses to commit them, and leaves
// every file as it was. Readers share the heap; a writer is kept out.
func TestReadOnlyWritesNothing(t *testing.T) {
	path := closedHeap(t)
	before := heapFileHashes(t, path)
	h, err := openReadOnly(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(listValues(h, h.Root(0))) != 10 {
		t.Fatal("read-only open does not see the committed transaction")
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
	h.SetRoot(1, list(h, 5))
	if err := h.Commit(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("commit on a read-only heap: %v", err)
	}
	if h.Root(1) != Nil {
		t.Fatal("a refused commit left its changes")
	}
	if _, err := openReadOnly(t, path); err != nil {
		t.Fatalf("a second reader: %v", err)
	}
	if _, err := openT(t, path); !errors.Is(err, ErrLocked) {
		t.Fatalf("a writer while readers have the heap: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if !sameHashes(before, heapFileHashes(t, path)) {
		t.Fatal("a read-only heap changed its files")
	}
}

// TestReadOnlyNeedsRecovery: committed transactions that only the log holds
// cannot be replayed without writing; a read-only open says so and changes
// nothing, and a read-write open then recovers them.
func TestReadOnlyNeedsRecovery(t *testing.T) {
	path, _ := loggedHeap(t, 2)
	before := heapFileHashes(t, path)
	if _, err := openReadOnly(t, path); !errors.Is(err, ErrNeedsRecovery) {
		t.Fatalf("got %v, want ErrNeedsRecovery", err)
	}
	if !sameHashes(before, heapFileHashes(t, path)) {
		t.Fatal("a read-only open changed the heap's files")
	}
	h, err := openT(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(listValues(h, h.Root(1))) != 20 {
		t.Fatal("recovery lost a committed transaction")
	}
}

// TestReadOnlyDamagedLog: damage in the log is reported read-only as well.
func TestReadOnlyDamagedLog(t *testing.T) {
	path, offs := loggedHeap(t, 3)
	flipBit(t, path+".log", offs[1]+firstPageData+100)
	var ce *CorruptError
	if _, err := openReadOnly(t, path); !errors.As(err, &ce) || ce.Offset != offs[1] {
		t.Fatalf("got %v, want damage at offset %d", err, offs[1])
	}
}

// TestReadOnlyMissingLog: after a clean close a missing log means an empty
// one, and a read-only open does not make it again.
func TestReadOnlyMissingLog(t *testing.T) {
	path := closedHeap(t)
	if err := os.Remove(path + ".log"); err != nil {
		t.Fatal(err)
	}
	h, err := openReadOnly(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(listValues(h, h.Root(0))) != 10 {
		t.Fatal("the committed transaction is lost")
	}
	if _, err := os.Stat(path + ".log"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a read-only open made the log again: %v", err)
	}
}
