package world

import (
	"strings"
	"testing"

	"psyche/vat"
)

// Forgetting exports (docs/vats.md, "Forgetting exports"): an importer's
// collection finds the far references it no longer holds and tells their
// vat; the exporter forgets a key once every holder has dropped it.

// gcWorlds makes a (the exporter, whose lobby o is the object passed by
// reference, watched by a weakStore w) and holders (each with a gateway
// that keeps what it is given in held, sends bump: to it, passes it (pass)
// or gives it (give) to other, and fetches (fetch) what other gives).
func gcWorlds(t *testing.T, holders int) (a *World, hs []*World) {
	t.Helper()
	a, _ = newWorld(t)
	eval(t, a, `lobby _AddSlots: (| w <- nil. o <- nil. h0 <- nil. h1 <- nil |).
		w: weakStore copyRemoveAll.
		o: (| n <- 0. bump: k = ( n: n + k. n ) |).
		w init: o With: 1`)
	for i := 0; i < holders; i++ {
		h, _ := newWorld(t)
		eval(t, h, `lobby _AddSlots: (| gateway = (| held <- nil. other <- nil.
			take: r = ( held: r. 0 ).
			bump = ( held bump: 1 ).
			pass = ( other take: held ).
			give = ( held ).
			fetch = ( other give whenResolved: [|:r| held: r]. 0 ) |) |)`)
		eval(t, a, `h`+string(rune('0'+i))+`: vats at: '`+h.Address()+`'`)
		hs = append(hs, h)
	}
	return a, hs
}

// collect runs w's collection and answers how many messages its outbox
// then holds for dest.
func collect(t *testing.T, w *World, dest string) int {
	t.Helper()
	if _, err := w.Collect(); err != nil {
		t.Fatal(err)
	}
	return len(batchFor(t, w, dest).Batch.Messages)
}

// alive reports whether a's object o still exists once o's own slot is
// cleared and a collects.
func alive(t *testing.T, a *World) bool {
	t.Helper()
	eval(t, a, `o: nil`)
	if _, err := a.Collect(); err != nil {
		t.Fatal(err)
	}
	return eval(t, a, `w isEmpty`) == "false"
}

func TestVatGCExportForgottenWhenDropped(t *testing.T) {
	a, hs := gcWorlds(t, 1)
	b := hs[0]
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	if got := eval(t, a, `vats exports size printString, ' ', vats exportCounts printString`); !strings.HasPrefix(got, "'1 dictionary(") || !strings.HasSuffix(got, " -> 1)'") {
		t.Fatalf("exports after passing o: %s", got)
	}
	if n := collect(t, b, a.Address()); n != 0 {
		t.Fatalf("b drops what it holds: %d messages", n)
	}
	if !alive(t, a) {
		t.Fatal("a's collection reclaimed an object b holds")
	}
	eval(t, b, `gateway held: nil`)
	if n := collect(t, b, a.Address()); n != 1 {
		t.Fatalf("b's drop: %d messages", n)
	}
	if got := eval(t, b, `vats imports isEmpty`); got != "true" {
		t.Errorf("b's imports after the drop: %s", got)
	}
	pump(t, b, a)
	if got := eval(t, a, `vats exports size printString, ' ', vats exportKeys size printString, ' ', vats exportCounts size printString`); got != "'0 0 0'" {
		t.Errorf("a's export tables after b's drop: %s", got)
	}
	if alive(t, a) {
		t.Error("a's collection kept an object no vat holds")
	}
	checkClean(t, a, b)
}

func TestVatGCKeyHeldByTwoSurvivesOneDrop(t *testing.T) {
	a, hs := gcWorlds(t, 2)
	b, c := hs[0], hs[1]
	eval(t, a, `h0 take: o. h1 take: o`)
	pump(t, a, b, c)
	dropAll(t, b, a)
	if got := eval(t, a, `vats exports size`); got != "1" {
		t.Fatalf("a forgot o while c holds it: %s", got)
	}
	eval(t, c, `gateway bump`)
	pump(t, c, a)
	if got := eval(t, a, `o n`); got != "1" {
		t.Errorf("c's send to o: %s", got)
	}
	dropAll(t, c, a)
	if got := eval(t, a, `vats exports size`); got != "0" {
		t.Errorf("a keeps o after both dropped it: %s", got)
	}
	checkClean(t, a, b, c)
}

// B passes A's object on to C and then drops its own: B's announcement
// (passed:) reaches A before B's drop, so A keeps o for C.
func TestVatGCPassedOnKeyKeptForSecondHolder(t *testing.T) {
	a, hs := gcWorlds(t, 2)
	b, c := hs[0], hs[1]
	eval(t, b, `gateway other: vats at: '`+c.Address()+`'`)
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	eval(t, b, `gateway pass. gateway held: nil`)
	pump(t, b, a, c) // the passed: to a; the take: to c waits for its reply
	pump(t, b, a, c)
	collect(t, b, a.Address())
	pump(t, b, a)
	if got := eval(t, a, `vats exports size`); got != "1" {
		t.Fatalf("a forgot o while c holds it: %s", got)
	}
	eval(t, c, `gateway bump`)
	pump(t, c, a)
	if got := eval(t, a, `o n`); got != "1" {
		t.Errorf("c's send to o: %s", got)
	}
	dropAll(t, c, a)
	if got := eval(t, a, `vats exports size`); got != "0" {
		t.Errorf("a keeps o after both dropped it: %s", got)
	}
	checkClean(t, a, b, c)
}

