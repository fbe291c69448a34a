package heap

import (
	"os"
	"unsafe"

	mmap "github.com/edsrzf/mmap-go"
)

// The bit tables of the collector (marks) and of the check (object
// starts, free chunks): one bit per heap word.

// bitmap is a mark bitmap, in memory or in a temporary file. It grows when
// a bit past its end is set: objects promoted during a cycle may lie past
// the frontier the cycle began with.
type bitmap struct {
	words []uint64
	m     mmap.MMap
	f     *os.File
}

// inMemoryBitmap is the largest bitmap kept in anonymous memory (that of a
// 64 MiB heap); a larger one is a file mapping the kernel can page out, so
// that a slice or a check of a large heap fits a small memory limit (a
// check has three bitmaps).
const inMemoryBitmap = 1 << 20

func newBitmap(dir string, nbits uint64) (*bitmap, error) {
	b := &bitmap{}
	return b, b.resize(dir, (nbits+63)/64*8)
}

// resize makes the bitmap nbytes long, keeping its bits.
func (b *bitmap) resize(dir string, nbytes uint64) error {
	if nbytes <= inMemoryBitmap && b.f == nil {
		words := make([]uint64, nbytes/8)
		copy(words, b.words)
		b.words = words
		return nil
	}
	if b.f == nil {
		f, err := os.CreateTemp(dir, ".marks-*")
		if err != nil {
			return err
		}
		os.Remove(f.Name())
		b.f = f
		if len(b.words) > 0 {
			buf := unsafe.Slice((*byte)(unsafe.Pointer(&b.words[0])), len(b.words)*8)
			if _, err := f.WriteAt(buf, 0); err != nil {
				return err
			}
		}
	}
	if b.m != nil {
		if err := b.m.Unmap(); err != nil {
			return err
		}
		b.m = nil
	}
	if err := b.f.Truncate(int64(nbytes)); err != nil {
		return err
	}
	m, err := mmap.Map(b.f, mmap.RDWR, 0)
	if err != nil {
		return err
	}
	b.m = m
	b.words = unsafe.Slice((*uint64)(unsafe.Pointer(&m[0])), nbytes/8)
	return nil
}

func (b *bitmap) release() {
	if b.m != nil {
		b.m.Unmap()
	}
	if b.f != nil {
		b.f.Close()
	}
}

func (b *bitmap) test(i uint64) bool {
	return i>>6 < uint64(len(b.words)) && b.words[i>>6]&(1<<(i&63)) != 0
}

func (b *bitmap) set(i uint64) { b.words[i>>6] |= 1 << (i & 63) }
