package world

import (
	"os"
	"path/filepath"
)

// An atomicFile replaces the file at its path so that, whenever the process
// stops, the path holds the old contents or the new ones, complete: it is
// written as a sibling file (see sibling), which commit fsyncs and renames
// onto the path before fsyncing the directory. Until commit, the path is
// untouched; discard removes the sibling. A symbolic link at the path is
// followed (its target is replaced), and an existing file's permissions
// are kept.
type atomicFile struct {
	*os.File
	s *sibling
}

// createAtomic starts replacing the file at path.
func createAtomic(path string) (*atomicFile, error) {
	final, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(final); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if final, err = filepath.EvalSymlinks(final); err != nil {
			return nil, err
		}
	}
	if err := removeAbandoned(final, writingTag); err != nil {
		return nil, err
	}
	s, err := newSiblingFile(final)
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: s.lock, s: s}, nil
}

// commit makes what was written durable and puts it at the path.
func (f *atomicFile) commit() error { return f.s.commit() }

// discard closes the file and, unless it was committed, removes it. It
// does nothing more once called.
func (f *atomicFile) discard() error {
	if f.s == nil {
		return nil
	}
	err := f.s.release()
	f.s = nil
	return err
}
