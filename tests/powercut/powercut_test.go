package powercut

// A simulated power cut loses nothing psyche reported done (DESIGN.md, the
// promises table). The world lives on the power-cut filesystem; each round
// runs a workload of evaluations, gc, checkpoints, rollbacks, checkpoint
// deletions and exports, one psyche process after another, cuts the power
// at a random moment (the running process is killed with SIGKILL, and the
// filesystem comes back with only what was fsynced), and checks the world.
//
//	go test ./                              # 20 cuts
//	PSYCHE_SOAK=1 go test ./                # 1000 cuts
//	PSYCHE_SOAK=N go test ./                # N cuts
//	PSYCHE_POWERCUT_SEED=S go test ./       # replay a seed

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	shortCuts = 20
	soakCuts  = 1000
)

func TestPowerCutWorld(t *testing.T) {
	cuts := shortCuts
	if s := os.Getenv("PSYCHE_SOAK"); s != "" {
		cuts = soakCuts
		if n, err := strconv.Atoi(s); err == nil && n > 1 {
			cuts = n
		}
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PSYCHE_POWERCUT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PSYCHE_POWERCUT_SEED: %v", err)
		}
	}
	t.Logf("seed %d (PSYCHE_POWERCUT_SEED=%d replays the choices, not the timing), %d cuts", seed, seed, cuts)

	c := newCutTest(t, seed)
	for i := 0; i < cuts && !t.Failed(); i++ {
		c.round(i)
	}
	t.Logf("%d cuts: %d operations reported done, %d interrupted; the log holds %d ids, %d checkpoints",
		cuts, c.done, c.interrupted, len(c.wl.s.log), len(c.wl.s.cps))
}

// newCutTest mounts the filesystem, makes a world on it and checks that it
// survives a cut at once: a world reported created, and an evaluation
// reported done, survive.
func newCutTest(t *testing.T, seed uint64) *cutTest {
	t.Helper()
	m := mountForTest(t)
	c := &cutTest{t: t, m: m, e: newEnv(t), rng: rand.New(rand.NewPCG(seed, 0x90e5)),
		world: filepath.Join(m.Dir, "w"), image: filepath.Join(m.Dir, "w.img")}
	c.wl.rng = c.rng
	c.must("new", c.world)
	c.must("eval", "-w", c.world, setupSlots)
	c.cut(nil)
	c.verify(nil, "after psyche new and the first evaluation")
	return c
}

// cutTest is the state of one power-cut test.
type cutTest struct {
	t            *testing.T
	m            *Mount
	e            *env
	rng          *rand.Rand
	wl           workload
	world, image string
	imports      int
	done         int // operations reported done
	interrupted  int // operations a cut interrupted
}

// must runs a psyche command that must succeed (with no cut).
func (c *cutTest) must(args ...string) result {
	c.t.Helper()
	r := c.e.run(args...)
	if !r.ok() || r.panicked() {
		c.t.Fatalf("expected success:\n%s", r)
	}
	return r
}

// cut cuts the power, killing the process in flight (if any) with SIGKILL.
func (c *cutTest) cut(w *runner) {
	c.t.Helper()
	kill, wait := func() {}, func() {}
	if w != nil {
		kill, wait = w.kill, w.wait
	}
	if err := c.m.PowerCut(kill, wait); err != nil {
		c.t.Fatalf("power cut: %v", err)
	}
}

// round runs the workload, cuts the power at a random moment, and checks
// the world.
func (c *cutTest) round(i int) {
	c.t.Helper()
	w := &runner{c: c, stop: make(chan struct{}), ended: make(chan struct{})}
	go w.loop()
	delay := time.Duration(c.rng.IntN(300)) * time.Millisecond
	if c.rng.IntN(10) == 0 {
		delay = time.Duration(c.rng.IntN(20)) * time.Millisecond
	}
	time.Sleep(delay)
	c.cut(w)
	if w.err != "" {
		c.t.Fatalf("cut %d: %s", i, w.err)
	}
	c.done += w.done
	if w.inflight != nil {
		c.interrupted++
	}
	c.verify(w.inflight, "cut "+strconv.Itoa(i)+" ("+w.describe(delay)+")")
}

// runner runs the workload of one round in its own goroutine, one psyche
// process at a time, until the cut kills the process in flight.
type runner struct {
	c     *cutTest
	mu    sync.Mutex
	stop  chan struct{} // closed by kill
	cur   *exec.Cmd     // the process in flight
	ended chan struct{} // closed when loop returns

	// Written by loop, read after ended.
	inflight *op    // the operation the cut interrupted, if one
	done     int    // operations reported done
	err      string // why the round failed, if it did
}

func (w *runner) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.stop)
	if w.cur != nil {
		w.cur.Process.Signal(syscall.SIGKILL)
	}
}

func (w *runner) wait() { <-w.ended }

func (w *runner) describe(delay time.Duration) string {
	s := strconv.Itoa(w.done) + " operations done in " + delay.String()
	if w.inflight != nil {
		s += ", " + w.inflight.String() + " interrupted"
	}
	return s
}

