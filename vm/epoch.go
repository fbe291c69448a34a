package vm

// An epoch counts the changes that can alter what a send finds or what
// inlined code assumes: every change of a slot, a parent or a map
// (prims.Env.SlotsChanged), and every event after which the heap's contents
// or addresses are not what they were (the heap's cache invalidator: a
// commit, an abort, a rollback's install, a scavenge). All of them reach
// FlushCaches, which bumps it. Whatever is cached from the heap (inline
// caches, the guards of inlined code) records the epoch it was filled in
// and is used only while that epoch is still the current one.
//
// Invariant: Current never answers the same value before and after a Bump,
// so a cached fact whose epoch equals Current was true when it was filled
// and nothing has changed since. The epoch starts at 1, so 0 means never
// filled.
type epoch struct{ n uint64 }

// Bump starts a new epoch.
func (e *epoch) Bump() { e.n++ }

// Current answers the epoch now in force.
func (e *epoch) Current() uint64 { return e.n }
