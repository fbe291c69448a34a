package tests

// The damage test: flip a bit in, or truncate, any file of a world that has
// checkpoints (after a clean close, and after a kill -9 that left records in
// the log), then run check, eval, eval --at, rollback and open again; when
// the present cannot be read, psyche recover. Each trial must end with no
// panic, no silent wrong answer, no world that an operation's failure left
// unopenable, and a world that opens, or one recover built (its values
// right, or the loss reported), or recover's clean refusal; the counts of
// each are logged. make test runs a hundred trials;
// make soak (PSYCHE_SOAK=1) runs thousands. PSYCHE_DAMAGE_SEED replays one
// run's choices.

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// damageProbe prints the state a trial compares: a string and a number that
// every step of the template's history changes together.
const damageProbe = "v , ' ' , n printString"

// damageTemplate is a world and what its probe printed at each checkpoint and
// in the present.
type damageTemplate struct {
	name    string
	dir     string
	present string
	at      map[string]string // checkpoint name -> the probe's output there
	// history is every state the probe printed, oldest first: a recovery
	// that reports damage to the log may find one before the present.
	history []string
}

// damageBuild makes the template worlds: one closed cleanly, one killed after
// evaluations the REPL reported done (so its log holds records).
func damageBuild(e *e2eEnv) []*damageTemplate {
	e.t.Helper()
	var ts []*damageTemplate
	for _, name := range []string{"closed", "killed"} {
		w := e.newWorld("template-" + name)
		tp := &damageTemplate{name: name, dir: w, at: map[string]string{}}
		e.eval(w, "lobby _AddSlots: (| v <- 'zero'. n <- 0. junk <- nil |). 'ok'")
		for i, cp := range []string{"A", "B"} {
			// Enough garbage and changed pages that the deltas hold several records.
			step := fmt.Sprintf("v: 'state-%d'. n: %d. junk: ((vector copySize: 3000) mapBy: [|:x| 'x%d' copyMutable]). %s", i, i*1000+7, i, damageProbe)
			out := e.eval(w, step)
			e.ok("checkpoint", "-w", w, cp)
			tp.at[cp] = out
			tp.history = append(tp.history, out)
		}
		tp.present = e.eval(w, "v: 'present'. n: 99. junk: nil. "+damageProbe)
		if name == "killed" {
			tp.history = append(tp.history, tp.present)
			tp.present = damageKillAfter(e, w, "v: 'after-kill'. n: 123. "+damageProbe)
		}
		tp.history = append(tp.history, tp.present)
		ts = append(ts, tp)
	}
	return ts
}

