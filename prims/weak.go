package prims

import (
	"encoding/binary"

	"psyche/heap"
	"psyche/vm/object"
)

// weakStore primitives. A store is a KindWeakStore object whose field 2 is
// an ephemeron table: (key, value) pairs in open addressing, keys compared by
// identity, with the live count in the table's first 8 bytes. The collector
// clears a pair once its key is reachable only through ephemerons, and
// decrements the count, so an entry disappears with its key.

const storeTable = 2

func (e *Env) newTable(capacity int) heap.Oop {
	t := e.M.H.Alloc(2*capacity, 8, object.KindRaw, heap.Nil)
	e.M.H.SetFlags(t, heap.FlagEphemeron)
	return t
}

func (e *Env) tableCount(t heap.Oop) int {
	var b [8]byte
	e.M.H.ReadBytes(t, 0, b[:])
	return int(binary.LittleEndian.Uint64(b[:]))
}

func (e *Env) setTableCount(t heap.Oop, n int) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	e.M.H.SetBytes(t, 0, b[:])
}

func (e *Env) keyHash(k heap.Oop) int {
	if k.IsPtr() {
		return int(e.M.H.Hash(k))
	}
	return int(uint64(k) * 0x9E3779B97F4A7C15 >> 40)
}

// find answers the pair index of k in table t, or the index where it would go
// (the first tombstone or empty pair on its probe path) and false.
func (e *Env) find(t, k heap.Oop) (int, bool) {
	h := e.M.H
	capacity := h.NumPtrs(t) / 2
	free := -1
	for n, i := 0, e.keyHash(k)&(capacity-1); n < capacity; n, i = n+1, (i+1)&(capacity-1) {
		key := h.Field(t, 2*i)
		switch {
		case key == k:
			return i, true
		case key == heap.Nil:
			if free < 0 {
				free = i
			}
			return free, false
		case key == heap.Tombstone && free < 0:
			free = i
		}
	}
	return free, false
}

func (e *Env) store(rcv heap.Oop) (heap.Oop, bool) {
	if !e.isKind(rcv, object.KindWeakStore) {
		return 0, false
	}
	return e.M.H.Field(rcv, storeTable), true
}

// put adds or replaces k -> v, growing the table when it is half full.
func (e *Env) put(rcv, k, v heap.Oop) {
	h := e.M.H
	e.shrinkIfSparse(rcv)
	t := h.Field(rcv, storeTable)
	i, found := e.find(t, k)
	if found {
		h.SetField(t, 2*i+1, v)
		return
	}
	count := e.tableCount(t)
	if i < 0 || 2*(count+1) > h.NumPtrs(t)/2 {
		e.rehash(rcv, max(minTable, 2*(count+1)*2))
		t = h.Field(rcv, storeTable)
		i, _ = e.find(t, k)
	}
	h.SetField(t, 2*i, k)
	h.SetField(t, 2*i+1, v)
	e.setTableCount(t, count+1)
}

// shrinkIfSparse rehashes the store into a smaller table when at most an
// eighth of its pairs are in use: the collector removes the entries of dead
// keys (decrementing the count) but cannot rehash, so a store whose keys
// went gives its space back at its next change.
func (e *Env) shrinkIfSparse(rcv heap.Oop) {
	t := e.M.H.Field(rcv, storeTable)
	capacity, count := e.M.H.NumPtrs(t)/2, e.tableCount(t)
	if capacity > minTable && count*8 <= capacity {
		e.rehash(rcv, max(minTable, 4*count))
	}
}

// minTable is the capacity, in pairs, of a new or fully shrunk table.
const minTable = 8

func (e *Env) rehash(rcv heap.Oop, minCap int) {
	h := e.M.H
	old := h.Field(rcv, storeTable)
	capacity := minTable
	for capacity < minCap {
		capacity *= 2
	}
	t := e.newTable(capacity)
	n := 0
	for j := 0; j < h.NumPtrs(old)/2; j++ {
		k := h.Field(old, 2*j)
		if k == heap.Nil || k == heap.Tombstone {
			continue
		}
		i, _ := e.find(t, k)
		h.SetField(t, 2*i, k)
		h.SetField(t, 2*i+1, h.Field(old, 2*j+1))
		n++
	}
	e.setTableCount(t, n)
	h.SetField(rcv, storeTable, t)
}

func init() {
	register("_WeakStoreNew", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		mp := e.M.Special(object.SpWeakStoreMap)
		if e.isKind(rcv, object.KindWeakStore) {
			mp = e.M.H.Field(rcv, object.FieldMap)
		}
		s := e.M.H.Alloc(3, 0, object.KindWeakStore, heap.Nil)
		e.M.H.SetField(s, object.FieldMap, mp)
		e.M.H.SetField(s, storeTable, e.newTable(minTable))
		return s, nil
	})
	register("_WeakStoreHas:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		t, ok := e.store(rcv)
		if !ok {
			return 0, errBadType
		}
		_, found := e.find(t, args[0])
		return e.M.Bool(found), nil
	})
	register("_WeakStoreAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		t, ok := e.store(rcv)
		if !ok {
			return 0, errBadType
		}
		i, found := e.find(t, args[0])
		if !found {
			return 0, errNotFound
		}
		return e.M.H.Field(t, 2*i+1), nil
	})
	register("_WeakStorePut:Value:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if _, ok := e.store(rcv); !ok {
			return 0, errBadType
		}
		e.put(rcv, args[0], args[1])
		return rcv, nil
	})
	register("_WeakStoreRemove:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		t, ok := e.store(rcv)
		if !ok {
			return 0, errBadType
		}
		i, found := e.find(t, args[0])
		if !found {
			return 0, errNotFound
		}
		e.M.H.SetField(t, 2*i, heap.Tombstone)
		e.M.H.SetField(t, 2*i+1, heap.Nil)
		e.setTableCount(t, e.tableCount(t)-1)
		e.shrinkIfSparse(rcv)
		return rcv, nil
	})
	register("_WeakStoreSize", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		t, ok := e.store(rcv)
		if !ok {
			return 0, errBadType
		}
		return heap.FromInt(int64(e.tableCount(t))), nil
	})
}
