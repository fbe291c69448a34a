package world

import (
	"errors"
	"os"
	"testing"

	"psyche/heap"
)

// Every fsync in the checkpoint code (new deltas, merged deltas, the index
// and its directory, the delta a rollback starts afresh) poisons the world
// when it fails: the operation fails with ErrFatal, so does everything after
// it, and the reopened world is consistent. Each operation is run once per
// fsync it makes, failing that one.
func TestCheckpointFsyncFailurePoisons(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(w *World) error
		// values c may have after reopening: the operation undone or done.
		want []string
	}{
		{"create", func(w *World) error { return w.Checkpoint("three") }, []string{"3"}},
		{"rollback", func(w *World) error { _, err := w.Rollback("one", nil); return err }, []string{"3", "1"}},
		{"delete newest", func(w *World) error { return w.DeleteCheckpoint("two") }, []string{"3"}},
		{"delete oldest", func(w *World) error { return w.DeleteCheckpoint("one") }, []string{"3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for fail := 1; ; fail++ {
				w, dir := rollbackWorld(t)
				calls := 0
				w.cps.sync = func(f *os.File) error {
					calls++
					if calls == fail {
						return errors.New("injected fsync failure")
					}
					return f.Sync()
				}
				err := tc.op(w)
				if calls < fail {
					if err != nil {
						t.Fatalf("without a failure: %v", err)
					}
					if fail == 1 {
						t.Fatal("the operation made no fsync")
					}
					return
				}
				if !errors.Is(err, heap.ErrFatal) {
					t.Fatalf("fsync %d failed, but the operation answered %v", fail, err)
				}
				if _, err := w.Eval("t", []byte("c: 7"), false); !errors.Is(err, heap.ErrFatal) {
					t.Fatalf("fsync %d failed, but the world went on: %v", fail, err)
				}
				w2 := reopen(t, w, dir)
				got := eval(t, w2, "c")
				if got != tc.want[0] && (len(tc.want) == 1 || got != tc.want[1]) {
					t.Fatalf("fsync %d failed; after reopening c = %s, want one of %v", fail, got, tc.want)
				}
				if p := w2.Check(nil); len(p) > 0 {
					t.Fatalf("fsync %d failed; after reopening: %v", fail, p)
				}
				eval(t, w2, "c: 8")
			}
		})
	}
}
