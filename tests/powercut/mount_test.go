package powercut

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// mountForTest mounts a new, empty filesystem in a temporary directory,
// skipping the test where FUSE cannot be mounted.
func mountForTest(t *testing.T) *Mount {
	t.Helper()
	dir := t.TempDir()
	m, err := MountAt(dir, New())
	if errors.Is(err, ErrNoFUSE) {
		t.Skipf("skipping the power-cut tests: %v (they need /dev/fuse and permission to mount, as root)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// cut cuts the power with no process to kill.
func cut(t *testing.T, m *Mount) {
	t.Helper()
	if err := m.PowerCut(func() {}, func() {}); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes a file (without fsync).
func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// syncPath fsyncs a file or a directory.
func syncPath(t *testing.T, name string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// expectFile fails the test unless name holds want (nil: does not exist).
func expectFile(t *testing.T, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(name)
	switch {
	case want == nil && errors.Is(err, os.ErrNotExist):
	case want == nil && err == nil:
		t.Errorf("%s survived the cut (%d bytes); it should not have", name, len(got))
	case err != nil:
		t.Errorf("%s after the cut: %v", name, err)
	case !bytes.Equal(got, want):
		t.Errorf("%s after the cut holds %q, want %q", name, got, want)
	}
}

// The model's promises, one per case: what fsync makes durable and what a
// cut drops.
func TestPowerCutModel(t *testing.T) {
	m := mountForTest(t)
	p := func(name string) string { return filepath.Join(m.Dir, name) }

	// Entries of a directory that is never synced again.
	if err := os.Mkdir(p("u"), 0o755); err != nil {
		t.Fatal(err)
	}
	syncPath(t, m.Dir)
	// Nothing synced: gone.
	writeFile(t, p("u/a"), []byte("a"))
	// The file synced, its directory not: gone (strict POSIX).
	writeFile(t, p("u/b"), []byte("b"))
	syncPath(t, p("u/b"))
	// The directory synced, the file not: an empty file.
	writeFile(t, p("c"), []byte("c"))
	// Both synced: kept.
	writeFile(t, p("d"), []byte("d1"))
	syncPath(t, p("d"))
	if err := os.Mkdir(p("sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p("sub/e"), []byte("e"))
	syncPath(t, p("sub/e"))
	syncPath(t, p("sub"))
	syncPath(t, m.Dir)
	// Changes after the last fsync are dropped: a rewrite, a rename, an unlink.
	writeFile(t, p("d"), []byte("d2-longer"))
	if err := os.Rename(p("sub/e"), p("e2")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p("c")); err != nil {
		t.Fatal(err)
	}
	cut(t, m)
	expectFile(t, p("u/a"), nil)
	expectFile(t, p("u/b"), nil)
	expectFile(t, p("c"), []byte{})
	expectFile(t, p("d"), []byte("d1"))
	expectFile(t, p("sub/e"), []byte("e"))
	expectFile(t, p("e2"), nil)

	// A rename made durable in the target directory only: the file is
	// under both names (the source directory's removal was not synced).
	if err := os.Rename(p("sub/e"), p("e3")); err != nil {
		t.Fatal(err)
	}
	syncPath(t, m.Dir)
	cut(t, m)
	expectFile(t, p("sub/e"), []byte("e"))
	expectFile(t, p("e3"), []byte("e"))

	// Truncation and growth are durable only with fsync.
	f, err := os.OpenFile(p("d"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, 3*pageSize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cut(t, m)
	expectFile(t, p("d"), []byte("d"))
}

// The heap maps its file MAP_PRIVATE and writes it with pwrite; a page it
// has not written to must show what pwrite wrote (once it drops its
// private copy), through FUSE as on a disk.
func TestPowerCutMmapCoherence(t *testing.T) {
	m := mountForTest(t)
	name := filepath.Join(m.Dir, "heap")
	writeFile(t, name, bytes.Repeat([]byte{1}, 4*pageSize))
	syncPath(t, name)
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, 4*pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	if mem[pageSize] != 1 {
		t.Fatalf("mapped byte is %d, want 1", mem[pageSize])
	}
	mem[2*pageSize] = 9 // a private copy
	if _, err := f.WriteAt(bytes.Repeat([]byte{2}, 2*pageSize), pageSize); err != nil {
		t.Fatal(err)
	}
	if mem[pageSize] != 2 {
		t.Errorf("after pwrite, a mapped page not written privately shows %d, want 2", mem[pageSize])
	}
	if mem[2*pageSize] != 9 {
		t.Errorf("the private copy shows %d, want 9", mem[2*pageSize])
	}
	if err := syscall.Madvise(mem[2*pageSize:3*pageSize], syscall.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if mem[2*pageSize] != 2 {
		t.Errorf("after dropping the private copy, the page shows %d, want 2 (what pwrite wrote)", mem[2*pageSize])
	}
}
