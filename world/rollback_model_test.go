package world

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"psyche/vm"
)

// TestRollbackModel checks the checkpoints against a model: random histories
// of evaluations (which change some pages of a byteVector, and sometimes
// replace a second one, extra, by one of random size: small, or a large
// object of 2 to 12 MB made in the heap file, so the heap grows, the
// collector frees and reuses the space and gives the file's tail back, and a
// rollback shrinks or regrows it), checkpoints, rollbacks (and rollbacks to
// the checkpoint a rollback made, which undo it), deletions, whole
// collections and automatic slices after every evaluation, exports with an
// import of the image, and reopens. After every operation the present and
// every checkpoint (installed as eval --at and check install it) must answer
// exactly the state the model recorded for it, and the present's heap and
// every checkpoint's must check clean (verifyAll). PSYCHE_SOAK=1 runs
// thousands of operations.
//
//	go test -run TestRollbackModel ./world/
//	PSYCHE_SOAK=1 go test -run TestRollbackModel ./world/
//	PSYCHE_MODEL_SEED=S go test -run TestRollbackModel ./world/   # one seed
func TestRollbackModel(t *testing.T) {
	seeds, steps := []uint64{0, 1}, 20
	if os.Getenv("PSYCHE_SOAK") != "" {
		seeds, steps = []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 200
	}
	if s := os.Getenv("PSYCHE_MODEL_SEED"); s != "" {
		var seed uint64
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("PSYCHE_MODEL_SEED: %v", err)
		}
		seeds = []uint64{seed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			m := newRollbackModel(t, seed)
			for step := range steps {
				m.step()
				m.verifyAll(step)
			}
		})
	}
}

// modelPages is how many pages of bv the evaluations change.
const modelPages = 16

// The sizes extra takes: small ones stay young until commit; from 2 MB it
// is a large object (heap/large.go), made directly in the heap file.
const (
	smallExtraPages = 20
	largeExtraMin   = 2 << 20
	largeExtraMax   = 12 << 20
)

// modelCheckpoints is how many checkpoints the model keeps at most: beyond,
// it deletes one instead of making another.
const modelCheckpoints = 6

// modelState is what the model knows of a world's state: c, the byte at the
// start of each of bv's pages, extra's size and its first and last bytes.
type modelState struct {
	c           int
	bytes       [modelPages]int
	extra       int
	first, last int
}

func (s modelState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|", s.c)
	for _, v := range s.bytes {
		fmt.Fprintf(&b, "%d,", v)
	}
	fmt.Fprintf(&b, "|%d", s.extra)
	if s.extra > 0 {
		fmt.Fprintf(&b, ":%d:%d", s.first, s.last)
	}
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
	w.SetCollectionSlice(time.Millisecond)
	eval(t, w, fmt.Sprintf("lobby _AddSlots: (| c <- 0. bv <- byteVector copySize: %d. extra <- byteVector copySize: 0 |)", modelPages*4096))
	return &rollbackModel{t: t, r: rand.New(rand.NewPCG(seed, 7)), w: w, dir: dir, cps: map[string]modelState{}}
}

// digest is the expression whose value modelState.String answers.
func modelDigest() string {
	parts := []string{"c printString", "'|'"}
	for i := range modelPages {
		parts = append(parts, fmt.Sprintf("(bv at: %d) printString", i*4096), "','")
	}
	parts = append(parts, "'|'", "extra size printString",
		"(extra size = 0 ifTrue: [''] False: [':', (extra at: 0) printString, ':', (extra at: extra size - 1) printString])")
	return strings.Join(parts, " , ")
}

func (m *rollbackModel) fail(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\nafter: %s", fmt.Sprintf(format, args...), strings.Join(m.log, "; "))
}

// modelOp is one kind of step and how often it is chosen.
type modelOp struct {
	weight int
	run    func(m *rollbackModel)
}

