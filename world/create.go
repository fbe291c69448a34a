package world

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"psyche/heap"
	"psyche/vm"
	"psyche/vm/object"
)

// ErrExists is wrapped by the error of Create when its directory already
// holds a world.
var ErrExists = errors.New("already holds a world")

// Create makes a new world in dir and builds its contents with build. dir
// must not exist, or be an empty directory.
//
// The world is built in a sibling directory (see sibling), made durable
// (files, then directory), renamed onto dir, and the rename made durable
// (the parent directory), so dir holds a whole world or none whenever the
// process stops. rename(2) replaces an empty directory and refuses a
// non-empty one, so of two creations of the same world one wins and the
// other fails with ErrExists. The new world's heap stays open (and locked)
// across the rename: no other process can open the world before Create
// answers it.
func Create(dir string, build Builder, out io.Writer) (*World, error) {
	final, err := creationTarget(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, err
	}
	if err := removeAbandoned(final, creatingTag); err != nil {
		return nil, err
	}
	s, err := newSiblingDir(final)
	if err != nil {
		return nil, err
	}
	w, err := buildIn(s.path, build, out)
	if err != nil {
		return nil, errors.Join(err, s.release())
	}
	if err := s.commit(); err != nil {
		err = errors.Join(err, w.h.Close(), s.release())
		if isOccupied(err) {
			return nil, occupied(dir)
		}
		return nil, err
	}
	w.dir = dir
	w.h.Moved(HeapPath(dir))
	if err := errors.Join(s.release(), w.attach()); err != nil {
		return nil, errors.Join(err, w.h.Close())
	}
	return w, nil
}

// buildIn makes a heap in the empty directory dir, builds a world in it and
// commits it.
func buildIn(dir string, build Builder, out io.Writer) (*World, error) {
	h, err := heap.Create(HeapPath(dir), heap.Options{})
	if err != nil {
		return nil, err
	}
	w := makeWorld(dir, h)
	w.vm = vm.New(h, out)
	if err := build(w.vm); err != nil {
		var ie *ImageError
		if !errors.As(err, &ie) { // a refused image says so itself: "bad image: ..."
			err = fmt.Errorf("building the world: %w", err)
		}
		return nil, errors.Join(err, h.Close())
	}
	if err := h.Commit(); err != nil {
		return nil, errors.Join(err, h.Close())
	}
	return w, nil
}

// creationTarget answers the absolute path Create renames a new world onto:
// dir, or the directory a symbolic link dir names. It refuses a dir that
// holds a world or anything but an empty directory, and the current
// directory (replaced by the rename, it would leave this process and the
// user's shell in a deleted directory).
func creationTarget(dir string) (string, error) {
	final, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(final)
	if errors.Is(err, os.ErrNotExist) {
		return final, nil
	}
	if err != nil {
		return "", err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		if final, err = filepath.EvalSymlinks(final); err != nil {
			return "", err
		}
		if fi, err = os.Stat(final); err != nil {
			return "", err
		}
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(final)
	if err != nil {
		return "", err
	}
	if len(entries) > 0 {
		return "", occupied(dir)
	}
	if cwd, err := os.Stat("."); err == nil && os.SameFile(cwd, fi) {
		return "", fmt.Errorf("%s is the current directory: a new world replaces the empty directory it is made in, so run psyche new from outside it", dir)
	}
	return final, nil
}

// isOccupied reports whether a rename onto a world's directory failed
// because something is there.
func isOccupied(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.ENOTDIR)
}

// occupied answers why Create cannot make a world in dir, which is not
// empty. A world left unbuilt by an interrupted creation (in place, as
// psyche did before worlds were built beside their name) gets advice.
func occupied(dir string) error {
	if !Exists(dir) {
		if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		return fmt.Errorf("%s is not empty: a world is made in a new or an empty directory", dir)
	}
	h, err := heap.Open(HeapPath(dir), heap.Options{})
	if err != nil {
		// Open in another process, or damaged: a world all the same, which
		// psyche check describes.
		return fmt.Errorf("%s %w", dir, ErrExists)
	}
	var booted bool
	probeErr := heap.Catch(func() error {
		booted = object.NewModel(h).Booted()
		return nil
	})
	if err := h.Close(); err != nil {
		return err
	}
	if probeErr == nil && !booted {
		return unbuiltError(dir)
	}
	return fmt.Errorf("%s %w", dir, ErrExists)
}

// unbuiltError describes the world in dir whose heap holds nothing: its
// creation was interrupted before the world was built.
func unbuiltError(dir string) error {
	return fmt.Errorf("%s: the world's heap is empty: its creation was interrupted before anything was stored in it; "+
		"remove the directory (rm -r %s) and create the world again", dir, dir)
}
