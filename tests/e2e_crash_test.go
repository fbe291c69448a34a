package tests

// kill -9 at any instant loses no evaluation that was reported done, and
// the world opens (DESIGN.md, the promises table). The test feeds a REPL a
// stream of transactions through a pipe, reads what it prints, kills it
// with SIGKILL at a random moment, and checks the reopened world.
//
//	go test -run TestE2EKill9 ./tests/                  # 10 rounds
//	PSYCHE_SOAK=1 go test -run TestE2EKill9 ./tests/    # 200 rounds
//	PSYCHE_SOAK=1000 go test -run TestE2EKill9 ./tests/ # 1000 rounds
//	PSYCHE_E2E_SEED=N go test -run TestE2EKill9 ./tests/ # replay a seed

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// e2eCounterInput is one transaction: it bumps counter, and keeps its
// printString in last (so a half-applied transaction would show as a
// disagreement between them), and adds to a list that grows the heap.
const e2eCounterInput = "counter: counter + 1. last: counter printString. log addLast: last. counter"

// e2eCounterState prints counter, last and the size of log.
const e2eCounterState = "counter printString, '/', last, '/', log size printString"

var e2eStateRE = regexp.MustCompile(`^'(\d+)/(\d+)/(\d+)'$`)

func TestE2EKill9(t *testing.T) {
	t.Parallel()
	rounds := 10
	if s := os.Getenv("PSYCHE_SOAK"); s != "" {
		rounds = 200
		if n, err := strconv.Atoi(s); err == nil && n > 1 {
			rounds = n
		}
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PSYCHE_E2E_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (PSYCHE_E2E_SEED=%d replays it), %d rounds", seed, seed, rounds)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))

	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| counter <- 0. last <- '0'. log <- nil |)", "lobby")
	e.eval(w, "log: list copyRemoveAll. log size")
	known := 0 // the counter as the last check found it
	for round := 0; round < rounds && !t.Failed(); round++ {
		// Kill at a random moment: sometimes before the first result, mostly
		// in the middle of the stream.
		var delay time.Duration
		switch rng.IntN(10) {
		case 0:
			delay = time.Duration(rng.IntN(30)) * time.Millisecond // from the start
		default:
			delay = time.Duration(rng.IntN(400)) * time.Millisecond // after the first result
		}
		waitFirst := delay >= 30*time.Millisecond || rng.IntN(2) == 0
		printed, stderr := e2eKillRound(t, e, w, known, delay, waitFirst)
		if t.Failed() {
			return
		}
		low := known
		if len(printed) > 0 {
			low = printed[len(printed)-1]
		}
		r := e.run("eval", "-w", w, e2eCounterState)
		m := e2eStateRE.FindStringSubmatch(r.out())
		if r.code != 0 || m == nil {
			t.Fatalf("round %d: the world does not open after kill -9 (last printed %d):\n%s\nstderr of the killed REPL:\n%s", round, low, r, stderr)
		}
		counter, _ := strconv.Atoi(m[1])
		last, _ := strconv.Atoi(m[2])
		size, _ := strconv.Atoi(m[3])
		if counter < low || counter > low+1 {
			t.Fatalf("round %d: after kill -9, counter is %d; the last value printed was %d, so it must be %d or %d (killed %v after %s)",
				round, counter, low, low, low+1, delay, map[bool]string{true: "the first result", false: "the start"}[waitFirst])
		}
		if last != counter || size != counter {
			t.Fatalf("round %d: a transaction was applied in part: counter %d, last %q, log size %d", round, counter, m[2], size)
		}
		known = counter
		if round%5 == 4 || round == rounds-1 {
			e.checkWorld(w)
		}
	}
	// The log holds every value once, in order.
	want := e.eval(w, "counter")
	e.expectEval(w, "(| ok <- true. i <- 0 | log do: [|:s| i: i + 1. (s = i printString) ifFalse: [ok: false]]. ok)", "true")
	t.Logf("counter reached %s", want)
}

