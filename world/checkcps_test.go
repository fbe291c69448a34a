package world

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"psyche/heap"
)

// TestCheckInstallsEveryCheckpoint: check installs each checkpoint and
// checks the heap it makes, so a checkpoint whose files are intact but
// whose heap is not is reported by name: one whose saved state's root
// points into an object, and those that need a saved page that is not
// what the heap held (the delta that holds it, and every older one). A
// newer checkpoint and the present are not.
func TestCheckInstallsEveryCheckpoint(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| x <- 1 |). 0")
	for _, name := range []string{"a", "b", "c"} {
		if err := w.Checkpoint(name); err != nil {
			t.Fatal(err)
		}
		eval(t, w, "x: x + 1. 0")
	}
	if p := w.Check(nil); len(p) > 0 {
		t.Fatalf("check of an intact world: %v", p)
	}

	// a's saved state: root 0 one word into the object it named.
	a := w.cps.idx.cps[0]
	root := binary.LittleEndian.Uint64(a.State[24:])
	binary.LittleEndian.PutUint64(a.State[24:], root+8)
	// c's delta (the newest): a saved copy, which does not parse, of a page
	// the present has not changed since c, committed as saveOld commits one.
	d := w.cps.newest
	page := uint64(heap.FirstDataPage)
	for d.has(page) {
		page++
	}
	if err := d.append(w.cps.enc, page, bytes.Repeat([]byte{0xff}, heap.PageSize)); err != nil {
		t.Fatal(err)
	}
	w.h.SetAux(auxDeltaNonce, d.nonce)
	w.h.SetAux(auxDeltaLen, uint64(d.end))
	if err := w.h.Commit(); err != nil {
		t.Fatal(err)
	}

	if err := w.Checkpoint("d"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "x: x + 1. 0")

	p := w.Check(nil)
	joined := strings.Join(p, "\n")
	// The VM reads its well-known objects again after each install, and
	// may meet a's damage first: then a "cannot be used".
	if !strings.Contains(joined, `checkpoint "a" is not consistent: root 0 holds a reference into the middle of an object`) &&
		!strings.Contains(joined, `checkpoint "a" cannot be used`) {
		t.Errorf("check should report a; it found:\n%s", joined)
	}
	for _, want := range []string{`checkpoint "b" is not consistent: page 2`, `checkpoint "c" is not consistent: page 2`} {
		if !strings.Contains(joined, want) {
			t.Errorf("check should report %s; it found:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, `checkpoint "d"`) || slices.ContainsFunc(p, func(s string) bool { return strings.HasPrefix(s, "heap: ") }) {
		t.Errorf("check reports d or the present, which are intact:\n%s", joined)
	}
	if _, err := w.EvalAt("a", "test", []byte("x")); err == nil || !strings.Contains(err.Error(), `checkpoint "a" cannot be used`) {
		t.Errorf("eval --at a damaged checkpoint: %v", err)
	}
	if got, err := w.EvalAt("d", "test", []byte("x")); err != nil || got != "4" {
		t.Errorf("eval --at d: %s, %v", got, err)
	}
}
