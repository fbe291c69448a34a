package images

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"psyche/bootstrap"
	"psyche/world"
)

// TestBaseImageIsCurrent: the stored base image is exactly what the core
// world's sources build. If this fails, run `make images` and commit.
func TestBaseImageIsCurrent(t *testing.T) {
	dir := t.TempDir()
	w, err := world.Create(filepath.Join(dir, "w"), bootstrap.Build, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	img := filepath.Join(dir, "base.img")
	if _, err := w.Export(img, nil); err != nil {
		t.Fatal(err)
	}
	built, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, Base()) {
		t.Fatalf("images/base.img (%d bytes) is not what bootstrap/ builds (%d bytes): run `make images`", len(Base()), len(built))
	}
}

// TestBootFromBaseImage: a world made from the base image evaluates.
func TestBootFromBaseImage(t *testing.T) {
	w, err := world.Create(filepath.Join(t.TempDir(), "w"), BaseBuilder(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got, err := w.Eval("test", []byte("(3 + 4) printString , ' ' , (100 factorial printString size) printString"))
	if err != nil {
		t.Fatal(err)
	}
	if got != "'7 158'" {
		t.Fatalf("got %s", got)
	}
}
