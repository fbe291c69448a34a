package tests

// Creating a world and exporting an image are atomic under kill -9 (issue
// 10): a world is built beside its final name and renamed into place, an
// image is written to a temporary file and renamed over the old one. Each
// test kills psyche with SIGKILL at random moments of the operation, then
// checks that what is left is either nothing (and the operation can be done
// again) or a complete result; never a half-built world or a half-written
// image.
//
//	go test -run 'TestE2ECreate|TestE2EExport' ./tests/       # 20 rounds each
//	PSYCHE_SOAK=1 go test -run TestE2ECreate ./tests/          # 200 rounds
//	PSYCHE_SOAK=500 go test -run TestE2ECreate ./tests/        # 500 rounds
//	PSYCHE_E2E_SEED=N go test -run TestE2ECreate ./tests/      # replay a seed

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"psyche/heap"
)

// createRounds is the number of kills per test: 20, more under PSYCHE_SOAK.
func createRounds() int {
	s := os.Getenv("PSYCHE_SOAK")
	if s == "" {
		return 20
	}
	if n, err := strconv.Atoi(s); err == nil && n > 1 {
		return n
	}
	return 200
}

// createRand answers the test's random source, logging its seed.
func createRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PSYCHE_E2E_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (PSYCHE_E2E_SEED=%d replays it)", seed, seed)
	return rand.New(rand.NewPCG(seed, 0xc4ea7e))
}

// createTime runs psyche with args to completion and answers how long it
// took: the kills are spread over this time.
func (e *e2eEnv) createTime(args ...string) time.Duration {
	e.t.Helper()
	t0 := time.Now()
	e.ok(args...)
	return time.Since(t0)
}

// createKill starts psyche with args, sends it SIGKILL after delay, and
// answers whether the kill landed (the command had not ended by itself; if
// it had, it must have succeeded).
func (e *e2eEnv) createKill(delay time.Duration, args ...string) bool {
	e.t.Helper()
	cmd := e.command(args...)
	var stderr e2eSyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	time.Sleep(delay)
	cmd.Process.Signal(syscall.SIGKILL) // it may have ended already
	code, sig := e2eWait(e.t, cmd, e2eTimeout, "psyche "+e2eQuote(args))
	if sig == syscall.SIGKILL {
		return true
	}
	if code != 0 {
		e.t.Fatalf("psyche %s failed before it was killed (exit status %d):\n%s", e2eQuote(args), code, stderr.String())
	}
	return false
}

// createNothingBeside fails the test unless dir's parent holds nothing but
// dir (and keep): no remains of an interrupted creation.
func (e *e2eEnv) createNothingBeside(dir string, keep ...string) {
	e.t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		e.t.Fatal(err)
	}
	want := append([]string{filepath.Base(dir)}, keep...)
	for _, en := range entries {
		if !createContains(want, en.Name()) {
			e.t.Errorf("%s: left beside the world %s", en.Name(), dir)
		}
	}
}

func createContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// createSettle checks dir after a creation of it was killed: either it
// holds a world that checks clean and evaluates, or there is no world and
// psyche new makes one. Either way nothing else is left beside it. It
// answers whether the killed creation had finished.
func (e *e2eEnv) createSettle(dir string, round int) bool {
	e.t.Helper()
	r := e.run("check", "-w", dir)
	finished := r.code == 0
	if !finished {
		if !strings.Contains(r.stderr, "no world here") {
			e.t.Fatalf("round %d: after kill -9 during its creation, %s is neither a world nor nothing:\n%s", round, dir, r)
		}
		if r := e.run("new", dir); r.code != 0 {
			e.t.Fatalf("round %d: after kill -9 during its creation, %s cannot be created again:\n%s", round, dir, r)
		}
		e.checkWorld(dir)
	}
	e.expectEval(dir, "3 + 4", "7")
	e.createNothingBeside(dir)
	return finished
}

