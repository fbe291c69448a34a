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
	eval(t, b, `lobby _AddSlots: (| gateway = (| count <- 0. add: n = ( count: count + n. count ). fail = ( error: 'no funds' ) |) |)`)
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
	_ = strings.Contains
	_ = vat.Batch{}
}
