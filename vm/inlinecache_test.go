package vm

import (
	"path/filepath"
	"testing"

	"psyche/heap"
)

// icDefs defines, in the skeleton world, a parent p with a method m, an
// object a that inherits it, and call: o, whose one send site (o m) the
// tests watch.
const icDefs = `lobby _AddSlots: (| p = (| m = ( 1 ) |) |).
	lobby _AddSlots: (| a = (| parent* = p |). call: o = ( o m ) |)`

// icEval evaluates src and answers the result's short form, failing the test on an error.
func icEval(t *testing.T, vm *VM, src string) string {
	t.Helper()
	r, err := vm.Eval("test", []byte(src), Periods)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return vm.m.Describe(r)
}

// icSiteOf answers the one send site of call:'s method, as the VM holds
// it now (nil if its send has not run twice in this epoch).
func icSiteOf(t *testing.T, vm *VM) (heap.Oop, *icSite) {
	t.Helper()
	res, st := vm.lookup(vm.m.Lobby, vm.m.Intern("call:"))
	if st != found {
		t.Fatal("call: not found")
	}
	mc := vm.ics[res.value]
	if mc == nil || len(mc.sites) == 0 {
		return res.value, nil
	}
	if len(mc.sites) != 1 {
		t.Fatalf("call: has %d sites, want 1", len(mc.sites))
	}
	return res.value, &mc.sites[0]
}

func TestInlineCacheHitAndMiss(t *testing.T) {
	vm, _ := newTestVM(t)
	icEval(t, vm, icDefs)
	if got := icEval(t, vm, "call: a"); got != "1" {
		t.Fatalf("call: a = %s, want 1", got)
	}
	if _, s := icSiteOf(t, vm); s != nil {
		t.Fatalf("after one send there is a site %+v; want none until the send runs again", s)
	}
	if got := icEval(t, vm, "call: a"); got != "1" {
		t.Fatalf("call: a = %s, want 1", got)
	}
	_, s := icSiteOf(t, vm)
	if s == nil || s.n != 1 || s.epoch != vm.epoch.Current() {
		t.Fatalf("after two sends the site is %+v, want one entry of the current epoch", s)
	}
	// A new statement is a new method: its two sends (a, call:) miss; o m hits.
	before := vm.CacheStats()
	if got := icEval(t, vm, "call: a"); got != "1" {
		t.Fatalf("call: a = %s, want 1", got)
	}
	after := vm.CacheStats()
	if hits, misses := after.Hits-before.Hits, after.Misses-before.Misses; hits != 1 || misses != 2 {
		t.Fatalf("second call: %d hits, %d misses; want 1 and 2", hits, misses)
	}
}

func TestInlineCachePolymorphic(t *testing.T) {
	vm, _ := newTestVM(t)
	icEval(t, vm, icDefs)
	icEval(t, vm, `lobby _AddSlots: (| b = (| m = ( 2 ) |). c = (| m = ( 3 ) |). d = (| m = ( 4 ) |). e = (| m = ( 5 ) |) |)`)
	icEval(t, vm, "call: a") // the send's first run makes no site
	if got := icEval(t, vm, "(call: a) _IntAdd: ((call: b) _IntAdd: (call: c))"); got != "6" {
		t.Fatalf("got %s, want 6", got)
	}
	_, s := icSiteOf(t, vm)
	if s.n != 3 || s.mega {
		t.Fatalf("after three receiver maps the site has %d entries (megamorphic %v), want 3", s.n, s.mega)
	}
	// Each map answers its own method, whatever the order.
	if got := icEval(t, vm, "(call: c) _IntAdd: ((call: a) _IntMul: (call: b))"); got != "5" {
		t.Fatalf("got %s, want 5", got)
	}
	if got := icEval(t, vm, "(call: d) _IntAdd: ((call: e) _IntMul: ((call: c) _IntAdd: (call: a)))"); got != "24" {
		t.Fatalf("got %s, want 24", got)
	}
	_, s = icSiteOf(t, vm)
	if !s.mega || s.n != icWays {
		t.Fatalf("after five receiver maps the site has %d entries (megamorphic %v), want %d and megamorphic", s.n, s.mega, icWays)
	}
	if got := icEval(t, vm, "(call: e) _IntAdd: ((call: a) _IntMul: 10)"); got != "15" {
		t.Fatalf("a megamorphic site: got %s, want 15", got)
	}
}

// A change of a parent's slot keeps the receiver's map, so only the epoch
// tells the site that its entry is stale. The frame of loop keeps its
// caches across the changes (it restarts, it is not made again): the
// second run of a m fills the site, the third must not use that entry.
func TestInlineCacheSeesSlotChanges(t *testing.T) {
	vm, _ := newTestVM(t)
	icEval(t, vm, icDefs)
	icEval(t, vm, `true _AddSlots: (| ifT: blk = ( blk value ) |). false _AddSlots: (| ifT: blk = ( nil ) |)`)
	icEval(t, vm, `lobby _AddSlots: (| n <- 0. s <- 0.
		loop = ( s: s _IntAdd: a m. n: n _IntAdd: 1.
			(n _IntEQ: 1) ifT: [p _AddSlots: (| m = ( 10 ) |)].
			(n _IntEQ: 2) ifT: [p _AddSlots: (| m = ( 100 ) |)].
			(n _IntEQ: 3) ifT: [^ s].
			_Restart ) |)`)
	if got := icEval(t, vm, "loop"); got != "111" {
		t.Fatalf("loop = %s, want 111 (1, 10, 100 as p's m changed)", got)
	}
	// A parent slot changed: q's parent is p, then r.
	icEval(t, vm, `lobby _AddSlots: (| q = (| parent* = p |). r = (| m = ( 20 ) |) |). lobby _AddSlots: (| qa = (| parent* = q |) |)`)
	if got := icEval(t, vm, "(call: qa) _IntAdd: (call: qa)"); got != "200" {
		t.Fatalf("call: qa twice = %s, want 200", got)
	}
	if got := icEval(t, vm, "q _AddSlots: (| parent* = r |). (call: qa) _IntAdd: (call: qa)"); got != "40" {
		t.Fatalf("after q's parent changed, call: qa twice = %s, want 40", got)
	}
}

