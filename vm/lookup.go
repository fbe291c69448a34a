package vm

import (
	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
)

// Message lookup, as Self defines it: the receiver's own slots, then all its
// parents, recursively, each object once. One match is the answer; none is
// undefinedSelector; matches in two different places are ambiguousSelector.
//
// Results are cached by (receiver map, selector) when the path to the slot
// went only through constant parent slots, which live in maps: then the map
// alone determines the answer. A path through an assignable parent depends on
// the receiver's contents and is not cached. Maps never change (a slot change
// makes a new map), so the cache is flushed only when a slot change may have
// changed some parent's map, and whenever oops may have moved or died. In
// front of it, each send site has its own small cache (inlinecache.go).

const cacheSize = 4096

type lookupResult struct {
	kind   object.SlotKind
	holder heap.Oop // where the slot was found; Nil means the receiver itself
	index  int      // data index, for data and assignment slots
	value  heap.Oop // constant or method
	// fast is the primitive a method that only wraps one calls (see
	// compiler.fastPrim), resolved once when the result is cached, or nil.
	fast *prims.Prim
}

type cacheEntry struct {
	mp, sel heap.Oop
	res     lookupResult
}

type lookupStatus uint8

const (
	found lookupStatus = iota
	notFound
	ambiguous
)

func cacheIndex(mp, sel heap.Oop) int {
	return int((uint64(mp)>>3 ^ uint64(sel)>>3*31) & (cacheSize - 1))
}

// lookup finds sel for receiver rcv.
func (vm *VM) lookup(rcv, sel heap.Oop) (lookupResult, lookupStatus) {
	res, st, _ := vm.lookupMap(rcv, vm.m.MapOf(rcv), sel)
	return res, st
}

// lookupMap is lookup for a receiver whose map is mp. It also reports
// whether the result is found and depends on mp alone, so that a cache
// keyed by the map may keep it (the inline caches, inlinecache.go).
func (vm *VM) lookupMap(rcv, mp, sel heap.Oop) (lookupResult, lookupStatus, bool) {
	e := &vm.cache[cacheIndex(mp, sel)]
	if e.mp == mp && e.sel == sel {
		return e.res, found, true
	}
	l := lookupState{vm: vm, sel: sel, cacheable: true}
	l.search(rcv, true)
	res, st := l.result()
	if st != found {
		return res, st, false
	}
	res.fast = vm.fastPrimOf(res)
	if l.cacheable {
		e.mp, e.sel, e.res = mp, sel, res
	}
	return res, st, l.cacheable
}

// fastPrimOf answers the primitive a found method only wraps, or nil.
func (vm *VM) fastPrimOf(res lookupResult) *prims.Prim {
	if res.kind != object.SlotMethod {
		return nil
	}
	if sel := vm.h.Field(res.value, methFastPrim); sel != heap.Nil {
		return vm.primEntry(sel).p
	}
	return nil
}

// lookupParents finds sel in the parents of holder (for resend), or in its
// parent slot named parent if that is not Nil (directed resend).
func (vm *VM) lookupParents(holder, sel, parent heap.Oop) (lookupResult, lookupStatus) {
	l := lookupState{vm: vm, sel: sel}
	l.visited = append(l.visited, holder)
	mp := vm.m.MapOf(holder)
	for i, n := 0, vm.m.MapSlotCount(mp); i < n; i++ {
		s := vm.m.MapSlot(mp, i)
		if !s.Parent || (parent != heap.Nil && s.Name != parent) {
			continue
		}
		l.searchParent(holder, s)
	}
	return l.result()
}

type lookupState struct {
	vm        *VM
	sel       heap.Oop
	matches   []lookupResult
	visited   []heap.Oop
	cacheable bool
}

func (l *lookupState) status() lookupStatus {
	switch len(l.matches) {
	case 0:
		return notFound
	case 1:
		return found
	}
	return ambiguous
}

func (l *lookupState) result() (lookupResult, lookupStatus) {
	if len(l.matches) == 0 {
		return lookupResult{}, notFound
	}
	return l.matches[0], l.status()
}

// search looks in obj and its parents. self says obj is the receiver.
func (l *lookupState) search(obj heap.Oop, self bool) {
	m := l.vm.m
	mp := m.MapOf(obj)
	if i := m.FindSlot(mp, l.sel); i >= 0 {
		s := m.MapSlot(mp, i)
		holder := obj
		if self {
			holder = heap.Nil
		}
		l.add(lookupResult{kind: s.Kind, holder: holder, index: s.Index, value: s.Value})
		return
	}
	if !self {
		for _, v := range l.visited {
			if v == obj {
				return
			}
		}
	}
	l.visited = append(l.visited, obj)
	for i, n := 0, m.MapSlotCount(mp); i < n; i++ {
		if s := m.MapSlot(mp, i); s.Parent {
			l.searchParent(obj, s)
		}
	}
}

func (l *lookupState) searchParent(obj heap.Oop, s object.Slot) {
	var p heap.Oop
	switch s.Kind {
	case object.SlotConst:
		p = s.Value
	case object.SlotData:
		p = l.vm.m.DataAt(obj, s.Index)
		l.cacheable = false
	default:
		return
	}
	for _, v := range l.visited {
		if v == p {
			return
		}
	}
	l.search(p, false)
}

func (l *lookupState) add(r lookupResult) {
	for _, x := range l.matches {
		if x.holder == r.holder && x.kind == r.kind && x.index == r.index && x.value == r.value {
			return // the same slot, reached by two paths
		}
	}
	l.matches = append(l.matches, r)
}

// SlotContents answers what the slot name that rcv's lookup finds holds,
// when it is a data or constant slot; false for a method, an assignment
// slot, no slot or two. It runs no Self code, so tools that only look (the
// REPL's completion) can follow names without side effects.
func (vm *VM) SlotContents(rcv heap.Oop, name string) (heap.Oop, bool) {
	sel := vm.m.LookupInterned([]byte(name))
	if sel == heap.Nil {
		return heap.Nil, false // never interned: no slot has that name
	}
	res, st := vm.lookup(rcv, sel)
	if st != found {
		return heap.Nil, false
	}
	switch res.kind {
	case object.SlotConst:
		return res.value, true
	case object.SlotData:
		holder := res.holder
		if holder == heap.Nil {
			holder = rcv
		}
		return vm.m.DataAt(holder, res.index), true
	}
	return heap.Nil, false
}
