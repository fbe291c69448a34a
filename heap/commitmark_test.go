package heap

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// tearLastCommit makes the commit mark what a crash during the last
// commit's log write leaves: the transaction before it. A torn record is
// then what a crash tears, not a cut of a record the heap reported done.
func tearLastCommit(t *testing.T, path string, lastSeq uint64) {
	t.Helper()
	f, err := os.OpenFile(path+".sums", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(encodeCommitMark(lastSeq-1), 0); err != nil {
		t.Fatal(err)
	}
}

// loggedSix makes a heap whose log holds six committed transactions
// (root k%4 = a list of 10*(k+1) cells), left as a crash leaves it.
func loggedSix(t *testing.T) string {
	t.Helper()
	h, path := newHeap(t)
	for k := 0; k < 6; k++ {
		h.SetRoot(k%4, list(h, 10*(k+1)))
		mustCommit(t, h)
	}
	h.crash()
	return path
}

// TestCutLogIsReported: a log that ends before transactions the heap
// reported done (truncated, its last 4 KiB zeroed, its last record
// damaged) is refused with an error that names the cut, and no file
// changes; the same log with the commit mark a crash leaves is a torn tail.
func TestCutLogIsReported(t *testing.T) {
	cuts := []struct {
		name string
		cut  func(t *testing.T, log string, size int64)
	}{
		{"truncated", func(t *testing.T, log string, size int64) {
			if err := os.Truncate(log, size/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"last 4 KiB zeroed", func(t *testing.T, log string, size int64) {
			f, err := os.OpenFile(log, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, PageSize), size-PageSize); err != nil {
				t.Fatal(err)
			}
		}},
		{"last record flipped", func(t *testing.T, log string, size int64) { flipBit(t, log, size-100) }},
	}
	for _, c := range cuts {
		t.Run(c.name, func(t *testing.T) {
			path := loggedSix(t)
			fi, err := os.Stat(path + ".log")
			if err != nil {
				t.Fatal(err)
			}
			c.cut(t, path+".log", fi.Size())
			before := snapshotFiles(t, path)
			_, err = openT(t, path)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "the log was cut") ||
				!strings.Contains(err.Error(), "transaction 6 was committed") {
				t.Fatalf("got %v, want the cut log reported", err)
			}
			if after := snapshotFiles(t, path); after != before {
				t.Fatal("refusing a cut log changed a file")
			}
			if c.name == "truncated" {
				return // half the log is more than a crash tears
			}
			tearLastCommit(t, path, 6)
			h, err := openT(t, path)
			if err != nil {
				t.Fatalf("a torn last record: %v", err)
			}
			if got := len(listValues(h, h.Root(0))); got != 50 {
				t.Fatalf("root 0 holds %d cells, want 50 (transaction 5)", got)
			}
		})
	}
}

// TestDamagedCommitMarkIsIgnoredAndChecked: a commit mark whose check fails
// does not stop the world (the pages keep their own checksums); Check names it.
func TestDamagedCommitMarkIsIgnoredAndChecked(t *testing.T) {
	path := loggedSix(t)
	flipBit(t, path+".sums", 3)
	h, err := openT(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(listValues(h, h.Root(1))); got != 60 {
		t.Fatalf("root 1 holds %d cells, want 60", got)
	}
	r := h.Check(nil)
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].What, "commit mark") {
		t.Fatalf("check found %v, want the damaged commit mark", r.Problems)
	}
}

// snapshotFiles answers the contents of a heap's three files.
func snapshotFiles(t *testing.T, path string) string {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + ".log", path + ".sums"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return string(all)
}
