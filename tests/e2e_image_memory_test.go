package tests

// Images larger than memory, through the binary: psyche new --image and
// psyche export run in a memory cgroup many times smaller than what the
// image holds (import) or than the object numbering took in a Go map
// (export), and the world they make or read is whole afterwards.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// imageMemorySizes are one test's sizes: small in make test, full under
// PSYCHE_SOAK.
type imageMemorySizes struct {
	limit      uint64 // the cgroup's memory limit, bytes
	largeBytes int    // the size of each of the two large byteVectors
	small      int    // small objects, in vectors of smallPerVector
	timeout    time.Duration
}

// smallPerVector is how many small objects one evaluation makes: a
// transaction each, so that building the source world is quick.
const smallPerVector = 1_000_000

func imageImportSizes() imageMemorySizes {
	if os.Getenv("PSYCHE_SOAK") != "" {
		return imageMemorySizes{limit: 256 << 20, largeBytes: 1536 << 20, small: 4 * smallPerVector, timeout: 10 * time.Minute}
	}
	return imageMemorySizes{limit: 96 << 20, largeBytes: 480 << 20, small: smallPerVector / 2, timeout: 2 * time.Minute}
}

// Export numbered objects in a Go map before: 346 MiB of memory for
// 4,006,465 objects, about 90 bytes each. These sizes put that at more
// than 10 times the cgroup's limit.
func imageExportSizes() imageMemorySizes {
	if os.Getenv("PSYCHE_SOAK") != "" {
		return imageMemorySizes{limit: 96 << 20, small: 16 * smallPerVector, timeout: 10 * time.Minute}
	}
	return imageMemorySizes{limit: 48 << 20, small: 6 * smallPerVector, timeout: 2 * time.Minute}
}

// tightDirtyBudget lowers the dirty pages a transaction keeps in memory
// from the default 32 MiB (world.DirtyBudgetEnv), as a world run under a
// tight memory limit is told to: with the young space's two 16 MiB
// semispaces, the default leaves little of a small cgroup to the rest.
var tightDirtyBudget = map[string]string{"PSYCHE_DIRTY_BUDGET": "8"}

// imageMemoryWorld makes a world holding two byteVectors of largeBytes
// bytes (b1, b2; a few bytes set) and small strings: v holds vectors of
// smallPerVector strings, string i of each its number printed.
func (e *e2eEnv) imageMemoryWorld(name string, sz imageMemorySizes) string {
	e.t.Helper()
	w := e.newWorld(name)
	e.expectEval(w, "lobby _AddSlots: (| b1. b2. v |)", "lobby")
	if sz.largeBytes > 0 {
		last := sz.largeBytes - 1
		e.expectEval(w, fmt.Sprintf("b1: (byteVector copySize: %d). b1 at: 0 Put: 11. b1 at: %d Put: 22. b2: (byteVector copySize: %d). b2 at: 99 Put: 33. b2 size", sz.largeBytes, last, sz.largeBytes),
			fmt.Sprint(sz.largeBytes))
	}
	vectors := (sz.small + smallPerVector - 1) / smallPerVector
	e.expectEval(w, fmt.Sprintf("v: (vector copySize: %d). v size", vectors), fmt.Sprint(vectors))
	for j := 0; j < vectors; j++ {
		n := min(smallPerVector, sz.small-j*smallPerVector)
		e.expectEval(w, fmt.Sprintf("v at: %d Put: (vector copySize: %d). 0 to: %d Do: [|:i| (v at: %d) at: i Put: i printString]. (v at: %d) size", j, n, n-1, j, j),
			fmt.Sprint(n))
	}
	return w
}

