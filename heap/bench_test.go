package heap

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Benchmarks for the heap's promises. Each reports its figure as a ratio
// against a baseline measured in the same run, since the machines are shared
// and absolute times drift.

// BenchmarkCommit times a transaction that dirties n pages against a bare
// write+fsync of the same number of bytes to a file in the same directory,
// alternating the two so that both see the same machine.
func BenchmarkCommit(b *testing.B) {
	for _, pages := range []int{1, 100} {
		b.Run(map[int]string{1: "pages=1", 100: "pages=100"}[pages], func(b *testing.B) {
			h, _ := newHeap(b)
			// One object per page: a 4000-byte object never shares a page with the next.
			table := h.Alloc(pages, 0, 1, Nil)
			for i := 0; i < pages; i++ {
				h.SetField(table, i, h.Alloc(0, PageSize-headerSize-8, 2, Nil))
			}
			h.SetRoot(0, table)
			mustCommit(b, h)
			objs := make([]Oop, pages)
			for i := range objs {
				objs[i] = h.Field(h.Root(0), i)
			}
			bare, err := os.Create(filepath.Join(filepath.Dir(h.Path()), "bare"))
			if err != nil {
				b.Fatal(err)
			}
			defer bare.Close()
			buf := make([]byte, recordSize(pages))
			var tCommit, tBare time.Duration
			var off int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				for _, o := range objs {
					h.SetByteAt(o, i%100, byte(i))
				}
				if err := h.Commit(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := bare.WriteAt(buf, off); err != nil {
					b.Fatal(err)
				}
				if err := bare.Sync(); err != nil {
					b.Fatal(err)
				}
				off += int64(len(buf))
				if off > 64<<20 {
					off = 0
				}
				tCommit += t1.Sub(t0)
				tBare += time.Since(t1)
			}
			b.ReportMetric(float64(tCommit.Nanoseconds())/float64(b.N), "ns/commit")
			b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "ns/bare-fsync")
			b.ReportMetric(float64(tCommit)/float64(tBare), "commit/bare")
		})
	}
}

// buildHeap makes a heap holding about size bytes of live objects: 64 MiB
// byte objects, plus a list of small objects, committed in pieces.
func buildHeap(b *testing.B, size uint64) string {
	path := filepath.Join(b.TempDir(), "heap")
	opts := testOptions()
	opts.Reserve = 64 << 30
	h, err := Create(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	chunk := int(min(64<<20, size/4))
	h.SetRoot(0, list(h, 10000))
	mustCommit(b, h)
	for done := 0; uint64(done+chunk) <= size; done += chunk {
		o := h.Alloc(1, chunk, 2, h.Root(1))
		h.SetRoot(1, o)
		mustCommit(b, h)
	}
	if err := h.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkOpen opens a 4 MB heap and a 2 GB heap alternately and reads one
// object from each; the ratio should be close to 1.
func BenchmarkOpen(b *testing.B) {
	small := buildHeap(b, 4<<20)
	large := buildHeap(b, 2<<30)
	fi, _ := os.Stat(large)
	b.Logf("heaps: %d bytes and %d bytes", mustSize(b, small), fi.Size())
	var tSmall, tLarge time.Duration
	open := func(path string) time.Duration {
		t0 := time.Now()
		h, err := Open(path, Options{Reserve: 64 << 30})
		if err != nil {
			b.Fatal(err)
		}
		h.Field(h.Root(0), 0)
		d := time.Since(t0)
		h.Close()
		return d
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tSmall += open(small)
		tLarge += open(large)
	}
	b.ReportMetric(float64(tSmall.Nanoseconds())/float64(b.N), "ns/open-4MB")
	b.ReportMetric(float64(tLarge.Nanoseconds())/float64(b.N), "ns/open-2GB")
	b.ReportMetric(float64(tLarge)/float64(tSmall), "large/small")
}

func mustSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkTemporaries runs transactions that allocate 100 MB of temporaries
// (scavenging at safe points, as the interpreter does) and keep 1 KB, and
// reports the bytes each commit writes to disk (log and heap file).
func BenchmarkTemporaries(b *testing.B) {
	h, _ := newHeap(b)
	var held Oop
	h.SetRootScanner(func(visit func(*Oop)) { visit(&held) })
	h.SetRoot(0, h.Alloc(1, 0, 1, Nil))
	mustCommit(b, h)
	var written uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := h.Stats.LogBytes + h.Stats.HeapBytes
		held = h.Alloc(0, 1024-headerSize, 2, Nil) // the kilobyte that is kept
		for allocated := 0; allocated < 100<<20; allocated += 1000 * objectSizeInt(2, 48) {
			for j := 0; j < 1000; j++ {
				h.Alloc(2, 48, 3, Nil)
			}
			if h.ScavengeWanted() {
				h.Scavenge()
			}
		}
		h.SetField(h.Root(0), 0, held)
		held = Nil
		mustCommit(b, h)
		written += h.Stats.LogBytes + h.Stats.HeapBytes - before
	}
	b.ReportMetric(float64(written)/float64(b.N), "bytes-written/commit")
	b.ReportMetric(float64(written)/float64(b.N)/1024, "written/kept")
	b.ReportMetric(100<<20, "bytes-allocated/commit")
}

func objectSizeInt(nptrs, nbytes int) int { return int(objectSize(uint64(nptrs), uint64(nbytes))) }

// BenchmarkAlloc measures small-object allocation (3 fields), with the
// scavenges it causes.
func BenchmarkAlloc(b *testing.B) {
	h, _ := newHeap(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Alloc(3, 0, 1, Nil)
		if i&1023 == 0 && h.ScavengeWanted() {
			h.Scavenge()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkField reads the fields of a chain of small objects, as the
// interpreter reads activations (young) and methods and maps (old, on
// verified pages): the per-field cost of fieldAddr's checks. Its baseline is
// the same walk over the same chain as Go structs (checks-ratio).
func BenchmarkField(b *testing.B) {
	for _, tc := range []struct {
		name string
		old  bool
	}{{"young", false}, {"old", true}} {
		b.Run(tc.name, func(b *testing.B) {
			h, _ := newHeap(b)
			const n = 1000
			type node struct {
				next *node
				val  int64
			}
			first, goFirst := Nil, (*node)(nil)
			for j := 0; j < n; j++ {
				o := h.Alloc(4, 0, 1, FromInt(int64(j)))
				h.SetField(o, 0, first)
				first, goFirst = o, &node{next: goFirst, val: int64(j)}
			}
			if tc.old {
				h.SetRoot(0, first)
				mustCommit(b, h)
				first = h.Root(0)
			}
			want := int64(b.N) * (n - 1) * n / 2
			start := time.Now()
			sum := int64(0)
			for i := 0; i < b.N; i++ {
				for o := goFirst; o != nil; o = o.next {
					sum += o.val
				}
			}
			base := time.Since(start)
			if sum != want {
				b.Fatalf("Go sum %d, want %d", sum, want)
			}
			b.ResetTimer()
			sum = 0
			for i := 0; i < b.N; i++ {
				for o := first; o != Nil; o = h.Field(o, 0) {
					sum += h.Field(o, 3).Int()
				}
			}
			b.StopTimer()
			if sum != want {
				b.Fatalf("sum %d, want %d", sum, want)
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/(2*n), "ns/field")
			b.ReportMetric(float64(b.Elapsed())/float64(base), "checks-ratio")
		})
	}
}
