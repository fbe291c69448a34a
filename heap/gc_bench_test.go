package heap

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// Benchmarks for collection. Each compares sizes measured side by side in
// the same run: the figure that matters is the ratio, which should stay near
// 1 (time linear in what is collected).

// buildTrees commits a heap of about liveBytes bytes of live objects: a
// table of trees of 16-field nodes, so that marking follows references.
func buildTrees(tb testing.TB, h *Heap, liveBytes int) {
	const fanout = 16
	node := uint64(objectSize(fanout, 0))
	nodes := liveBytes / int(node)
	perTx := 1 << 14
	table := h.Alloc(nodes/perTx+1, 0, 1, Nil)
	h.SetRoot(0, table)
	mustCommit(tb, h)
	for t := 0; t*perTx < nodes; t++ {
		level := []Oop{}
		for i := 0; i < perTx; i++ {
			n := h.Alloc(fanout, 0, 3, Nil)
			if len(level) > 0 {
				parent := level[(i-1)/fanout]
				h.SetField(parent, (i-1)%fanout, n)
			}
			level = append(level, n)
		}
		h.SetField(h.Root(0), t, level[0])
		mustCommit(tb, h)
	}
}

// BenchmarkGCPerLiveByte collects a small and a large heap in turn and
// reports the nanoseconds per live byte of each, and their ratio.
func BenchmarkGCPerLiveByte(b *testing.B) {
	small, large := 4<<20, 32<<20
	if os.Getenv("PSYCHE_SOAK") != "" {
		small, large = 32<<20, 1<<30
	}
	hs, _ := newHeap(b)
	hl, _ := newHeap(b)
	buildTrees(b, hs, small)
	buildTrees(b, hl, large)
	var ts, tl time.Duration
	var live [2]uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, h := range []*Heap{hs, hl} {
			start := time.Now()
			st, err := h.Collect()
			if err != nil {
				b.Fatal(err)
			}
			live[k] = st.LiveBytes
			if k == 0 {
				ts += time.Since(start)
			} else {
				tl += time.Since(start)
			}
		}
	}
	nsS := float64(ts.Nanoseconds()) / float64(b.N) / float64(live[0])
	nsL := float64(tl.Nanoseconds()) / float64(b.N) / float64(live[1])
	b.ReportMetric(nsS, fmt.Sprintf("ns/live-byte(%dMB)", small>>20))
	b.ReportMetric(nsL, fmt.Sprintf("ns/live-byte(%dMB)", large>>20))
	b.ReportMetric(nsL/nsS, "large/small")
}

// BenchmarkEphemeronChain collects a live chain of ephemeron pairs (each
// value the next pair's key, laid out last link first) of 10^4 and 10^5
// pairs (and 10^6 in soak), reporting nanoseconds per pair.
func BenchmarkEphemeronChain(b *testing.B) {
	sizes := []int{1e4, 1e5}
	if os.Getenv("PSYCHE_SOAK") != "" {
		sizes = append(sizes, 1e6)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("pairs=%d", n), func(b *testing.B) {
			h, _ := newHeap(b)
			ephemeronChain(b, h, n, true)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := h.Collect(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/pair")
		})
	}
}
