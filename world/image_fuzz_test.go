package world

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"

	"psyche/heap"
	"psyche/vm"
)

// wrapBody makes a well-formed image container around an arbitrary body, so
// that fuzzing reaches the structural checks behind the checksum.
func wrapBody(body []byte) []byte {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	comp := enc.EncodeAll(body, nil)
	enc.Close()
	img := make([]byte, imageHeader, imageHeader+len(comp))
	copy(img, imageMagic[:])
	binary.LittleEndian.PutUint32(img[8:], imageVersion)
	binary.LittleEndian.PutUint64(img[16:], uint64(len(body)))
	binary.LittleEndian.PutUint64(img[24:], uint64(len(comp)))
	binary.LittleEndian.PutUint32(img[32:], crc32.Checksum(comp, crcTable))
	return append(img, comp...)
}

func baseBody(t testing.TB) []byte {
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	body, err := dec.DecodeAll(baseImage[imageHeader:], nil)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// fuzzRuns are evaluations every accepted image must survive: each may fail
// with a Self error, none may panic or leave the world failing Check.
var fuzzRuns = []string{
	"3 + 4",
	"5 factorial",
	"'ab' , 'c'",
	"(vector copySize: 2) printString",
	"| s <- 0 | 1 to: 3 Do: [|:i| s: s + i]. s",
	"lobby printString",
}

// checkAccepted fails the test unless the world w, built from an image the
// importer accepted, checks clean and runs: the evaluations above, and
// printString sent to each of the lobby's unary slots.
func checkAccepted(t *testing.T, w *World) {
	t.Helper()
	if p := w.Check(nil); len(p) > 0 {
		t.Fatalf("an accepted image does not check clean: %v", p)
	}
	w.vm.StepLimit = 20000
	runs := fuzzRuns
	m := w.vm.Model()
	if err := heap.Catch(func() error {
		mp := m.MapOf(m.Lobby)
		for i := 0; i < m.MapSlotCount(mp); i++ {
			if name := m.StringOf(m.MapSlot(mp, i).Name); name != "" && name[len(name)-1] != ':' {
				runs = append(runs, "lobby "+name+" printString")
			}
		}
		return nil
	}); err != nil {
		return // a lobby the VM cannot read is a Self error in every run
	}
	for _, src := range runs {
		w.Eval("fuzz", []byte(src))
	}
	if p := w.Check(nil); len(p) > 0 {
		t.Fatalf("an accepted image's world stops checking clean after running: %v", p)
	}
}

// importFuzzBody builds a world in a temporary directory from an
// uncompressed body; nil if the body was refused.
func importFuzzBody(t *testing.T, body []byte) *World {
	dir := filepath.Join(t.TempDir(), "w")
	w, err := Create(dir, func(v *vm.VM) error {
		return importBody(v, bytes.NewReader(body), uint64(len(body)), nil)
	}, io.Discard)
	if err != nil {
		if Exists(dir) {
			t.Fatalf("a refused image left a world behind: %v", err)
		}
		return nil
	}
	return w
}

// FuzzImportBody fuzzes the body below the compression layer (fast: no
// compression, no checksum): every body is refused, or builds a world that
// checks clean and whose objects run. Run it with -fuzzminimizetime=3x:
// minimizing a new input as large as the base body otherwise takes minutes.
func FuzzImportBody(f *testing.F) {
	f.Add(baseBody(f))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		if w := importFuzzBody(t, body); w != nil {
			defer w.Close()
			checkAccepted(t, w)
		}
	})
}

// FuzzImport fuzzes a whole image, the compression layer included, as a
// patch to the base image's body: a hostile image is refused with an error,
// or builds a world that checks clean and runs; never a panic or a hang.
func FuzzImport(f *testing.F) {
	body := baseBody(f)
	f.Add(body, uint32(0), []byte{})
	f.Add(body, uint32(1000), []byte{0xff})
	f.Add(body, uint32(len(body)/2), []byte{0, 0, 0})
	f.Add(body, uint32(len(body)-10), []byte{9, 9, 9, 9})
	f.Add([]byte{1, 0}, uint32(0), []byte{})
	f.Fuzz(func(t *testing.T, body []byte, at uint32, patch []byte) {
		body = bytes.Clone(body)
		if len(body) > 0 {
			copy(body[int(at)%len(body):], patch)
		}
		img := wrapBody(body)
		dir := filepath.Join(t.TempDir(), "w")
		w, err := Create(dir, FromImage(bytes.NewReader(img), int64(len(img))), io.Discard)
		if err != nil {
			if Exists(dir) {
				t.Fatalf("a refused image left a world behind: %v", err)
			}
			return
		}
		defer w.Close()
		checkAccepted(t, w)
	})
}