// imageMemoryIntact checks what imageMemoryWorld made, in w.
func (e *e2eEnv) imageMemoryIntact(w string, sz imageMemorySizes) {
	e.t.Helper()
	if sz.largeBytes > 0 {
		e.expectEval(w, fmt.Sprintf("(b1 at: 0) printString, ' ', (b1 at: %d) printString, ' ', (b2 at: 99) printString, ' ', (b2 at: 100) printString, ' ', b1 size printString",
			sz.largeBytes-1), fmt.Sprintf("'11 22 33 0 %d'", sz.largeBytes))
	}
	lastVector := (sz.small - 1) / smallPerVector
	lastIndex := (sz.small - 1) % smallPerVector
	e.expectEval(w, fmt.Sprintf("((v at: 0) at: 12345), ' ', ((v at: %d) at: %d)", lastVector, lastIndex),
		fmt.Sprintf("'12345 %d'", lastIndex))
	e.checkWorld(w)
}

// runOK runs psyche with args in a fresh memory cgroup and fails the
// test unless it succeeds.
func (cg *scaleCgroups) runOK(e *e2eEnv, timeout time.Duration, args ...string) scaleRun {
	e.t.Helper()
	s, err := cg.start(e, timeout, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := s.wait()
	if err != nil {
		e.t.Fatal(err)
	}
	if r.code != 0 || r.err != nil {
		e.t.Fatalf("psyche %s: %s\n%s", strings.Join(args, " "), r.describe(cg.limit), r.e2eResult)
	}
	return r
}

// TestE2EImageImportBeyondMemory: an image of two 480 MiB byteVectors and
// 500,000 strings (more than 10 times the limit) is imported by psyche new
// --image in a 96 MiB memory cgroup (two 1.5 GiB byteVectors and 4 million
// strings in 256 MiB in soak), and the world has them all and checks clean.
func TestE2EImageImportBeyondMemory(t *testing.T) {
	t.Parallel()
	sz := imageImportSizes()
	e := newE2E(t).withEnv(tightDirtyBudget)
	cg := newScaleCgroups(t, sz.limit)
	src := e.imageMemoryWorld("src", sz)
	img := e.path("big.img")
	e.ok("export", "-w", src, img)
	objects := uint64(2*sz.largeBytes + sz.small*24)
	if objects < 10*sz.limit {
		t.Fatalf("the image holds about %d MiB, less than 10 times the limit of %d MiB", objects>>20, sz.limit>>20)
	}
	dst := e.path("dst")
	r := cg.runOK(e, sz.timeout, "new", dst, "--image", img)
	t.Logf("import of about %d MiB of objects: %s", objects>>20, r.describe(sz.limit))
	e.imageMemoryIntact(dst, sz)
}

// TestE2EImageExportManySmallObjects: a world of 6 million small objects
// (16 million in soak) is exported in a 48 MiB memory cgroup (96 MiB in
// soak), more than 10 times less than the Go map export numbered them in
// took; the image imports into a world that has them all and checks clean.
// (The import is not confined: the six vectors of a million references
// that hold the strings stay in memory until the import commits, a known
// limit in docs/world.md.)
func TestE2EImageExportManySmallObjects(t *testing.T) {
	t.Parallel()
	sz := imageExportSizes()
	e := newE2E(t).withEnv(tightDirtyBudget)
	cg := newScaleCgroups(t, sz.limit)
	src := e.imageMemoryWorld("src", sz)
	img := e.path("many.img")
	r := cg.runOK(e, sz.timeout, "export", "-w", src, img)
	t.Logf("export of %d small objects: %s", sz.small, r.describe(sz.limit))
	var wrote int
	if f := strings.Fields(r.stdout); len(f) < 3 || f[2] != "objects," {
		t.Errorf("export should say how many objects it wrote:\n%s", r.e2eResult)
	} else if wrote, _ = strconv.Atoi(f[1]); wrote < sz.small {
		t.Errorf("export wrote %d objects, fewer than the %d strings:\n%s", wrote, sz.small, r.e2eResult)
	}
	dst := e.path("dst")
	e.ok("new", dst, "--image", img)
	e.imageMemoryIntact(dst, sz)
}
