// Package bench holds Psyche's interpreter benchmarks and the tests that
// keep their Self programs honest. Each benchmark builds a world in-process
// once (world.Create with the core world of package bootstrap), defines its
// program with one evaluation, then times whole top-level evaluations of the
// workload: compiling the expression, running it, printing the result and
// committing the (empty) transaction.
//
//	go test ./tests/bench/                                  # the correctness tests
//	go test -run '^$' -bench . -count 3 ./tests/bench/      # the benchmarks
//
// See README.md for what each one measures and the figures on the project's
// machine.
package bench

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"psyche/bootstrap"
	"psyche/vm"
	"psyche/world"
)

//go:embed richards.self
var richardsSource []byte

// The Self programs. Each is one evaluation that adds slots to the lobby.
const (
	// sendsSource: run: n sends noop ten times per iteration of a to:Do:
	// loop. noop is a method with no code (it answers self).
	sendsSource = `lobby _AddSlots: (| benchSends = (|
	parent* = traits clonable.
	noop = ( ).
	run: n = (
		1 to: n Do: [|:i| noop. noop. noop. noop. noop. noop. noop. noop. noop. noop].
		n ).
|) |)`

	// fibSource: the doubly recursive Fibonacci, a method of the lobby.
	fibSource = `lobby _AddSlots: (|
	fib: n = ( n < 2 ifTrue: [n] False: [(fib: n - 1) + (fib: n - 2)] ).
|)`

	// allocSource: run: n clones a two-slot point n times, sets its x and
	// drops it; it answers the x of the last one (n).
	// sieveSource: the peer comparison's sieve (peers/programs/sieve.self):
	// the sieve of Eratosthenes over a byteVector of 8191 flags, r times.
	sieveSource = `lobby _AddSlots: ( |
	sieve: n = ( | flags. count <- 0 |
		flags: (byteVector copySize: n + 1).
		2 to: n Do: [|:i| flags at: i Put: 1].
		2 to: n Do: [|:i|
			((flags at: i) = 1) ifTrue: [
				count: count + 1.
				i + i to: n By: i Do: [|:k| flags at: k Put: 0]]].
		count ).
	sieveRepeat: r = ( | total <- 0 |
		1 to: r Do: [|:j| total: total + (sieve: 8190)].
		total ).
| )`

	// stringsSource: the peer comparison's strings
	// (peers/programs/strings.self): the numbers 1 to n concatenated, each
	// followed by a blank, r times over; it answers the total length.
	stringsSource = `lobby _AddSlots: ( |
	buildString: n = ( | s <- '' |
		1 to: n Do: [|:i| s: s, i printString, ' '].
		s ).
	stringLoop: r = ( | total <- 0 |
		1 to: r Do: [|:j| total: total + (buildString: 1000) size].
		total ).
| )`

	allocSource = `lobby _AddSlots: (| benchAlloc = (|
	parent* = traits clonable.
	point = (| parent* = traits clonable. x <- 0. y <- 0 |).
	run: n = ( | p |
		1 to: n Do: [|:i| p: point clone. p x: i].
		p x ).
|) |)`
)

// The workloads and what one evaluation of each does.
const (
	sendsN        = 100000 // iterations: 10 noop sends each, 1,000,000 in all
	sendsWorkload = "benchSends run: 100000"
	fibN          = 27
	fibWorkload   = "fib: 27"
	allocN        = 1000000 // objects cloned per evaluation
	allocWorkload = "benchAlloc run: 1000000"

	sieveWorkload = "sieveRepeat: 10"
	sieveResult   = "10270" // 1027 primes up to 8190, 10 times

	stringsWorkload = "stringLoop: 100"
	stringsResult   = "389300" // (9 + 90*2 + 900*3 + 4) digits and 1000 blanks, 100 times

	deltaBlueWorkload = "deltaBlue run: 5"
	deltaBlueResult   = "'chain 24750 projection 1121400'"

	richardsWorkload = "richards run"
	richardsResult   = "'queueCount 23246 holdCount 9297'"
)

