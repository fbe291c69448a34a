package tests

// Collection at scale (issue 21): the shapes that once made the collector's
// memory or its lag grow without bound, each driven through the built
// binary with every command alone in a memory cgroup (e2e_scale_cgroup_test.go):
// one object holding a million references, a high rate of promotion with
// no gc, and a weakStore chain. make test runs a small size; PSYCHE_SOAK=1
// the issue's.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"psyche/heap"
)

// scaleGCSizes are the dimensions of the collection-at-scale tests.
type scaleGCSizes struct {
	// The wide object: a vector of wideRecords byteVectors of
	// wideRecordBytes each, built wideBatch records per evaluation under
	// buildLimit, then evaluated in, collected and checked under wideLimit.
	wideLimit, buildLimit uint64
	wideRecords           int
	wideRecordBytes       int
	wideBatch             int
	// The promotion rate: churnRounds REPL inputs, each replacing a
	// vector of churnObjects small byteVectors, under churnLimit.
	churnLimit   uint64
	churnRounds  int
	churnObjects int
	// The weakStore chain of chainEntries, built chainBatch entries per
	// evaluation and collected under chainLimit.
	chainLimit   uint64
	chainEntries int
	chainBatch   int
	timeout      time.Duration
}

var (
	scaleGCSmall = scaleGCSizes{
		wideLimit: 48 << 20, buildLimit: 128 << 20, wideRecords: 1_000_000, wideRecordBytes: 500, wideBatch: 100_000,
		churnLimit: 128 << 20, churnRounds: 24, churnObjects: 150_000,
		chainLimit: 96 << 20, chainEntries: 200_000, chainBatch: 100_000,
		timeout: 5 * time.Minute,
	}
	scaleGCSoak = scaleGCSizes{
		wideLimit: 256 << 20, buildLimit: 256 << 20, wideRecords: 8_000_000, wideRecordBytes: 340, wideBatch: 250_000,
		churnLimit: 256 << 20, churnRounds: 300, churnObjects: 150_000,
		chainLimit: 256 << 20, chainEntries: 2_000_000, chainBatch: 250_000,
		timeout: 40 * time.Minute,
	}
)

// scaleGCFileFactor bounds the heap file after sustained promotion: at most
// this many times the live data (as a whole collection finds it), plus four times the garbage a cycle waits
// for (heap.DefaultGCMinGarbage): the runway promoted before a cycle
// starts, the one it may take to finish, and the free space between.
const scaleGCFileFactor = 3

func scaleGCSizesFor() scaleGCSizes {
	if os.Getenv("PSYCHE_SOAK") != "" {
		return scaleGCSoak
	}
	return scaleGCSmall
}

// newScaleGCEnv is a scale environment whose commands run under limit.
func newScaleGCEnv(t *testing.T, limit uint64, timeout time.Duration) *scaleEnv {
	t.Helper()
	s := &scaleEnv{e2eEnv: newE2E(t), cg: newScaleCgroups(t, limit), sizes: scaleSizes{limit: limit, timeout: timeout}}
	t.Cleanup(func() {
		t.Logf("commands (each alone in a memory cgroup):\n%s", strings.Join(s.runs, "\n"))
	})
	return s
}

// withLimit runs f with s's commands under limit, then restores s's own.
func (s *scaleEnv) withLimit(limit uint64, f func()) {
	s.t.Helper()
	saved, savedLimit := s.cg, s.sizes.limit
	s.cg, s.sizes.limit = newScaleCgroups(s.t, limit), limit
	defer func() { s.cg, s.sizes.limit = saved, savedLimit }()
	f()
}

// heapFileSize answers the size of world w's heap file.
func heapFileSize(t *testing.T, w string) uint64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(w, "heap"))
	if err != nil {
		t.Fatal(err)
	}
	return uint64(fi.Size())
}

// TestE2EScaleWideObject: with a collection due on a world that is one
// vector of a million records (eight million in soak), an evaluation, a
// whole collection and a check each run inside a limit ten times smaller
// than the world: a slice marks the vector a chunk at a time and the mark
// stack spills, so neither grows with the vector's references.
func TestE2EScaleWideObject(t *testing.T) {
	z := scaleGCSizesFor()
	s := newScaleGCEnv(t, z.wideLimit, z.timeout)
	w := s.path("w")
	s.ok("new", "new", w)
	s.withLimit(z.buildLimit, func() {
		s.expect("slots", w, fmt.Sprintf("lobby _AddSlots: (| v <- nil |). v: vector copySize: %d. v size", z.wideRecords), strconv.Itoa(z.wideRecords))
		for at := 0; at < z.wideRecords; at += z.wideBatch {
			last := min(at+z.wideBatch, z.wideRecords) - 1
			step := fmt.Sprintf("records %d to %d", at, last)
			s.expect(step, w, fmt.Sprintf("%d to: %d Do: [|:i. r| r: byteVector copySize: %d. r at: 0 Put: i %% 256. v at: i Put: r]. 0",
				at, last, z.wideRecordBytes), "0")
		}
	})
	size := heapFileSize(t, w)
	if size < 10*z.wideLimit {
		t.Fatalf("the world is %d MiB, less than ten times the %d MiB limit: the test did not build what it should", size>>20, z.wideLimit>>20)
	}
	t.Logf("a %d MiB world (%.1f times the limit), one vector of %d records", size>>20, float64(size)/float64(z.wideLimit), z.wideRecords)
	spot := func(step string) {
		s.t.Helper()
		last := z.wideRecords - 1
		s.expect(step, w, fmt.Sprintf("(v at: 0) size printString, ' ', ((v at: %d) at: 0) printString, ' ', ((v at: %d) at: 0) printString",
			last, last/3), fmt.Sprintf("'%d %d %d'", z.wideRecordBytes, last%256, (last/3)%256))
	}
	for i := 1; i <= 3; i++ {
		s.expect(fmt.Sprintf("evaluation %d with a collection due", i), w, "3", "3")
	}
	spot("records after slices")
	s.check("slices", w)
	r := s.ok("gc", "gc", "-w", w)
	t.Logf("gc: %s", r.out())
	spot("records after gc")
	s.check("gc", w)
}

