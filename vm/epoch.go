package vm

// An epoch counts the changes that can alter what a send finds: every change
// of a slot, a parent or a map (prims.Env.SlotsChanged), and every event after
// which the heap's contents or addresses are not what they were (the heap's
// cache invalidator: a commit, an abort, a rollback's install, a scavenge).
// Whatever is cached from a lookup records the epoch it was filled in and is
// used only while the epoch is still the current one.
//
// Invariant: Current never answers the same value before and after a Bump,
// so a cached value whose epoch equals Current was filled after the last
// change.
type epoch struct{ n uint64 }

// Bump starts a new epoch.
func (e *epoch) Bump() { e.n++ }

// Current answers the epoch now in force.
func (e *epoch) Current() uint64 { return e.n }
