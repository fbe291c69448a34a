package heap

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestMissingLogAfterCrash: the log of a heap that crashed with records in
// it is deleted. The heap file holds pages of transactions whose state only
// the log had, so opening refuses, changes nothing, and does not recreate
// the log.
func TestMissingLogAfterCrash(t *testing.T) {
	path, _ := loggedHeap(t, 2)
	if err := os.Remove(path + ".log"); err != nil {
		t.Fatal(err)
	}
	before := heapFileHashes(t, path)
	_, err := openT(t, path)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("got %v, want a missing-log error", err)
	}
	if !sameHashes(before, heapFileHashes(t, path)) {
		t.Fatal("a refused open changed the heap's files or recreated the log")
	}
}

// TestMissingLogAfterCleanClose: a heap closed cleanly has nothing in its
// log, so a deleted log is simply made again.
func TestMissingLogAfterCleanClose(t *testing.T) {
	h, path := newHeap(t)
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + ".log"); err != nil {
		t.Fatal(err)
	}
	h, err := openT(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(listValues(h, h.Root(0))) != 10 {
		t.Fatal("the committed transaction is lost")
	}
	h.SetRoot(1, list(h, 5))
	mustCommit(t, h)
}

// TestMissingLogAfterRecovery: once a session has committed (or recovered),
// the superblock says the log may hold records until the heap is closed.
func TestMissingLogAfterRecovery(t *testing.T) {
	path, _ := loggedHeap(t, 2)
	h, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	h.SetRoot(5, list(h, 3))
	mustCommit(t, h)
	h.crash()
	if err := os.Remove(path + ".log"); err != nil {
		t.Fatal(err)
	}
	if _, err := openT(t, path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want a missing-log error", err)
	}
}
