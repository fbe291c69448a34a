package vm

import (
	"psyche/heap"
	"psyche/vm/object"
)

// Inline caches. Each send site remembers the receiver maps it has met and
// what lookup found for each: one map (monomorphic), then up to icWays maps
// (polymorphic). A site that meets more is megamorphic and asks the global
// cache (lookup.go) for the rest of the epoch.
//
// The caches live in Go memory, never in the heap: a methodCache per method,
// found through a Go map keyed by the method's oop, and kept by each frame
// that runs the method (frame.ic), so a send makes no Go map lookup. A send
// gets its site on its second run, so code that runs once costs no site.
// Invariants:
//
//   - An entry holds only a result the global cache could hold (the path to
//     the slot went through constant parents only), so the receiver's map
//     alone determines it.
//   - A site's entries are used only while the epoch (epoch.go) is the one
//     they were filled in. Every change of a slot, a parent or a map, and
//     every commit, abort, install and scavenge bumps it (FlushCaches).
//   - Method oops move (a scavenge moves a young method, a commit promotes
//     it) or die and are reused, but only across an event that calls
//     FlushCaches, which also drops the map from oops to methodCaches. A
//     frame that still holds an older methodCache finds entries of an older
//     epoch there and refills them; it never finds another method's sites.
//   - An entry's info (the callee's decoded info, its code's bytes, its
//     literals' and initial values' oops) is filled with callee, in the
//     entry's epoch, so it holds no address that epoch has moved or ended:
//     a send that hits starts the callee's frame without reading the method.

// icWays is how many receiver maps a polymorphic site remembers.
const icWays = 4

type icEntry struct {
	mp     heap.Oop
	res    lookupResult
	callee *methodCache // the info and caches of the method res names, once it ran from here
	info   *methodInfo  // callee's info (&callee.methodInfo), set with it
}

type icSite struct {
	epoch   uint64
	n       int  // entries in use
	mega    bool // met more than icWays maps in this epoch
	entries [icWays]icEntry
}

// methodCache holds one method's info, decoded in the epoch the cache was
// made in, and its sites.
type methodCache struct {
	methodInfo
	run   []byte       // the code as the loop runs it: code with superinstructions (fuse.go)
	prims []*primEntry // by literal index: the primitives the method sends, once sent (primAt)
	slot  []int32      // by the pc that follows a send: 1 + its index in sites, siteSeen or 0
	sites []icSite
}

// siteSeen marks a send that ran once and has no site yet. Most sends of
// top-level code run once (a sum of a million terms is a million sends),
// and a site for each would cost far more memory than the code.
const siteSeen = -1

// CacheStats counts the sends made at send sites since the VM was made:
// those the site's inline cache answered, and the others.
type CacheStats struct {
	Hits, Misses uint64
}

// CacheStats answers the inline caches' counts.
func (vm *VM) CacheStats() CacheStats { return vm.icStats }

// sendFrom sends the selector that is literal selLit of f's method to the
// receiver under argc arguments on the stack, from the send site of frame f
// that ends at f.pc. When the send activates a method, the new frame gets
// that method's caches and info from the entry, so that no activation looks
// for them in vm.ics or the heap. A send that hits does not read its
// selector.
func (vm *VM) sendFrom(f *frame, selLit int, argc int) {
	rcv := vm.stack[vm.sp-argc-1]
	mp, young := vm.h.YoungField(rcv, object.FieldMap) // the commonest receiver, read inline
	if !young {
		if rcv.IsInt() {
			mp = vm.m.SmallIntMap
		} else {
			mp = vm.oldMapOf(rcv)
		}
	}
	s := vm.siteOf(f)
	if s == nil {
		vm.icStats.Misses++
		sel := f.ic.litv[selLit]
		res, st := vm.lookup(rcv, sel)
		vm.dispatch(rcv, sel, argc, res, st)
		return
	}
	if now := vm.epoch.Current(); s.epoch != now {
		*s = icSite{epoch: now}
	}
	e := s.find(mp)
	if e != nil {
		vm.icStats.Hits++
	} else {
		vm.icStats.Misses++
		sel := f.ic.litv[selLit]
		res, st, cacheable := vm.lookupMap(rcv, mp, sel)
		if e = s.add(mp, res, cacheable); e == nil {
			vm.dispatch(rcv, sel, argc, res, st)
			return
		}
	}
	if e.res.kind == object.SlotData && e.res.holder == heap.Nil {
		// The receiver's own data slot, held in the object itself: one
		// checked read (DataAt does the rest, the extension included).
		if v, ok := vm.h.FieldOfKind(rcv, object.KindSlots, object.FirstData+e.res.index); ok {
			vm.sp -= argc
			vm.stack[vm.sp-1] = v
			return
		}
	}
	if e.res.kind == object.SlotAssign && e.res.holder == heap.Nil &&
		vm.h.SetYoungFieldOfKind(rcv, object.KindSlots, object.FirstData+e.res.index, vm.stack[vm.sp-1]) {
		// A young receiver's own data slot, held in the object itself:
		// one store, no barrier; the receiver is the result.
		vm.sp -= argc
		return
	}
	if e.res.kind != object.SlotMethod {
		if !vm.runSlot(rcv, argc, &e.res) {
			panic(vm.undefinedSelector(rcv, f.ic.litv[selLit]))
		}
		return
	}
	holder := e.res.holder
	if holder == heap.Nil {
		holder = rcv
	}
	if e.res.fast != nil {
		now := s.epoch
		if vm.tryFastPrim(e.res.fast, rcv, argc) {
			return
		}
		if vm.epoch.Current() != now { // the primitive changed the world before failing: e is stale
			vm.activate(e.res.value, rcv, holder, argc)
			return
		}
	}
	// The activation runs no Self code and adds no sites, so e stays
	// valid, and its epoch's oops and code stay where they are.
	if e.callee == nil {
		e.callee = vm.methodCacheOf(e.res.value)
		e.info = &e.callee.methodInfo
	}
	vm.activateInfo(e.res.value, rcv, holder, argc, e.callee)
}

