package world

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"psyche/bootstrap"
	"psyche/heap"
)

// The core world is built once per test binary and copied by image.
var baseImage []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "world-test-")
	if err != nil {
		panic(err)
	}
	w, err := Create(filepath.Join(dir, "w"), bootstrap.Build, io.Discard)
	if err != nil {
		panic(err)
	}
	if _, err := w.Export(filepath.Join(dir, "base.img"), nil); err != nil {
		panic(err)
	}
	w.Close()
	baseImage, _ = os.ReadFile(filepath.Join(dir, "base.img"))
	os.RemoveAll(dir)
	os.Exit(m.Run())
}

func newWorld(t testing.TB) (*World, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w")
	w, err := Create(dir, FromImage(bytes.NewReader(baseImage), int64(len(baseImage))), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, dir
}

func eval(t testing.TB, w *World, src string) string {
	t.Helper()
	r, err := w.Eval("test", []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return r
}

func TestCheckpointsAndRollback(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| c <- 1. v <- vector copySize: 1000 |)")
	if err := w.Checkpoint("one"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "c: 2. v at: 5 Put: 'five'")
	if err := w.Checkpoint("two"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "c: 3. lobby _AddSlots: (| extra = 9 |)")
	if err := w.Checkpoint("three"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "c: 4")
	if got := strings.Join(w.Checkpoints(), ","); got != "one,two,three" {
		t.Fatalf("checkpoints %s", got)
	}
	for name, want := range map[string]string{"one": "1", "two": "2", "three": "3"} {
		got, err := w.EvalAt(name, "test", []byte("c"))
		if err != nil || got != want {
			t.Fatalf("at %s: c = %s (%v), want %s", name, got, err, want)
		}
	}
	if got := eval(t, w, "c"); got != "4" {
		t.Fatalf("eval --at changed the world: c = %s", got)
	}
	// Delete the middle one: the others still roll back right.
	if err := w.DeleteCheckpoint("two"); err != nil {
		t.Fatal(err)
	}
	if kept, err := w.Rollback("three", nil); err != nil || kept != "before-rollback-to-three" {
		t.Fatalf("rollback to three: kept %q, %v", kept, err)
	}
	if got := eval(t, w, "c printString , ' ' , extra printString"); got != "'3 9'" {
		t.Fatalf("after rollback to three: %s", got)
	}
	if _, err := w.Rollback("one", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, "c printString , ' ' , (v at: 5) printString"); got != "'1 nil'" {
		t.Fatalf("after rollback to one: %s", got)
	}
	if _, err := w.Eval("test", []byte("extra")); err == nil {
		t.Fatal("a slot added after checkpoint one survived the rollback")
	}
	// Nothing was deleted: every state is still there.
	if got := strings.Join(w.Checkpoints(), ","); got != "one,three,before-rollback-to-three,before-rollback-to-one" {
		t.Fatalf("checkpoints after rollback: %s", got)
	}
	for name, want := range map[string]string{"one": "1", "three": "3", "before-rollback-to-three": "4", "before-rollback-to-one": "3"} {
		got, err := w.EvalAt(name, "test", []byte("c"))
		if err != nil || got != want {
			t.Fatalf("at %s: c = %s (%v), want %s", name, got, err, want)
		}
	}
	// The same target again gets the next free name.
	if kept, err := w.Rollback("one", nil); err != nil || kept != "before-rollback-to-one-2" {
		t.Fatalf("second rollback to one: kept %q, %v", kept, err)
	}
	// Undoing a rollback keeps the present under a name that does not nest.
	if kept, err := w.Rollback("before-rollback-to-three", nil); err != nil || kept != "before-rollback-to-three-2" {
		t.Fatalf("undoing the first rollback: kept %q, %v", kept, err)
	}
	if got := eval(t, w, "c printString , ' ' , extra printString"); got != "'4 9'" {
		t.Fatalf("after undoing the first rollback: %s", got)
	}
	if err := w.DeleteCheckpoint("before-rollback-to-three"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Rollback("one", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, "c"); got != "1" {
		t.Fatalf("after the last rollback to one: %s", got)
	}
	if p := w.Check(nil); len(p) > 0 {
		t.Fatal(p)
	}
	// And it all persists.
	w.Close()
	w2, err := Open(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if got := eval(t, w2, "c"); got != "1" {
		t.Fatalf("after reopen: %s", got)
	}
	if _, err := w2.Rollback("nope", nil); err == nil {
		t.Fatal("rollback to an unknown checkpoint")
	}
}

func TestCheckpointFromSelf(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| c <- 1 |)")
	if got := eval(t, w, "world checkpoint: 'a'. world checkpoints size"); got != "1" {
		t.Fatalf("checkpoints seen inside the evaluation: %s", got)
	}
	if _, err := w.Eval("t", []byte("world checkpoint: 'b'. c: 5. nil zork")); err == nil {
		t.Fatal("expected an error")
	}
	if got := strings.Join(w.Checkpoints(), ","); got != "a" {
		t.Fatalf("a failed evaluation's checkpoint was made: %s", got)
	}
}

// rollbackWorld is a world with checkpoints one (c = 1) and two (c = 2),
// and c = 3 now.
func rollbackWorld(t *testing.T) (*World, string) {
	t.Helper()
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| c <- 1 |)")
	if err := w.Checkpoint("one"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "c: 2")
	if err := w.Checkpoint("two"); err != nil {
		t.Fatal(err)
	}
	eval(t, w, "c: 3")
	return w, dir
}

func reopen(t *testing.T, w *World, dir string) *World {
	t.Helper()
	w.Close()
	w2, err := Open(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w2.Close() })
	return w2
}

