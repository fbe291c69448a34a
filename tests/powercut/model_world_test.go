package powercut

// What the power-cut test expects of the world: a model of its state as
// the operations that psyche reported done left it, and the outcomes that
// the one operation a cut interrupted may have had.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// The world holds a list, log, of the ids of the evaluations that
// committed, in order; each evaluation also leaves garbage behind for gc,
// and every third one replaces big by a byteVector of 2 to 12 MB, a large
// object made in the heap file (so collections free, reuse and give back
// the file's tail, and rollbacks shrink and regrow it). What big holds
// follows from the log: the last such evaluation in it made it.
const (
	setupSlots = "lobby _AddSlots: (| log <- nil. scratch <- nil. big <- nil |). log: list copyRemoveAll. log size"
	printLog   = "(big isNil ifTrue: ['none'] False: [big size printString, ' ', (big at: 0) printString, ' ', " +
		"(big at: big size - 1) printString]) printLine. log do: [|:e| e printLine]. log size"
)

// bigSize answers the size of the byteVector evaluation id makes, or 0 if
// it makes none.
func bigSize(id int) int {
	if id%3 != 0 {
		return 0
	}
	const minSize, maxSize = 2 << 20, 12 << 20
	return minSize + id*7919*4099%(maxSize-minSize)
}

// bigOf is what printLog prints of big after the evaluations of log.
func bigOf(log []int) string {
	for i := len(log) - 1; i >= 0; i-- {
		if n := bigSize(log[i]); n > 0 {
			b := strconv.Itoa(log[i] % 256)
			return strconv.Itoa(n) + " " + b + " " + b
		}
	}
	return "none"
}

// evalSource is the evaluation that appends id to log; it prints id.
func evalSource(id int) string {
	src := fmt.Sprintf("log addLast: %d. scratch: (vector copySize: 50). ", id)
	if n := bigSize(id); n > 0 {
		src += fmt.Sprintf("big: (byteVector copySize: %d). big at: 0 Put: %d. big at: %d Put: %d. ", n, id%256, n-1, id%256)
	}
	return src + strconv.Itoa(id)
}

// parseLog reads what printLog printed: what big holds, the ids, then
// their count. big must be what the ids say.
func parseLog(out string) ([]int, error) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 {
		return nil, fmt.Errorf("too little output: %q", out)
	}
	big, lines := lines[0], lines[1:]
	n, err := strconv.Atoi(lines[len(lines)-1])
	if err != nil || n != len(lines)-1 {
		return nil, fmt.Errorf("the last line should be the count of the ids above it: %q", out)
	}
	ids := make([]int, n)
	for i, l := range lines[:n] {
		if ids[i], err = strconv.Atoi(l); err != nil {
			return nil, fmt.Errorf("line %d is not an id: %q", i+2, l)
		}
	}
	if want := bigOf(ids); big != want {
		return nil, fmt.Errorf("big is %q after the log %v, want %q", big, ids, want)
	}
	return ids, nil
}

// opKind is what one workload step does.
type opKind int

const (
	opEval opKind = iota
	opGC
	opCheckpoint
	opRollback
	opDelete // a checkpoint
	opExport
)

var opNames = map[opKind]string{opEval: "eval", opGC: "gc", opCheckpoint: "checkpoint",
	opRollback: "rollback", opDelete: "checkpoint --delete", opExport: "export"}

// opWeights is how often each kind is chosen (out of their sum).
var opWeights = []struct {
	kind   opKind
	weight int
}{{opEval, 60}, {opGC, 8}, {opCheckpoint, 10}, {opRollback, 7}, {opDelete, 5}, {opExport, 10}}

// maxCheckpoints keeps the world small: beyond it, deleting is chosen
// instead of making another.
const maxCheckpoints = 4

// op is one workload step.
type op struct {
	kind opKind
	id   int    // opEval: the id it appends
	name string // opCheckpoint, opRollback, opDelete: the checkpoint
}

func (o op) String() string {
	switch o.kind {
	case opEval:
		return fmt.Sprintf("eval %d", o.id)
	case opCheckpoint, opRollback, opDelete:
		return opNames[o.kind] + " " + o.name
	}
	return opNames[o.kind]
}

