package heap

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"testing"
)

// setSuperblockVersions rewrites the version of both superblocks of the
// closed heap file at path, with a valid checksum, as another program
// version would have written them.
func setSuperblockVersions(t *testing.T, path string, v uint32) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, PageSize)
	for slot := int64(0); slot < superPages; slot++ {
		if _, err := f.ReadAt(b, slot*PageSize); err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint32(b[8:], v)
		binary.LittleEndian.PutUint32(b[PageSize-4:], crc32.Checksum(b[:PageSize-4], castagnoli))
		if _, err := f.WriteAt(b, slot*PageSize); err != nil {
			t.Fatal(err)
		}
	}
}

func superblockVersions(t *testing.T, path string) [superPages]uint32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs [superPages]uint32
	b := make([]byte, PageSize)
	for slot := range vs {
		if _, err := f.ReadAt(b, int64(slot)*PageSize); err != nil {
			t.Fatal(err)
		}
		sb, err := decodeSuperblock(b)
		if err != nil {
			t.Fatal(err)
		}
		vs[slot] = sb.version
	}
	return vs
}

// A file of the previous version opens as it is, stays that version while
// nothing is written (a read-only open, a reader), and becomes this version
// before the first record this program adds, so that the older program
// refuses it rather than misread what this one writes.
func TestOlderVersionUpgradedBeforeFirstWrite(t *testing.T) {
	h, path := newHeap(t)
	h.SetRoot(0, list(h, 10))
	mustCommit(t, h)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	setSuperblockVersions(t, path, oldestReadable)

	ro := testOptions()
	ro.Access = ReadOnly
	r, err := Open(path, ro)
	if err != nil {
		t.Fatalf("read-only open of a version %d file: %v", oldestReadable, err)
	}
	if vs := listValues(r, r.Root(0)); len(vs) != 10 {
		t.Fatalf("list = %v", vs)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if vs := superblockVersions(t, path); vs != [superPages]uint32{oldestReadable, oldestReadable} {
		t.Fatalf("a read-only open changed the versions: %v", vs)
	}

	w, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	w.SetRoot(1, FromInt(7))
	mustCommit(t, w)
	if vs := superblockVersions(t, path); vs != [superPages]uint32{formatVersion, formatVersion} {
		t.Fatalf("after the first commit the versions are %v, want %d", vs, formatVersion)
	}
	w = reopen(t, w)
	if w.Root(1) != FromInt(7) || len(listValues(w, w.Root(0))) != 10 {
		t.Fatal("the upgraded heap lost data")
	}
}

// Versions this program cannot read are refused by name.
func TestUnknownVersionsRefused(t *testing.T) {
	for _, v := range []uint32{oldestReadable - 1, formatVersion + 1} {
		h, path := newHeap(t)
		mustCommit(t, h)
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		setSuperblockVersions(t, path, v)
		_, err := Open(path, testOptions())
		if !errors.Is(err, ErrVersion) {
			t.Fatalf("version %d: err = %v, want ErrVersion", v, err)
		}
	}
}