// A rollback whose transaction committed, interrupted before it cleared its
// intent, is done: the world opens at the checkpoint, the present it replaced
// is kept, and the intent goes.
func TestRollbackInterruptedAfterCommit(t *testing.T) {
	w, dir := rollbackWorld(t)
	if err := w.cps.commitRollback(0, "kept", nil); err != nil {
		t.Fatal(err)
	}
	w2 := reopen(t, w, dir)
	if got := eval(t, w2, "c"); got != "1" {
		t.Fatalf("the committed rollback is not there: c = %s", got)
	}
	if got := strings.Join(w2.Checkpoints(), ","); got != "one,two,kept" {
		t.Fatalf("checkpoints after the interrupted rollback: %s", got)
	}
	eval(t, w2, "c: 4")
	if w2.cps.idx.rollback != nil || w2.cps.indexStale {
		t.Fatal("the intent was not cleared by the next commit")
	}
	w3 := reopen(t, w2, dir)
	for name, want := range map[string]string{"one": "1", "two": "2", "kept": "3"} {
		if got, err := w3.EvalAt(name, "t", []byte("c")); err != nil || got != want {
			t.Fatalf("at %s: c = %s (%v), want %s", name, got, err, want)
		}
	}
	if p := w3.Check(nil); len(p) > 0 {
		t.Fatal(p)
	}
}

// A rollback that recorded its intent (and made the checkpoint holding the
// present) but never committed did not happen: the world opens as it was,
// even if the delta it needed is damaged by then, without that checkpoint,
// and the intent is forgotten before the next commit could be taken for it.
func TestRollbackIntentWithoutCommitIsForgotten(t *testing.T) {
	w, dir := rollbackWorld(t)
	if err := w.cps.push("kept", &rollbackIntent{Seq: w.h.Info().Seq}); err != nil {
		t.Fatal(err)
	}
	kept := w.cps.deltaPath(w.cps.idx.cps[2].ID)
	if err := os.Truncate(w.cps.deltaPath(w.cps.idx.cps[0].ID), 0); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ro, err := OpenReadOnly(dir, io.Discard)
	if err != nil {
		t.Fatalf("a read-only open of a world with an uncommitted rollback: %v", err)
	}
	if got := strings.Join(ro.Checkpoints(), ","); got != "one,two" {
		t.Fatalf("checkpoints, read-only: %s", got)
	}
	ro.Close()
	w2, err := Open(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w2, "c: 5. c"); got != "5" {
		t.Fatalf("c = %s", got)
	}
	if _, err := os.Stat(kept); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the forgotten checkpoint's delta is still there (%v)", err)
	}
	w3 := reopen(t, w2, dir)
	if got := strings.Join(w3.Checkpoints(), ","); got != "one,two" {
		t.Fatalf("checkpoints: %s", got)
	}
	if got := eval(t, w3, "c"); got != "5" {
		t.Fatalf("c = %s: the forgotten rollback was taken for a committed one", got)
	}
	if got, err := w3.EvalAt("two", "t", []byte("c")); err != nil || got != "2" {
		t.Fatalf("at two: c = %s (%v)", got, err)
	}
	if p := strings.Join(w3.Check(nil), "\n"); !strings.Contains(p, "1.delta") {
		t.Fatalf("check did not report the truncated delta: %q", p)
	}
}

