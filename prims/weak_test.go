package prims_test

import (
	"sync/atomic"
	"testing"

	"psyche/heap"
)

// A store's table shrinks when its entries go, and keeps the ones left.
func TestWeakStoreTableShrinks(t *testing.T) {
	var no atomic.Bool
	e := limitsEnv(t, &no)
	h := e.M.H
	s, err := call(t, e, "_WeakStoreNew", heap.Nil)
	if err != nil {
		t.Fatal(err)
	}
	capacity := func() int { return h.NumPtrs(h.Field(s, 2)) / 2 }
	keys := make([]heap.Oop, 1000)
	for i := range keys {
		keys[i] = h.Alloc(0, 8, 0, heap.Nil)
		if _, err := call(t, e, "_WeakStorePut:Value:", s, keys[i], heap.FromInt(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	grown := capacity()
	for _, k := range keys[5:] {
		if _, err := call(t, e, "_WeakStoreRemove:", s, k); err != nil {
			t.Fatal(err)
		}
	}
	if c := capacity(); c > 64 || c >= grown {
		t.Fatalf("after removing 995 of 1000 entries the table has %d pairs (it had %d)", c, grown)
	}
	for i, k := range keys[:5] {
		if v, err := call(t, e, "_WeakStoreAt:", s, k); err != nil || v != heap.FromInt(int64(i)) {
			t.Fatalf("entry %d after shrinking: %v %v", i, v, err)
		}
	}
}
