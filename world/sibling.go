package world

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A sibling is a temporary file or directory built beside its final name,
// in the same directory (so on the same filesystem), and renamed onto that
// name when it is complete: a crash leaves the old contents or the new,
// never a mixture.
//
// A sibling's name says what it is (".NAME.creating-PID-RANDOM" for a
// world, ".NAME.writing-PID-RANDOM" for a file), so it can never be taken
// for a world or an image. Its creator holds an flock on it from just after
// making it until it is renamed or removed; the kernel drops the lock when
// the creator dies. The next creation (or write) of the same name removes
// the siblings whose lock is free: their creators are gone.
type sibling struct {
	path  string
	final string
	lock  *os.File // open on path, holding its flock
}

// The tags of the two kinds of sibling.
const (
	creatingTag = ".creating-"
	writingTag  = ".writing-"
)

// siblingPrefix is the start of the names of final's siblings of one kind.
func siblingPrefix(final, tag string) string {
	return "." + filepath.Base(final) + tag
}

// newSiblingDir makes and locks an empty directory beside final, with the
// permissions a new directory gets (0755 less the umask).
func newSiblingDir(final string) (*sibling, error) {
	return newSibling(final, creatingTag, func(p string) (*os.File, error) {
		if err := os.Mkdir(p, 0o755); err != nil {
			return nil, err
		}
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil, errSiblingGone
		}
		if err != nil {
			return nil, errors.Join(err, os.Remove(p))
		}
		return f, nil
	})
}

// newSiblingFile makes and locks an empty file beside final, with the
// permissions os.Create gives (0666 less the umask); its lock is also the
// file to write.
func newSiblingFile(final string) (*sibling, error) {
	return newSibling(final, writingTag, func(p string) (*os.File, error) {
		return os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	})
}

// errSiblingGone says a sibling was removed by a concurrent cleanup before
// its creator could lock it.
var errSiblingGone = errors.New("removed before it was locked")

// siblingAttempts bounds the names tried for one sibling: a name may be
// taken, or its sibling removed by a concurrent cleanup before it was
// locked.
const siblingAttempts = 16

// newSibling makes a sibling of final with mk (which must fail if its name
// exists), locks it, and checks that the locked object is still the one at
// its name: a concurrent cleanup may have taken it for abandoned between
// its making and its locking.
func newSibling(final, tag string, mk func(p string) (*os.File, error)) (*sibling, error) {
	prefix := filepath.Join(filepath.Dir(final), fmt.Sprintf("%s%d-", siblingPrefix(final, tag), os.Getpid()))
	for attempt := 0; attempt < siblingAttempts; attempt++ {
		p := fmt.Sprintf("%s%08x", prefix, rand.Uint32())
		f, err := mk(p)
		if errors.Is(err, errSiblingGone) || errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				continue // a cleanup holds it and will remove it
			}
			return nil, fmt.Errorf("locking %s: %w", p, err)
		}
		held, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if named, err := os.Lstat(p); err == nil && os.SameFile(held, named) {
			return &sibling{path: p, final: final, lock: f}, nil
		}
		f.Close() // removed by a cleanup; make another
	}
	return nil, fmt.Errorf("cannot make a temporary beside %s: %d names tried", final, siblingAttempts)
}

// commit fsyncs the sibling itself (a file's contents, a directory's
// entries), renames it onto its final name and fsyncs the parent directory,
// so the rename is durable when commit returns. The files inside a
// directory sibling must already be durable. An object replaced at the
// final name (an empty directory, an old file) hands on its permissions.
func (s *sibling) commit() error {
	if fi, err := os.Lstat(s.final); err == nil {
		if err := os.Chmod(s.path, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	if err := s.lock.Sync(); err != nil {
		return err
	}
	// rename(2) itself: os.Rename refuses any existing directory, where
	// rename(2) replaces an empty one.
	if err := unix.Rename(s.path, s.final); err != nil {
		return &os.LinkError{Op: "rename", Old: s.path, New: s.final, Err: err}
	}
	s.path = ""
	return syncDir(filepath.Dir(s.final))
}

// release unlocks the sibling and, if it was not committed, removes it.
func (s *sibling) release() error {
	var err error
	if s.path != "" {
		err = os.RemoveAll(s.path)
	}
	return errors.Join(err, s.lock.Close())
}

// removeAbandoned removes the siblings of final of one kind (tag) whose
// creator is gone (whose lock is free).
func removeAbandoned(final, tag string) error {
	parent := filepath.Dir(final)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	prefix := siblingPrefix(final, tag)
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), prefix) {
			continue
		}
		if err := removeIfAbandoned(filepath.Join(parent, en.Name())); err != nil {
			return fmt.Errorf("removing %s, left by an interrupted creation: %w", filepath.Join(parent, en.Name()), err)
		}
	}
	return nil
}

// removeIfAbandoned removes the sibling p if no process holds its lock.
func removeIfAbandoned(p string) error {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed by another cleanup, or committed
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil // its creator is alive
		}
		return err
	}
	// The lock is ours: no creator will use p again. It may have been
	// renamed into place meanwhile (its creator committed it and died), in
	// which case p is no longer what we hold.
	held, err := f.Stat()
	if err != nil {
		return err
	}
	if named, err := os.Lstat(p); err != nil || !os.SameFile(held, named) {
		return nil
	}
	return os.RemoveAll(p)
}

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
