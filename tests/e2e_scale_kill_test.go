package tests

// kill -9 in the middle of each big operation of the scale test (an import
// larger than the memory limit, a transaction larger than it, a rollback
// over more than it, a collection), every command inside the limit: psyche
// check passes afterwards and the world holds the whole effect of the
// operation or none of it.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// killedRun starts psyche inside the limit, sends it SIGKILL after delay
// (unless it has ended by then) and waits for it. Being ended by the OOM
// killer first is a failure: every command must fit in the limit.
func (s *scaleEnv) killedRun(step string, delay time.Duration, args ...string) scaleRun {
	s.t.Helper()
	p, err := s.cg.start(s.e2eEnv, s.sizes.timeout, args...)
	if err != nil {
		s.t.Fatalf("step %q: starting psyche %s in a memory cgroup: %v", step, e2eQuote(args), err)
	}
	type ended struct {
		r   scaleRun
		err error
	}
	done := make(chan ended, 1)
	go func() {
		r, err := p.wait()
		done <- ended{r, err}
	}()
	var e ended
	select {
	case e = <-done:
	case <-time.After(delay):
		p.kill() // an error here only means it has just ended
		e = <-done
	}
	r := s.record(step, p, e.r, e.err)
	if r.oomKilled() {
		s.t.Errorf("step %q: psyche %s was killed by the kernel's OOM killer before the kill -9 at %v: it does not fit in the memory limit\n%s\n%s",
			step, e2eQuote(args), delay.Round(time.Millisecond), r.describe(s.sizes.limit), r.e2eResult)
	}
	return r
}

// oneOf runs src in w inside the limit and stops the test unless it prints
// one of wants; it answers which.
func (s *scaleEnv) oneOf(step, w, src string, wants ...string) int {
	s.t.Helper()
	r := s.ok(step, "eval", "-w", w, src)
	for i, want := range wants {
		if r.out() == want {
			return i
		}
	}
	s.t.Fatalf("step %q: after the kill -9 the world holds neither the state before nor the one after:\n    %s\nwant one of\n    %q", step, r.out(), wants)
	return -1
}

// TestE2EScaleKill9 kills each big operation at a random moment of its
// duration (as measured by an uninterrupted run), then checks the world.
func TestE2EScaleKill9(t *testing.T) {
	s := newScaleEnv(t)
	z := s.sizes
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 9))
	t.Logf("random delays from seed %d", seed)
	w := s.path("w")
	s.ok("new", "new", w)
	s.expect("slots", w, "lobby _AddSlots: (| scaleA <- nil. scaleB <- nil. scaleVectors <- nil |). 0", "0")
	scaleWriteFile(t, s.path("a.bin"), 1, z.importBytes)
	scaleWriteFile(t, s.path("b.bin"), 2, z.importBytes)

	// Each big operation once, uninterrupted, to know how long it takes.
	dImport := s.ok("import a", "eval", "-w", w, "scaleA: (file named: 'a.bin') contents. 0").took
	if err := os.Remove(s.path("a.bin")); err != nil {
		t.Fatal(err)
	}
	s.ok("checkpoint base", "checkpoint", "-w", w, "base")
	dTx := s.ok("transaction", "eval", "-w", w, z.buildVectors(0)).took
	s.expect("change every page of a", w, scaleOverwrite("scaleA", z.importBytes, 10), "0")
	dRollback := s.ok("rollback to base", "rollback", "-w", w, "base").took
	dGC := s.ok("gc", "gc", "-w", w).took
	s.check("setup", w)

	spotA := func(byteAt func(uint64) byte) (string, string) { return scaleSpot("scaleA", z.importBytes, byteAt) }
	srcA, original := spotA(func(o uint64) byte { return scaleByte(1, o) })
	srcB, imported := scaleSpot("scaleB", z.importBytes, func(o uint64) byte { return scaleByte(2, o) })
	vectorsNow := func() string { return "scaleVectors isNil ifTrue: ['none'] False: [" + z.vectorsCheck() + "]" }
	aState, vecState := original, "'none'"
	s.expect("state after setup", w, srcA, aState)
	s.expect("vectors after setup", w, vectorsNow(), vecState)

	at := func(d time.Duration) time.Duration { return time.Duration(rng.Int64N(int64(d) + 1)) }
	for round := 1; round <= z.killRounds; round++ {
		name := func(what string) string { return fmt.Sprintf("round %d: kill -9 during %s", round, what) }

		step := name("an import")
		s.expect(step+": reset", w, "scaleB: nil. 0", "0")
		s.killedRun(step, at(dImport), "eval", "-w", w, "scaleB: (file named: 'b.bin') contents. 0")
		s.check(step, w)
		if s.oneOf(step, w, "scaleB isNil printString", "'true'", "'false'") == 1 {
			s.expect(step+": the import is whole", w, srcB, imported)
		}

		step = name("a transaction")
		after := z.vectorsWant(round)
		s.killedRun(step, at(dTx), "eval", "-w", w, z.buildVectors(round))
		s.check(step, w)
		vecState = []string{vecState, after}[s.oneOf(step, w, vectorsNow(), vecState, after)]

		step = name("a rollback")
		v := 10 + round
		s.expect(step+": change every page of a", w, scaleOverwrite("scaleA", z.importBytes, v), "0")
		_, changed := spotA(scaleOverwritten(1, v))
		s.killedRun(step, at(dRollback), "rollback", "-w", w, "base")
		s.check(step, w)
		if s.oneOf(step, w, srcA, changed, original) == 0 {
			aState = changed
			s.expect(step+": vectors as before", w, vectorsNow(), vecState)
		} else {
			aState, vecState = original, "'none'"
			s.expect(step+": vectors as at base", w, vectorsNow(), vecState)
		}

		step = name("a collection")
		s.expect(step+": drop", w, "scaleVectors: nil. scaleB: nil. 0", "0")
		vecState = "'none'"
		s.killedRun(step, at(dGC), "gc", "-w", w)
		s.check(step, w)
		s.expect(step+": a intact", w, srcA, aState)
	}
}