var modelOps = []modelOp{
	{40, (*rollbackModel).evaluate},
	{14, (*rollbackModel).checkpoint},
	{14, (*rollbackModel).rollback},
	{10, (*rollbackModel).deleteCheckpoint},
	{8, (*rollbackModel).collect},
	{4, (*rollbackModel).exportImport},
	{6, (*rollbackModel).reopen},
}

// step makes one random step.
func (m *rollbackModel) step() {
	total := 0
	for _, op := range modelOps {
		total += op.weight
	}
	n := m.r.IntN(total)
	for _, op := range modelOps {
		if n < op.weight {
			op.run(m)
			return
		}
		n -= op.weight
	}
}

func (m *rollbackModel) names() []string { return slices.Sorted(maps.Keys(m.cps)) }

// evaluate changes c, a few of bv's pages and sometimes extra.
func (m *rollbackModel) evaluate() {
	m.present.c = m.r.IntN(1000)
	src := fmt.Sprintf("c: %d.", m.present.c)
	for range 1 + m.r.IntN(4) {
		p, v := m.r.IntN(modelPages), m.r.IntN(256)
		m.present.bytes[p] = v
		src += fmt.Sprintf(" bv at: %d Put: %d.", p*4096, v)
	}
	switch m.r.IntN(6) {
	case 0:
		m.present.extra = m.r.IntN(smallExtraPages) * 4096
	case 1, 2:
		m.present.extra = largeExtraMin + m.r.IntN(largeExtraMax-largeExtraMin)
	default:
		if m.present.extra > 0 && m.r.IntN(2) == 0 {
			m.present.first, m.present.last = m.r.IntN(256), m.r.IntN(256)
			src += fmt.Sprintf(" extra at: 0 Put: %d. extra at: %d Put: %d.", m.present.first, m.present.extra-1, m.present.last)
		}
		eval(m.t, m.w, src+" 0")
		m.log = append(m.log, "eval "+src)
		return
	}
	m.present.first, m.present.last = 0, 0
	src += fmt.Sprintf(" extra: (byteVector copySize: %d).", m.present.extra)
	if m.present.extra > 0 {
		m.present.first, m.present.last = 1+m.r.IntN(255), 1+m.r.IntN(255)
		src += fmt.Sprintf(" extra at: 0 Put: %d. extra at: %d Put: %d.", m.present.first, m.present.extra-1, m.present.last)
	}
	eval(m.t, m.w, src+" 0")
	m.log = append(m.log, "eval "+src)
}

func (m *rollbackModel) checkpoint() {
	if len(m.cps) >= modelCheckpoints {
		m.deleteCheckpoint()
		return
	}
	name := fmt.Sprintf("c%d", m.next)
	m.next++
	if err := m.w.Checkpoint(name); err != nil {
		m.fail("checkpoint %s: %v", name, err)
	}
	m.cps[name] = m.present
	m.log = append(m.log, "checkpoint "+name)
}

// rollback rolls back to a random checkpoint: one the model made, or one a
// rollback made, which undoes that rollback.
func (m *rollbackModel) rollback() {
	names := m.names()
	if len(names) == 0 || len(names) >= modelCheckpoints {
		m.checkpoint()
		return
	}
	to := names[m.r.IntN(len(names))]
	kept, err := m.w.Rollback(to, nil)
	if err != nil {
		m.fail("rollback %s: %v", to, err)
	}
	base := to // undoing a rollback: the kept name drops the target's own prefix
	for strings.HasPrefix(base, keptPrefix) && len(base) > len(keptPrefix) {
		base = strings.TrimPrefix(base, keptPrefix)
	}
	if !strings.HasPrefix(kept, keptPrefix+base) || m.cps[kept] != (modelState{}) {
		m.fail("rollback %s kept the present as %q", to, kept)
	}
	m.cps[kept] = m.present
	m.present = m.cps[to]
	m.log = append(m.log, "rollback "+to+" (kept "+kept+")")
}

func (m *rollbackModel) deleteCheckpoint() {
	names := m.names()
	if len(names) == 0 {
		m.checkpoint()
		return
	}
	name := names[m.r.IntN(len(names))]
	if err := m.w.DeleteCheckpoint(name); err != nil {
		m.fail("delete %s: %v", name, err)
	}
	delete(m.cps, name)
	m.log = append(m.log, "delete "+name)
}