// damageKillAfter runs expr in a REPL on w, waits until the REPL has printed
// its result (so it is committed), and kills the process with SIGKILL before
// it can close the world cleanly. It answers what the REPL printed.
func damageKillAfter(e *e2eEnv, w, expr string) string {
	e.t.Helper()
	cmd := e.command("repl", "-w", w)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var out e2eSyncBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	defer stdin.Close()
	if _, err := fmt.Fprintln(stdin, expr); err != nil {
		e.t.Fatal(err)
	}
	want := "'after-kill 123'"
	deadline := time.Now().Add(e2eTimeout)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			e.t.Fatalf("the REPL never printed %s:\n%s", want, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if fi, err := os.Stat(filepath.Join(w, "heap.log")); err != nil || fi.Size() == 0 {
		e.t.Fatalf("the killed world's log holds no records (%v); the template does not test recovery", err)
	}
	return want
}

// damageFiles lists a world's files, sorted so that a seed replays.
func damageFiles(t *testing.T, dir string) []string {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// damageCopy copies the template world src to dst.
func damageCopy(t *testing.T, src, dst string) {
	for _, rel := range damageFiles(t, src) {
		b, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, rel), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// damageApply damages one file of w and says what it did.
func damageApply(t *testing.T, rng *rand.Rand, w string) string {
	files := damageFiles(t, w)
	rel := files[rng.IntN(len(files))]
	p := filepath.Join(w, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || rng.IntN(4) == 0 {
		n := 0
		if len(b) > 0 {
			n = rng.IntN(len(b))
		}
		if err := os.Truncate(p, int64(n)); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("truncated %s from %d to %d bytes", rel, len(b), n)
	}
	off, bit := rng.IntN(len(b)), rng.IntN(8)
	b[off] ^= 1 << bit
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("flipped bit %d of byte %d of %s (%d bytes)", bit, off, rel, len(b))
}

// damageTrial is one trial's record of what each command did, for the
// failure message.
type damageTrial struct {
	t       *testing.T
	e       *e2eEnv
	what    string
	log     []string
	failed  bool
	seed    uint64
	trialNo int
}

func (d *damageTrial) run(args ...string) e2eResult {
	r := d.e.run(args...)
	d.log = append(d.log, r.String())
	if r.err != nil || r.signal != 0 || (r.code != 0 && r.code != 1) {
		d.fail("the command crashed, hung or exited with neither 0 nor 1")
	}
	for _, s := range []string{"panic:", "goroutine ", "fatal error", "runtime error", "SIGSEGV", "SIGBUS"} {
		if strings.Contains(r.stdout+r.stderr, s) {
			d.fail("a Go panic or runtime failure reached the user (%q)", s)
		}
	}
	if r.code == 1 && !strings.HasPrefix(r.stderr, "error: ") {
		d.fail("a failure without an error message")
	}
	return r
}

func (d *damageTrial) fail(format string, args ...any) {
	if d.failed {
		return
	}
	d.failed = true
	d.t.Errorf("trial %d (seed %d), %s: %s\n%s", d.trialNo, d.seed, d.what, fmt.Sprintf(format, args...),
		strings.Join(d.log, "\n---\n"))
}

// probe evaluates the probe (at a checkpoint, or in the present) and answers
// its output and whether it succeeded; a success with the wrong value is a
// silent wrong answer.
func (d *damageTrial) probe(w, at, want string) bool {
	args := []string{"eval", "-w", w}
	if at != "" {
		args = append(args, "--at", at)
	}
	r := d.run(append(args, damageProbe)...)
	if r.code == 0 && r.out() != want {
		d.fail("a silent wrong answer: %s printed %q, want %q", strings.Join(args, " "), r.out(), want)
	}
	return r.code == 0
}

// damageOutcome is how a trial's damaged world ended: it still opened, or
// psyche recover made a new world from it, or recover refused it cleanly.
type damageOutcome int

const (
	damageOpened damageOutcome = iota
	damageRecovered
	damageRefused
	damageOutcomes
)

var damageOutcomeNames = [damageOutcomes]string{"still opened", "recovered", "refused by recover"}

// check runs the operations on the damaged world w and, when its present
// cannot be read, psyche recover on damaged, a copy of w made before them
// (a rollback may have changed w's present), and answers how the trial ended.
func (d *damageTrial) check(tp *damageTemplate, w, damaged string) damageOutcome {
	checkOK := d.run("check", "-w", w).code == 0
	presentOK := d.probe(w, "", tp.present)
	atOK := true
	for _, cp := range []string{"A", "B"} {
		atOK = d.probe(w, cp, tp.at[cp]) && atOK
	}
	d.run("info", "-w", w)
	rolled := d.run("rollback", "-w", w, "A").code == 0
	after := d.run("eval", "-w", w, damageProbe)
	switch {
	case rolled && after.code == 0 && after.out() != tp.at["A"]:
		d.fail("rollback to A reported success, then the probe answered %q, want %q", after.out(), tp.at["A"])
	case rolled && after.code != 0 && checkOK:
		// A rollback restores only the pages changed since A; damage elsewhere,
		// which check reported, may remain. Damage check did not see may not.
		d.fail("rollback to A reported success on a world check passed, then the probe failed")
	case !rolled && presentOK && (after.code != 0 || after.out() != tp.present):
		d.fail("a failed rollback left a world that no longer answers as before (%q, exit %d)", after.out(), after.code)
	}
	if checkOK && !(presentOK && atOK && rolled) {
		d.fail("check passed, yet an operation failed: damage that check does not see")
	}
	if checkOK && d.run("eval", "-w", w, "3 + 4").code != 0 {
		d.fail("the world no longer works after the operations above")
	}
	if presentOK {
		return damageOpened
	}
	return d.recover(tp, damaged)
}

// recover runs psyche recover on w, whose present could not be read: it
// must build a world whose probe answers a state of the template's history
// (the present unless the report names damage), or fail with a message.
func (d *damageTrial) recover(tp *damageTemplate, w string) damageOutcome {
	nw := w + "-recovered"
	defer os.RemoveAll(nw)
	r := d.run("recover", w, nw)
	if r.code != 0 {
		first, _, _ := strings.Cut(r.stderr, "\n")
		d.t.Logf("trial %d, %s: recover refused: %s", d.trialNo, d.what, first)
		return damageRefused
	}
	if d.run("check", "-w", nw).code != 0 {
		d.fail("the recovered world does not check clean")
	}
	p := d.run("eval", "-w", nw, damageProbe)
	clean := strings.Contains(r.stdout, "damage found on opening: none") && strings.Contains(r.stdout, "nothing was lost")
	switch {
	case p.code == 0 && p.out() == tp.present:
	case clean:
		d.fail("the report says nothing was lost, yet the probe answered %q (exit %d), want %q", p.out(), p.code, tp.present)
	case p.code == 0 && !slices.Contains(tp.history, p.out()):
		d.fail("a silent wrong answer: the recovered world's probe printed %q, no state the world ever had", p.out())
	}
	for _, cp := range []string{"A", "B"} {
		if at := d.run("eval", "-w", nw, "--at", cp, damageProbe); at.code == 0 && at.out() != tp.at[cp] {
			d.fail("a silent wrong answer: at the recovered checkpoint %s the probe printed %q, want %q", cp, at.out(), tp.at[cp])
		}
	}
	return damageRecovered
}

func TestDamageAnyByte(t *testing.T) {
	trials := 100
	if os.Getenv("PSYCHE_SOAK") != "" {
		trials = 3000
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PSYCHE_DAMAGE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PSYCHE_DAMAGE_SEED: %v", err)
		}
	}
	t.Logf("seed %d (PSYCHE_DAMAGE_SEED replays it), %d trials", seed, trials)
	rng := rand.New(rand.NewPCG(seed, 0))
	e := newE2E(t)
	templates := damageBuild(e)
	failures := 0
	var outcomes [damageOutcomes]int
	for i := 0; i < trials && failures < 5; i++ {
		tp := templates[i%len(templates)]
		w := e.path(fmt.Sprintf("trial-%d", i))
		damageCopy(t, tp.dir, w)
		d := &damageTrial{t: t, e: e, seed: seed, trialNo: i}
		d.what = tp.name + " world: " + damageApply(t, rng, w)
		damaged := w + "-damaged"
		damageCopy(t, w, damaged)
		outcomes[d.check(tp, w, damaged)]++
		if d.failed {
			failures++
		}
		os.RemoveAll(w)
		os.RemoveAll(damaged)
	}
	var counts []string
	for o, n := range outcomes {
		counts = append(counts, fmt.Sprintf("%s %d", damageOutcomeNames[o], n))
	}
	t.Logf("outcomes: %s", strings.Join(counts, ", "))
}
