package world

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"psyche/heap"
	"psyche/vm"
)

func baseBuilder() Builder { return FromImage(bytes.NewReader(baseImage), int64(len(baseImage))) }

// onlyEntries fails the test unless directory dir holds exactly names.
func onlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
	}
}

// TestCreateIntoEmptyDirectory: a directory made first (as users do) is
// replaced by the world, which keeps its permissions; the world works,
// its heap knows its final name, and collection and check (which place
// scratch files beside the heap) work in it.
func TestCreateIntoEmptyDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "w")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := Create(dir, baseBuilder(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := eval(t, w, "3 + 4"); got != "7" {
		t.Fatalf("3 + 4 = %s", got)
	}
	if w.Heap().Path() != HeapPath(dir) {
		t.Errorf("the heap says it is %s, want %s", w.Heap().Path(), HeapPath(dir))
	}
	if _, err := w.Collect(); err != nil {
		t.Fatal(err)
	}
	if p := w.Check(nil); len(p) > 0 {
		t.Fatal(p)
	}
	if err := w.Checkpoint("one"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("the world's directory has mode %v, want the empty directory's 0700", fi.Mode().Perm())
	}
	onlyEntries(t, parent, "w")
}

// TestCreateRefusesWhatIsThere: a world, a non-empty directory and a file
// are refused, each with its own message, and nothing is left beside them.
func TestCreateRefusesWhatIsThere(t *testing.T) {
	parent := t.TempDir()
	w, err := Create(filepath.Join(parent, "world"), baseBuilder(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(parent, "full"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "full", "notes"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "file"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"world": "already holds a world", "full": "is not empty", "file": "is not a directory"} {
		_, err := Create(filepath.Join(parent, name), baseBuilder(), io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", name, err, want)
		}
		if exists := errors.Is(err, ErrExists); exists != (name == "world") {
			t.Errorf("%s: errors.Is(%v, ErrExists) is %v", name, err, exists)
		}
	}
	if b, err := os.ReadFile(filepath.Join(parent, "full", "notes")); err != nil || string(b) != "mine" {
		t.Errorf("a refused creation changed the directory: %q, %v", b, err)
	}
	onlyEntries(t, parent, "file", "full", "world")
}

// TestCreateFailedBuildLeavesNothing: a build that fails leaves no world and
// no sibling; an empty directory given to it stays.
func TestCreateFailedBuildLeavesNothing(t *testing.T) {
	broken := errors.New("broken builder")
	fail := func(*vm.VM) error { return broken }
	parent := t.TempDir()
	if _, err := Create(filepath.Join(parent, "w"), fail, io.Discard); !errors.Is(err, broken) {
		t.Fatalf("got %v, want the builder's error", err)
	}
	onlyEntries(t, parent)
	if err := os.Mkdir(filepath.Join(parent, "w"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(filepath.Join(parent, "w"), fail, io.Discard); !errors.Is(err, broken) {
		t.Fatalf("got %v, want the builder's error", err)
	}
	onlyEntries(t, parent, "w")
	onlyEntries(t, filepath.Join(parent, "w"))
}

// TestCreateRemovesAbandonedSiblings: a creation removes the siblings its
// name's interrupted creations left, but not one whose creator still holds
// its lock, nor the siblings of other names.
func TestCreateRemovesAbandonedSiblings(t *testing.T) {
	parent := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(parent, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "heap"), []byte("half built"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mk(".w.creating-1-dead")
	mk(".other.creating-1-dead")
	alive := mk(".w.creating-2-alive")
	f, err := os.Open(alive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	w, err := Create(filepath.Join(parent, "w"), baseBuilder(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	onlyEntries(t, parent, ".other.creating-1-dead", ".w.creating-2-alive", "w")
}

// TestCreateRace: of creations of one world racing, exactly one makes it;
// the others fail with ErrExists.
func TestCreateRace(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "w")
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := Create(dir, baseBuilder(), io.Discard)
			if err == nil {
				err = w.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrExists):
			t.Errorf("a losing creation failed with %v, want ErrExists", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creations succeeded, want 1: %v", won, errs)
	}
	onlyEntries(t, parent, "w")
	w, err := Open(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := eval(t, w, "3 + 4"); got != "7" {
		t.Fatalf("3 + 4 = %s", got)
	}
}

// TestUnbuiltWorldGetsAdvice: a directory whose heap was never built (as an
// interrupted in-place creation left it) is named as such, with the fix,
// by Open and by Create.
func TestUnbuiltWorldGetsAdvice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := heap.Create(HeapPath(dir), heap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	_, openErr := Open(dir, io.Discard)
	_, createErr := Create(dir, baseBuilder(), io.Discard)
	for what, err := range map[string]error{"Open": openErr, "Create": createErr} {
		if err == nil || !strings.Contains(err.Error(), "creation was interrupted") || !strings.Contains(err.Error(), "rm -r "+dir) {
			t.Errorf("%s: got %v, want the interrupted creation named and rm -r advised", what, err)
		}
	}
}
