package heap

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Errors a caller can test for with errors.Is.
var (
	// ErrLocked: another process (or another Heap in this one) has the heap open.
	ErrLocked = errors.New("heap is in use by another process")
	// ErrCorrupt: a checksum, header or reference is wrong; the data was not used.
	ErrCorrupt = errors.New("heap corrupt")
	// ErrFatal: a write or fsync failed. The open heap must be closed and
	// reopened (recovery replays the log); a retried fsync can report success
	// for data that never reached the disk, so it is never retried.
	ErrFatal = errors.New("heap I/O failed")
	// ErrNotHeap: the file is not a Psyche heap (wrong magic).
	ErrNotHeap = errors.New("not a psyche heap file")
	// ErrVersion: the heap was written by an incompatible format version.
	ErrVersion = errors.New("unsupported heap format version")
	// ErrOutOfMemory: the young space or the heap's reserved range is exhausted.
	ErrOutOfMemory = errors.New("out of memory")
	// ErrMemoryLimit: the transaction would hold more than
	// Options.MemoryLimit. It matches ErrOutOfMemory too.
	ErrMemoryLimit = errors.New("memory limit reached")
	// ErrExists: Create found a heap already there.
	ErrExists = errors.New("heap already exists")
	// ErrReadOnly: the heap cannot be changed: it was opened ReadOnly, or a
	// ReadWrite open found it on a read-only file system.
	ErrReadOnly = errors.New("heap is read-only")
	// ErrNeedsRecovery: a ReadOnly open found committed transactions in the
	// log that are not in the heap file yet; replaying them writes the heap
	// file, so the heap must first be opened ReadWrite once.
	ErrNeedsRecovery = errors.New("heap needs recovery: its log must be replayed by a read-write open")
)

// CorruptError names where damage was found. It matches ErrCorrupt.
type CorruptError struct {
	File   string // which file: the heap, its log or its checksum table
	Page   int64  // page number, or -1
	Offset int64  // byte offset in File, or -1
	Msg    string
}

func (e *CorruptError) Error() string {
	s := "heap corrupt: " + e.File
	if e.Page >= 0 {
		s += fmt.Sprintf(" page %d", e.Page)
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(" offset %d", e.Offset)
	}
	return s + ": " + e.Msg
}

func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// fatalError wraps the I/O error that poisoned the heap.
type fatalError struct {
	op  string
	err error
}

func (e *fatalError) Error() string {
	return fmt.Sprintf("heap I/O failed (%s: %v); the heap must be reopened, and work not yet reported committed may be lost", e.op, e.err)
}
func (e *fatalError) Unwrap() error        { return e.err }
func (e *fatalError) Is(target error) bool { return target == ErrFatal }

// Catch runs f and answers the error it returned or, if it panicked with a
// heap error (corruption found while reading an object, or memory exhausted
// while allocating), that error. Object accessors panic rather than return
// errors so that the interpreter's hot paths stay free of error plumbing; the
// interpreter catches once per evaluation.
//
// f returns its error rather than assigning it to a variable of the caller:
// when f assigned an error to the caller's variable, Catch's own nil result
// overwrote it, and two errors were lost that way.
func Catch(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := AsHeapPanic(r); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	return f()
}

// AsHeapPanic reports whether a recovered panic value is one the heap raised on
// purpose, and answers it as an error.
func AsHeapPanic(r any) (error, bool) {
	switch e := r.(type) {
	case *CorruptError:
		return e, true
	case *oomError:
		return e, true
	case boundsError:
		return e, true
	case *spillError:
		return e, true
	case *fatalError:
		return e, true
	}
	return nil, false
}

type oomError struct {
	msg   string
	limit bool // the transaction passed Options.MemoryLimit
}

func (e *oomError) Error() string { return "out of memory: " + e.msg }
func (e *oomError) Is(target error) bool {
	return target == ErrOutOfMemory || (e.limit && target == ErrMemoryLimit)
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

// String answers b with one decimal in its unit: 1.5 MiB.
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
	return dir
}
