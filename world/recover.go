package world

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"psyche/heap"
	"psyche/vm"
	"psyche/vm/object"
)

// Recovering a damaged world into a new one (psyche recover DIR NEWDIR), as
// SQLite's .recover does: every object that can still be read and passes
// the validation an untrusted image passes goes into the new world, every
// reference to one that does not becomes nil, and the report says which
// object, which slot and why. The damaged world is opened salvaging
// (heap.Options.Salvage): read-only, its log replayed as far as it
// validates into the private mapping, pages whose checksum table looks
// damaged read as suspect. Each state (the checkpoints that can still be
// installed, oldest first, then the present) is written as an image and
// imported the way `new --image` imports one: the first builds NEWDIR,
// each later one is imported into it as a transaction after the one before
// is checkpointed under its name. An object import refuses is left out and
// the image written again, until import accepts it. DIR is never written.

// RecoveryFile is the report Recover writes into the new world.
const RecoveryFile = "recovery.txt"

// maxRecoverRounds bounds how many times one state's image is written
// again after import refused one of its objects: each round is a whole
// import, and refusals come from damaged pages read as suspect and the few
// objects whose references were cut, not from every object.
const maxRecoverRounds = 1000

// maxListedLosses bounds the lost references a report lists one by one.
const maxListedLosses = 1000

// RecoveryReport says what Recover found and lost.
type RecoveryReport struct {
	// From and To are the damaged world's directory and the new one's.
	From, To string
	// Damage is what the files showed wrong, as opening would have reported it.
	Damage []string
	// Suspect and Unreadable count the pages read although their checksum
	// failed (the checksum table, not the page, looked damaged) and the
	// pages that could not be read.
	Suspect, Unreadable     uint64
	SuspectPages, LostPages []uint64
	// Repaired lists the damaged pages one changed byte made whole again.
	Repaired []string
	// States are the states kept: the checkpoints, oldest first, then
	// the present.
	States          []StateReport
	CheckpointsLost []string // "name: why"
	// Checkpoints counts the checkpoints kept, Cut the references cut in
	// all the states.
	Checkpoints, Cut int
}

// StateReport is what one recovered state (a checkpoint, or the present)
// kept and lost.
type StateReport struct {
	Name        string // the checkpoint's, or "" for the present
	Objects     int    // objects kept
	LostObjects int    // objects that could not be read or were refused
	Losses      []Loss // the references cut, at most maxListedLosses
	Cut         int    // all references cut
}

// Loss is one reference the recovery cut (made nil).
type Loss struct {
	Holder, Slot, Why string
}

// Lost reports whether the recovery lost anything.
func (r *RecoveryReport) Lost() bool {
	return r.Unreadable > 0 || len(r.CheckpointsLost) > 0 || r.Cut > 0
}

// String is the report as recover prints it and writes it into the new world.
func (r *RecoveryReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "recovery of %s into %s\n", r.From, r.To)
	if len(r.Damage) == 0 {
		b.WriteString("damage found on opening: none\n")
	} else {
		b.WriteString("damage found on opening:\n")
		for _, d := range r.Damage {
			fmt.Fprintf(&b, "  %s\n", d)
		}
	}
	if r.Suspect > 0 {
		fmt.Fprintf(&b, "pages read although their checksum failed (the checksum table, not the page, looked damaged; their objects were validated as an image's are): %d %s\n",
			r.Suspect, pageList(r.SuspectPages, r.Suspect))
	}
	for _, p := range r.Repaired {
		fmt.Fprintf(&b, "repaired (one byte made the page match its checksum again): %s\n", p)
	}
	if r.Unreadable > 0 {
		fmt.Fprintf(&b, "pages that could not be read (damaged, or missing): %d %s\n", r.Unreadable, pageList(r.LostPages, r.Unreadable))
	}
	for _, s := range r.States {
		name := "the present state"
		if s.Name != "" {
			name = fmt.Sprintf("checkpoint %q", s.Name)
		}
		fmt.Fprintf(&b, "%s: %d objects kept, %d lost, %d references cut\n", name, s.Objects, s.LostObjects, s.Cut)
		for _, l := range s.Losses {
			fmt.Fprintf(&b, "  lost: %s, %s, is now nil: %s\n", l.Holder, l.Slot, l.Why)
		}
		if s.Cut > len(s.Losses) {
			fmt.Fprintf(&b, "  ... and %d more references cut\n", s.Cut-len(s.Losses))
		}
	}
	for _, c := range r.CheckpointsLost {
		fmt.Fprintf(&b, "checkpoint lost: %s\n", c)
	}
	if r.Lost() {
		b.WriteString("some data was lost: see above\n")
	} else {
		b.WriteString("nothing was lost\n")
	}
	return b.String()
}

