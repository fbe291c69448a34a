package heap

import "fmt"

// What one transaction holds, and the limit on it (Options.MemoryLimit):
// its young objects, the objects it tenured, and its large objects not yet
// found dead by a scavenge (largefree.go). A runaway program (a string that
// doubles at every step) is stopped with an error instead of filling the
// memory or the disk; the error aborts the transaction, so nothing of it
// is kept.

// heldMemory is what the transaction in progress holds.
type heldMemory struct {
	large       uint64 // bytes of its large objects not found dead
	tenured     uint64 // bytes it tenured
	largeSince  uint64 // bytes of large objects made since the last scavenge
	largeWantAt uint64 // largeSince past which a scavenge is wanted (0: largeScavengeFloor)
}

// largeScavengeFloor is how many bytes of large objects a transaction makes,
// at least, before it asks for a scavenge to find the dead ones; past it,
// as many as were found live by the last one (so the scavenges' cost stays
// proportional to what the transaction makes).
const largeScavengeFloor = 4 << 20

// heldBytes answers the bytes the transaction holds now.
func (h *Heap) heldBytes() uint64 { return h.young.used() + h.held.tenured + h.held.large }

// checkMemoryLimit answers an error (errors.Is ErrOutOfMemory) if the
// transaction would hold more than Options.MemoryLimit with more bytes.
func (h *Heap) checkMemoryLimit(more uint64) error {
	limit := h.opts.MemoryLimit
	if limit == 0 {
		return nil
	}
	if held := h.heldBytes(); held+more > limit {
		if more == 0 {
			return &oomError{msg: fmt.Sprintf("this evaluation holds %s, more than its memory limit of %s", Bytes(held), Bytes(limit)), limit: true}
		}
		return &oomError{msg: fmt.Sprintf("this evaluation holds %s and asked for %s more, past its memory limit of %s",
			Bytes(held), Bytes(more), Bytes(limit)), limit: true}
	}
	return nil
}

// noteLargeMade counts a large object of size bytes just made, and asks for a
// scavenge (through the young space's limit, which the interpreter looks at
// before every send) once enough were made since the last one.
func (h *Heap) noteLargeMade(size uint64) {
	h.held.large += size
	h.held.largeSince += size
	if h.held.largeSince > max(h.held.largeWantAt, largeScavengeFloor) {
		h.young.limit = 0
	}
}

// SetMemoryLimit sets Options.MemoryLimit for the transactions to come (0:
// none).
func (h *Heap) SetMemoryLimit(n uint64) { h.opts.MemoryLimit = n }

// MemoryLimit answers Options.MemoryLimit.
func (h *Heap) MemoryLimit() uint64 { return h.opts.MemoryLimit }