func (w *runner) loop() {
	defer close(w.ended)
	for {
		o := w.c.wl.next()
		cmd, stdout, stderr := w.c.e.command(o.args(w.c.world, w.c.image)...)
		w.mu.Lock()
		select {
		case <-w.stop:
			w.mu.Unlock()
			return
		default:
		}
		if err := cmd.Start(); err != nil {
			w.mu.Unlock()
			w.err = "starting psyche: " + err.Error()
			return
		}
		w.cur = cmd
		w.mu.Unlock()
		r := wait(cmd, stdout, stderr, cmd.Args[1:])
		w.mu.Lock()
		w.cur = nil
		w.mu.Unlock()
		switch {
		case r.panicked():
			w.err = "psyche panicked:\n" + r.String()
			return
		case o.reported(r):
			w.c.wl.s = o.apply(w.c.wl.s)
			w.done++
		case r.signal == syscall.SIGKILL && !r.hung:
			w.inflight = &o
			return
		default:
			w.err = "an operation failed without a cut:\n" + r.String()
			return
		}
	}
}

// verify checks the world after a cut: it opens, check is clean, and it is
// one of the states the cut may have left (every operation reported done is
// there; the one interrupted is all there or not at all); every checkpoint
// holds what it held when made; the image file, if an export may have
// changed it, imports and holds what it held when exported. The model then
// follows what the world is.
func (c *cutTest) verify(inflight *op, when string) {
	c.t.Helper()
	// Look first, for a clearer message than psyche eval's.
	if _, err := os.Stat(filepath.Join(c.world, "heap")); err != nil {
		c.t.Fatalf("%s: the world is gone (its heap file: %v); psyche reported it created", when, err)
	}
	r := c.e.run("eval", "-w", c.world, printLog)
	if !r.ok() || r.panicked() {
		c.t.Fatalf("%s: the world does not open:\n%s", when, r)
	}
	log, err := parseLog(r.stdout)
	if err != nil {
		c.t.Fatalf("%s: %v\n%s", when, err, r)
	}
	if r := c.e.run("check", "-w", c.world); !r.ok() || r.panicked() {
		c.t.Fatalf("%s: psyche check should pass:\n%s", when, r)
	}
	r = c.e.run("checkpoints", "-w", c.world)
	if !r.ok() || r.panicked() {
		c.t.Fatalf("%s: psyche checkpoints:\n%s", when, r)
	}
	names := strings.Fields(r.stdout)

	candidates := outcomes(c.wl.s, inflight)
	checkImage := (inflight != nil && inflight.kind == opExport) || (c.wl.s.hasImage && c.rng.IntN(10) == 0)
	var image []int
	hasImage := false
	if checkImage {
		image, hasImage = c.importImage(when)
	}
	matches := func(s state) bool {
		if !slices.Equal(s.log, log) || !slices.Equal(s.names(), names) {
			return false
		}
		return !checkImage || s.hasImage == hasImage && slices.Equal(s.image, image)
	}
	i := slices.IndexFunc(candidates, matches)
	if i < 0 {
		var want []string
		for _, s := range candidates {
			w := "log " + idList(s.log) + ", checkpoints " + strings.Join(s.names(), " ")
			if checkImage {
				w += ", image " + imageString(s.image, s.hasImage)
			}
			want = append(want, w)
		}
		got := "log " + idList(log) + ", checkpoints " + strings.Join(names, " ")
		if checkImage {
			got += ", image " + imageString(image, hasImage)
		}
		c.t.Fatalf("%s: the world is not what psyche reported:\n  found: %s\n  expected one of:\n    %s",
			when, got, strings.Join(want, "\n    "))
	}
	c.wl.s = candidates[i]

	for _, cp := range c.wl.s.cps {
		r := c.e.run("eval", "-w", c.world, "--at", cp.name, printLog)
		got, err := parseLog(r.stdout)
		if !r.ok() || r.panicked() || err != nil || !slices.Equal(got, cp.log) {
			c.t.Fatalf("%s: checkpoint %s should hold log %s:\n%s", when, cp.name, idList(cp.log), r)
		}
	}
}

// importImage makes a world from the image file and answers its log, or
// reports that there is no image file.
func (c *cutTest) importImage(when string) ([]int, bool) {
	c.t.Helper()
	if _, err := os.Stat(c.image); errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	c.imports++
	dir := filepath.Join(c.m.Dir, "import"+strconv.Itoa(c.imports))
	if r := c.e.run("new", dir, "--image", c.image); !r.ok() || r.panicked() {
		c.t.Fatalf("%s: the image does not import:\n%s", when, r)
	}
	r := c.e.run("eval", "-w", dir, printLog)
	log, err := parseLog(r.stdout)
	if !r.ok() || r.panicked() || err != nil {
		c.t.Fatalf("%s: the world imported from the image does not open (%v):\n%s", when, err, r)
	}
	// Its removal need not be durable: its name is never used again.
	if err := os.RemoveAll(dir); err != nil {
		c.t.Fatal(err)
	}
	return log, true
}

func idList(ids []int) string {
	if len(ids) > 12 {
		return "(" + strconv.Itoa(len(ids)) + " ids, ending " + idList(ids[len(ids)-6:]) + ")"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func imageString(ids []int, has bool) string {
	if !has {
		return "none"
	}
	return idList(ids)
}
