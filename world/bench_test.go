package world

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// Benchmarks for worlds. Figures are ratios or rates measured in one run.

// bigWorld makes a world holding about gb GiB: 256 MiB byteVectors,
// committed one per evaluation, plus a counter.
func bigWorld(b *testing.B, gb int) string {
	w, dir := newWorld(b)
	eval(b, w, "lobby _AddSlots: (| big <- list copyRemoveAll. counter <- 0 |)")
	for i := 0; i < gb*4; i++ {
		eval(b, w, "big add: (byteVector copySize: 268435456). big size")
	}
	w.Close()
	return dir
}

func timeOpenEval(b *testing.B, dir string) time.Duration {
	t0 := time.Now()
	w, err := Open(dir, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	if got := eval(b, w, "3 + 4"); got != "7" {
		b.Fatal(got)
	}
	d := time.Since(t0)
	w.Close()
	return d
}

// BenchmarkOpenEval: open a world and evaluate 3 + 4, a fresh world against
// a 2 GiB one, alternately.
func BenchmarkOpenEval(b *testing.B) {
	ws, small := newWorld(b)
	ws.Close()
	large := bigWorld(b, 2)
	var ts, tl time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts += timeOpenEval(b, small)
		tl += timeOpenEval(b, large)
	}
	b.ReportMetric(float64(ts.Microseconds())/float64(b.N), "µs/fresh")
	b.ReportMetric(float64(tl.Microseconds())/float64(b.N), "µs/2GiB")
	b.ReportMetric(float64(tl)/float64(ts), "large/fresh")
}

// BenchmarkCheckpoint: creating (and deleting) a checkpoint in a fresh world
// and in a 2 GiB one.
func BenchmarkCheckpoint(b *testing.B) {
	ws, _ := newWorld(b)
	large := bigWorld(b, 2)
	wl, err := Open(large, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer wl.Close()
	var ts, tl time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprint("c", i)
		for _, x := range []struct {
			w *World
			t *time.Duration
		}{{ws, &ts}, {wl, &tl}} {
			t0 := time.Now()
			if err := x.w.Checkpoint(name); err != nil {
				b.Fatal(err)
			}
			*x.t += time.Since(t0)
			if err := x.w.DeleteCheckpoint(name); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(ts.Microseconds())/float64(b.N), "µs/fresh")
	b.ReportMetric(float64(tl.Microseconds())/float64(b.N), "µs/2GiB")
	b.ReportMetric(float64(tl)/float64(ts), "large/fresh")
}

// BenchmarkRollback: rollback time against the number of pages changed
// since the checkpoint (one byteVector page each).
func BenchmarkRollback(b *testing.B) {
	for _, pages := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint("pages=", pages), func(b *testing.B) {
			w, _ := newWorld(b)
			eval(b, w, fmt.Sprintf("lobby _AddSlots: (| bv <- byteVector copySize: %d |)", pages*4096))
			var total time.Duration
			for i := 0; i < b.N; i++ {
				if err := w.Checkpoint("c"); err != nil {
					b.Fatal(err)
				}
				eval(b, w, fmt.Sprintf("0 to: %d By: 4096 Do: [|:i| bv at: i Put: 7]. 0", pages*4096-1))
				t0 := time.Now()
				kept, err := w.Rollback("c", nil)
				if err != nil {
					b.Fatal(err)
				}
				total += time.Since(t0)
				if got := eval(b, w, "bv at: 0"); got != "0" {
					b.Fatalf("rollback did not restore: %s", got)
				}
				for _, n := range []string{kept, "c"} {
					if err := w.DeleteCheckpoint(n); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/rollback")
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/float64(pages), "µs/page")
		})
	}
}

// BenchmarkExportImport: export and import throughput for a world of about
// 1,000,000 small objects, and the image's size against the heap's.
func BenchmarkExportImport(b *testing.B) {
	w, _ := newWorld(b)
	eval(b, w, "lobby _AddSlots: (| data <- list copyRemoveAll |)")
	for i := 0; i < 10; i++ {
		eval(b, w, fmt.Sprintf("1 to: 100000 Do: [|:i| data add: (i * %d) printString]. data size", i+1))
	}
	heapBytes := w.h.Info().Frontier
	img := filepath.Join(b.TempDir(), "x.img")
	var te, ti time.Duration
	var st ExportStats
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		var err error
		if st, err = w.Export(img, nil); err != nil {
			b.Fatal(err)
		}
		te += time.Since(t0)
		t0 = time.Now()
		build, done, err := FromImageFile(img)
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(b.TempDir(), fmt.Sprint("i", i))
		w2, err := Create(dir, build, io.Discard)
		done()
		if err != nil {
			b.Fatal(err)
		}
		ti += time.Since(t0)
		w2.Close()
		os.RemoveAll(dir)
	}
	mb := float64(heapBytes) / (1 << 20)
	b.ReportMetric(mb/(te.Seconds()/float64(b.N)), "export-MB/s")
	b.ReportMetric(mb/(ti.Seconds()/float64(b.N)), "import-MB/s")
	b.ReportMetric(float64(st.FileBytes)/float64(heapBytes), "image/heap")
	b.ReportMetric(float64(heapBytes), "heap-bytes")
}

// rssAnon answers the process's anonymous resident memory (private page
// copies, the young space, Go's own heap), the memory the kernel cannot
// reclaim by dropping clean file pages.
func rssAnon(b *testing.B) uint64 {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	var kb uint64
	for _, line := range strings.Split(string(s), "\n") {
		if strings.HasPrefix(line, "RssAnon:") {
			fmt.Sscan(strings.TrimPrefix(line, "RssAnon:"), &kb)
		}
	}
	return kb << 10
}

// BenchmarkResident writes every page of a 2 GiB world, 16 MiB per
// transaction, and reports the peak anonymous resident memory against the
// bytes written: the private copies of written pages are given back after
// their commits, so the peak stays bounded.
func BenchmarkResident(b *testing.B) {
	dir := bigWorld(b, 2)
	w, err := Open(dir, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	var peak, written uint64
	debug.FreeOSMemory() // what building the world left behind is not this benchmark's
	base := rssAnon(b)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for v := 1; v <= 8; v++ { // the eight 256 MiB byteVectors
			for off := 0; off < 256<<20; off += 16 << 20 {
				eval(b, w, fmt.Sprintf("%d to: %d By: 4096 Do: [|:i| (big at: %d) at: i Put: %d]. 0", off, off+(16<<20)-1, v-1, n%250+1))
				written += 16 << 20
				peak = max(peak, rssAnon(b))
			}
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-anon-MiB")
	b.ReportMetric(float64(peak-base)/(1<<20), "growth-MiB")
	b.ReportMetric(float64(base)/(1<<20), "start-anon-MiB")
	b.ReportMetric(float64(written)/(1<<20)/float64(b.N), "written-MiB/op")
}