// Sends per unit of work, counting every message send the VM executes,
// primitive sends (_IntAdd: ...) included: the VM's step counter (see
// TestSendCounts, which checks these against it). A send to a method that
// only wraps a primitive (+ n = ( _IntAdd: n IfFail: [...] )) runs the
// primitive directly when it succeeds: that is one send, not two. Inlined
// code makes no sends: ifTrue:False:, to:Do: and the other control
// structures with literal blocks, and + < = ... on small integers and
// floats, run in the interpreter loop while the core world's methods are in
// place; each backward jump of an inlined loop counts one step.
const (
	// One iteration of the sends loop: 10 noop and the loop's backward
	// jump; TestSendCounts measures it.
	sendsPerIteration = 11
	// One fib: call with n < 2: fib: (< and ifTrue:False: are inlined).
	fibLeafSends = 1
	// One fib: call with n >= 2: fib: (- and + are inlined).
	fibInnerSends = 1
)

// fibCalls answers the number of fib: calls that fib: n makes (itself
// included): fib(n+1) leaves and fib(n+1) - 1 inner calls.
func fibCalls(n int) (leaves, inner int) {
	a, b := 0, 1 // fib(0), fib(1)
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	// b is fib(n+1)
	return b, b - 1
}

// richardsSends is the number of sends of one richards run, primitive
// sends included, as the VM's step counter counts them
// (TestRichardsSendCount). The counter also counts the _Restarts of the
// loops, and a send twice when a scavenge comes just before it: a few in
// six million.
const richardsSends = 3658751

func fibSends(n int) int {
	leaves, inner := fibCalls(n)
	return leaves*fibLeafSends + inner*fibInnerSends
}

func fib(n int) int {
	a, b := 0, 1
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	return a
}

// Worlds, one per program, built on first use and shared by the tests and
// benchmarks of this package (a benchmark function runs several times, for
// growing b.N; its world is built once). TestMain closes and deletes them.
var worlds struct {
	sync.Mutex
	m    map[string]*world.World
	dirs []string
}

func TestMain(m *testing.M) {
	code := m.Run()
	worlds.Lock()
	for _, w := range worlds.m {
		w.Close()
	}
	for _, d := range worlds.dirs {
		os.RemoveAll(d)
	}
	worlds.Unlock()
	os.Exit(code)
}