// args is the psyche command line of o on world w, exporting to image.
func (o op) args(w, image string) []string {
	switch o.kind {
	case opEval:
		return []string{"eval", "-w", w, evalSource(o.id)}
	case opGC:
		return []string{"gc", "-w", w}
	case opCheckpoint:
		return []string{"checkpoint", "-w", w, o.name}
	case opRollback:
		return []string{"rollback", "-w", w, o.name}
	case opDelete:
		return []string{"checkpoint", "-w", w, "--delete", o.name}
	}
	return []string{"export", "-w", w, image}
}

// reported is whether psyche reported o done: it exited 0, or, for an
// evaluation, printed its result (a kill right after that still counts).
func (o op) reported(r result) bool {
	if o.kind == opEval && r.stdout == strconv.Itoa(o.id)+"\n" {
		return true
	}
	return r.ok()
}

// checkpoint is one checkpoint of the model: its name and the log it saw.
type checkpoint struct {
	name string
	log  []int
}

// state is the world as the model knows it.
type state struct {
	log []int
	cps []checkpoint // oldest first
	// image is the log of the image file's world; hasImage says whether an
	// export to it was reported.
	image    []int
	hasImage bool
}

func (s state) clone() state {
	c := s
	c.log = slices.Clone(s.log)
	c.cps = slices.Clone(s.cps)
	return c
}

func (s state) names() []string {
	var names []string
	for _, c := range s.cps {
		names = append(names, c.name)
	}
	return names
}

// keptName is the name of the checkpoint a rollback to target keeps the
// present in: before-rollback-to-TARGET, or with -2, -3, ... if taken; a
// target that is itself such a checkpoint loses the prefix first.
func (s state) keptName(target string) string {
	const prefix = "before-rollback-to-"
	for strings.HasPrefix(target, prefix) && len(target) > len(prefix) {
		target = strings.TrimPrefix(target, prefix)
	}
	name := "before-rollback-to-" + target
	for n := 2; s.find(name) >= 0; n++ {
		name = "before-rollback-to-" + target + "-" + strconv.Itoa(n)
	}
	return name
}

func (s state) find(name string) int {
	return slices.IndexFunc(s.cps, func(c checkpoint) bool { return c.name == name })
}

// workload chooses the steps and keeps the model.
type workload struct {
	rng    *rand.Rand
	s      state
	lastID int
	lastCP int
}

// next chooses the next step.
func (w *workload) next() op {
	total := 0
	for _, ow := range opWeights {
		total += ow.weight
	}
	pick := w.rng.IntN(total)
	kind := opEval
	for _, ow := range opWeights {
		if pick < ow.weight {
			kind = ow.kind
			break
		}
		pick -= ow.weight
	}
	switch {
	case (kind == opCheckpoint || kind == opRollback) && len(w.s.cps) >= maxCheckpoints:
		kind = opDelete
	case (kind == opRollback || kind == opDelete) && len(w.s.cps) == 0:
		kind = opCheckpoint
	}
	return w.make(kind)
}

// make makes a step of the given kind; a rollback or a deletion needs a
// checkpoint.
func (w *workload) make(kind opKind) op {
	switch kind {
	case opEval:
		w.lastID++
		return op{kind: opEval, id: w.lastID}
	case opCheckpoint:
		w.lastCP++
		return op{kind: opCheckpoint, name: "c" + strconv.Itoa(w.lastCP)}
	case opRollback, opDelete:
		return op{kind: kind, name: w.s.cps[w.rng.IntN(len(w.s.cps))].name}
	}
	return op{kind: kind}
}

// apply is what o does to state s when it is done.
func (o op) apply(s state) state {
	s = s.clone()
	switch o.kind {
	case opEval:
		s.log = append(s.log, o.id)
	case opCheckpoint:
		s.cps = append(s.cps, checkpoint{name: o.name, log: slices.Clone(s.log)})
	case opRollback:
		// The present is kept as a new checkpoint; none is deleted.
		kept := checkpoint{name: s.keptName(o.name), log: slices.Clone(s.log)}
		s.log = slices.Clone(s.cps[s.find(o.name)].log)
		s.cps = append(s.cps, kept)
	case opDelete:
		s.cps = slices.Delete(s.cps, s.find(o.name), s.find(o.name)+1)
	case opExport:
		s.image, s.hasImage = slices.Clone(s.log), true
	}
	return s
}

// outcomes are the states a cut may leave: s, and, if an operation was in
// flight, s after it.
func outcomes(s state, inflight *op) []state {
	if inflight == nil {
		return []state{s}
	}
	return []state{s, inflight.apply(s)}
}
