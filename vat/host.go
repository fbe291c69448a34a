package vat

import "errors"

// Host is what the transport needs of a world.
//
// Every method runs on the goroutine that owns the world (the Loop's), one
// at a time; each does its own transactions. An error from a Host method is
// a failure of the world itself (it cannot write its heap, say), not of a
// message: a message that fails is answered by a Reply that is not OK. An
// error that is ErrNotFatal (errors.Is) is the exception: the loop reports
// it and goes on; with it, Deliver answers the replies it made before it.
type Host interface {
	// Outgoing answers the committed outbox, one batch per destination,
	// each batch's messages oldest first; messages that wait for a handoff,
	// and those behind them, are in Held, not in the batch.
	Outgoing() ([]Outgoing, error)
	// Deliver runs one crank per new message of b and answers their
	// replies; a message delivered before is answered by its stored reply.
	// A reply that waits for a handoff is not answered yet, nor are the
	// messages after it: the sender sends them again.
	Deliver(b Batch) ([]Reply, error)
	// Accept takes the replies that dest answered: it resolves or rejects
	// their promises and drops their messages from the outbox.
	Accept(dest string, replies []Reply) error
	// Address answers this world's address (its absolute directory).
	Address() string
}

// ErrNotFatal marks a Host error that is not a failure of the world itself:
// Self code the world ran for its own bookkeeping, or a promise callback,
// failed, and its transaction was undone, so nothing committed was lost and
// what was not done is tried again later (a message not answered is sent
// again). The loop reports such an error and goes on.
var ErrNotFatal = errors.New("not a failure of the world")
