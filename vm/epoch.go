package vm

// The world epoch counts the changes after which anything the interpreter
// derived from the heap's contents may be stale: a slot change (a new map
// for some object, prims.Env.SlotsChanged), an abort, a rollback, an
// install, a commit and a scavenge (the heap's cache invalidator). All of
// them reach FlushCaches, which bumps it.
//
// Invariant: a fact stamped with the current epoch was true when the epoch
// began and nothing has changed since. A stamp of 0 means never checked:
// the epoch starts at 1.

// epochStamp is the epoch in which a cached fact was last checked.
type epochStamp uint64

// bumpEpoch makes every stamped fact stale.
func (vm *VM) bumpEpoch() { vm.epoch++ }

// current reports whether a fact stamped s may still be trusted.
func (vm *VM) current(s epochStamp) bool { return s == vm.epoch }
