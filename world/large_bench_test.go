package world

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Benchmarks of large objects, each a ratio measured side by side. Sizes
// are tens of MB, GB under PSYCHE_SOAK.

func largeBenchSize() int64 {
	if os.Getenv("PSYCHE_SOAK") != "" {
		return 1 << 30
	}
	return 64 << 20
}

// largeBenchFile writes n random bytes to a file in dir.
func largeBenchFile(b *testing.B, dir string, n int64) string {
	p := filepath.Join(dir, "in.bin")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for done := int64(0); done < n; done += int64(len(buf)) {
		rand.Read(buf)
		if _, err := f.Write(buf[:min(int64(len(buf)), n-done)]); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// dropCache drops a file's pages from the page cache.
func dropCache(b *testing.B, p string) {
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Skipf("cannot drop the page cache: %v", err)
	}
}

// copySync copies src to dst and fsyncs it, as cp followed by sync.
func copySync(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Sync(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLargeImport: importing a file into a world ((file named: p)
// contents, committed) against copying it and fsyncing the copy.
func BenchmarkLargeImport(b *testing.B) {
	w, dir := newWorld(b)
	src := largeBenchFile(b, filepath.Dir(dir), largeBenchSize())
	eval(b, w, "lobby _AddSlots: (| blob <- nil |)")
	var tc, ti time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		copySync(b, src, filepath.Join(filepath.Dir(dir), "copy.bin"))
		tc += time.Since(t0)
		t0 = time.Now()
		eval(b, w, fmt.Sprintf("blob: (file named: '%s') contents. 0", src))
		ti += time.Since(t0)
	}
	b.ReportMetric(float64(ti)/float64(tc), "import/cp+sync")
}

// BenchmarkLargeReadByte: reading one byte of a large byteVector against
// one byte of a 1 MB one, each from a cold cache, in a world opened afresh.
func BenchmarkLargeReadByte(b *testing.B) {
	w, dir := newWorld(b)
	n := largeBenchSize()
	eval(b, w, fmt.Sprintf("lobby _AddSlots: (| big <- nil. small <- nil |). big: (byteVector copySize: %d). "+
		"small: (byteVector copySize: 1048576). big at: %d Put: 1. small at: 524288 Put: 1. 0", n, n/2))
	w.Close()
	read := func(expr string) time.Duration {
		dropCache(b, HeapPath(dir))
		dropCache(b, HeapPath(dir)+".sums")
		w, err := Open(dir, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		t0 := time.Now()
		if got := eval(b, w, expr); got != "1" {
			b.Fatalf("%s: %s", expr, got)
		}
		return time.Since(t0)
	}
	var tb, ts time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb += read(fmt.Sprintf("big at: %d", n/2))
		ts += read("small at: 524288")
	}
	b.ReportMetric(float64(tb)/float64(ts), "large/1MB")
}

// BenchmarkConcatenationLoop: a string grown by 1000 bytes 2000 times with
// ',' in one evaluation (a 2 MB result, 2 GB of strings made), against
// making the 2 MB string at once; also how much the heap file grew per
// evaluation against the result's size (wanted: a few).
func BenchmarkConcatenationLoop(b *testing.B) {
	w, dir := newWorld(b)
	eval(b, w, "lobby _AddSlots: (| s <- '' |)")
	const pieces, piece = 2000, 1000
	size := func() int64 {
		fi, err := os.Stat(HeapPath(dir))
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	var tl, to time.Duration
	var grew int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := size()
		t0 := time.Now()
		eval(b, w, fmt.Sprintf("s: ''. 1 to: %d Do: [|:i| s: s , ('' copySize: %d FillingWith: 'y')]. 0", pieces, piece))
		tl += time.Since(t0)
		grew += size() - before
		t0 = time.Now()
		eval(b, w, fmt.Sprintf("s: ('' copySize: %d FillingWith: 'y'). 0", pieces*piece))
		to += time.Since(t0)
	}
	b.ReportMetric(float64(tl)/float64(to), "loop/once")
	b.ReportMetric(float64(grew)/float64(b.N)/float64(pieces*piece), "file-growth/result")
}