// TestE2EScaleAllocationRate: a REPL whose every input leaves 150,000 dead
// objects, never calling gc, inside a limit: the automatic collection keeps
// up, paced by what is promoted, so the file stays within a small factor
// of the live data, and the REPL is not killed.
func TestE2EScaleAllocationRate(t *testing.T) {
	z := scaleGCSizesFor()
	s := newScaleGCEnv(t, z.churnLimit, z.timeout)
	w := s.path("w")
	s.ok("new", "new", w)
	s.expect("slots", w, "lobby _AddSlots: (| junk <- nil |). 0", "0")
	var in, want strings.Builder
	for i := 0; i < z.churnRounds; i++ {
		fmt.Fprintf(&in, "junk: vector copySize: %d. 0 to: %d Do: [|:i| junk at: i Put: (byteVector copySize: 8)]. %d\n", z.churnObjects, z.churnObjects-1, i)
		fmt.Fprintf(&want, "%d\n", i)
	}
	step := fmt.Sprintf("a REPL of %d inputs promoting %d objects each", z.churnRounds, z.churnObjects)
	p, err := s.cg.startInput(s.e2eEnv, z.timeout, in.String(), "repl", "-w", w)
	if err != nil {
		t.Fatalf("starting the REPL in a memory cgroup: %v", err)
	}
	r := s.finish(step, p)
	s.mustSucceed(step, r)
	if got := r.stdout; !strings.Contains(got, want.String()) {
		t.Fatalf("the REPL printed\n%s\nwant every input's answer in turn:\n%s", e2eIndent(got), e2eIndent(want.String()))
	}
	// The file the automatic collection left, against the live data a whole
	// collection finds (the last cycle's count includes what was promoted
	// while it marked).
	file := heapFileSize(t, w)
	st := gcRun(t, s.e2eEnv, w)
	gcNeed(t, st, "psyche gc", "live bytes")
	live := uint64(st["live bytes"])
	bound := scaleGCFileFactor*live + 4*heap.DefaultGCMinGarbage
	promoted := uint64(z.churnRounds * z.churnObjects * 32)
	t.Logf("%d inputs promoted about %d MiB: heap file %d MiB, live %d MiB (%.1f times), bound %d MiB",
		z.churnRounds, promoted>>20, file>>20, live>>20, float64(file)/float64(max(live, 1)), bound>>20)
	if file > bound {
		t.Fatalf("the heap file is %d MiB with %d MiB live (bound %d MiB): the collection did not keep up", file>>20, live>>20, bound>>20)
	}
	s.expect("the last input's objects", w, "junk size", strconv.Itoa(z.churnObjects))
	s.check("the inputs", w)
}

// TestE2EScaleWeakStoreChain builds a weakStore whose values are the next
// entries' keys, collects it inside the limit (the entries live from the
// head), drops the head, collects again (all go) and checks.
func TestE2EScaleWeakStoreChain(t *testing.T) {
	z := scaleGCSizesFor()
	s := newScaleGCEnv(t, z.chainLimit, z.timeout)
	w := s.path("w")
	s.ok("new", "new", w)
	n := strconv.Itoa(z.chainEntries)
	s.expect("slots", w, "lobby _AddSlots: (| ws <- nil. head <- nil. tail <- nil |). ws: weakStore copyRemoveAll. "+
		"head: byteVector copySize: 1. tail: head. 0", "0")
	for at := 0; at < z.chainEntries; at += z.chainBatch {
		count := min(z.chainBatch, z.chainEntries-at)
		s.expect(fmt.Sprintf("chain entries %d to %d", at, at+count-1), w,
			fmt.Sprintf("1 to: %d Do: [|:i. k| k: byteVector copySize: 1. ws init: tail With: k. tail: k]. ws size", count), strconv.Itoa(at+count))
	}
	s.expect("drop the tail", w, "tail: nil. 0", "0")
	r := s.ok("gc of the live chain", "gc", "-w", w)
	t.Logf("gc: %s", r.out())
	s.expect("the chain after gc", w, "ws size", n)
	s.check("gc of the live chain", w)
	s.expect("drop the head", w, "head: nil. 0", "0")
	r = s.ok("gc of the dead chain", "gc", "-w", w)
	t.Logf("gc: %s", r.out())
	s.expect("the chain after dropping its head", w, "ws size", "0")
	s.check("gc of the dead chain", w)
}
