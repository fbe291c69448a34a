package world

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestRollbackModel checks the checkpoints against a model: random sequences
// of evaluations (which change some pages of a byteVector, and sometimes
// replace a second one of random size, so the heap grows and a rollback
// shrinks it), checkpoints, rollbacks, deletions, collections and reopens.
// After every rollback, deletion or reopen, and every fifth step, the present
// and every checkpoint (looked at as eval --at does) must answer exactly the
// state the model recorded for it: a rollback
// deletes nothing, and the checkpoint it makes holds the state it replaced.
// PSYCHE_SOAK=1 runs more and longer sequences.
func TestRollbackModel(t *testing.T) {
	seeds, steps := 3, 40
	if os.Getenv("PSYCHE_SOAK") != "" {
		seeds, steps = 10, 150
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			m := newRollbackModel(t, uint64(seed))
			for step := range steps {
				if changedHistory := m.step(); changedHistory || step%5 == 4 {
					m.verifyAll(step)
				} else {
					m.verifyPresent(step)
				}
			}
		})
	}
}

// modelPages is how many pages of bv the evaluations change.
const modelPages = 16

// modelState is what the model knows of a world's state: c, the byte at the
// start of each of bv's pages, and the size of extra.
type modelState struct {
	c     int
	bytes [modelPages]int
	extra int
}

func (s modelState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|", s.c)
	for _, v := range s.bytes {
		fmt.Fprintf(&b, "%d,", v)
	}
	fmt.Fprintf(&b, "|%d", s.extra)
	return b.String()
}

type rollbackModel struct {
	t       *testing.T
	r       *rand.Rand
	w       *World
	dir     string
	present modelState
	cps     map[string]modelState
	next    int // for checkpoint names
	log     []string
}

func newRollbackModel(t *testing.T, seed uint64) *rollbackModel {
	w, dir := newWorld(t)
	eval(t, w, fmt.Sprintf("lobby _AddSlots: (| c <- 0. bv <- byteVector copySize: %d. extra <- byteVector copySize: 0 |)", modelPages*4096))
	return &rollbackModel{t: t, r: rand.New(rand.NewPCG(seed, 7)), w: w, dir: dir, cps: map[string]modelState{}}
}

// digest is the expression whose value modelState.String answers.
func modelDigest() string {
	parts := []string{"c printString", "'|'"}
	for i := range modelPages {
		parts = append(parts, fmt.Sprintf("(bv at: %d) printString", i*4096), "','")
	}
	parts = append(parts, "'|'", "extra size printString")
	return strings.Join(parts, " , ")
}

func (m *rollbackModel) fail(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\nafter: %s", fmt.Sprintf(format, args...), strings.Join(m.log, "; "))
}

// step makes one random step; it reports whether the step was a rollback,
// deletion or reopen, after which every checkpoint is verified.
func (m *rollbackModel) step() (changedHistory bool) {
	names := slices.Sorted(maps.Keys(m.cps))
	n := m.r.IntN(100)
	if len(names) == 0 && n >= 60 && n < 90 {
		n = 0 // a rollback or deletion needs a checkpoint
	}
	switch {
	case n < 40:
		m.evaluate()
	case n < 60:
		name := fmt.Sprintf("c%d", m.next)
		m.next++
		if err := m.w.Checkpoint(name); err != nil {
			m.fail("checkpoint %s: %v", name, err)
		}
		m.cps[name] = m.present
		m.log = append(m.log, "checkpoint "+name)
	case n < 80:
		to := names[m.r.IntN(len(names))]
		kept, err := m.w.Rollback(to, nil)
		if err != nil {
			m.fail("rollback %s: %v", to, err)
		}
		if !strings.HasPrefix(kept, keptPrefix+to) || m.cps[kept] != (modelState{}) {
			m.fail("rollback %s kept the present as %q", to, kept)
		}
		m.cps[kept] = m.present
		m.present = m.cps[to]
		m.log = append(m.log, "rollback "+to+" (kept "+kept+")")
		return true
	case n < 90:
		name := names[m.r.IntN(len(names))]
		if err := m.w.DeleteCheckpoint(name); err != nil {
			m.fail("delete %s: %v", name, err)
		}
		delete(m.cps, name)
		m.log = append(m.log, "delete "+name)
		return true
	case n < 95:
		if _, err := m.w.Collect(); err != nil {
			m.fail("gc: %v", err)
		}
		m.log = append(m.log, "gc")
	default:
		m.w = reopen(m.t, m.w, m.dir)
		m.log = append(m.log, "reopen")
		return true
	}
	return false
}

// evaluate changes c, a few of bv's pages and sometimes extra's size.
func (m *rollbackModel) evaluate() {
	m.present.c = m.r.IntN(1000)
	src := fmt.Sprintf("c: %d.", m.present.c)
	for range 1 + m.r.IntN(4) {
		p, v := m.r.IntN(modelPages), m.r.IntN(256)
		m.present.bytes[p] = v
		src += fmt.Sprintf(" bv at: %d Put: %d.", p*4096, v)
	}
	if m.r.IntN(4) == 0 {
		m.present.extra = m.r.IntN(20) * 4096
		src += fmt.Sprintf(" extra: (byteVector copySize: %d).", m.present.extra)
	}
	eval(m.t, m.w, src+" 0")
	m.log = append(m.log, "eval "+src)
}

// verifyPresent checks the present against the model.
func (m *rollbackModel) verifyPresent(step int) {
	m.t.Helper()
	want := "'" + m.present.String() + "'"
	if got := eval(m.t, m.w, modelDigest()); got != want {
		m.fail("step %d: the present is %s, want %s", step, got, want)
	}
}

// verifyAll checks the present and every checkpoint against the model.
func (m *rollbackModel) verifyAll(step int) {
	m.t.Helper()
	m.verifyPresent(step)
	if got, want := slices.Sorted(slices.Values(m.w.Checkpoints())), slices.Sorted(maps.Keys(m.cps)); !slices.Equal(got, want) {
		m.fail("step %d: checkpoints %v, want %v", step, got, want)
	}
	for name, st := range m.cps {
		want := "'" + st.String() + "'"
		got, err := m.w.EvalAt(name, "model", []byte(modelDigest()))
		if err != nil || got != want {
			m.fail("step %d: at %s: %s (%v), want %s", step, name, got, err, want)
		}
	}
	if step%10 == 9 {
		if p := m.w.Check(nil); len(p) > 0 {
			m.fail("step %d: check: %v", step, p)
		}
	}
}
