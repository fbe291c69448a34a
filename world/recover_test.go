package world

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"psyche/heap"
)

// TestRecoverCopiesAHealthyWorld: a world that opens fine is recovered with
// nothing lost, its checkpoint kept under its name, and its files unchanged.
func TestRecoverCopiesAHealthyWorld(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| x <- 5 |). x")
	if err := w.Checkpoint("five"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "x: 6. x")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(HeapPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Recover(dir, filepath.Join(dir, "inside"), io.Discard); err == nil || !strings.Contains(err.Error(), "must not write") {
		t.Fatalf("recovering into the world's own directory: %v", err)
	}
	newDir := filepath.Join(t.TempDir(), "recovered")
	r, err := Recover(dir, newDir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lost() || r.Checkpoints != 1 || !strings.Contains(r.String(), "nothing was lost") {
		t.Fatalf("a healthy world lost something:\n%s", r)
	}
	after, err := os.ReadFile(HeapPath(dir))
	if err != nil || string(after) != string(before) {
		t.Fatalf("recover changed the world it read (%v)", err)
	}
	nw, err := Open(newDir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	if got := eval(t, nw, "x"); got != "6" {
		t.Errorf("x is %s, want 6", got)
	}
	if got, err := nw.EvalAt("five", "t", []byte("x")); err != nil || got != "5" {
		t.Errorf("at checkpoint five, x is %s (%v), want 5", got, err)
	}
	if report, err := os.ReadFile(filepath.Join(newDir, RecoveryFile)); err != nil || string(report) != r.String() {
		t.Errorf("the report in the new world is %q (%v)", report, err)
	}
}

// TestRecoverCutsRefusedObjects: an object that can be read but fails the
// validation an image's objects pass (a map with a slot of no known kind,
// as a damaged page read as suspect could hold) is left out, and with it
// what refers to it through a slot that cannot hold nil, round after round;
// the references to them become nil and the report names each.
func TestRecoverCutsRefusedObjects(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| p = (| a <- 1. b <- 2 |). x <- 5 |). x")
	h, m := w.Heap(), w.VM().Model()
	err := heap.Catch(func() error {
		lobbyMap := m.MapOf(m.Lobby)
		p := m.MapSlot(lobbyMap, m.FindSlot(lobbyMap, m.LookupInterned([]byte("p")))).Value
		badKind := int64(7) // no slot kind has this number
		h.SetField(m.MapOf(p), 4, heap.FromInt(badKind))
		return h.Commit()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	newDir := filepath.Join(t.TempDir(), "recovered")
	r, err := Recover(dir, newDir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	report := r.String()
	if !r.Lost() || !strings.Contains(report, "a map, the map's slot p, is now nil: refused") {
		t.Fatalf("the report does not name the refused objects:\n%s", report)
	}
	nw, err := Open(newDir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	if got := eval(t, nw, "x"); got != "5" {
		t.Errorf("x is %s, want 5", got)
	}
	if got := eval(t, nw, "p"); got != "nil" {
		t.Errorf("p is %s, want nil", got)
	}
	if problems := nw.Check(nil); len(problems) > 0 {
		t.Errorf("the recovered world does not check clean: %v", problems)
	}
}

// TestRecoverRefusesWhatCannotBeAWorld: a world whose well-known objects
// are lost cannot be rebuilt; recover says why and leaves nothing behind.
func TestRecoverRefusesWhatCannotBeAWorld(t *testing.T) {
	w, dir := newWorld(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(HeapPath(dir), 3*heap.PageSize); err != nil {
		t.Fatal(err)
	}
	newDir := filepath.Join(t.TempDir(), "recovered")
	_, err := Recover(dir, newDir, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "do not make a world") || !strings.Contains(err.Error(), "heap file truncated") {
		t.Fatalf("got %v, want a refusal that names the truncation", err)
	}
	if _, serr := os.Stat(newDir); !os.IsNotExist(serr) {
		t.Errorf("a refused recovery left %s behind (%v)", newDir, serr)
	}
}

// BenchmarkRecover: recover against export and import of the same world
// (about 300,000 objects, no damage, no checkpoint), side by side: what
// reading every object whole under heap.Catch and the salvaging open cost
// beyond moving the world by an image.
func BenchmarkRecover(b *testing.B) {
	w, dir := newWorld(b)
	eval(b, w, "lobby _AddSlots: (| data <- list copyRemoveAll |)")
	for i := 0; i < 3; i++ {
		eval(b, w, fmt.Sprintf("1 to: 100000 Do: [|:i| data add: (i * %d) printString]. data size", i+1))
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	var tr, tm time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := Recover(dir, filepath.Join(b.TempDir(), fmt.Sprint("r", i)), io.Discard); err != nil {
			b.Fatal(err)
		}
		tr += time.Since(t0)
		t0 = time.Now()
		src, err := OpenReadOnly(dir, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		img := filepath.Join(b.TempDir(), "x.img")
		if _, err := src.Export(img, nil); err != nil {
			b.Fatal(err)
		}
		if err := src.Close(); err != nil {
			b.Fatal(err)
		}
		build, done, err := FromImageFile(img)
		if err != nil {
			b.Fatal(err)
		}
		w2, err := Create(filepath.Join(b.TempDir(), fmt.Sprint("m", i)), build, io.Discard)
		done()
		if err != nil {
			b.Fatal(err)
		}
		tm += time.Since(t0)
		if err := w2.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(tr.Seconds()/float64(b.N), "s/recover")
	b.ReportMetric(tm.Seconds()/float64(b.N), "s/export+import")
	b.ReportMetric(float64(tr)/float64(tm), "recover/move")
}