// oldReceiver remembers the map of the last receiver of a send that was an
// object outside the young space (the lobby, a prototype, a global), and the
// epoch in which it was read. Invariant: while epoch is the current one,
// mp is oop's map. It holds because an existing object's map changes only
// by a change of its slots (prims.Env.SlotsChanged), and an old address
// comes to hold another object only by a collection's sweep or an abort,
// each of which ends the epoch (FlushCaches); objects made since are new
// addresses.
type oldReceiver struct {
	oop, mp heap.Oop
	epoch   uint64
}

// oldMapOf answers the map of rcv, a receiver that is not a young object:
// the remembered one when rcv is the last such receiver in this epoch (a
// check small enough to inline), the checked read otherwise.
func (vm *VM) oldMapOf(rcv heap.Oop) heap.Oop {
	if vm.lastOld.oop == rcv && vm.lastOld.epoch == vm.epoch.n {
		return vm.lastOld.mp
	}
	return vm.readOldMap(rcv)
}

// readOldMap answers rcv's map by the checked read and remembers it if rcv
// is an object.
func (vm *VM) readOldMap(rcv heap.Oop) heap.Oop {
	now := vm.epoch.Current()
	mp := vm.m.MapOf(rcv)
	if rcv.IsPtr() {
		vm.lastOld = oldReceiver{oop: rcv, mp: mp, epoch: now}
	}
	return mp
}

// find answers the entry for receiver map mp, or nil.
func (s *icSite) find(mp heap.Oop) *icEntry {
	for i := 0; i < s.n; i++ {
		if e := &s.entries[i]; e.mp == mp {
			return e
		}
	}
	return nil
}

// add records what a lookup found for receiver map mp, if the map alone
// determines it (cacheable) and the site has room, and answers the entry or nil.
func (s *icSite) add(mp heap.Oop, res lookupResult, cacheable bool) *icEntry {
	if !cacheable || s.mega {
		return nil
	}
	if s.n == icWays {
		s.mega = true
		return nil
	}
	e := &s.entries[s.n]
	*e = icEntry{mp: mp, res: res}
	s.n++
	return e
}

// methodCacheOf answers the info and caches of meth in this epoch.
func (vm *VM) methodCacheOf(meth heap.Oop) *methodCache {
	mc := vm.ics[meth]
	if mc == nil {
		mc = &methodCache{methodInfo: vm.methodInfoOf(meth)}
		mc.run = fuse(mc.code)
		mc.slot = make([]int32, len(mc.code))
		if vm.ics == nil {
			vm.ics = map[heap.Oop]*methodCache{}
		}
		vm.ics[meth] = mc
	}
	return mc
}

// siteOf answers the site of the send that ends at f.pc in f's method, or
// nil the first time that send runs. The pointer is valid until the next
// call: adding a site may move them.
func (vm *VM) siteOf(f *frame) *icSite {
	mc := f.ic
	i := mc.slot[f.pc]
	switch i {
	case 0:
		mc.slot[f.pc] = siteSeen
		return nil
	case siteSeen:
		mc.sites = append(mc.sites, icSite{})
		i = int32(len(mc.sites))
		mc.slot[f.pc] = i
	}
	return &mc.sites[i-1]
}