func pageList(pages []uint64, n uint64) string {
	var s []string
	pages = slices.Sorted(slices.Values(pages))
	for _, p := range pages {
		s = append(s, fmt.Sprint(p))
	}
	more := ""
	if n > uint64(len(pages)) {
		more = ", ..."
	}
	return "(pages " + strings.Join(s, ", ") + more + ")"
}

// Recover builds a new world in newDir from what can still be read of the
// world in dir, which it never writes, and answers what was found and lost.
// newDir must not exist or be empty (as for Create). The report is also
// written into newDir as RecoveryFile.
func Recover(dir, newDir string, out io.Writer) (_ *RecoveryReport, err error) {
	if !Exists(dir) {
		return nil, fmt.Errorf("%s: no world here", dir)
	}
	target, err := creationTarget(newDir)
	if err != nil {
		return nil, err
	}
	if from, err := filepath.Abs(dir); err != nil || strings.HasPrefix(target, from+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is inside %s, which recover must not write", newDir, dir)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return nil, err
	}
	r := &RecoveryReport{From: dir, To: newDir}
	img := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".recovering.img")
	var w *World
	defer func() {
		if rerr := os.Remove(img); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		if w != nil {
			err = errors.Join(err, w.Close())
		}
		if err != nil && w != nil {
			// Recover made it; a half-recovered world is not kept.
			err = errors.Join(err, os.RemoveAll(newDir))
		}
	}()
	names, err := r.checkpointNames(dir)
	if err != nil {
		return nil, err
	}
	for _, name := range append(names, "") {
		st, err := recoverState(dir, name, img, &w, r, out)
		switch {
		case err != nil && name != "":
			r.CheckpointsLost = append(r.CheckpointsLost, fmt.Sprintf("%s: %v", name, err))
			continue
		case err != nil:
			r.States = append(r.States, st)
			return nil, fmt.Errorf("%s cannot be recovered: the objects that could be read do not make a world (%w); "+
				"what was found:\n%s", dir, err, r)
		}
		r.States = append(r.States, st)
		r.Cut += st.Cut
		if name != "" {
			if err := w.Checkpoint(name); err != nil {
				return nil, err
			}
			r.Checkpoints++
		}
	}
	if err := writeReport(newDir, r.String()); err != nil {
		return nil, err
	}
	return r, nil
}

// checkpointNames answers the checkpoints of the world in dir, oldest
// first, and notes the damage opening found (the first salvaging open).
func (r *RecoveryReport) checkpointNames(dir string) (_ []string, err error) {
	sv, err := openSalvaging(dir)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, sv.close()) }()
	for _, p := range sv.salvage.Problems {
		r.Damage = append(r.Damage, p.What)
	}
	if sv.w == nil || sv.w.cps == nil {
		r.CheckpointsLost = append(r.CheckpointsLost, fmt.Sprintf("all: %v", sv.cpsErr))
		return nil, nil
	}
	if sv.w.cps.broken != nil {
		r.CheckpointsLost = append(r.CheckpointsLost, fmt.Sprintf("all: %v", sv.w.cps.broken))
		return nil, nil
	}
	return sv.w.cps.names(), nil
}