func (m *rollbackModel) collect() {
	if _, err := m.w.Collect(); err != nil {
		m.fail("gc: %v", err)
	}
	m.log = append(m.log, "gc")
}

// exportImport exports the present and makes a world of the image, which
// must hold the present and check clean.
func (m *rollbackModel) exportImport() {
	img := filepath.Join(m.t.TempDir(), "w.img")
	if _, err := m.w.Export(img, nil); err != nil {
		m.fail("export: %v", err)
	}
	b, err := os.ReadFile(img)
	if err != nil {
		m.t.Fatal(err)
	}
	w, err := Create(filepath.Join(m.t.TempDir(), "imported"), FromImage(bytes.NewReader(b), int64(len(b))), io.Discard)
	if err != nil {
		m.fail("import: %v", err)
	}
	defer w.Close()
	want := "'" + m.present.String() + "'"
	if got, err := w.Eval("model", []byte(modelDigest())); err != nil || got != want {
		m.fail("the imported world is %s (%v), want %s", got, err, want)
	}
	if p := w.Check(nil); len(p) > 0 {
		m.fail("check of the imported world: %v", p)
	}
	m.log = append(m.log, "export and import")
}

func (m *rollbackModel) reopen() {
	m.w = reopen(m.t, m.w, m.dir)
	m.w.SetCollectionSlice(time.Millisecond)
	m.log = append(m.log, "reopen")
}

// verifyAll checks the present and every checkpoint against the model,
// and that check finds nothing: the present's heap, and every checkpoint's
// as check installs and checks it (lookAndCheck, which reads the digest in
// the same view, so each checkpoint is installed once per step); every
// fifth step the whole of Check, as psyche check runs it.
func (m *rollbackModel) verifyAll(step int) {
	m.t.Helper()
	want := "'" + m.present.String() + "'"
	if got := eval(m.t, m.w, modelDigest()); got != want {
		m.fail("step %d: the present is %s, want %s", step, got, want)
	}
	if got, want := slices.Sorted(slices.Values(m.w.Checkpoints())), m.names(); !slices.Equal(got, want) {
		m.fail("step %d: checkpoints %v, want %v", step, got, want)
	}
	if step%5 == 4 {
		if p := m.w.Check(nil); len(p) > 0 {
			m.fail("step %d: check: %v", step, p)
		}
	} else if r := m.w.h.Check(nil); len(r.Problems) > 0 {
		m.fail("step %d: check of the present: %v", step, r.Problems)
	}
	for name, st := range m.cps {
		want := "'" + st.String() + "'"
		if got := m.lookAndCheck(step, name); got != want {
			m.fail("step %d: at %s: %s, want %s", step, name, got, want)
		}
	}
}

// lookAndCheck installs checkpoint name into a view as check does, checks
// its heap, and answers the digest evaluated there, as eval --at does.
func (m *rollbackModel) lookAndCheck(step int, name string) string {
	m.t.Helper()
	w := m.w
	k, err := w.cps.lookup(name)
	if err == nil {
		err = w.cps.undamaged(k)
	}
	if err != nil {
		m.fail("step %d: at %s: %v", step, name, err)
	}
	w.h.BeginView()
	defer func() {
		w.h.Abort()
		w.h.EndView()
	}()
	if err := w.cps.install(k, nil); err != nil {
		m.fail("step %d: at %s: %v", step, name, err)
	}
	if r := w.h.CheckInstalled(nil); len(r.Problems) > 0 {
		m.fail("step %d: check of checkpoint %s: %v", step, name, r.Problems)
	}
	result, err := w.vm.Eval("model", []byte(modelDigest()), vm.Periods)
	var got string
	if err == nil {
		got, err = w.vm.PrintResult(result)
	}
	if err != nil {
		m.fail("step %d: at %s: %v", step, name, err)
	}
	return got
}