// B drops o while A sends it again: the drop counts one value, A counted
// two, so o stays exported under the same key, and B's new reference works.
func TestVatGCDroppedThenReceivedAgain(t *testing.T) {
	a, hs := gcWorlds(t, 1)
	b := hs[0]
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	key := eval(t, b, `gateway held key`)
	eval(t, b, `gateway held: nil`)
	if n := collect(t, b, a.Address()); n != 1 {
		t.Fatalf("b's drop: %d messages", n)
	}
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	pump(t, b, a)
	if got := eval(t, a, `vats exports size printString, ' ', (vats exportCounts at: `+key+`) printString`); got != "'1 1'" {
		t.Fatalf("a's exports after the crossed drop: %s", got)
	}
	if got := eval(t, b, `gateway held key`); got != key {
		t.Errorf("the key changed: %s, was %s", got, key)
	}
	eval(t, b, `gateway bump`)
	pump(t, b, a)
	if got := eval(t, a, `o n`); got != "1" {
		t.Errorf("b's send after receiving o again: %s", got)
	}
	// and once dropped for good, a later pass exports o afresh
	dropAll(t, b, a)
	if got := eval(t, a, `vats exports size`); got != "0" {
		t.Fatalf("a keeps o: %s", got)
	}
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	eval(t, b, `gateway bump`)
	pump(t, b, a)
	if got, fresh := eval(t, a, `o n`), eval(t, b, `gateway held key`); got != "2" || fresh == key {
		t.Errorf("after exporting again: n %s, key %s (was %s)", got, fresh, key)
	}
	checkClean(t, a, b)
}

// Reopening either world between the steps loses nothing, and a drop
// delivered twice (its reply lost) is counted once.
func TestVatGCReopenAndRepeatedDrop(t *testing.T) {
	a, hs := gcWorlds(t, 2)
	b, c := hs[0], hs[1]
	eval(t, a, `h0 take: o. h1 take: o`)
	pump(t, a, b, c)
	a = reopen(t, a, a.Dir())
	eval(t, b, `gateway held: nil`)
	b = reopen(t, b, b.Dir())
	if _, err := b.Collect(); err != nil {
		t.Fatal(err)
	}
	b = reopen(t, b, b.Dir())
	out, err := b.Outgoing()
	if err != nil || len(out) != 1 || out[0].Batch.Messages[0].Target != vat.RefsTarget {
		t.Fatalf("b's drop after reopening: %+v %v", out, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := a.Deliver(out[0].Batch); err != nil {
			t.Fatal(err)
		}
		a = reopen(t, a, a.Dir())
	}
	if got := eval(t, a, `vats exports size printString, ' ', vats exportCounts printString`); !strings.HasPrefix(got, "'1 dictionary(") || !strings.HasSuffix(got, " -> 1)'") {
		t.Fatalf("a after the repeated drop: %s", got)
	}
	pump(t, b, a)
	if out, _ := b.Outgoing(); len(out) != 0 {
		t.Errorf("b's outbox after the reply: %+v", out)
	}
	eval(t, c, `gateway held: nil`)
	collect(t, c, a.Address())
	c = reopen(t, c, c.Dir())
	pump(t, c, a)
	a = reopen(t, a, a.Dir())
	if alive(t, a) {
		t.Error("o survived both drops and a reopening")
	}
	checkClean(t, a, b, c)
}

// The reserved target takes only the export counts' two messages.
func TestVatGCRefsTargetRefusesOtherMessages(t *testing.T) {
	a, hs := gcWorlds(t, 1)
	b := hs[0]
	if got := eval(t, a, `vats refsKey`); got != "'"+vat.RefsTarget+"'" {
		t.Fatalf("vats refsKey %s, vat.RefsTarget %s", got, vat.RefsTarget)
	}
	eval(t, b, `lobby _AddSlots: (| r <- nil. p <- nil. q <- nil |).
		r: (vats at: '`+a.Address()+`') key: '`+vat.RefsTarget+`'.
		p: r outbox. q: r dropped: 3`)
	pump(t, b, a)
	if got := eval(t, b, `p`); !strings.Contains(got, "rejected: 'outbox: not a message of the export counts") {
		t.Errorf("outbox sent to the counts: %s", got)
	}
	if got := eval(t, b, `q isRejected`); got != "true" {
		t.Errorf("dropped: with a number: %s", eval(t, b, `q`))
	}
	checkClean(t, a, b)
}

// batchFor answers from's outgoing batch for dest (zero if none).
func batchFor(t *testing.T, from *World, dest string) vat.Outgoing {
	t.Helper()
	out, err := from.Outgoing()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if o.Dest == dest {
			return o
		}
	}
	return vat.Outgoing{}
}

// dropAll makes h let go of what it holds and sends its drop to a.
func dropAll(t *testing.T, h, a *World) {
	t.Helper()
	eval(t, h, `gateway held: nil`)
	collect(t, h, a.Address())
	pump(t, h, a)
}
