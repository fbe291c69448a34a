package world

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
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

// FuzzImport: a hostile image body either builds a world that evaluates
// and checks clean, or is refused with an error; never a panic or a hang.
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
		w, err := Create(filepath.Join(t.TempDir(), "w"), FromImage(bytes.NewReader(img), int64(len(img))), io.Discard)
		if err != nil {
			return
		}
		defer w.Close()
		w.vm.StepLimit = 100000
		w.Eval("fuzz", []byte("3 + 4. (vector copySize: 2) printString. lobby printString"), false)
		w.Check(nil)
	})
}