// salvaging is a damaged world opened to be read (see above).
type salvaging struct {
	h       *heap.Heap
	salvage *heap.Salvage
	w       *World // nil when the VM could not be made on it
	cpsErr  error  // why w has no checkpoints
}

func openSalvaging(dir string) (*salvaging, error) {
	opts, err := heapOptions(heap.ReadOnly)
	if err != nil {
		return nil, err
	}
	sv := &salvaging{salvage: &heap.Salvage{}}
	opts.Salvage = sv.salvage
	if sv.h, err = heap.Open(HeapPath(dir), opts); err != nil {
		if errors.Is(err, heap.ErrLocked) {
			return nil, inUse(dir)
		}
		return nil, fmt.Errorf("%s: its heap cannot be read at all: %w", dir, err)
	}
	w := makeWorld(dir, sv.h)
	sv.cpsErr = heap.Catch(func() error {
		w.vm = vm.New(sv.h, io.Discard)
		if !w.vm.Model().Booted() {
			return fmt.Errorf("the world's well-known objects are not there")
		}
		return w.attach()
	})
	if sv.cpsErr == nil {
		sv.w = w
	}
	return sv, nil
}

func (sv *salvaging) close() error { return sv.h.Close() }

// recoverState reads one state of the world in dir (checkpoint name, or the
// present for "") and imports it into *w, creating it at r.To if it is nil.
func recoverState(dir, name, img string, w **World, r *RecoveryReport, out io.Writer) (_ StateReport, err error) {
	st := StateReport{Name: name}
	sv, err := openSalvaging(dir)
	if err != nil {
		return st, err
	}
	defer func() { err = errors.Join(err, sv.close()) }()
	if name != "" {
		if sv.w == nil {
			return st, sv.cpsErr
		}
		if note := sv.w.cps.readNewestWhole(); note != "" && !slices.Contains(r.Damage, note) {
			r.Damage = append(r.Damage, note)
		}
		if err := sv.w.cps.lookAt(name); err != nil {
			return st, err
		}
	}
	g := readGraph(sv.h)
	if sv.w != nil {
		g.nilObj = sv.w.vm.Model().Nil
	}
	for round := 0; ; round++ {
		if _, err := writeImage(img, sv.h, g.roots(), oopList(g.order), g.number, nil); err != nil {
			return st, err
		}
		err := importInto(w, r.To, img, out)
		var ie *ImageError
		if err == nil {
			break
		}
		if !errors.As(err, &ie) || ie.Object == noObject || round == maxRecoverRounds {
			st.count(g, sv)
			return st, err
		}
		g.lose(g.order[ie.Object], "refused as an image's object would be: "+ie.Msg)
	}
	if name == "" {
		r.Suspect, r.SuspectPages = sv.salvage.Suspect, sv.salvage.SuspectPages
		r.Unreadable, r.LostPages = sv.salvage.Lost, sv.salvage.LostPages
		r.Repaired = sv.salvage.Repaired
	}
	st.count(g, sv)
	return st, nil
}

// count fills in what the state kept and lost.
func (st *StateReport) count(g *graph, sv *salvaging) {
	st.Objects, st.LostObjects = len(g.order), len(g.lost)
	var m *object.Model
	if sv.w != nil {
		m = sv.w.vm.Model()
	}
	g.cuts(m, func(l Loss) {
		if st.Cut < maxListedLosses {
			st.Losses = append(st.Losses, l)
		}
		st.Cut++
	})
}

