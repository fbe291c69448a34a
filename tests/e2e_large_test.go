package tests

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Large objects through the binary: a byte of a big byteVector is read
// without reading the rest, a file is imported in bounded memory, a huge
// allocation is made sparse or refused cleanly, and space freed by a
// collection is used again.

// largeSize is the size of the big objects: tens of MB in make test, GB
// under PSYCHE_SOAK.
func largeSize() int64 {
	if os.Getenv("PSYCHE_SOAK") != "" {
		return 1536 << 20
	}
	return 48 << 20
}

// largeRandomFile writes a file of n random bytes and answers its path.
func (e *e2eEnv) largeRandomFile(name string, n int64) string {
	e.t.Helper()
	p := e.path(name)
	f, err := os.Create(p)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for done := int64(0); done < n; done += int64(len(buf)) {
		rand.Read(buf)
		if _, err := f.Write(buf[:min(int64(len(buf)), n-done)]); err != nil {
			e.t.Fatal(err)
		}
	}
	return p
}

// largeDropCache drops the page cache's copy of a file, so that the next
// reads of it come from the disk.
func (e *e2eEnv) largeDropCache(p string) {
	e.t.Helper()
	f, err := os.Open(p)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		e.t.Skipf("cannot drop the page cache here: %v", err)
	}
}

// largeRead runs an evaluation and answers its output and the bytes the
// process read from the disk.
func (e *e2eEnv) largeRead(w, expr string) (string, int64) {
	e.t.Helper()
	cmd := e.command("eval", "-w", w, expr)
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("eval %s: %v\n%s", expr, err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		e.t.Skip("no resource usage here")
	}
	return strings.TrimSuffix(string(out), "\n"), ru.Inblock * 512
}

// largeHash answers the SHA-256 of a file, read in pieces.
func (e *e2eEnv) largeHash(p string) [32]byte {
	e.t.Helper()
	f, err := os.Open(p)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	d := sha256.New()
	if _, err := io.Copy(d, f); err != nil {
		e.t.Fatal(err)
	}
	return [32]byte(d.Sum(nil))
}

func (e *e2eEnv) largeFileSize(p string) int64 {
	e.t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return fi.Size()
}

// largeReadBound is the most a one-byte read may read from the disk: the
// world's first pages, and a page or two of the object, whatever its size.
const largeReadBound = 4 << 20

// TestE2ELargeReadOneByte: after a later evaluation changed a slot, reading
// one byte, or the size, of a big byteVector reads about a page from the
// disk, not the object.
func TestE2ELargeReadOneByte(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	n := largeSize()
	src := e.largeRandomFile("in.bin", n)
	e.expectEval(w, fmt.Sprintf("lobby _AddSlots: (| blob <- nil. other <- 0 |). blob: (file named: '%s') contents. blob size", src), fmt.Sprint(n))
	e.expectEval(w, "other: 1. other", "1")
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	_, err = f.ReadAt(b[:], n/2+3)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ expr, want string }{
		{"blob size", fmt.Sprint(n)},
		{fmt.Sprintf("blob at: %d", n/2+3), fmt.Sprint(b[0])},
	} {
		e.largeDropCache(filepath.Join(w, "heap"))
		got, read := e.largeRead(w, c.expr)
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.expr, got, c.want)
		}
		if read > largeReadBound {
			t.Errorf("%s read %d bytes from the disk for an object of %d", c.expr, read, n)
		}
	}
}

// TestE2ELargeImport: a file is imported in memory that does not grow with
// its size, and its bytes come back out the same.
func TestE2ELargeImport(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	n := largeSize()
	src := e.largeRandomFile("in.bin", n)
	r, rss := e.limitsRunMeasured("eval", "-w", w,
		fmt.Sprintf("lobby _AddSlots: (| blob <- nil |). blob: (file named: '%s') contents. blob size", src))
	if r.code != 0 || r.out() != fmt.Sprint(n) {
		t.Fatalf("import:\n%s", r)
	}
	if rss > 24<<20+n/2 {
		t.Errorf("importing %d bytes took %d MB of memory", n, rss>>20)
	}
	heapSize := e.largeFileSize(filepath.Join(w, "heap"))
	if heapSize > n+n/8+(8<<20) {
		t.Errorf("a heap of %d bytes for an import of %d", heapSize, n)
	}
	out := e.path("out.bin")
	e.ok("eval", "-w", w, fmt.Sprintf("(file named: '%s') write: blob. 0", out))
	if e.largeHash(src) != e.largeHash(out) {
		t.Error("the file written back differs from the file imported")
	}
	e.checkWorld(w)
}

// TestE2ELargeHugeAllocation: a byteVector of 3 GB is made (sparse, in
// little memory) and read; one larger than the heap can hold is a clean
// outOfMemoryError naming nothing it should not; an evaluation that made a
// big one and then failed leaves the heap file exactly as it was.
func TestE2ELargeHugeAllocation(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w, heap := e.limitsWorld()
	e.fails("primitive _ByteVectorCopySize: failed: outOfMemoryError", "eval", "-w", w, "x: 2. byteVector copySize: 1000000000000000")
	e.limitsIntact(w, heap, "a 1 PB byteVector")
	e.fails("noSuchMessage", "eval", "-w", w, "x: 2. (byteVector copySize: 3000000000) size. 3 noSuchMessage")
	// Free space of the committed heap may have been zeroed; what the
	// world holds, and the file's size, are as before.
	if got := e.largeFileSize(filepath.Join(w, "heap")); got != int64(len(heap)) {
		t.Errorf("a failed evaluation that made a 3 GB byteVector left a heap file of %d bytes, was %d", got, len(heap))
	}
	e.expectEval(w, "x", "1")
	e.checkWorld(w)
	r, rss := e.limitsRunMeasured("eval", "-w", w, "lobby _AddSlots: (| big <- nil |). big: (byteVector copySize: 3000000000). big at: 2999999999 Put: 7. (big at: 2999999999) + (big at: 1500000000)")
	if r.code != 0 || r.out() != "7" {
		t.Fatalf("a 3 GB byteVector:\n%s", r)
	}
	if rss > 256<<20 {
		t.Errorf("a 3 GB byteVector took %d MB of memory", rss>>20)
	}
	e.expectEval(w, "big size", "3000000000")
	e.checkWorld(w)
}

// TestE2ELargeSpaceReused: storing a big byteVector, dropping it and
// collecting, four times over, keeps the heap file near the live size plus
// one object.
func TestE2ELargeSpaceReused(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	n := largeSize() / 2
	e.expectEval(w, "lobby _AddSlots: (| blob <- nil |)", "lobby")
	base := e.largeFileSize(filepath.Join(w, "heap"))
	var sizes []int64
	for round := 0; round < 4; round++ {
		e.expectEval(w, fmt.Sprintf("blob: (byteVector copySize: %d). blob at: 5 Put: %d. blob at: 5", n, round+1), fmt.Sprint(round+1))
		e.expectEval(w, "blob: nil. 0", "0")
		e.ok("gc", "-w", w)
		sizes = append(sizes, e.largeFileSize(filepath.Join(w, "heap")))
	}
	if last := sizes[len(sizes)-1]; last > base+n+n/4+(4<<20) {
		t.Errorf("heap file sizes %v after rounds of %d bytes (it started at %d): freed space is not used again", sizes, n, base)
	}
	e.checkWorld(w)
}