// worldWith answers the world named name, building it (a new world, then
// one run of each of sources, laid out as layout says) the first time.
func worldWith(tb testing.TB, name string, layout vm.Layout, sources ...[]byte) *world.World {
	tb.Helper()
	worlds.Lock()
	defer worlds.Unlock()
	if w, ok := worlds.m[name]; ok {
		return w
	}
	dir, err := os.MkdirTemp("", "psyche-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	worlds.dirs = append(worlds.dirs, dir)
	w, err := world.Create(dir+"/w", bootstrap.Build, io.Discard)
	if err != nil {
		tb.Fatalf("creating a world: %v", err)
	}
	for i, src := range sources {
		if err := w.Run(fmt.Sprintf("%s-%d", name, i), src, layout); err != nil {
			w.Close()
			tb.Fatalf("defining %s: %v", name, err)
		}
	}
	if worlds.m == nil {
		worlds.m = map[string]*world.World{}
	}
	worlds.m[name] = w
	return w
}

func sendsWorld(tb testing.TB) *world.World {
	return worldWith(tb, "sends", vm.Periods, []byte(sendsSource))
}
func fibWorld(tb testing.TB) *world.World { return worldWith(tb, "fib", vm.Periods, []byte(fibSource)) }
func allocWorld(tb testing.TB) *world.World {
	return worldWith(tb, "alloc", vm.Periods, []byte(allocSource))
}
func sieveWorld(tb testing.TB) *world.World {
	return worldWith(tb, "sieve", vm.Periods, []byte(sieveSource))
}
func stringsWorld(tb testing.TB) *world.World {
	return worldWith(tb, "strings", vm.Periods, []byte(stringsSource))
}
func richardsWorld(tb testing.TB) *world.World {
	return worldWith(tb, "richards", vm.Lines, richardsSource)
}

// deltaBlueProgram is the peer comparison's DeltaBlue, read from the peers'
// module (which go:embed cannot reach). Defining it runs it once (its last
// statement), printing to nowhere.
const deltaBlueProgram = "peers/programs/deltablue.self"

func deltaBlueWorld(tb testing.TB) *world.World {
	src, err := os.ReadFile(deltaBlueProgram)
	if err != nil {
		tb.Fatal(err)
	}
	return worldWith(tb, "deltablue", vm.Periods, src)
}

// eval evaluates src in w and fails unless it answers want.
func eval(tb testing.TB, w *world.World, src, want string) {
	tb.Helper()
	got, err := w.Eval("bench", []byte(src))
	if err != nil {
		tb.Fatalf("%s: %v", src, err)
	}
	if got != want {
		tb.Fatalf("%s answered %s, want %s", src, got, want)
	}
}

// steps answers how many steps (sends, primitive sends included, and
// _Restarts) one evaluation of src takes, not printing its result (which
// runs after, with its own budget):
// the least StepLimit under which it succeeds. Use small workloads: it
// runs src about 2 log2(steps) times.
func steps(tb testing.TB, w *world.World, src string) int {
	tb.Helper()
	if _, err := w.Eval("steps", []byte(src)); err != nil {
		tb.Fatalf("%s: %v", src, err)
	}
	return w.VM().Steps()
}

// The correctness tests.

func TestRichards(t *testing.T) {
	w := richardsWorld(t)
	got, err := w.Eval("richards", []byte(richardsWorkload))
	if err != nil {
		t.Fatalf("richards run: %v", err)
	}
	if !strings.Contains(got, "23246") || !strings.Contains(got, "9297") {
		t.Fatalf("richards run answered %s, want queue count 23246 and hold count 9297", got)
	}
	if got != richardsResult {
		t.Fatalf("richards run answered %s, want %s", got, richardsResult)
	}
}

// TestRichardsChecks: run fails when a count is not the expected one. (The
// evaluation fails, so the changes it makes to richards are rolled back.)
func TestRichardsChecks(t *testing.T) {
	w := richardsWorld(t)
	_, err := w.Eval("richards", []byte("richards _AddSlots: (| count = 100 |). richards run"))
	if err == nil || !strings.Contains(err.Error(), "richards: queueCount is ") {
		t.Fatalf("richards run of 100 idle steps: err = %v, want a queueCount error", err)
	}
	eval(t, w, "richards count", "10000")
}

func TestFib(t *testing.T) {
	w := fibWorld(t)
	for _, n := range []int{0, 1, 2, 3, 10, 20} {
		eval(t, w, fmt.Sprintf("fib: %d", n), fmt.Sprint(fib(n)))
	}
	if fib(20) != 6765 || fib(fibN) != 196418 {
		t.Fatalf("Go's fib is wrong: fib(20) = %d, fib(27) = %d", fib(20), fib(fibN))
	}
}

func TestSieve(t *testing.T) {
	w := sieveWorld(t)
	eval(t, w, "sieve: 10", "4")
	eval(t, w, "sieve: 8190", "1027")
}

func TestStrings(t *testing.T) {
	w := stringsWorld(t)
	eval(t, w, "buildString: 12", "'1 2 3 4 5 6 7 8 9 10 11 12 '")
	eval(t, w, stringsWorkload, stringsResult)
}

func TestSends(t *testing.T) {
	w := sendsWorld(t)
	eval(t, w, "benchSends run: 0", "0")
	eval(t, w, "benchSends run: 1000", "1000")
}

func TestAlloc(t *testing.T) {
	w := allocWorld(t)
	eval(t, w, "benchAlloc run: 1000", "1000")
	// clones are new objects, and the prototype is untouched
	eval(t, w, "benchAlloc point clone == benchAlloc point", "false")
	eval(t, w, "benchAlloc point x", "0")
	// a run bigger than the young space's scavenge limit
	eval(t, w, "benchAlloc run: 200000", "200000")
}

// TestSendCounts checks the send counts the benchmarks report against the
// VM's step counter, on small instances of the same programs: the
// difference between two sizes cancels the fixed costs (the top-level
// send).
func TestSendCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs each workload about 40 times")
	}
	w := sendsWorld(t)
	a := steps(t, w, "benchSends run: 100")
	b := steps(t, w, "benchSends run: 200")
	if got := (b - a) / 100; got != sendsPerIteration || (b-a)%100 != 0 {
		t.Errorf("the sends loop takes %d steps per 100 iterations, want %d per iteration", b-a, sendsPerIteration)
	}

	w = fibWorld(t)
	for _, n := range []int{10, 15} {
		if got, want := steps(t, w, fmt.Sprintf("fib: %d", n)), fibSends(n); got != want {
			t.Errorf("fib: %d takes %d steps, want %d", n, got, want)
		}
	}
}

