package world

import (
	"strings"
	"testing"

	"psyche/vat"
)

// The handoff (docs/vats.md, "Forgetting exports"): when B passes a far
// reference to A's object on to C, the message or reply that carries it
// leaves B only once A has acknowledged B's passed:, so C's drop can never
// reach A before the count it subtracts from.

// deliverOnly carries from's batch for to, if it has one, and its replies
// back, leaving the batches for other vats where they are; it answers how
// many messages went.
func deliverOnly(t *testing.T, from, to *World) int {
	t.Helper()
	out, err := from.Outgoing()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if o.Dest != to.Address() || len(o.Batch.Messages) == 0 {
			continue
		}
		replies, err := to.Deliver(o.Batch)
		if err != nil {
			t.Fatal(err)
		}
		if err := from.Accept(o.Dest, replies); err != nil {
			t.Fatal(err)
		}
		return len(o.Batch.Messages)
	}
	return 0
}

// The race of limit (1), played in the order that broke it: B's link to C
// is fast and its link to A slow, so C receives o and drops it before B's
// passed: is carried to A. B must still reach o afterwards.
func TestVatHandoffDropCannotOvertakePassed(t *testing.T) {
	a, hs := gcWorlds(t, 2)
	b, c := hs[0], hs[1]
	eval(t, b, `gateway other: vats at: '`+c.Address()+`'`)
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	eval(t, b, `gateway pass`)
	deliverOnly(t, b, c) // C's link first: whatever may go to C goes
	dropAll(t, c, a)     // and C drops whatever it got at once
	pump(t, b, a, c)     // then B's slow link to A
	pump(t, b, a, c)
	dropAll(t, c, a)
	eval(t, b, `gateway bump`)
	pump(t, b, a)
	if got := eval(t, a, `o n`); got != "1" {
		t.Fatalf("b's send to o after c dropped it: n is %s, exports %s", got, eval(t, a, `vats exports size`))
	}
	if got := eval(t, a, `vats exports size`); got != "1" {
		t.Errorf("a's exports while b holds o: %s", got)
	}
	dropAll(t, b, a)
	if got := eval(t, a, `vats exports size`); got != "0" {
		t.Errorf("a keeps o after b and c dropped it: %s", got)
	}
	checkClean(t, a, b, c)
}

// C's message stays in B's outbox, held, until A has acknowledged the
// passed:; a reply from A that is lost, or a restart of B, changes nothing.
func TestVatHandoffMessageHeldUntilAcknowledged(t *testing.T) {
	a, hs := gcWorlds(t, 2)
	b, c := hs[0], hs[1]
	eval(t, b, `gateway other: vats at: '`+c.Address()+`'`)
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	eval(t, b, `gateway pass`)
	toA, toC := batchFor(t, b, a.Address()), batchFor(t, b, c.Address())
	if len(toA.Batch.Messages) != 1 || toA.Batch.Messages[0].Selector != "passed:" || len(toA.Held) != 0 {
		t.Fatalf("b's batch for a: %+v", toA)
	}
	if len(toC.Batch.Messages) != 0 || len(toC.Held) != 1 || toC.Held[0].Selector != "take:" {
		t.Fatalf("b's batch for c before a acknowledged: %+v", toC)
	}
	if ids, err := vat.Pending(b); err != nil || len(ids) != 2 {
		t.Errorf("b's pending messages count the held one: %v %v", ids, err)
	}
	// A counts the passed: but its reply is lost; B restarts
	if _, err := a.Deliver(toA.Batch); err != nil {
		t.Fatal(err)
	}
	b = reopen(t, b, b.Dir())
	if toC = batchFor(t, b, c.Address()); len(toC.Batch.Messages) != 0 || len(toC.Held) != 1 {
		t.Fatalf("b's batch for c before it took a's reply: %+v", toC)
	}
	eval(t, b, `gateway bump`) // to a: not held
	eval(t, b, `gateway pass`) // a second take: to c queues behind the held one
	if toC = batchFor(t, b, c.Address()); len(toC.Batch.Messages) != 0 || len(toC.Held) != 2 {
		t.Fatalf("b's later message to c did not queue behind the held one: %+v", toC)
	}
	pump(t, b, a, c) // the passed:es (repeated, then new) and the bump, acknowledged
	toC = batchFor(t, b, c.Address())
	if len(toC.Batch.Messages) != 2 || len(toC.Held) != 0 || toC.Batch.Ack != toC.Batch.Messages[0].Seq-1 {
		t.Fatalf("b's batch for c once a acknowledged: %+v", toC)
	}
	if got := eval(t, a, `vats exportCounts printString`); !strings.HasSuffix(got, " -> 3)'") {
		t.Errorf("a's count: b's own and the two passed: %s", got)
	}
	pump(t, b, c)
	if out, _ := b.Outgoing(); len(out) != 0 {
		t.Errorf("b's outbox at the end: %+v", out)
	}
	eval(t, c, `gateway bump`)
	pump(t, c, a)
	if got := eval(t, a, `o n`); got != "2" {
		t.Errorf("o n after b's and c's bumps: %s", got)
	}
	checkClean(t, a, b, c)
}

