package tests

// Storage at scale (issue 8): a world several times larger than a memory
// limit is built by writing inside that limit (imports of files larger
// than the limit, transactions that write more than the limit), then read
// back, looked at as it was at a checkpoint (eval --at), rolled back,
// collected and checked, every psyche command inside a memory cgroup the
// test makes (e2e_scale_cgroup_test.go). A command the kernel's OOM killer
// ends is a failure that names the step, the limit and the peak. psyche
// check passes after every step, and after a kill -9 in the middle of each
// big operation.
//
// make test runs a small size; PSYCHE_SOAK=1 the full one (a world of more
// than ten times the limit). PSYCHE_SCALE_LIMIT_MIB runs the same sizes
// under another limit (a large one checks the test itself on a tree that
// does not keep the promise yet).

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scaleSizes are the dimensions of one scale run.
type scaleSizes struct {
	limit       uint64 // the memory cgroup's limit
	importBytes uint64 // each imported file; larger than limit
	imports     int    // files imported by the build
	vectors     int    // byteVectors one transaction makes
	vectorBytes uint64 // each; vectors*vectorBytes is larger than limit
	worldFactor uint64 // the built heap file is at least this many times limit
	killRounds  int    // kill -9 rounds per big operation
	timeout     time.Duration
}

// scaleVectorBytes keeps the transaction's byteVectors below the heap's
// large-object threshold (256 KiB), so that they take the ordinary path
// through the young space and the log, not the one written once.
const scaleVectorBytes = 64 << 10

var (
	// scaleSmall is make test's size: each big operation is larger than
	// the limit, the world about five times it; about a minute in all.
	scaleSmall = scaleSizes{
		limit: 96 << 20, importBytes: 128 << 20, imports: 3,
		vectors: 2048, vectorBytes: scaleVectorBytes, worldFactor: 5,
		killRounds: 1, timeout: 3 * time.Minute,
	}
	// scaleSoak is the full size: a 256 MiB limit, a world of 2.6 GiB.
	scaleSoak = scaleSizes{
		limit: 256 << 20, importBytes: 384 << 20, imports: 6,
		vectors: 6144, vectorBytes: scaleVectorBytes, worldFactor: 10,
		killRounds: 5, timeout: 20 * time.Minute,
	}
)

func scaleSizesFor(t *testing.T) scaleSizes {
	t.Helper()
	s := scaleSmall
	if os.Getenv("PSYCHE_SOAK") != "" {
		s = scaleSoak
	}
	if v := os.Getenv("PSYCHE_SCALE_LIMIT_MIB"); v != "" {
		mib, err := strconv.ParseUint(v, 10, 64)
		if err != nil || mib == 0 {
			t.Fatalf("PSYCHE_SCALE_LIMIT_MIB=%q: want a positive number of MiB", v)
		}
		s.limit = mib << 20
		s.worldFactor = 0 // the world is no longer sized to the limit
	}
	return s
}

// scaleEnv is a test's environment with its cgroups and a record of every
// command run, for the summary the test logs.
type scaleEnv struct {
	*e2eEnv
	cg    *scaleCgroups
	sizes scaleSizes
	runs  []string
}

func newScaleEnv(t *testing.T) *scaleEnv {
	t.Helper()
	sizes := scaleSizesFor(t)
	cg := newScaleCgroups(t, sizes.limit)
	s := &scaleEnv{e2eEnv: newE2E(t), cg: cg, sizes: sizes}
	t.Cleanup(func() {
		t.Logf("commands (each alone in a %d MiB memory cgroup):\n%s", sizes.limit>>20, strings.Join(s.runs, "\n"))
	})
	return s
}

// run runs psyche inside its own cgroup and waits for it.
func (s *scaleEnv) run(step string, args ...string) scaleRun {
	s.t.Helper()
	p, err := s.cg.start(s.e2eEnv, s.sizes.timeout, args...)
	if err != nil {
		s.t.Fatalf("step %q: starting psyche %s in a memory cgroup: %v", step, e2eQuote(args), err)
	}
	return s.finish(step, p)
}

func (s *scaleEnv) finish(step string, p *scaleStarted) scaleRun {
	s.t.Helper()
	r, err := p.wait()
	return s.record(step, p, r, err)
}

