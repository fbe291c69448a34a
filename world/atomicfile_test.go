package world

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeAtomic(t *testing.T, path, text string) *atomicFile {
	t.Helper()
	f, err := createAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAtomicFileReplaces: until commit the old file is there, whole; after
// it the new one, with the old one's permissions, and nothing beside it.
func TestAtomicFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "saved.img")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := writeAtomic(t, path, "new contents")
	if got := readString(t, path); got != "old" {
		t.Fatalf("before commit the file holds %q", got)
	}
	if err := f.commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.discard(); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != "new contents" {
		t.Fatalf("after commit the file holds %q", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the new file has mode %v, want the old one's 0600", fi.Mode().Perm())
	}
	onlyEntries(t, dir, "saved.img")
}

// TestAtomicFileDiscard: a write given up leaves the old file and no
// sibling.
func TestAtomicFileDiscard(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "saved.img")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(t, path, "half").discard(); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != "old" {
		t.Fatalf("after discard the file holds %q", got)
	}
	onlyEntries(t, dir, "saved.img")
}

// TestAtomicFileFollowsLinks: a symbolic link stays a link; its target is
// replaced.
func TestAtomicFileFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.img")
	link := filepath.Join(dir, "link.img")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.img", link); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(t, link, "new").commit(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v, %v", fi, err)
	}
	if got := readString(t, target); got != "new" {
		t.Fatalf("the link's target holds %q", got)
	}
}

// TestAtomicFileRemovesAbandonedSiblings: the next write removes the
// siblings of interrupted writes of the same file, not those of a live
// writer nor another file's.
func TestAtomicFileRemovesAbandonedSiblings(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{".saved.img.writing-1-dead", ".saved.img.writing-2-alive", ".other.img.writing-1-dead"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join(dir, ".saved.img.writing-2-alive"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(t, filepath.Join(dir, "saved.img"), "new").commit(); err != nil {
		t.Fatal(err)
	}
	onlyEntries(t, dir, ".other.img.writing-1-dead", ".saved.img.writing-2-alive", "saved.img")
}

// TestExportReplacesImage: an export over an image replaces it with one
// that imports, and leaves nothing beside it.
func TestExportReplacesImage(t *testing.T) {
	w, _ := newWorld(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "saved.img")
	if err := os.WriteFile(img, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Export(img, nil); err != nil {
		t.Fatal(err)
	}
	onlyEntries(t, dir, "saved.img")
	build, done, err := FromImageFile(img)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	w2, err := Create(filepath.Join(dir, "w2"), build, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if got := eval(t, w2, "3 + 4"); got != "7" {
		t.Fatalf("3 + 4 = %s", got)
	}
}
