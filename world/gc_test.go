package world

import (
	"io"
	"os"
	"testing"
)

// Evaluations that make garbage get it collected by the slices run after
// them; with the slice set to 0 nothing collects it. A checkpoint made
// before keeps what the collection freed and gave back to the file system.
func TestEvaluationsCollectGarbage(t *testing.T) {
	for _, slice := range []bool{true, false} {
		w, _ := newWorld(t)
		if !slice {
			w.SetCollectionSlice(0)
		}
		eval(t, w, "lobby _AddSlots: (| b <- nil |)")
		if err := w.Checkpoint("before"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ {
			eval(t, w, "b: byteVector copySize: 1000000. 0")
		}
		info := w.h.Info()
		if collected := w.h.Stats.Collections > 0; collected != slice {
			t.Fatalf("automatic slices %v: %d collections, info %+v", slice, w.h.Stats.Collections, info)
		}
		// 30 MB made, of which a collection started at 16 MiB frees most.
		if collected := info.InUseBytes < 20<<20; collected != slice {
			t.Fatalf("automatic slices %v: %d bytes in use", slice, info.InUseBytes)
		}
		if _, err := w.Rollback("before", nil); err != nil {
			t.Fatal(err)
		}
		if got := eval(t, w, "b"); got != "nil" {
			t.Fatalf("b after rolling back: %s", got)
		}
		if problems := w.Check(nil); len(problems) > 0 {
			t.Fatalf("check after rolling back: %v", problems)
		}
	}
}

// A collection that gives the file's tail back saves the pages a checkpoint
// still needs first: rolling back brings the dropped object back whole.
func TestShrunkFileRollsBack(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| big <- nil |). big: byteVector copySize: 5000000. big at: 4999999 Put: 7. 0")
	if err := w.Checkpoint("c"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "big: nil. 0")
	st, err := w.Collect()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(HeapPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 4000000 {
		t.Fatalf("the heap file is %d bytes after the 5 MB object was collected (gc: %+v)", fi.Size(), st)
	}
	if _, err := w.Rollback("c", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, "(big at: 4999999) printString, ' ', big size printString"); got != "'7 5000000'" {
		t.Fatalf("big after rolling back: %s", got)
	}
	if problems := w.Check(nil); len(problems) > 0 {
		t.Fatalf("check after rolling back: %v", problems)
	}
}

// TestShrunkFileLookedAt: eval --at a checkpoint whose heap was larger than
// the file is now (a collection gave the tail back) shows the checkpoint,
// without growing the file: in a world opened read-only and in one opened
// to change it. The present is as it was afterwards.
func TestShrunkFileLookedAt(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| big <- nil |). big: byteVector copySize: 5000000. big at: 4999999 Put: 7. 0")
	if err := w.Checkpoint("c"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "big: nil. 0")
	if _, err := w.Collect(); err != nil {
		t.Fatal(err)
	}
	shrunk, err := os.Stat(HeapPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, open := range []struct {
		name string
		open func(string, io.Writer) (*World, error)
	}{{"read-only", OpenReadOnly}, {"read-write", Open}} {
		w, err := open.open(dir, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.EvalAt("c", "test", []byte("(big at: 4999999) printString, ' ', big size printString"))
		if err != nil || got != "'7 5000000'" {
			t.Fatalf("%s: eval --at c: %q, %v", open.name, got, err)
		}
		if fi, err := os.Stat(HeapPath(dir)); err != nil || fi.Size() != shrunk.Size() {
			t.Fatalf("%s: eval --at changed the heap file's size from %d to %v", open.name, shrunk.Size(), fi.Size())
		}
		if got, err := w.EvalAt("c", "test", []byte("3 + 4")); err != nil || got != "7" {
			t.Fatalf("%s: a second look: %q, %v", open.name, got, err)
		}
		if open.name == "read-write" {
			if got := eval(t, w, "big printString"); got != "'nil'" && got != "nil" {
				t.Fatalf("the present after looking: big is %s", got)
			}
		}
		if problems := w.Check(nil); len(problems) > 0 {
			t.Fatalf("%s: check after looking: %v", open.name, problems)
		}
		w.Close()
	}
}

// TestRollbackPastAShrink: a checkpoint made while a large object made the
// heap larger, then a collection that gave the file's tail back (saving
// those pages to that checkpoint's delta): looking at and rolling back to an
// older, smaller checkpoint applies that delta too, whose pages past the
// older heap are neither its nor in the file any more.
func TestRollbackPastAShrink(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| big <- nil. c <- 1 |). 0")
	if err := w.Checkpoint("small"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "big: byteVector copySize: 5000000. big at: 4999999 Put: 7. c: 2. 0")
	if err := w.Checkpoint("large"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "big: nil. c: 3. 0")
	if _, err := w.Collect(); err != nil {
		t.Fatal(err)
	}
	for _, at := range []struct{ name, want string }{{"small", "'1 nil'"}, {"large", "'2 7'"}} {
		got, err := w.EvalAt(at.name, "test", []byte("c printString, ' ', (big isNil ifTrue: ['nil'] False: [(big at: 4999999) printString])"))
		if err != nil || got != at.want {
			t.Fatalf("eval --at %s: %s (%v), want %s", at.name, got, err, at.want)
		}
	}
	if _, err := w.Rollback("small", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, "c printString, ' ', big printString"); got != "'1 nil'" {
		t.Fatalf("after rolling back: %s", got)
	}
	if problems := w.Check(nil); len(problems) > 0 {
		t.Fatalf("check after rolling back: %v", problems)
	}
}

// TestRollbackToASmallerHeapKeepsThePresent: rolling back to a checkpoint
// whose heap was smaller gives the file's tail back, and the checkpoint
// that keeps the present gets those pages first: the large object that
// lived there is whole when looked at, and when the rollback is undone.
func TestRollbackToASmallerHeapKeepsThePresent(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| big <- nil |). 0")
	if err := w.Checkpoint("small"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "big: byteVector copySize: 5000000. big at: 0 Put: 5. big at: 4999999 Put: 7. 0")
	probe := []byte("(big at: 0) printString, ' ', (big at: 4999999) printString")
	kept, err := w.Rollback("small", nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(HeapPath(dir)); err != nil || fi.Size() > 4000000 {
		t.Fatalf("the heap file after rolling back to the smaller heap: %v, %v", fi.Size(), err)
	}
	eval(t, w, "3 + 4")
	if got, err := w.EvalAt(kept, "test", probe); err != nil || got != "'5 7'" {
		t.Fatalf("eval --at %s: %s (%v)", kept, got, err)
	}
	w = reopen(t, w, dir)
	if _, err := w.Rollback(kept, nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, string(probe)); got != "'5 7'" {
		t.Fatalf("after undoing the rollback: %s", got)
	}
	if problems := w.Check(nil); len(problems) > 0 {
		t.Fatalf("check after undoing the rollback: %v", problems)
	}
}
