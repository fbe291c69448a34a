package vat

import (
	"fmt"
	"slices"
)

// fakeHost is a world reduced to what the transport sees: an outbox in
// memory, and a delivery that answers each message with its selector (or
// rejects the selector "fail"). Like a world, it is used only from the
// goroutine that owns it.
type fakeHost struct {
	id, addr  string
	outbox    map[string][]Message // per destination, oldest first
	ack       map[string]uint64    // per destination, the highest reply taken
	delivered []Batch              // every batch Deliver was given
	accepted  []Reply              // every reply Accept was given
	// The next so many calls of each method fail with an ErrNotFatal error
	// (as a world's does whose core a user broke) and change nothing.
	outgoingFails, deliverFails, acceptFails int
}

// notFatal answers the error of a failing call of method.
func notFatal(method string) error {
	return fmt.Errorf("%s failed in the core: %w", method, ErrNotFatal)
}

func newFakeHost(id, addr string) *fakeHost {
	return &fakeHost{id: id, addr: addr, outbox: map[string][]Message{}, ack: map[string]uint64{}}
}

// send puts n messages to dest in the outbox, numbered after the last.
func (h *fakeHost) send(dest string, n int) {
	next := h.ack[dest] + 1
	if q := h.outbox[dest]; len(q) > 0 {
		next = q[len(q)-1].Seq + 1
	}
	for i := range n {
		seq := next + uint64(i)
		h.outbox[dest] = append(h.outbox[dest], Message{Seq: seq, Target: "gateway", Selector: fmt.Sprintf("m%d", seq), Args: []byte{byte(seq)}})
	}
}

func (h *fakeHost) Outgoing() ([]Outgoing, error) {
	if h.outgoingFails > 0 {
		h.outgoingFails--
		return nil, notFatal("Outgoing")
	}
	var outs []Outgoing
	for _, dest := range slices.Sorted(mapKeys(h.outbox)) {
		if q := h.outbox[dest]; len(q) > 0 {
			outs = append(outs, Outgoing{Dest: dest, Batch: Batch{From: h.id, Ack: h.ack[dest], Messages: slices.Clone(q)}})
		}
	}
	return outs, nil
}

func (h *fakeHost) Deliver(b Batch) ([]Reply, error) {
	if h.deliverFails > 0 {
		h.deliverFails--
		return nil, notFatal("Deliver")
	}
	h.delivered = append(h.delivered, b)
	var rs []Reply
	for _, m := range b.Messages {
		if m.Selector == "fail" {
			rs = append(rs, Reply{Seq: m.Seq, Error: "fail is not understood"})
			continue
		}
		rs = append(rs, Reply{Seq: m.Seq, OK: true, Value: []byte(m.Selector)})
	}
	return rs, nil
}

func (h *fakeHost) Accept(dest string, replies []Reply) error {
	if h.acceptFails > 0 {
		h.acceptFails--
		return notFatal("Accept")
	}
	h.accepted = append(h.accepted, replies...)
	for _, r := range replies {
		h.outbox[dest] = slices.DeleteFunc(h.outbox[dest], func(m Message) bool { return m.Seq == r.Seq })
		h.ack[dest] = max(h.ack[dest], r.Seq)
	}
	return nil
}

func (h *fakeHost) Address() string { return h.addr }

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
