package vat

// Host is what the transport needs of a world.
//
// Every method runs on the goroutine that owns the world (the Loop's), one
// at a time; each does its own transactions. An error from a Host method is
// a failure of the world itself (it cannot write its heap, say), not of a
// message: a message that fails is answered by a Reply that is not OK.
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