// readNewestWhole makes the newest checkpoint's delta be read to its last
// whole record whose checksum holds, past the committed length the heap's
// state records. When the log was cut or damaged, that state is older than
// the heap file's pages, and the lost transactions saved the old contents
// of the pages they overwrote after it: without those records a checkpoint
// would show their new contents. A record past the committed length whose
// commit never happened holds what its page still holds (a page is saved
// only the first time it changes), so reading it changes nothing.
// It answers a note for the report when it read any.
func (c *checkpoints) readNewestWhole() string {
	n := len(c.idx.cps)
	if n == 0 || c.newest == nil {
		return ""
	}
	committed := c.newest.end
	end := committed
	var hdr [deltaRecordHdr]byte
	le := binary.LittleEndian
	for {
		if _, err := c.newest.f.ReadAt(hdr[:], end); err != nil || le.Uint32(hdr[0:]) != deltaMagic {
			break
		}
		size := int64(le.Uint32(hdr[12:]))
		if size == 0 || size > maxDeltaRecord || c.newest.has(le.Uint64(hdr[4:])) {
			break
		}
		comp := make([]byte, size)
		if _, err := c.newest.f.ReadAt(comp, end+deltaRecordHdr); err != nil || c.newest.recordSum(hdr[:], comp) != le.Uint32(hdr[16:]) {
			break
		}
		c.newest.pages[le.Uint64(hdr[4:])] = end
		end += deltaRecordHdr + size
	}
	if end == committed {
		return ""
	}
	c.newest.end = end
	return fmt.Sprintf("%s: %d bytes of saved pages past its committed length were used (the log that recorded them is damaged)",
		c.deltaPath(c.idx.cps[n-1].ID), end-committed)
}

// importInto imports the image at img: into a new world at dir when *w is
// nil, else into *w as one transaction (the state before stays in its
// checkpoint).
func importInto(w **World, dir, img string, out io.Writer) error {
	if *w == nil {
		build, done, err := FromImageFile(img)
		if err != nil {
			return err
		}
		defer done()
		nw, err := Create(dir, build, out)
		if err != nil {
			return err
		}
		*w = nw
		return nil
	}
	f, err := os.Open(img)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	h := (*w).h
	if err := importImage((*w).vm, f, fi.Size(), nil); err != nil {
		h.Abort()
		return err
	}
	return h.Commit()
}

// graph is the objects of one state of a damaged world that could be read,
// breadth first from the roots, and those lost with why.
type graph struct {
	h     *heap.Heap
	order []heap.Oop
	index map[heap.Oop]uint64 // an object's place in order
	lost  map[heap.Oop]string
	// nilObj is Self's nil, what a reference to a lost object becomes
	// (heap.Nil, a raw zero, when the world's nil cannot be read).
	nilObj heap.Oop
}

// readGraph reads every object reachable from the roots, each whole (every
// page it spans), under heap.Catch: one that cannot be read is lost, and
// what only it reaches is not reached.
func readGraph(h *heap.Heap) *graph {
	g := &graph{h: h, index: map[heap.Oop]uint64{}, lost: map[heap.Oop]string{}}
	add := func(o heap.Oop) {
		if _, ok := g.index[o]; o.IsPtr() && !ok {
			g.index[o] = uint64(len(g.order))
			g.order = append(g.order, o)
		}
	}
	for i := 0; i < heap.NumRoots; i++ {
		add(h.Root(i))
	}
	for i := 0; i < len(g.order); i++ {
		o := g.order[i]
		// Every part is read before any field is followed, so what a lost
		// object refers to is not reached through it; the fields are read
		// again rather than kept, since a damaged header may claim as many
		// as the file has words.
		err := heap.Catch(func() error {
			h.Kind(o)
			h.Hash(o)
			h.Flags(o)
			h.Bytes(o)
			for f, n := 0, h.NumPtrs(o); f < n; f++ {
				h.Field(o, f)
			}
			return nil
		})
		if err != nil {
			g.lost[o] = "cannot be read: " + err.Error()
			continue
		}
		for f, n := 0, h.NumPtrs(o); f < n; f++ {
			add(h.Field(o, f))
		}
	}
	g.compact()
	return g
}