// createKillRounds kills the command make(dir) at random moments over the
// time one uninterrupted run takes, and settles dir after each kill. Half
// the rounds start from an empty directory (users mkdir first), half from
// none.
func (e *e2eEnv) createKillRounds(dir string, command func(dir string) []string) {
	t := e.t
	rng := createRand(t)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	span := e.createTime(command(dir)...)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	rounds, landed, finished := createRounds(), 0, 0
	for round := 0; round < rounds && !t.Failed(); round++ {
		if rng.IntN(2) == 0 {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		delay := time.Duration(rng.Int64N(int64(span) * 9 / 10))
		if e.createKill(delay, command(dir)...) {
			landed++
		}
		if e.createSettle(dir, round) {
			finished++
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d rounds over %v: %d kills landed, %d creations had finished", rounds, span, landed, finished)
}

// TestE2ECreateCrashNew: kill -9 during psyche new DIR.
func TestE2ECreateCrashNew(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	e.createKillRounds(e.path("worlds/w"), func(dir string) []string { return []string{"new", dir} })
}

// TestE2ECreateCrashNewImage: kill -9 during psyche new DIR --image IMG,
// with an image large enough that importing it takes a while.
func TestE2ECreateCrashNewImage(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	src := e.newWorld("source")
	e.expectEval(src, "lobby _AddSlots: (| big <- nil |). big: vector copySize: 60000. "+
		"0 to: 59999 Do: [|:i| big at: i Put: i printString]. big size", "60000")
	img := e.path("big.img")
	e.ok("export", "-w", src, img)
	e.createKillRounds(e.path("worlds/w"), func(dir string) []string { return []string{"new", dir, "--image", img} })
}

// TestE2ECreateCrashDefaultWorld: kill -9 during the first psyche eval of a
// missing default world, which creates it.
func TestE2ECreateCrashDefaultWorld(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	dir := e.path("worlds/default")
	e = e.withEnv(map[string]string{"PSYCHE_WORLD": dir})
	rng := createRand(t)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	span := e.createTime("eval", "3 + 4")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	rounds, landed := createRounds(), 0
	for round := 0; round < rounds && !t.Failed(); round++ {
		delay := time.Duration(rng.Int64N(int64(span) * 9 / 10))
		if e.createKill(delay, "eval", "3 + 4") {
			landed++
		}
		if r := e.run("eval", "3 + 4"); r.code != 0 || r.out() != "7" {
			t.Fatalf("round %d: after kill -9 during its creation, the default world does not work:\n%s", round, r)
		}
		e.checkWorld(dir)
		e.createNothingBeside(dir)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d rounds over %v: %d kills landed", rounds, span, landed)
}

// createRace starts psyche with each of argss at the same moment and
// answers their results.
func (e *e2eEnv) createRace(argss ...[]string) []e2eResult {
	results := make([]e2eResult, len(argss))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, args := range argss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = e.run(args...)
		}()
	}
	close(start)
	wg.Wait()
	return results
}

// TestE2ECreateRace: two psyche new of the same directory at once: exactly
// one makes the world, the other says it is there. Two first evaluations of
// a missing default world at once: both see one world (or are told it is in
// use by the other).
func TestE2ECreateRace(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	dir := e.path("worlds/w")
	def := e.path("worlds/default")
	e = e.withEnv(map[string]string{"PSYCHE_WORLD": def})
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	rounds := createRounds()
	for round := 0; round < rounds && !t.Failed(); round++ {
		rs := e.createRace([]string{"new", dir}, []string{"new", dir})
		won := 0
		for _, r := range rs {
			switch {
			case r.code == 0:
				won++
			default:
				e.checkFailure(r, "already holds a world")
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d of two racing psyche new succeeded, want exactly one:\n%s\n%s", round, won, rs[0], rs[1])
		}
		e.checkWorld(dir)
		e.expectEval(dir, "3 + 4", "7")
		e.createNothingBeside(dir, "default")

		rs = e.createRace([]string{"eval", "3 + 4"}, []string{"eval", "3 + 4"})
		for _, r := range rs {
			if r.code == 0 && r.out() == "7" {
				continue
			}
			e.checkFailure(r, "open in another process")
		}
		e.checkWorld(def)
		e.expectEval(def, "3 + 4", "7")
		e.createNothingBeside(def, "w")
		for _, d := range []string{dir, def} {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestE2EExportCrash: kill -9 during psyche export over an existing image
// leaves the old image whole (or the new one complete), and a later export
// leaves no temporary file behind.
func TestE2EExportCrash(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	rng := createRand(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| big <- nil |). big: 'old'. big", "'old'")
	if err := os.Mkdir(e.path("images"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := e.path("images/saved.img")
	e.ok("export", "-w", w, img)
	old := e2eRead(t, img)
	e.expectEval(w, "big: vector copySize: 100000. 0 to: 99999 Do: [|:i| big at: i Put: i printString]. big size", "100000")
	span := e.createTime("export", "-w", w, img)
	fresh := e2eRead(t, img)
	for _, b := range [][]byte{old, fresh} {
		if err := os.WriteFile(img, b, 0o644); err != nil {
			t.Fatal(err)
		}
		e.ok("new", e.path("imported"), "--image", img)
		if err := os.RemoveAll(e.path("imported")); err != nil {
			t.Fatal(err)
		}
	}

	rounds, landed, replaced := createRounds(), 0, 0
	for round := 0; round < rounds && !t.Failed(); round++ {
		if err := os.WriteFile(img, old, 0o644); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(span) * 9 / 10))
		if e.createKill(delay, "export", "-w", w, img) {
			landed++
		}
		got := e2eRead(t, img)
		switch {
		case bytes.Equal(got, old):
		case bytes.Equal(got, fresh):
			replaced++
		default:
			t.Fatalf("round %d: kill -9 %v into psyche export left %s neither the old image (%d bytes) nor the new one (%d bytes): %d bytes",
				round, delay, img, len(old), len(fresh), len(got))
		}
	}
	t.Logf("%d rounds over %v: %d kills landed, %d exports had replaced the image", rounds, span, landed, replaced)
	e.ok("export", "-w", w, img)
	e.createNothingBeside(img)
}

// TestE2ECreateUnbuiltWorld: a world left unbuilt by an interrupted
// creation of an older psyche (which built worlds in place) is named as
// such, with the fix, by the commands that open it and by psyche new; after
// the fix, psyche new works.
func TestE2ECreateUnbuiltWorld(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	dir := e.path("w")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := heap.Create(filepath.Join(dir, "heap"), heap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"eval", "-w", dir, "3 + 4"}, {"check", "-w", dir}, {"new", dir}} {
		r := e.fails("creation was interrupted", args...)
		if !strings.Contains(r.stderr, "rm -r "+dir) {
			t.Errorf("the error does not say how to fix it:\n%s", r)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	e.ok("new", dir)
	e.expectEval(dir, "3 + 4", "7")
}

// TestE2ECreateInCurrentDirectory: psyche new . in an empty directory is
// refused with a reason (the rename would replace the directory under the
// user's shell), and leaves the directory as it was.
func TestE2ECreateInCurrentDirectory(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	here := e.path("here")
	if err := os.Mkdir(here, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := e.command("new", ".")
	cmd.Dir = here
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is the current directory") {
		t.Errorf("psyche new . in an empty directory: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(here)
	if err != nil || len(entries) != 0 {
		t.Errorf("the directory changed: %v, %v", entries, err)
	}
	e.createNothingBeside(here, "home", "xdg")
}
