package world

import (
	"strings"
	"testing"
	"time"

	"psyche/heap"
)

// TestPeekKeepsNothing: Peek shows the result of an evaluation and then
// undoes all of it, slot changes and checkpoint requests included.
func TestPeekKeepsNothing(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| c <- 1 |)")
	var seen int64
	err := w.Peek("peek", []byte("c: 5. world checkpoint: 'p'. c"), 0, func(r heap.Oop) error {
		seen = r.Int()
		return nil
	})
	if err != nil || seen != 5 {
		t.Fatalf("Peek saw %d (%v), want 5", seen, err)
	}
	if got := eval(t, w, "c"); got != "1" {
		t.Errorf("after Peek, c is %s, want 1", got)
	}
	if n := len(w.Checkpoints()); n != 0 {
		t.Errorf("Peek made %d checkpoints", n)
	}
}

// TestPeekStepLimit: a bounded Peek of an endless loop ends with an error.
func TestPeekStepLimit(t *testing.T) {
	w, _ := newWorld(t)
	err := w.Peek("peek", []byte("[true] whileTrue"), 1000, func(heap.Oop) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "step limit") {
		t.Fatalf("got %v, want a step limit error", err)
	}
	if got := eval(t, w, "3 + 4"); got != "7" {
		t.Errorf("after the bounded Peek, 3 + 4 is %s", got)
	}
}

// TestCheckpointListTimes: each checkpoint comes with when it was made.
func TestCheckpointListTimes(t *testing.T) {
	w, _ := newWorld(t)
	before := time.Now().Add(-time.Second)
	if err := w.Checkpoint("a"); err != nil {
		t.Fatal(err)
	}
	list := w.CheckpointList()
	if len(list) != 1 || list[0].Name != "a" || list[0].Created.Before(before) || list[0].Created.After(time.Now()) {
		t.Errorf("CheckpointList answers %+v, want a made just now", list)
	}
}
