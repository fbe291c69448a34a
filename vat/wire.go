package vat

// The wire types: what one vat sends another in a POST /deliver request
// (a Batch) and what it answers (a []Reply). They travel as CBOR
// (batchcodec.go); a message's arguments and a reply's value are the value
// codec's bytes, opaque to the transport.

// Message is one eventual send: Selector sent to the object exported under
// Target, with Args. Seq numbers the messages from one sender to one
// receiver, from 1, in the order they were sent.
type Message struct {
	Seq      uint64
	Target   string
	Selector string
	Args     []byte // Args: the value codec's bytes
}

// RefsTarget is the reserved target of the messages by which vats keep
// each other's export counts (docs/vats.md, "Forgetting exports"): a
// holder's drops and announcements of references it passed on. It is not
// a swiss number (those are hex digits) nor the gateway, so no export can
// have it. The core world's vats refsKey answers the same string.
const RefsTarget = "-refs-"

// Batch is what a sender delivers in one request: its messages to one
// receiver, oldest first. Ack tells the receiver that the sender has taken
// every reply up to that sequence number, so it may forget them.
type Batch struct {
	From     string // From: the sender's vat id
	Ack      uint64
	Messages []Message
}

// Reply answers the message Seq: OK with the value codec's bytes of its
// result, or not OK with the text of the error it raised.
type Reply struct {
	Seq   uint64
	OK    bool
	Value []byte
	Error string
}

// Outgoing is a batch waiting in a world's outbox and the address it goes
// to. Held are the messages to Dest that may not leave yet, oldest first,
// all after Batch's: the first waits for a handoff (docs/vats.md,
// "Forgetting exports"), the others keep their order behind it. They are
// still waiting for their replies, but they are not sent.
type Outgoing struct {
	Dest  string // Dest: the address messages go to
	Batch Batch
	Held  []Message
}