// lose leaves o out, for why.
func (g *graph) lose(o heap.Oop, why string) {
	g.lost[o] = why
	g.compact()
}

// compact drops the lost objects from order and renumbers the rest.
func (g *graph) compact() {
	kept := g.order[:0]
	for _, o := range g.order {
		if _, gone := g.lost[o]; gone {
			delete(g.index, o)
			continue
		}
		g.index[o] = uint64(len(kept))
		kept = append(kept, o)
	}
	g.order = kept
}

// number answers the number in the image of the object o that holder
// refers to. A lost one becomes Self's nil, except in the VM's own tables
// (raw objects, the roots), whose empty entries are raw nils: there, and
// when Self's nil is lost too, it answers false (written as a raw nil).
func (g *graph) number(holder, o heap.Oop) (uint64, bool) {
	if i, ok := g.index[o]; ok {
		return i, true
	}
	if holder == heap.Nil || g.h.Kind(holder) == object.KindRaw {
		return 0, false
	}
	i, ok := g.index[g.nilObj]
	return i, ok
}

// roots answers the heap's roots, those lost made heap.Nil: a root is the
// VM's, never Self's, so not Self's nil.
func (g *graph) roots() [heap.NumRoots]heap.Oop {
	var roots [heap.NumRoots]heap.Oop
	for i := range roots {
		if _, gone := g.lost[g.h.Root(i)]; !gone {
			roots[i] = g.h.Root(i)
		}
	}
	return roots
}

// cuts calls f for every reference to a lost object from a root or a kept
// object, naming the holder and slot with m when it can.
func (g *graph) cuts(m *object.Model, f func(Loss)) {
	if len(g.lost) == 0 {
		return
	}
	h := g.h
	for i := 0; i < heap.NumRoots; i++ {
		if why, ok := g.lost[h.Root(i)]; ok {
			f(Loss{Holder: "the heap's roots", Slot: fmt.Sprintf("root %d", i), Why: why})
		}
	}
	for _, o := range g.order {
		for fi, n := 0, h.NumPtrs(o); fi < n; fi++ {
			why, ok := g.lost[h.Field(o, fi)]
			if !ok {
				continue
			}
			l := Loss{Holder: fmt.Sprintf("object at %#x", uint64(o)), Slot: fmt.Sprintf("field %d", fi), Why: why}
			if m != nil {
				heap.Catch(func() error { // a name is a nicety: damage met finding it leaves the plain one
					holder, slot := m.Describe(o), m.FieldName(o, fi)
					if h.Kind(o) == object.KindMap {
						holder = "a map"
					}
					l.Holder, l.Slot = holder, slot
					return nil
				})
			}
			f(l)
		}
	}
}

// writeReport writes the report into the new world, durably (atomicFile).
func writeReport(dir, report string) error {
	f, err := createAtomic(filepath.Join(dir, RecoveryFile))
	if err != nil {
		return err
	}
	defer f.discard()
	if _, err := f.WriteString(report); err != nil {
		return err
	}
	return f.commit()
}

// DamageError is an error that found a world's files damaged, with the
// next step: every refusal to open a damaged world, and every evaluation
// that met damage, names psyche recover.
type DamageError struct {
	Dir string
	Err error
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("%v\nthe world's files are damaged: psyche recover %s NEWDIR builds a new world from every object "+
		"that can still be read, and reports what was lost", e.Err, e.Dir)
}

func (e *DamageError) Unwrap() error { return e.Err }

// damaged adds the next step to err if it found dir's heap damaged (a heap
// file whose superblocks both lost their magic is not told from no heap).
func damaged(dir string, err error) error {
	var de *DamageError
	if err == nil || !errors.Is(err, heap.ErrCorrupt) && !errors.Is(err, heap.ErrNotHeap) || errors.As(err, &de) {
		return err
	}
	return &DamageError{Dir: dir, Err: err}
}
