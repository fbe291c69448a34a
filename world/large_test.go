package world

import (
	"fmt"
	"io"
	"testing"
)

// TestLargeReuseKeepsCheckpoints: a large object placed in space that a
// collection freed after a checkpoint was made overwrites that space
// directly; rolling back to the checkpoint (after a reopen, so nothing is
// cached) still gives the old object's bytes, and looking at it --at too.
func TestLargeReuseKeepsCheckpoints(t *testing.T) {
	w, dir := newWorld(t)
	const n = 2 << 20
	fill := func(b int) string {
		return fmt.Sprintf("lobby _AddSlots: (| blob <- nil |). blob: (byteVector copySize: %d). "+
			"0 to: %d By: 4093 Do: [|:i| blob at: i Put: %d]. blob size", n, n-1, b)
	}
	probe := fmt.Sprintf("(blob at: 0) + (blob at: %d)", 4093*100)
	eval(t, w, fill(7))
	if err := w.Checkpoint("seven"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "blob: nil")
	if _, err := w.Collect(); err != nil {
		t.Fatal(err)
	}
	reused := w.Heap().Stats.ReusedPages
	eval(t, w, fill(9))
	if w.Heap().Stats.ReusedPages == reused {
		t.Fatal("the second object was not placed in the freed space")
	}
	if got := eval(t, w, probe); got != "18" {
		t.Fatalf("the new object reads %s", got)
	}
	w.Close()
	w, err := Open(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got, err := w.EvalAt("seven", "test", []byte(probe)); err != nil || got != "14" {
		t.Fatalf("looking at the checkpoint: %s, %v", got, err)
	}
	if _, err := w.Rollback("seven", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, probe); got != "14" {
		t.Fatalf("after the rollback the old object reads %s", got)
	}
	if probs := w.Check(nil); len(probs) > 0 {
		t.Fatal(probs)
	}
}