// record notes a finished command for the test's summary.
func (s *scaleEnv) record(step string, p *scaleStarted, r scaleRun, err error) scaleRun {
	s.t.Helper()
	if err != nil {
		s.t.Errorf("step %q: removing the cgroup %s: %v", step, p.cg.Dir(), err)
	}
	status := fmt.Sprintf("exit %d", r.code)
	if r.signal != 0 {
		status = fmt.Sprintf("killed (signal %d)", int(r.signal))
	}
	s.runs = append(s.runs, fmt.Sprintf("  %-50s %-10s %-18s %8v, cgroup peak %s, RSS %s, OOM kills %d",
		step, r.args[0], status, r.took.Round(time.Millisecond), scaleMiB(r.mem.Peak), scaleMiB(r.maxRSS), r.mem.OOMKills))
	return r
}

// ok runs psyche in a cgroup and stops the test unless it exits 0; an OOM
// kill is reported as such.
func (s *scaleEnv) ok(step string, args ...string) scaleRun {
	s.t.Helper()
	r := s.run(step, args...)
	s.mustSucceed(step, r)
	return r
}

func (s *scaleEnv) mustSucceed(step string, r scaleRun) {
	s.t.Helper()
	switch {
	case r.oomKilled():
		s.t.Fatalf("step %q: psyche %s was killed by the kernel's OOM killer: it does not fit in the memory limit\n%s\n%s",
			step, e2eQuote(r.args), r.describe(s.sizes.limit), r.e2eResult)
	case r.code != 0 || r.err != nil:
		s.t.Fatalf("step %q: psyche %s failed (%s)\n%s", step, e2eQuote(r.args), r.describe(s.sizes.limit), r.e2eResult)
	}
}

// expect evaluates src in w inside the limit and stops the test unless it
// prints want.
func (s *scaleEnv) expect(step, w, src, want string) {
	s.t.Helper()
	s.expectArgs(step, want, "eval", "-w", w, src)
}

// expectAt is expect looking at checkpoint cp (eval --at).
func (s *scaleEnv) expectAt(step, w, cp, src, want string) {
	s.t.Helper()
	s.expectArgs(step, want, "eval", "-w", w, "--at", cp, src)
}

func (s *scaleEnv) expectArgs(step, want string, args ...string) {
	s.t.Helper()
	r := s.ok(step, args...)
	if got := r.out(); got != want {
		s.t.Fatalf("step %q: psyche %s printed\n    %s\nwant\n    %s", step, e2eQuote(args), got, want)
	}
}

// check runs psyche check inside the limit after step.
func (s *scaleEnv) check(step, w string) {
	s.t.Helper()
	s.ok("check after "+step, "check", "-w", w)
}

// scaleByte is byte off of the file with this seed: position-dependent
// pseudo-random bytes (splitmix64 of the seed and the 8-byte word), so
// that a misplaced page cannot pass and any byte can be computed alone.
func scaleByte(seed int, off uint64) byte {
	x := uint64(seed)<<48 ^ off>>3
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return byte(x >> (8 * (off & 7)))
}

// scaleWriteFile writes size bytes of seed's contents to name.
func scaleWriteFile(t *testing.T, name string, seed int, size uint64) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for off := uint64(0); off < size; off += uint64(len(buf)) {
		n := min(uint64(len(buf)), size-off)
		for i := uint64(0); i < n; i++ {
			buf[i] = scaleByte(seed, off+i)
		}
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// scaleOffsets are the offsets a spot check of an n-byte object reads: both
// ends, page edges, the middle and a few more, the same on every call.
func scaleOffsets(n uint64) []uint64 {
	offs := []uint64{0, 1, 4095, 4096, n / 3, n/2 + 4095, n - 4097, n - 1}
	r := rand.New(rand.NewPCG(n, 8))
	for i := 0; i < 4; i++ {
		offs = append(offs, r.Uint64N(n))
	}
	return offs
}

// scaleSpot answers a source that prints the size and some bytes of the
// byteVector expr, and what it must print when byte off is byteAt(off).
func scaleSpot(expr string, n uint64, byteAt func(off uint64) byte) (src, want string) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "(| v | v: %s. v size printString", expr)
	parts := []string{strconv.FormatUint(n, 10)}
	for _, o := range scaleOffsets(n) {
		fmt.Fprintf(&sb, ", ' ', (v at: %d) printString", o)
		parts = append(parts, strconv.Itoa(int(byteAt(o))))
	}
	sb.WriteString(")")
	return sb.String(), "'" + strings.Join(parts, " ") + "'"
}

