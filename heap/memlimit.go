package heap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

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

// OutOfMemoryReason answers what an out-of-memory error of the heap says
// without its "out of memory: " prefix, and whether err is one.
func OutOfMemoryReason(err error) (string, bool) {
	var e *oomError
	if errors.As(err, &e) {
		return e.msg, true
	}
	return "", false
}

// Bytes is a byte count that prints in the unit that reads best (KiB, MiB, GiB).
type Bytes uint64

func (b Bytes) String() string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", uint64(b))
}

// diskFull answers the error for what does not fit on the heap's file
// system: it says the device is full, and names the file system (its mount
// point) and its free space.
func (h *Heap) diskFull(what string) error {
	var fs unix.Statfs_t
	free := "unknown"
	if err := unix.Fstatfs(int(h.osFile.Fd()), &fs); err == nil {
		free = Bytes(fs.Bavail * uint64(fs.Bsize)).String()
	}
	return &oomError{msg: fmt.Sprintf("no space left on device: %s on the file system at %s (holding %s): %s free, %s kept in reserve for the log and checkpoints",
		what, mountPoint(h.path), filepath.Dir(h.path), free, Bytes(diskMargin))}
}

// mountPoint answers the mount point of the file system holding path: the
// last directory up from it on the same device.
func mountPoint(path string) string {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return filepath.Dir(path)
	}
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil {
		return dir
	}
	for dir != "/" {
		up := filepath.Dir(dir)
		var ust unix.Stat_t
		if unix.Stat(up, &ust) != nil || ust.Dev != st.Dev {
			break
		}
		dir = up
	}
	return strings.TrimSuffix(dir, string(os.PathSeparator)+".")
}

// SetMemoryLimit sets Options.MemoryLimit for the transactions to come (0:
// none).
func (h *Heap) SetMemoryLimit(n uint64) { h.opts.MemoryLimit = n }

// MemoryLimit answers Options.MemoryLimit.
func (h *Heap) MemoryLimit() uint64 { return h.opts.MemoryLimit }
