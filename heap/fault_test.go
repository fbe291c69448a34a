package heap

import (
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// committedPair makes a heap with two committed transactions still in the
// log (root 0 = list of 10, then root 1 = list of 20) and crashes it.
func committedPair(t *testing.T) string {
	t.Helper()
	h, path := newHeap(t)
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	h.SetRoot(1, list(h, 20))
	mustCommit(t, h)
	h.crash()
	return path
}

func openT(t *testing.T, path string) (*Heap, error) {
	h, err := Open(path, testOptions())
	if err == nil {
		t.Cleanup(func() { h.Close() })
	}
	return h, err
}

func TestRecoveryReplaysLog(t *testing.T) {
	path := committedPair(t)
	h, err := openT(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(listValues(h, h.Root(0))) != 10 || len(listValues(h, h.Root(1))) != 20 {
		t.Fatal("committed transactions lost")
	}
	if fi, _ := os.Stat(path + ".log"); fi.Size() != 0 {
		t.Fatalf("log not trimmed after recovery: %d bytes", fi.Size())
	}
}

func TestTornLogTail(t *testing.T) {
	for _, cut := range []int64{1, 100, PageSize, recordSize(1) - 1} {
		path := committedPair(t)
		fi, _ := os.Stat(path + ".log")
		if err := os.Truncate(path+".log", fi.Size()-cut); err != nil {
			t.Fatal(err)
		}
		tearLastCommit(t, path, 2)
		h, err := openT(t, path)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if len(listValues(h, h.Root(0))) != 10 || h.Root(1) != Nil {
			t.Fatalf("cut %d: want only the first transaction", cut)
		}
		if r := h.Check(nil); len(r.Problems) > 0 {
			t.Fatalf("cut %d: %v", cut, r.Problems)
		}
	}
}

func flipBit(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedLogRecordInTheMiddle(t *testing.T) {
	path := committedPair(t)
	flipBit(t, path+".log", 5000) // inside the first record's first page
	_, err := openT(t, path)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "followed by a good record") || ce.Offset != 0 {
		t.Fatalf("got %v, want a damaged-record error at offset 0", err)
	}
}

func TestDamagedLastRecordIsTornTail(t *testing.T) {
	path := committedPair(t)
	fi, _ := os.Stat(path + ".log")
	flipBit(t, path+".log", fi.Size()-100)
	tearLastCommit(t, path, 2)
	h, err := openT(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Root(1) != Nil || len(listValues(h, h.Root(0))) != 10 {
		t.Fatal("want the state before the damaged last record")
	}
}

func TestTruncatedHeapFile(t *testing.T) {
	h, path := newHeap(t)
	h.SetRoot(0, h.Alloc(0, 3<<20, 1, Nil))
	mustCommit(t, h)
	h.Close()
	if err := os.Truncate(path, 5*PageSize); err != nil {
		t.Fatal(err)
	}
	_, err := openT(t, path)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("got %v, want a truncation error", err)
	}
}

func TestFlippedBitInPage(t *testing.T) {
	h, path := newHeap(t)
	h.SetRoot(0, list(h, 1000))
	mustCommit(t, h)
	r := h.Root(0)
	h.Close()
	flipBit(t, path, int64(r)+headerSize) // the first cell's value
	h, err := openT(t, path)
	if err != nil {
		t.Fatal(err)
	}
	err = Catch(func() error { h.Field(h.Root(0), 0); return nil })
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Page != int64(r)/PageSize || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("reading the damaged object: %v", err)
	}
	rep := h.Check(nil)
	if len(rep.Problems) == 0 || rep.Problems[0].Page != int64(r)/PageSize {
		t.Fatalf("check: %v", rep.Problems)
	}
	if _, err := h.Collect(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("gc over a damaged page: %v", err)
	}
}

func TestDamagedSuperblocks(t *testing.T) {
	h, path := newHeap(t)
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	h.Close()
	flipBit(t, path, 100) // superblock 0
	h, err := openT(t, path)
	if err != nil {
		t.Fatalf("one damaged superblock: %v", err)
	}
	if len(listValues(h, h.Root(0))) != 10 {
		t.Fatal("the surviving superblock lost the committed state")
	}
	if r := h.Check(nil); len(r.Problems) != 1 || r.Problems[0].Page != 0 {
		t.Fatalf("check should report superblock 0: %v", r.Problems)
	}
	h.Close()
	flipBit(t, path, PageSize+100) // and superblock 1
	if _, err := openT(t, path); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "both superblocks") {
		t.Fatalf("two damaged superblocks: %v", err)
	}
}

