package heap

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"strings"
	"testing"
)

// loggedHeap makes a heap whose log holds n committed transactions
// (transaction k sets root k-1 to a list of 10*k cells) and crashes it. It
// answers the heap's path and the offsets of the log's records.
func loggedHeap(t *testing.T, n int) (string, []int64) {
	t.Helper()
	h, path := newHeap(t)
	for k := 1; k <= n; k++ {
		h.SetRoot(k-1, list(h, 10*k))
		mustCommit(t, h)
	}
	h.crash()
	f, err := os.Open(path + ".log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for off := int64(0); off < fi.Size(); {
		rec, err := readRecord(f, off, fi.Size(), nil)
		if err != nil {
			t.Fatalf("the crashed heap's log at %d: %v", off, err)
		}
		offs = append(offs, off)
		off += rec.size
	}
	if len(offs) != n {
		t.Fatalf("the log holds %d records, want %d", len(offs), n)
	}
	return path, offs
}

// heapFileHashes hashes the heap's files (a missing one hashes as absent).
func heapFileHashes(t *testing.T, path string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	for _, p := range []string{path, path + ".log", path + ".sums"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sums[p] = sha256.Sum256(b)
	}
	return sums
}

func sameHashes(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// firstPageData is the offset, inside a record, of its first page's contents.
const firstPageData = recHeader + stateSize + recPageHdr

// TestLogDamageIsReportedNotTruncated: a damaged record that is not the last
// thing in the log is damage, not a torn tail, even when what follows it is
// itself torn: a crash tears only the record being written. It is reported
// with the log's name and the record's offset, and opening changes no file.
func TestLogDamageIsReportedNotTruncated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		records int
		damage  func(t *testing.T, log string, offs []int64) int64 // answers the damaged record's offset
	}{
		{"middle record", 5, func(t *testing.T, log string, offs []int64) int64 {
			flipBit(t, log, offs[2]+firstPageData+100)
			return offs[2]
		}},
		{"record before a torn tail", 3, func(t *testing.T, log string, offs []int64) int64 {
			if err := os.Truncate(log, offs[2]+firstPageData); err != nil {
				t.Fatal(err)
			}
			flipBit(t, log, offs[1]+firstPageData+100)
			return offs[1]
		}},
		{"middle record's length", 5, func(t *testing.T, log string, offs []int64) int64 {
			flipBit(t, log, offs[2]+26)
			return offs[2]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, offs := loggedHeap(t, tc.records)
			want := tc.damage(t, path+".log", offs)
			before := heapFileHashes(t, path)
			_, err := openT(t, path)
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.File != path+".log" || ce.Offset != want {
				t.Fatalf("got %v, want damage reported in %s at offset %d", err, path+".log", want)
			}
			if !sameHashes(before, heapFileHashes(t, path)) {
				t.Fatal("opening a heap with a damaged log changed its files")
			}
		})
	}
}

// TestLogGapChangesNothing: a log that skips a transaction (a record cut
// out) is reported before any record is replayed into the heap file.
func TestLogGapChangesNothing(t *testing.T) {
	path, offs := loggedHeap(t, 3)
	b, err := os.ReadFile(path + ".log")
	if err != nil {
		t.Fatal(err)
	}
	spliced := append(b[:offs[1]:offs[1]], b[offs[2]:]...)
	if err := os.WriteFile(path+".log", spliced, 0o644); err != nil {
		t.Fatal(err)
	}
	before := heapFileHashes(t, path)
	if _, err := openT(t, path); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "jumps") {
		t.Fatalf("got %v, want a gap in the log reported", err)
	}
	if !sameHashes(before, heapFileHashes(t, path)) {
		t.Fatal("a log with a gap was partly replayed")
	}
}

// TestTornTailFollowedByJunk: bytes after a torn last record that do not
// start a later record (zeros of a file extended but never written,
// garbage) are no record: the torn tail is discarded and every committed
// transaction before it is kept.
func TestTornTailFollowedByJunk(t *testing.T) {
	for _, junk := range []struct {
		name  string
		bytes []byte
	}{
		{"zeros", make([]byte, 8192)},
		{"garbage", bytes.Repeat([]byte("not a record "), 700)},
	} {
		t.Run(junk.name, func(t *testing.T) {
			path, offs := loggedHeap(t, 3)
			log := path + ".log"
			if err := os.Truncate(log, offs[2]+firstPageData); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(junk.bytes); err != nil {
				t.Fatal(err)
			}
			f.Close()
			tearLastCommit(t, path, 3)
			h, err := openT(t, path)
			if err != nil {
				t.Fatalf("a torn tail followed by %s: %v", junk.name, err)
			}
			defer h.Close()
			for k := 1; k <= 2; k++ {
				if got := len(listValues(h, h.Root(k-1))); got != 10*k {
					t.Errorf("transaction %d: root %d holds %d cells, want %d", k, k-1, got, 10*k)
				}
			}
			if h.Root(2) != Nil {
				t.Error("the torn transaction was applied")
			}
		})
	}
}
