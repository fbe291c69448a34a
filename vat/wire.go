// Package vat connects worlds that message each other (issue 11,
// docs/vats.md). This file holds the wire types, encoded with CBOR.
package vat

// Message is one eventual send: the Seq-th message of its sender to this
// destination, for the object exported under Target. Args is the value
// codec's bytes (package vat/values) of a vector of the arguments.
type Message struct {
	Seq      uint64
	Target   string
	Selector string
	Args     []byte
}

// Batch is what a sender delivers at once: From is the sender's vat id;
// Ack says it has taken every reply up to that sequence number, so the
// receiver may drop them.
type Batch struct {
	From     string
	Ack      uint64
	Messages []Message
}

// Reply answers the message Seq: its result's codec bytes when OK, else
// the error's text.
type Reply struct {
	Seq   uint64
	OK    bool
	Value []byte
	Error string
}

// Outgoing is a batch and the address it goes to.
type Outgoing struct {
	Dest  string
	Batch Batch
}