func TestInlineCacheAbort(t *testing.T) {
	vm, _ := newTestVM(t)
	icEval(t, vm, icDefs)
	if err := vm.h.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := icEval(t, vm, "p _AddSlots: (| m = ( 7 ) |). (call: a) _IntAdd: (call: a)"); got != "14" {
		t.Fatalf("call: a twice = %s, want 14", got)
	}
	_, s := icSiteOf(t, vm)
	if s == nil || s.n != 1 {
		t.Fatalf("the site after the change: %+v, want one entry", s)
	}
	vm.h.Abort()
	if s.epoch == vm.epoch.Current() {
		t.Fatal("an abort left the site's entries current")
	}
	if got := icEval(t, vm, "call: a"); got != "1" {
		t.Fatalf("after the abort call: a = %s, want 1", got)
	}
}

// A young method (defined in this transaction) moves in a scavenge: its
// caches are not found under its old oop, and it fills new ones.
func TestInlineCacheScavengeMovesMethod(t *testing.T) {
	vm, _ := newTestVM(t)
	icEval(t, vm, icDefs)
	icEval(t, vm, "(call: a) _IntAdd: (call: a)")
	old, s := icSiteOf(t, vm)
	if !old.IsYoung() || s == nil {
		t.Fatalf("call: is %#x with site %v, want a young method with a site", uint64(old), s)
	}
	vm.h.Scavenge()
	moved, s := icSiteOf(t, vm)
	if moved == old || s != nil {
		t.Fatalf("after a scavenge call: is %#x (was %#x) with site %v; want moved, with no site", uint64(moved), uint64(old), s)
	}
	if got := icEval(t, vm, "(call: a) _IntAdd: (call: a)"); got != "2" {
		t.Fatalf("call: a twice = %s, want 2", got)
	}
	if _, s := icSiteOf(t, vm); s == nil || s.n != 1 {
		t.Fatalf("the moved method's site: %+v, want one entry", s)
	}
}

// Scavenges while a frame runs: the frame's caches survive them only as
// stale entries. With a small young space, every clone below may scavenge.
func TestInlineCacheScavengeWhileRunning(t *testing.T) {
	h, err := heap.Create(filepath.Join(t.TempDir(), "heap"), heap.Options{Reserve: 4 << 30, YoungReserve: 1 << 30, YoungLimit: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	vm := New(h, nil)
	vm.BuildSkeleton()
	if err := h.Commit(); err != nil {
		t.Fatal(err)
	}
	icEval(t, vm, icDefs)
	icEval(t, vm, `true _AddSlots: (| ifT: blk = ( blk value ) |). false _AddSlots: (| ifT: blk = ( nil ) |)`)
	icEval(t, vm, `lobby _AddSlots: (| n <- 0. s <- 0.
		loop = ( s: s _IntAdd: (call: a _Clone). n: n _IntAdd: 1. (n _IntEQ: 5000) ifT: [^ s]. _Restart ) |)`)
	before := h.Stats.Scavenges
	if got := icEval(t, vm, "loop"); got != "5000" {
		t.Fatalf("loop = %s, want 5000", got)
	}
	if h.Stats.Scavenges == before {
		t.Fatal("the loop made no scavenge")
	}
}

// A site's entry keeps its method's decoded info (code, literals, locals'
// initial values), so a hit starts the frame without reading the method;
// after a scavenge moves the method, the entry is refilled from its new place.
func TestInlineCacheKeepsCalleeInfo(t *testing.T) {
	vm, _ := newTestVM(t)
	icEval(t, vm, `lobby _AddSlots: (| p = (| m = (| x <- 5. y <- 'ab' | x: x _IntAdd: 1. x _IntAdd: y _ByteSize) |) |).
		lobby _AddSlots: (| a = (| parent* = p |). call: o = ( o m ) |)`)
	check := func(when string) {
		t.Helper()
		if got := icEval(t, vm, "(call: a) _IntAdd: (call: a)"); got != "16" {
			t.Fatalf("%s: call: a twice = %s, want 16 (the locals start at their initial values each time)", when, got)
		}
		_, s := icSiteOf(t, vm)
		if s == nil || s.n != 1 || s.entries[0].callee == nil {
			t.Fatalf("%s: the site is %+v, want one entry that started its method's frame", when, s)
		}
		e := &s.entries[0]
		want := vm.methodInfoOf(e.res.value)
		if e.info.nargs != 0 || e.info.nlocals != 2 || &e.info.code[0] != &want.code[0] || e.info.lits != want.lits || e.info.inits != want.inits {
			t.Fatalf("%s: the entry's info is %+v, want the method's own %+v", when, e.info, want)
		}
	}
	check("young")
	vm.h.Scavenge()
	check("after a scavenge")
}
