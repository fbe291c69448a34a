package world

import (
	"strings"
	"testing"

	"psyche/vat"
)

// pump carries a's outbox to the worlds it names (by address) and their
// replies back, once: a.Outgoing -> dest.Deliver -> a.Accept.
func pump(t *testing.T, a *World, worlds ...*World) {
	t.Helper()
	out, err := a.Outgoing()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		var dest *World
		for _, w := range worlds {
			if w.Address() == o.Dest {
				dest = w
			}
		}
		if dest == nil {
			t.Fatalf("no world at %s", o.Dest)
		}
		replies, err := dest.Deliver(o.Batch)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Accept(o.Dest, replies); err != nil {
			t.Fatal(err)
		}
	}
}

func vatPair(t *testing.T) (a, b *World) {
	t.Helper()
	a, _ = newWorld(t)
	b, _ = newWorld(t)
	eval(t, b, `lobby _AddSlots: (| gateway = (| parent* = traits clonable. count <- 0. add: n = ( count: count + n. count ). fail = ( error: 'no funds' ) |) |)`)
	eval(t, a, `lobby _AddSlots: (| b <- nil. p <- nil. q <- nil. got <- nil |)`)
	eval(t, a, `b: vats at: '`+b.Address()+`'`)
	return a, b
}

func TestVatEventualSend(t *testing.T) {
	a, b := vatPair(t)
	if got := eval(t, a, `p: b add: 5. p`); got != "a promise (pending)" {
		t.Fatalf("before delivery: %s", got)
	}
	eval(t, a, `p whenResolved: [|:v| got: v]`)
	if out, _ := a.Outgoing(); len(out) != 1 || len(out[0].Batch.Messages) != 1 {
		t.Fatalf("outgoing: %+v", out)
	}
	pump(t, a, b)
	if got := eval(t, a, `p`); got != "a promise (fulfilled: 5)" {
		t.Errorf("after: %s", got)
	}
	if got := eval(t, a, `got`); got != "5" {
		t.Errorf("callback: %s", got)
	}
	if got := eval(t, b, `gateway count`); got != "5" {
		t.Errorf("receiver: %s", got)
	}
	if out, _ := a.Outgoing(); len(out) != 0 {
		t.Errorf("outbox not empty: %+v", out)
	}
}

func checkClean(t *testing.T, worlds ...*World) {
	t.Helper()
	for _, w := range worlds {
		if problems := w.Check(nil); len(problems) > 0 {
			t.Errorf("%s: %v", w.Dir(), problems)
		}
	}
}

func TestVatNothingSentIfEvaluationFails(t *testing.T) {
	a, b := vatPair(t)
	if _, err := a.Eval("test", []byte(`b add: 1. error: 'changed my mind'`)); err == nil {
		t.Fatal("the evaluation did not fail")
	}
	if out, err := a.Outgoing(); err != nil || len(out) != 0 {
		t.Fatalf("outgoing after a failed evaluation: %+v %v", out, err)
	}
	checkClean(t, a, b)
}

// A lost reply: the sender delivers the same batch again, with either
// world reopened in between; the message runs once and the same reply
// comes back. Order is kept, and a gap waits.
func TestVatExactlyOnceAndInOrder(t *testing.T) {
	a, b := vatPair(t)
	eval(t, a, `p: b add: 1. q: b add: 10`)
	out, err := a.Outgoing()
	if err != nil || len(out) != 1 || len(out[0].Batch.Messages) != 2 {
		t.Fatalf("outgoing: %+v %v", out, err)
	}
	batch := out[0].Batch
	if m := batch.Messages; m[0].Seq != 1 || m[1].Seq != 2 {
		t.Fatalf("sequence numbers: %+v", m)
	}
	gap := vat.Batch{From: batch.From, Messages: batch.Messages[1:]}
	if r, err := b.Deliver(gap); err != nil || len(r) != 0 {
		t.Fatalf("a message after a gap: %+v %v", r, err)
	}
	if got := eval(t, b, `gateway count`); got != "0" {
		t.Fatalf("ran out of order: %s", got)
	}
	first, err := b.Deliver(batch)
	if err != nil || len(first) != 2 {
		t.Fatalf("deliver: %+v %v", first, err)
	}
	b = reopen(t, b, b.Dir())
	again, err := b.Deliver(batch) // the replies were lost
	if err != nil || len(again) != 2 || string(again[1].Value) != string(first[1].Value) {
		t.Fatalf("again: %+v %v", again, err)
	}
	if got := eval(t, b, `gateway count`); got != "11" {
		t.Fatalf("count after a repeated delivery: %s", got)
	}
	a = reopen(t, a, a.Dir())
	if err := a.Accept(b.Address(), again); err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(b.Address(), again); err != nil { // a repeated reply is harmless
		t.Fatal(err)
	}
	if got := eval(t, a, `p printString, ' ', q printString`); got != "'a promise (fulfilled: 1) a promise (fulfilled: 11)'" {
		t.Errorf("promises: %s", got)
	}
	// the next batch acknowledges both replies: b drops them
	eval(t, a, `b add: 100`)
	out, _ = a.Outgoing()
	if out[0].Batch.Ack != 2 {
		t.Errorf("ack: %d", out[0].Batch.Ack)
	}
	pump(t, a, b)
	if got := eval(t, b, `(vats delivered at: '`+batch.From+`') printString`); !strings.Contains(got, "list((3, true") || strings.Contains(got, "(1, true") {
		t.Errorf("stored replies after the ack: %s", got)
	}
	checkClean(t, a, b)
}