// scaleOverwritten is byte off of the file with this seed after
// scaleOverwrite with value v: the first byte of every page changed.
func scaleOverwritten(seed int, v int) func(uint64) byte {
	return func(off uint64) byte {
		if off%4096 == 0 {
			return byte(v + int(off/4096)%100)
		}
		return scaleByte(seed, off)
	}
}

// scaleOverwrite is a transaction that changes the first byte of every page
// of the byteVector expr of n bytes (as scaleOverwritten says): n bytes of
// existing pages dirtied, all of whose old contents a checkpoint keeps.
func scaleOverwrite(expr string, n uint64, v int) string {
	return fmt.Sprintf("(| v | v: %s. 0 to: %d By: 4096 Do: [|:i| v at: i Put: %d + ((i / 4096) %% 100)]. 0)", expr, n-1, v)
}

// scaleBuildVectors is a transaction that makes a vector of the size's
// byteVectors, each new and tagged with its index and round, into the
// lobby's scaleVectors: more new data than the limit in one evaluation.
func (z scaleSizes) buildVectors(round int) string {
	return fmt.Sprintf("scaleVectors: vector copySize: %d. 0 upTo: %d Do: [|:i| scaleVectors at: i Put: ((((byteVector copySize: %d) at: 0 Put: i %% 256) at: 1 Put: %d) at: %d Put: (i / 256) %% 256)]. scaleVectors size",
		z.vectors, z.vectors, z.vectorBytes, round, z.vectorBytes-1)
}

// vectorsCheck prints the tags of three of the vectors; vectorsWant is
// what a complete round prints.
func (z scaleSizes) vectorsCheck() string {
	var parts []string
	for _, i := range []int{0, z.vectors / 2, z.vectors - 1} {
		parts = append(parts, fmt.Sprintf("((scaleVectors at: %d) at: 0) printString, ' ', ((scaleVectors at: %d) at: 1) printString, ' ', ((scaleVectors at: %d) at: %d) printString, ' ', (scaleVectors at: %d) size printString",
			i, i, i, z.vectorBytes-1, i))
	}
	return "scaleVectors size printString, ' ', " + strings.Join(parts, ", ' ', ")
}

func (z scaleSizes) vectorsWant(round int) string {
	parts := []string{strconv.Itoa(z.vectors)}
	for _, i := range []int{0, z.vectors / 2, z.vectors - 1} {
		parts = append(parts, fmt.Sprint(i%256), fmt.Sprint(round), fmt.Sprint(i/256%256), fmt.Sprint(z.vectorBytes))
	}
	return "'" + strings.Join(parts, " ") + "'"
}

func (z scaleSizes) txBytes() uint64 { return uint64(z.vectors) * z.vectorBytes }