// e2eKillRound runs one REPL on w, feeds it e2eCounterInput lines, kills it
// with SIGKILL delay after its first result (waitFirst) or after its start,
// and answers the values it printed (all of them: the pipe is read to its
// end after the kill) and its standard error.
func e2eKillRound(t *testing.T, e *e2eEnv, w string, known int, delay time.Duration, waitFirst bool) ([]int, string) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr e2eSyncBuffer
	cmd := e.command("repl", "-w", w)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()

	// Feed inputs until the pipe breaks (after the kill).
	go func() {
		defer inW.Close()
		line := []byte(e2eCounterInput + "\n")
		batch := bytes.Repeat(line, 64)
		for {
			if _, err := inW.Write(batch); err != nil {
				return
			}
		}
	}()
	// Read everything the REPL prints, to the end of the pipe.
	first := make(chan struct{})
	outDone := make(chan []byte)
	go func() {
		var all []byte
		buf := make([]byte, 64<<10)
		signalled := false
		for {
			n, err := outR.Read(buf)
			all = append(all, buf[:n]...)
			if !signalled && bytes.IndexByte(all, '\n') >= 0 {
				close(first)
				signalled = true
			}
			if err != nil {
				break
			}
		}
		outR.Close()
		if !signalled {
			close(first)
		}
		outDone <- all
	}()

	if waitFirst {
		select {
		case <-first:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the REPL printed nothing in 20 s; stderr:\n%s", stderr.String())
		}
	}
	time.Sleep(delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	code, sig := e2eWait(t, cmd, 20*time.Second, "psyche repl after kill -9")
	if sig != syscall.SIGKILL {
		t.Fatalf("the REPL ended before it was killed (exit status %d, signal %v); stderr:\n%s", code, sig, stderr.String())
	}
	var out []byte
	select {
	case out = <-outDone:
	case <-time.After(20 * time.Second):
		t.Fatal("the REPL's output pipe did not close after it was killed")
	}

	// Only complete lines count as printed; each must be the next value.
	text := string(out)
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	} else {
		text = ""
	}
	var printed []int
	if text != "" {
		for i, l := range strings.Split(text, "\n") {
			n, err := strconv.Atoi(l)
			if err != nil || n != known+i+1 {
				t.Fatalf("line %d of the REPL's output is %q, expected %d; stderr:\n%s", i+1, l, known+i+1, stderr.String())
			}
			printed = append(printed, n)
		}
	}
	if s := stderr.String(); s != "" {
		t.Errorf("the REPL wrote errors before it was killed:\n%s", s)
	}
	return printed, stderr.String()
}

// A torn log tail after kill -9 (the last record cut short, or garbage
// after it) is ignored: the world opens at a committed state and passes
// psyche check.
func TestE2ETornLogAfterKill(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| counter <- 0. last <- '0'. log <- nil |)", "lobby")
	e.eval(w, "log: list copyRemoveAll. log size")
	printed, _ := e2eKillRound(t, e, w, 0, 150*time.Millisecond, true)
	if t.Failed() {
		return
	}
	low := 0
	if len(printed) > 0 {
		low = printed[len(printed)-1]
	}
	logFile := filepath.Join(w, "heap.log")
	fi, err := os.Stat(logFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d results printed; heap.log is %d bytes after kill -9", len(printed), fi.Size())
	saved := e.path("saved")
	e2eCopyDir(t, w, saved)

	check := func(t *testing.T, e *e2eEnv, d string, minimum int) {
		t.Helper()
		r := e.run("eval", "-w", d, e2eCounterState)
		m := e2eStateRE.FindStringSubmatch(r.out())
		if r.code != 0 || m == nil {
			t.Fatalf("the world does not open with a torn log:\n%s", r)
		}
		if m[1] != m[2] || m[1] != m[3] {
			t.Errorf("a transaction was applied in part: %s", r.out())
		}
		c, _ := strconv.Atoi(m[1])
		if c < minimum || c > low+1 {
			t.Errorf("counter is %d, expected between %d and %d", c, minimum, low+1)
		}
		e.checkWorld(d)
		e.expectEval(d, "counter: counter + 1. counter", fmt.Sprint(c+1))
		e.checkWorld(d)
	}

	t.Run("cut", func(t *testing.T) {
		e := *e
		e.t = t
		if fi.Size() < 100 {
			t.Skipf("heap.log is only %d bytes after kill -9: no record to tear", fi.Size())
		}
		d := e.path("cut")
		e2eCopyDir(t, saved, d)
		// Cut the last record short: the world may lose that record (a torn
		// write of it never finished in this story), but no more than the
		// records it overlaps, and it must open at a consistent state. When
		// the record was of a transaction reported done (its commit mark
		// reached the checksum table before the kill), the cut is refused
		// instead, and psyche recover brings back every reported transaction.
		if err := os.Truncate(filepath.Join(d, "heap.log"), fi.Size()-37); err != nil {
			t.Fatal(err)
		}
		if r := e.run("eval", "-w", d, e2eCounterState); r.code == 1 && strings.Contains(r.stderr, "the log was cut") {
			rd := d + "-recovered"
			e.ok("recover", d, rd)
			check(t, &e, rd, low)
			return
		}
		check(t, &e, d, 0)
	})
	t.Run("garbage", func(t *testing.T) {
		e := *e
		e.t = t
		d := e.path("garbage")
		e2eCopyDir(t, saved, d)
		f, err := os.OpenFile(filepath.Join(d, "heap.log"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		junk := make([]byte, 10000)
		rng := rand.New(rand.NewPCG(3, 5))
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		f.Write(junk)
		f.Close()
		// Nothing committed is lost: garbage after the last record is no record.
		check(t, &e, d, low)
	})
	t.Run("zeros", func(t *testing.T) {
		e := *e
		e.t = t
		d := e.path("zeros")
		e2eCopyDir(t, saved, d)
		f, err := os.OpenFile(filepath.Join(d, "heap.log"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(make([]byte, 8192)) // a file extended but never written
		f.Close()
		check(t, &e, d, low)
	})
}