// B answers C with A's object (a reply carrying a third vat's reference):
// the reply is held, repeats included, until A has acknowledged B's
// passed:; then C's drop leaves B's reference working.
func TestVatHandoffReplyHeldUntilAcknowledged(t *testing.T) {
	a, hs := gcWorlds(t, 2)
	b, c := hs[0], hs[1]
	eval(t, c, `gateway other: vats at: '`+b.Address()+`'`)
	eval(t, a, `h0 take: o`)
	pump(t, a, b)
	eval(t, c, `gateway fetch`)
	for i := 0; i < 2; i++ { // the delivery, then a repeat: no reply either time
		toB := batchFor(t, c, b.Address())
		replies, err := b.Deliver(toB.Batch)
		if err != nil || len(replies) != 0 {
			t.Fatalf("try %d: b's replies before a acknowledged: %+v %v", i, replies, err)
		}
	}
	b = reopen(t, b, b.Dir())
	if got := eval(t, b, `(vats delivered at: `+eval(t, c, `vats id`)+`) at: 0`); got != "1" {
		t.Errorf("b ran give once: last delivered %s", got)
	}
	if got := eval(t, c, `gateway held`); got != "nil" {
		t.Fatalf("c has a reference before a acknowledged: %s", got)
	}
	pump(t, b, a)
	pump(t, c, b)
	if got := eval(t, c, `gateway held isFarRef`); got != "true" {
		t.Fatalf("c's fetch once a acknowledged: %s", eval(t, c, `gateway held`))
	}
	dropAll(t, c, a)
	eval(t, b, `gateway bump`)
	pump(t, b, a)
	if got := eval(t, a, `o n`); got != "1" {
		t.Errorf("b's send to o after c dropped it: %s", got)
	}
	dropAll(t, b, a)
	if got := eval(t, a, `vats exports size`); got != "0" {
		t.Errorf("a keeps o after b and c dropped it: %s", got)
	}
	checkClean(t, a, b, c)
}

// An outbox entry of an older world (six fields, no handoffs) still goes.
func TestVatHandoffOldOutboxEntry(t *testing.T) {
	a, b := vatPair(t)
	eval(t, a, `p: b add: 7`)
	eval(t, a, `[| e. f | e: vats outbox removeFirst. f: vector copySize: 6.
		0 upTo: 6 Do: [|:i| f at: i Put: (e at: i)]. vats outbox addFirst: f] value`)
	pump(t, a, b)
	if got := eval(t, a, `p`); got != "a promise (fulfilled: 7)" {
		t.Errorf("the old entry's promise: %s", got)
	}
	checkClean(t, a, b)
}
