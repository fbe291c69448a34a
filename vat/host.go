package vat

// Host is what the transport needs of a world (the world package
// implements it). Every method runs on the goroutine that owns the world;
// each does its own transactions.
type Host interface {
	Outgoing() ([]Outgoing, error)             // committed outbox, per destination, oldest first
	Deliver(b Batch) ([]Reply, error)          // one crank per new message; stored replies for repeats
	Accept(dest string, replies []Reply) error // resolve/reject promises, drop outbox entries
	Address() string                           // this world's address (its absolute directory)
}