func TestNotAHeap(t *testing.T) {
	path := t.TempDir() + "/x"
	os.WriteFile(path, make([]byte, 3*PageSize), 0o644)
	os.WriteFile(path+".sums", nil, 0o644)
	if _, err := openT(t, path); !errors.Is(err, ErrNotHeap) {
		t.Fatalf("got %v", err)
	}
	_, path = newHeap(t)
	os.Remove(path + ".sums")
	if _, err := openT(t, path); err == nil {
		t.Fatal("opened a heap without its checksum table")
	}
}

// failingFile fails Sync (or WriteAt) once armed.
type failingFile struct {
	File
	armed      *atomic.Bool
	failWrites bool
}

var errInjected = errors.New("injected I/O error")

func (f *failingFile) Sync() error {
	if f.armed.Load() {
		return errInjected
	}
	return f.File.Sync()
}

func (f *failingFile) WriteAt(b []byte, off int64) (int, error) {
	if f.failWrites && f.armed.Load() {
		return 0, errInjected
	}
	return f.File.WriteAt(b, off)
}

func TestFsyncFailureIsFatal(t *testing.T) {
	for _, which := range []string{FileLog, FileHeap} {
		t.Run(which, func(t *testing.T) {
			var armed atomic.Bool
			path := t.TempDir() + "/heap"
			opts := testOptions()
			opts.WrapFile = func(w string, f File) File {
				if w == which {
					return &failingFile{File: f, armed: &armed, failWrites: which == FileHeap}
				}
				return f
			}
			h, err := Create(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			h.SetRoot(0, list(h, 10))
			mustCommit(t, h)
			armed.Store(true)
			h.SetRoot(1, list(h, 20))
			err = h.Commit()
			if !errors.Is(err, ErrFatal) || !errors.Is(err, errInjected) {
				t.Fatalf("commit with failing %s: %v", which, err)
			}
			h.SetRoot(2, list(h, 5))
			if err := h.Commit(); !errors.Is(err, ErrFatal) {
				t.Fatalf("commit after a fatal error: %v", err)
			}
			if err := h.Close(); !errors.Is(err, ErrFatal) {
				t.Fatalf("close after a fatal error: %v", err)
			}
			h, err = openT(t, path)
			if err != nil {
				t.Fatal(err)
			}
			if len(listValues(h, h.Root(0))) != 10 || h.Root(2) != Nil {
				t.Fatal("reopened heap lost the first commit or kept the third")
			}
			// A failed log fsync may or may not have kept the second commit;
			// a failed heap write came after the log fsync, so it must be there.
			if which == FileHeap && len(listValues(h, h.Root(1))) != 20 {
				t.Fatal("a commit whose log record was fsynced was lost")
			}
			if r := h.Check(nil); len(r.Problems) > 0 {
				t.Fatal(r.Problems)
			}
		})
	}
}

// TestPromotionFailureAborts: when promotion cannot allocate (the reserved
// range is full), the commit fails and nothing of the transaction remains.
func TestPromotionFailureAborts(t *testing.T) {
	path := t.TempDir() + "/heap"
	opts := testOptions()
	opts.Reserve = 8 << 20
	h, err := Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.SetRoot(0, h.Alloc(2, 0, 1, Nil))
	mustCommit(t, h)
	before := snapshotFile(t, h)
	for i := 0; i < 128; i++ { // 16 MiB of young objects below the large size: more than the reservation
		v := h.Alloc(1, 128<<10, 2, Nil)
		h.SetField(v, 0, h.Field(h.Root(0), 0))
		h.SetField(h.Root(0), 0, v)
	}
	if err := h.Commit(); !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("commit of an object larger than the heap: %v", err)
	}
	if h.Field(h.Root(0), 0) != Nil || h.InTransaction() {
		t.Fatal("a failed commit left its changes")
	}
	if snapshotFile(t, h) != before {
		t.Fatal("a failed commit changed the heap file")
	}
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
}