func TestImageRoundTrip(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| s = 'text'. b = 2 power: 100. v = (vector copySize: 3) at: 1 Put: 42. o = (| x <- 5. dbl = ( x * 2 ) |) |)")
	img := filepath.Join(t.TempDir(), "x.img")
	st, err := w.Export(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects == 0 || st.FileBytes >= st.BodyBytes {
		t.Fatalf("export stats %+v", st)
	}
	b, done, err := FromImageFile(img)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	w2, err := Create(filepath.Join(t.TempDir(), "w2"), b, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if got := eval(t, w2, "s , ' ' , b printString , ' ' , (v at: 1) printString , ' ' , o dbl printString"); got != "'text 1267650600228229401496703205376 42 10'" {
		t.Fatalf("after import: %s", got)
	}
	if p := w2.Check(nil); len(p) > 0 {
		t.Fatal(p)
	}
}

func TestDamagedImagesAreRefused(t *testing.T) {
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x40; return c }
	cases := map[string][]byte{
		"empty":     {},
		"magic":     flip(baseImage, 0),
		"version":   flip(baseImage, 8),
		"truncated": baseImage[:len(baseImage)/2],
		"body":      flip(baseImage, len(baseImage)/2),
		"extended":  append(bytes.Clone(baseImage), 1, 2, 3),
	}
	for name, img := range cases {
		dir := filepath.Join(t.TempDir(), "w")
		_, err := Create(dir, FromImage(bytes.NewReader(img), int64(len(img))), io.Discard)
		var ie *ImageError
		if !errors.As(err, &ie) {
			t.Errorf("%s: got %v, want an ImageError", name, err)
		}
		if Exists(dir) {
			t.Errorf("%s: a refused image left a world behind", name)
		}
	}
}

// TestWeakStoreIsWeak: once a key is reachable only through weak stores,
// the collector removes its entry; other entries stay.
func TestWeakStoreIsWeak(t *testing.T) {
	w, _ := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| ws <- weakStore copyRemoveAll. keep <- nil |). keep: (| a = 1 |) _Clone. ws init: keep With: 'kept'. ws init: (| b = 2 |) _Clone With: 'dropped'. ws size")
	if got := eval(t, w, "ws size"); got != "2" {
		t.Fatalf("before gc: %s", got)
	}
	if _, err := w.Collect(); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w, "ws size printString , ' ' , (ws get: keep)"); got != "'1 kept'" {
		t.Fatalf("after gc: %s", got)
	}
	if p := w.Check(nil); len(p) > 0 {
		t.Fatal(p)
	}
}

// TestDeltaFsyncFailureIsFatal: when saving a page's old contents for a
// checkpoint cannot be fsynced, the world stops (a retried fsync could lie),
// and after reopening it is consistent and the checkpoint still rolls back.
func TestDeltaFsyncFailureIsFatal(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| c <- 1 |)")
	if err := w.Checkpoint("one"); err != nil {
		t.Fatal(err)
	}
	w.cps.sync = func(*os.File) error { return errors.New("injected fsync failure") }
	if _, err := w.Eval("t", []byte("c: 2")); !errors.Is(err, heap.ErrFatal) {
		t.Fatalf("commit after a failed delta fsync: %v", err)
	}
	if _, err := w.Eval("t", []byte("c")); !errors.Is(err, heap.ErrFatal) {
		t.Fatalf("the world went on after a failed fsync: %v", err)
	}
	w.Close()
	w2, err := Open(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if got := eval(t, w2, "c"); got != "1" {
		t.Fatalf("c = %s, want the last committed 1", got)
	}
	eval(t, w2, "c: 3")
	if _, err := w2.Rollback("one", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w2, "c"); got != "1" {
		t.Fatalf("after rollback c = %s", got)
	}
	if p := w2.Check(nil); len(p) > 0 {
		t.Fatal(p)
	}
}

// TestTornDeltaTail: a crash while a page's old contents were being appended
// leaves a partial record past the delta's committed length; it is ignored
// (the page it was saving had not been overwritten yet), check does not
// change the file, and rollback still works.
func TestTornDeltaTail(t *testing.T) {
	w, dir := newWorld(t)
	eval(t, w, "lobby _AddSlots: (| c <- 1 |)")
	w.Checkpoint("one")
	eval(t, w, "c: 2")
	delta := w.cps.deltaPath(w.cps.idx.cps[0].ID)
	w.Close()
	f, err := os.OpenFile(delta, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x50, 0x44, 0x4c, 0x54, 9, 9, 9}) // a record's first bytes
	f.Close()
	torn, err := os.ReadFile(delta)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := Open(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if p := w2.Check(nil); len(p) > 0 {
		t.Fatal(p)
	}
	if b, err := os.ReadFile(delta); err != nil || !bytes.Equal(b, torn) {
		t.Fatalf("check changed %s (%v)", delta, err)
	}
	if _, err := w2.Rollback("one", nil); err != nil {
		t.Fatal(err)
	}
	if got := eval(t, w2, "c"); got != "1" {
		t.Fatalf("after rollback c = %s", got)
	}
}