// TestRichardsSendCount checks richardsSends against the VM's step counter.
// It runs Richards once (with the world's setup), so it is always on.
func TestRichardsSendCount(t *testing.T) {
	w := richardsWorld(t)
	// printing the result string: printString, _StringEQ:IfFail:, _StringPrintString
	got := steps(t, w, richardsWorkload) - 3
	if d := got - richardsSends; d < -1000 || d > 1000 {
		t.Errorf("richards run takes %d steps, want %d", got, richardsSends)
	}
}

// The benchmarks.

// run times b.N evaluations of src in w, each of which must answer want.
// Besides the wall-clock time it reports cpu-ms/op, the process's CPU time
// (user and system) per evaluation: on a shared, loaded machine it moves
// much less than the wall clock. ic-hit-% is the share of sends from send
// sites that their inline caches answered.
func run(b *testing.B, w *world.World, src, want string) {
	b.Helper()
	code := []byte(src)
	ic0 := w.VM().CacheStats()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := w.Eval("bench", code)
		if err != nil {
			b.Fatalf("%s: %v", src, err)
		}
		if got != want {
			b.Fatalf("%s answered %s, want %s", src, got, want)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	ic := w.VM().CacheStats()
	if hits, misses := ic.Hits-ic0.Hits, ic.Misses-ic0.Misses; hits+misses > 0 {
		b.ReportMetric(100*float64(hits)/float64(hits+misses), "ic-hit-%")
	}
}

// cpuTime answers the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

func perSecond(b *testing.B, perOp int) float64 {
	return float64(perOp) * float64(b.N) / b.Elapsed().Seconds()
}

func msPerOp(b *testing.B) float64 {
	return b.Elapsed().Seconds() * 1000 / float64(b.N)
}

// BenchmarkSends: 1,000,000 sends of a method with no code, 10 per
// iteration of a 100,000-iteration to:Do: loop (inlined: 1,100,000 steps
// in all, counting the loop's backward jumps).
func BenchmarkSends(b *testing.B) {
	w := sendsWorld(b)
	run(b, w, sendsWorkload, fmt.Sprint(sendsN))
	b.ReportMetric(perSecond(b, sendsN*sendsPerIteration), "sends/s")
	b.ReportMetric(perSecond(b, sendsN*10), "calls/s")
}

// BenchmarkFib: fib: 27, 635,621 calls of a recursive method, one send
// each (the arithmetic and ifTrue:False: are inlined).
func BenchmarkFib(b *testing.B) {
	w := fibWorld(b)
	run(b, w, fibWorkload, fmt.Sprint(fib(fibN)))
	b.ReportMetric(msPerOp(b), "ms/op")
	b.ReportMetric(perSecond(b, fibSends(fibN)), "sends/s")
}

// BenchmarkAlloc: 1,000,000 clones of a two-slot object, each dropped
// at once.
func BenchmarkAlloc(b *testing.B) {
	w := allocWorld(b)
	run(b, w, allocWorkload, fmt.Sprint(allocN))
	b.ReportMetric(perSecond(b, allocN), "objects/s")
}

// BenchmarkRichards: one run of Richards (richards.self), checked: about
// 3.7 million sends.
func BenchmarkRichards(b *testing.B) {
	w := richardsWorld(b)
	run(b, w, richardsWorkload, richardsResult)
	b.ReportMetric(msPerOp(b), "ms/op")
	b.ReportMetric(perSecond(b, richardsSends), "sends/s")
}

// BenchmarkDeltaBlue: five runs of the peer comparison's DeltaBlue
// (peers/programs/deltablue.self), its chain and projection tests over 100
// variables each, checked.
func BenchmarkDeltaBlue(b *testing.B) {
	w := deltaBlueWorld(b)
	run(b, w, deltaBlueWorkload, deltaBlueResult)
	b.ReportMetric(msPerOp(b), "ms/op")
}

// BenchmarkSieve: the sieve of Eratosthenes over a byteVector of 8191
// flags, 10 times: about 330,000 at: and at:Put: sends.
func BenchmarkSieve(b *testing.B) {
	w := sieveWorld(b)
	run(b, w, sieveWorkload, sieveResult)
	b.ReportMetric(msPerOp(b), "ms/op")
}

// BenchmarkStrings: the numbers 1 to 1000 concatenated into a string, each
// followed by a blank, 100 times: 200,000 concatenations of strings of up
// to 3,893 bytes and 100,000 printStrings.
func BenchmarkStrings(b *testing.B) {
	w := stringsWorld(b)
	run(b, w, stringsWorkload, stringsResult)
	b.ReportMetric(msPerOp(b), "ms/op")
}
