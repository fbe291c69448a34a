package world

import "testing"

// A send site that cached a method must not use it once an abort or a
// rollback has brought the old method back (the heap's cache invalidator
// starts a new epoch; see vm/inlinecache.go).
func TestCachedSendsAfterAbortAndRollback(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| icp = (| m = ( 1 ) |) |). lobby _AddSlots: (| ica = (| parent* = icp |). icCall: o = ( o m ) |)")
	if got := eval(t, w, "icCall: ica"); got != "1" {
		t.Fatalf("icCall: ica = %s, want 1", got)
	}
	if _, err := w.Eval("test", []byte("icp _AddSlots: (| m = ( 2 ) |). (icCall: ica) = 2 ifTrue: [error: 'undone']")); err == nil {
		t.Fatal("the failing evaluation succeeded")
	}
	if got := eval(t, w, "icCall: ica"); got != "1" {
		t.Fatalf("after an aborted redefinition icCall: ica = %s, want 1", got)
	}
	if err := w.Checkpoint("one"); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, "icp _AddSlots: (| m = ( 3 ) |). icCall: ica"); got != "3" {
		t.Fatalf("after a redefinition icCall: ica = %s, want 3", got)
	}
	if got := eval(t, w, "icCall: ica"); got != "3" {
		t.Fatalf("icCall: ica = %s, want 3", got)
	}
	if _, err := w.Rollback("one", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, "icCall: ica"); got != "1" {
		t.Fatalf("after the rollback icCall: ica = %s, want 1", got)
	}
}
