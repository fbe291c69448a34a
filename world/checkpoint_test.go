package world

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
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
				if _, err := w.Eval("t", []byte("c: 7")); !errors.Is(err, heap.ErrFatal) {
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

// Damage that leaves the index valid JSON must not make checkpoints silently
// disappear: a changed key, a dropped entry, a changed next id.
func TestIndexStructureIsChecksummed(t *testing.T) {
	for _, tc := range []struct{ name, from, to string }{
		{"a key of the file", `"checkpoints"`, `"checkpoint#"`},
		{"an entry dropped", `"checkpoints": [`, `"checkpoints": [], "x": [`},
		{"the next id", `"next_id": 3`, `"next_id": 2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, dir := newWorld(t)
			eval(t, w, "lobby _AddSlots: (| c <- 1 |)")
			for _, n := range []string{"one", "two"} {
				if err := w.Checkpoint(n); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			p := filepath.Join(dir, "checkpoints", "index")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(tc.from)) {
				t.Fatalf("the index has no %s:\n%s", tc.from, b)
			}
			if err := os.WriteFile(p, bytes.Replace(b, []byte(tc.from), []byte(tc.to), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			w2, err := Open(dir, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer w2.Close()
			problems := w2.Check(nil)
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), "index is damaged") {
				t.Fatalf("check does not report the damaged index: %q", problems)
			}
		})
	}
}
