package world

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"psyche/heap"
)

// TestImportRefusesHostileBodies: a body that does not end where its header
// says, or that declares more than it holds, is refused at once, without
// allocating what it declares, and leaves no world behind.
func TestImportRefusesHostileBodies(t *testing.T) {
	body := baseBody(t)
	roots := make([]byte, heap.NumRoots)
	huge := append(binary.AppendUvarint(nil, 1), roots...)
	huge = binary.AppendUvarint(append(huge, 5, 0, 1, 0), 8<<30) // a byteVector of 8 GB
	many := append(binary.AppendUvarint(nil, 1<<58), roots...)
	declare := func(img []byte, n uint64) []byte {
		binary.LittleEndian.PutUint64(img[16:], n)
		return img
	}
	for name, img := range map[string][]byte{
		"stray byte, undeclared": declare(wrapBody(append(bytes.Clone(body), 0)), uint64(len(body))),
		"stray byte, declared":   wrapBody(append(bytes.Clone(body), 0)),
		"length too short":       declare(wrapBody(body), uint64(len(body)-1)),
		"length too long":        declare(wrapBody(body), uint64(len(body)+1)),
		"length beyond the data": declare(wrapBody(body), 1<<62),
		"8 GB byteVector":        declare(wrapBody(huge), 1<<40),
		"2^58 objects":           declare(wrapBody(many), 1<<62),
		"2^58 objects, honest":   wrapBody(many),
	} {
		dir := filepath.Join(t.TempDir(), "w")
		_, err := Create(dir, FromImage(bytes.NewReader(img), int64(len(img))), io.Discard)
		var ie *ImageError
		if !errors.As(err, &ie) {
			t.Errorf("%s: got %v, want an ImageError", name, err)
		}
		if Exists(dir) {
			t.Errorf("%s: a refused image left a world behind", name)
		}
	}
}