// TestE2EScaleUnderMemoryLimit builds, reads, rolls back, looks at,
// collects and checks a world larger than its memory limit, every command
// inside the limit.
func TestE2EScaleUnderMemoryLimit(t *testing.T) {
	s := newScaleEnv(t)
	z := s.sizes
	if z.importBytes <= z.limit || z.txBytes() <= z.limit {
		t.Logf("note: with a %d MiB limit, an import (%d MiB) or a transaction (%d MiB) is not larger than the limit",
			z.limit>>20, z.importBytes>>20, z.txBytes()>>20)
	}
	w := s.path("w")
	s.ok("new", "new", w)
	s.check("new", w)
	s.expect("slots", w, "lobby _AddSlots: (| scaleImports <- list copyRemoveAll. scaleVectors <- nil. scaleMark <- 0 |). 0", "0")

	// Build by writing: imports of files larger than the limit.
	spotImport := func(step string, k int, byteAt func(uint64) byte, args ...string) {
		src, want := scaleSpot(fmt.Sprintf("scaleImports at: %d", k), z.importBytes, byteAt)
		s.expectArgs(step, want, append(args, src)...)
	}
	for k := 0; k < z.imports; k++ {
		name := fmt.Sprintf("import-%d.bin", k)
		step := fmt.Sprintf("import %d of %d (%d MiB)", k+1, z.imports, z.importBytes>>20)
		scaleWriteFile(t, s.path(name), k+1, z.importBytes)
		s.expect(step, w, fmt.Sprintf("scaleImports add: (file named: '%s') contents. scaleImports size", name), strconv.Itoa(k+1))
		if err := os.Remove(s.path(name)); err != nil {
			t.Fatal(err)
		}
		spotImport("read back "+step, k, func(o uint64) byte { return scaleByte(k+1, o) }, "eval", "-w", w)
		s.check(step, w)
		if k == 0 {
			s.ok("checkpoint first-import", "checkpoint", "-w", w, "first-import")
		}
	}

	// A transaction that makes more new objects than the limit.
	step := fmt.Sprintf("transaction making %d byteVectors (%d MiB)", z.vectors, z.txBytes()>>20)
	s.expect(step, w, "scaleMark: 1. "+z.buildVectors(1), strconv.Itoa(z.vectors))
	s.expect("read back "+step, w, z.vectorsCheck(), z.vectorsWant(1))
	s.check(step, w)
	s.ok("checkpoint built", "checkpoint", "-w", w, "built")
	if fi, err := os.Stat(filepath.Join(w, "heap")); err != nil {
		t.Fatal(err)
	} else if got := uint64(fi.Size()); got < z.worldFactor*z.limit {
		t.Fatalf("the built heap file is %d MiB, less than %d times the %d MiB limit: the scenario did not build what it should", got>>20, z.worldFactor, z.limit>>20)
	} else {
		t.Logf("built a %d MiB heap file under a %d MiB limit (%.1f times)", got>>20, z.limit>>20, float64(got)/float64(z.limit))
	}

	// A transaction that changes more existing pages than the limit.
	step = fmt.Sprintf("transaction changing every page of import 1 (%d MiB)", z.importBytes>>20)
	s.expect(step, w, scaleOverwrite("scaleImports at: 0", z.importBytes, 7)+". scaleMark: 2. 0", "0")
	spotImport("read back "+step, 0, scaleOverwritten(1, 7), "eval", "-w", w)
	s.expect("read back mark", w, "scaleMark", "2")
	s.check(step, w)

	// Look at the past: more than the limit differs from the present.
	spotImport("eval --at built: import 1", 0, func(o uint64) byte { return scaleByte(1, o) }, "eval", "-w", w, "--at", "built")
	s.expectAt("eval --at built: mark and vectors", w, "built", "scaleMark printString, ' ', "+z.vectorsCheck(),
		"'1 "+strings.Trim(z.vectorsWant(1), "'")+"'")
	s.expectAt("eval --at first-import", w, "first-import", "scaleMark printString, ' ', scaleImports size printString, ' ', scaleVectors isNil printString", "'0 1 true'")
	s.check("eval --at", w)

	// Roll back over more than the limit.
	s.ok("rollback to built", "rollback", "-w", w, "built")
	spotImport("read back after rollback: import 1", 0, func(o uint64) byte { return scaleByte(1, o) }, "eval", "-w", w)
	s.expect("read back after rollback: vectors", w, "scaleMark printString, ' ', "+z.vectorsCheck(), "'1 "+strings.Trim(z.vectorsWant(1), "'")+"'")
	s.check("rollback", w)

	// Drop more than the limit and collect.
	s.expect("drop the vectors and import 1", w, "scaleVectors: nil. scaleImports removeFirst. scaleImports size", strconv.Itoa(z.imports-1))
	r := s.ok("gc", "gc", "-w", w)
	t.Logf("gc: %s", r.out())
	s.check("gc", w)
	for k := 1; k < z.imports; k++ {
		spotImport(fmt.Sprintf("read back after gc: import %d", k+1), k-1, func(o uint64) byte { return scaleByte(k+1, o) }, "eval", "-w", w)
	}
	s.expectAt("eval --at built after gc", w, "built", "scaleMark printString, ' ', scaleImports size printString", fmt.Sprintf("'1 %d'", z.imports))
	r = s.ok("info", "info", "-w", w)
	t.Logf("info:\n%s", r.out())
	s.check("the end", w)
}