func TestVatReceiverErrorRejects(t *testing.T) {
	a, b := vatPair(t)
	eval(t, a, `p: b fail. p whenRejected: [|:e| got: e]. q: b nosuch: 3`)
	pump(t, a, b)
	if got := eval(t, a, `p`); got != "a promise (rejected: 'no funds')" {
		t.Errorf("p: %s", got)
	}
	if got := eval(t, a, `got`); got != "'no funds'" {
		t.Errorf("callback: %s", got)
	}
	if got := eval(t, a, `q`); !strings.Contains(got, "rejected: 'undefinedSelector: nosuch: sent to") {
		t.Errorf("q: %s", got)
	}
	checkClean(t, a, b)
}

func TestVatCallbackErrorKeepsResolution(t *testing.T) {
	a, b := vatPair(t)
	eval(t, a, `p: b add: 2. p whenResolved: [|:v| error: 'callback broke']. p whenResolved: [|:v| got: v]`)
	out, _ := a.Outgoing()
	replies, err := b.Deliver(out[0].Batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(b.Address(), replies); err == nil || !strings.Contains(err.Error(), "callback broke") {
		t.Errorf("Accept: %v", err)
	}
	if got := eval(t, a, `p printString, ' ', got printString`); got != "'a promise (fulfilled: 2) 2'" {
		t.Errorf("after: %s", got)
	}
}

func TestVatByCopyRoundTrip(t *testing.T) {
	a, b := vatPair(t)
	eval(t, b, `gateway _AddSlots: (| echo: x = ( x ) |)`)
	value := `(| v. l. d |
	    v: vector copySize: 12.
	    l: list copyRemoveAll. l add: 1. l add: 'two'.
	    d: dictionary copyRemoveAll. d at: 'k' Put: (vector copySize: 2). d at: 3 Put: 'three'.
	    v at: 0 Put: 42. v at: 1 Put: -7.
	    v at: 2 Put: 123456789012345678901234567890.
	    v at: 3 Put: 2.5. v at: 4 Put: 1.0e300.
	    v at: 5 Put: 'héllo'. v at: 6 Put: (byteVector copySize: 3).
	    v at: 7 Put: nil. v at: 8 Put: true. v at: 9 Put: false.
	    v at: 10 Put: l. v at: 11 Put: d.
	    v) value`
	eval(t, a, `lobby _AddSlots: (| orig <- nil |). orig: `+value+`. p: b echo: orig`)
	pump(t, a, b)
	if got := eval(t, a, `p isPending printString, ' ', (p value printString = orig printString) printString`); got != "'false true'" {
		t.Errorf("round trip: %s / %s / %s", got, eval(t, a, `p`), eval(t, a, `orig`))
	}
	checkClean(t, a, b)
}

// A gives B a reference to an object of A; B sends to it; A delivers.
// A third world gets B's gateway from A and sends to it.
func TestVatFarReferencesPassedOn(t *testing.T) {
	a, b := vatPair(t)
	c, _ := newWorld(t)
	eval(t, b, `gateway _AddSlots: (| held <- nil. take: r = ( held: r. 0 ) |)`)
	eval(t, c, `lobby _AddSlots: (| gateway = (| held <- nil. take: r = ( held: r. 0 ) |) |)`)
	eval(t, a, `lobby _AddSlots: (| counter = (| n <- 0. bump: k = ( n: n + k. n ) |). c <- nil |)`)
	eval(t, a, `c: vats at: '`+c.Address()+`'. b take: counter. c take: b`)
	pump(t, a, b, c)
	if got := eval(t, b, `gateway held`); !strings.HasPrefix(got, "a far reference to ") || !strings.HasSuffix(got, " in "+a.Address()) {
		t.Fatalf("B holds: %s", got)
	}
	eval(t, b, `gateway held bump: 3`)
	pump(t, b, a)
	if got := eval(t, a, `counter n`); got != "3" {
		t.Errorf("A's counter: %s", got)
	}
	if got := eval(t, c, `gateway held`); got != "a far reference to gateway in "+b.Address() {
		t.Fatalf("C holds: %s", got)
	}
	eval(t, c, `gateway held add: 7`)
	pump(t, c, b)
	if got := eval(t, b, `gateway count`); got != "7" {
		t.Errorf("B's count: %s", got)
	}
	// the same object passed again keeps its key
	eval(t, a, `b take: counter`)
	pump(t, a, b)
	if got := eval(t, a, `vats exports size`); got != "1" {
		t.Errorf("exports: %s", got)
	}
	checkClean(t, a, b, c)
}

func TestVatUnknownKeyAndHostileBatch(t *testing.T) {
	a, b := vatPair(t)
	eval(t, a, `lobby _AddSlots: (| forged <- nil |). forged: (vats at: '`+b.Address()+`') key: '0123456789abcdef0123456789abcdef'. p: forged add: 1`)
	pump(t, a, b)
	if got := eval(t, a, `p`); got != "a promise (rejected: 'no object exported under that key: 0123456789abcdef0123456789abcdef')" {
		t.Errorf("unknown key: %s", got)
	}
	hostile := [][]byte{
		[]byte("\xff\xfe garbage"),
		[]byte("\x9b\xff\xff\xff\xff\xff\xff\xff\xff"),     // an array of 2^64-1 elements
		[]byte("\x81\x5b\x00\x00\x00\xff\xff\xff\xff\xff"), // a byteVector of a terabyte
		[]byte("\x82\x01\x02"),                             // two arguments for add:
	}
	for i, args := range hostile {
		r, err := b.Deliver(vat.Batch{From: "hostile", Messages: []vat.Message{{Seq: uint64(i + 1), Target: "gateway", Selector: "add:", Args: args}}})
		if err != nil || len(r) != 1 || r[0].OK || r[0].Error == "" {
			t.Errorf("hostile args %d: %+v %v", i, r, err)
		}
	}
	for _, bad := range []vat.Batch{
		{Messages: []vat.Message{{Seq: 1, Target: "gateway", Selector: "add:"}}},
		{From: "hostile", Messages: []vat.Message{{Seq: 0, Target: "gateway", Selector: "add:"}}},
	} {
		if _, err := b.Deliver(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	r, err := b.Deliver(vat.Batch{From: "hostile", Messages: []vat.Message{{Seq: 5, Target: "gateway", Selector: "_Clone", Args: []byte{0x80}}}})
	if err != nil || len(r) != 1 || !strings.Contains(r[0].Error, "primitive") {
		t.Errorf("a primitive selector: %+v %v", r, err)
	}
	if got := eval(t, b, `gateway count`); got != "0" {
		t.Errorf("count: %s", got)
	}
	checkClean(t, a, b)
}

// An interrupt that stopped the last evaluation (Ctrl-C in the REPL) does
// not stop the vat work that follows it: each delivery and reply is a
// top-level activity of its own.
func TestVatWorkAfterAnInterruptedEvaluation(t *testing.T) {
	a, b := vatPair(t)
	eval(t, a, `p: b add: 2`)
	a.VM().Interrupt()
	b.VM().Interrupt()
	pump(t, a, b)
	if got := eval(t, a, `p`); got != "a promise (fulfilled: 2)" {
		t.Errorf("after: %s", got)
	}
}
