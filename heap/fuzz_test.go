package heap

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets open heaps whose files were damaged in arbitrary ways and
// use them: every outcome must be an error or a working heap, never a panic
// or a fault. Their seed corpora run in every `go test`.

// fuzzHeap builds a small heap with a few committed transactions. If crash is
// set it is left with records in its log.
func fuzzHeap(t *testing.T, crash bool) string {
	path := filepath.Join(t.TempDir(), "heap")
	h, err := Create(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	table := h.Alloc(8, 0, 1, Nil)
	h.SetRoot(0, table)
	mustCommit(t, h)
	for k := uint64(1); k <= 3; k++ {
		h.SetField(h.Root(0), int(k), list(h, int(k)*5))
		bv := h.Alloc(0, 300, 2, Nil)
		h.SetBytes(bv, 0, []byte("some bytes"))
		h.SetField(h.Root(0), int(k+4), bv)
		mustCommit(t, h)
	}
	if crash {
		h.crash()
	} else {
		h.Close()
	}
	return path
}

// exercise uses an opened heap the way the layers above would.
func exercise(h *Heap) {
	h.Check(nil)
	Catch(func() error {
		seen := map[Oop]bool{}
		var walk func(o Oop, depth int)
		walk = func(o Oop, depth int) {
			if !o.IsPtr() || seen[o] || depth > 50 || len(seen) > 2000 {
				return
			}
			seen[o] = true
			h.Kind(o)
			h.Hash(o)
			if n := h.NumBytes(o); n > 0 {
				buf := make([]byte, min(n, 64))
				h.ReadBytes(o, 0, buf)
			}
			for i := 0; i < h.NumPtrs(o) && i < 100; i++ {
				walk(h.Field(o, i), depth+1)
			}
		}
		for i := 0; i < NumRoots; i++ {
			walk(h.Root(i), 0)
		}
		return nil
	})
	h.Abort()
	if _, err := h.Collect(); err == nil {
		Catch(func() error {
			h.SetRoot(1, list(h, 50))
			return h.Commit()
		})
	}
}

func FuzzOpenLog(f *testing.F) {
	f.Add([]byte{}, uint32(0), uint8(0))
	f.Add([]byte{0xff}, uint32(5000), uint8(1))
	f.Add([]byte{1, 2, 3, 4}, uint32(24), uint8(2))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, uint32(1720), uint8(0))
	f.Add([]byte("PLOG"), uint32(9000), uint8(3))
	f.Fuzz(func(t *testing.T, patch []byte, at uint32, mode uint8) {
		path := fuzzHeap(t, true)
		logPath := path + ".log"
		b, _ := os.ReadFile(logPath)
		switch mode % 4 {
		case 0: // overwrite
			if int(at) < len(b) {
				copy(b[at:], patch)
			}
		case 1: // truncate
			if len(b) > 0 {
				b = b[:int(at)%len(b)]
			}
		case 2: // append garbage
			b = append(b, patch...)
		case 3: // replace
			b = patch
		}
		os.WriteFile(logPath, b, 0o644)
		h, err := Open(path, testOptions())
		if err != nil {
			return
		}
		defer h.Close()
		exercise(h)
	})
}

func FuzzOpenHeap(f *testing.F) {
	f.Add([]byte{0xff}, uint32(100), false)
	f.Add([]byte{0xff}, uint32(PageSize+8), true)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, uint32(dataStart), true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, uint32(dataStart+8), true)
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0}, uint32(dataStart+16), true)
	f.Add([]byte{1}, uint32(dataStart+4*8), true)
	f.Add([]byte{0x40}, uint32(40), false)
	f.Fuzz(func(t *testing.T, patch []byte, at uint32, fixSums bool) {
		path := fuzzHeap(t, false)
		b, _ := os.ReadFile(path)
		if int(at) >= len(b) {
			at %= uint32(len(b))
		}
		copy(b[at:], patch)
		os.WriteFile(path, b, 0o644)
		if fixSums {
			// A hostile file: damage with every checksum made to match, so that
			// only structural validation stands between it and the heap's users.
			sums, _ := os.ReadFile(path + ".sums")
			for p := uint64(superPages); p < uint64(len(b))/PageSize; p++ {
				if int(p*8+8) <= len(sums) && binary.LittleEndian.Uint64(sums[p*8:]) != 0 {
					binary.LittleEndian.PutUint64(sums[p*8:], pageSum(p, b[p*PageSize:(p+1)*PageSize]))
				}
			}
			os.WriteFile(path+".sums", sums, 0o644)
			for i := 0; i < superPages; i++ {
				sb := b[i*PageSize : (i+1)*PageSize]
				binary.LittleEndian.PutUint32(sb[PageSize-4:], crcSum(sb[:PageSize-4]))
			}
			os.WriteFile(path, b, 0o644)
		}
		h, err := Open(path, testOptions())
		if err != nil {
			return
		}
		defer h.Close()
		exercise(h)
	})
}
