package world

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"psyche/heap"
)

// The memory limit of an evaluation (heap.Options.MemoryLimit): what one
// transaction may hold, its young objects, the objects it tenured and its
// large objects still reachable. Past it the evaluation fails with
// outOfMemoryError and nothing of it is kept.

// MemoryEnv names the environment variable that sets the memory limit of
// every evaluation, as a size (512M, 2G); the commands' --memory flag
// overrides it.
const MemoryEnv = "PSYCHE_MEMORY"

// MinMemoryLimit is the smallest memory limit accepted: the young space
// alone takes a few MiB.
const MinMemoryLimit = 16 << 20

// memoryShare is the part of the machine's memory an evaluation may hold by
// default (1/memoryShare): room for the page cache, the process's own
// memory and other programs.
const memoryShare = 4

// DefaultMemoryLimit answers the memory limit when neither --memory nor
// PSYCHE_MEMORY says: a quarter of the machine's physical memory, at least
// MinMemoryLimit.
func DefaultMemoryLimit() uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil || si.Totalram == 0 {
		return 1 << 30 // the machine does not say: a limit that fits most
	}
	return max(uint64(si.Totalram)*uint64(si.Unit)/memoryShare, MinMemoryLimit)
}

// ParseSize reads a size as the user writes it: a number of bytes, or with
// K, M, G or T after it (powers of 1024; KB, KiB, MB, MiB... read the same).
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(t[len(num):]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I")
	shifts := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
	shift, ok := shifts[unit]
	n, err := strconv.ParseUint(num, 10, 64)
	if !ok || err != nil || n > (1<<63)>>shift {
		return 0, fmt.Errorf("%q is not a size (write it as 512M, 2G or a number of bytes)", s)
	}
	return n << shift, nil
}

// memoryLimitFromEnv answers the memory limit PSYCHE_MEMORY sets, else the default.
func memoryLimitFromEnv() (uint64, error) {
	v := os.Getenv(MemoryEnv)
	if v == "" {
		return DefaultMemoryLimit(), nil
	}
	n, err := ParseSize(v)
	if err == nil {
		err = CheckMemoryLimit(n)
	}
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", MemoryEnv, v, err)
	}
	return n, nil
}

// CheckMemoryLimit answers an error if n is too small to be a memory limit.
func CheckMemoryLimit(n uint64) error {
	if n < MinMemoryLimit {
		return fmt.Errorf("a memory limit of %s is too small: at least %s", heap.Bytes(n), heap.Bytes(MinMemoryLimit))
	}
	return nil
}

// SetMemoryLimit sets the memory limit of the evaluations to come.
func (w *World) SetMemoryLimit(n uint64) { w.h.SetMemoryLimit(n) }

// MemoryLimit answers the memory limit of an evaluation.
func (w *World) MemoryLimit() uint64 { return w.h.MemoryLimit() }
