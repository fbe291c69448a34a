package world

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/klauspost/compress/zstd"

	"psyche/heap"
)

// Writing an image: the live objects, numbered breadth first (the format is
// in image.go).

// ExportStats says what an export wrote.
type ExportStats struct {
	Objects, BodyBytes, FileBytes uint64
}

// Export writes the world's live objects to an image file at path. It
// replaces an existing file atomically: interrupted, it leaves the old one.
func (w *World) Export(path string, progress func(done, total int)) (_ ExportStats, err error) {
	var st ExportStats
	h := w.h
	if h.InTransaction() {
		return st, fmt.Errorf("export runs between evaluations")
	}
	// Number the live objects, breadth first from the roots; the queue is
	// the order they are written in.
	dir := tempDir(h)
	numbers, err := newNumberTable(dir, h.Info().FileBytes)
	if err != nil {
		return st, err
	}
	defer func() { err = errors.Join(err, numbers.close()) }()
	queue, err := newSpillFile(dir, 1)
	if err != nil {
		return st, err
	}
	defer func() { err = errors.Join(err, queue.close()) }()
	add := func(o heap.Oop) error {
		if !o.IsPtr() {
			return nil
		}
		p, err := numbers.place(o)
		if err != nil || *p != 0 {
			return err
		}
		if queue.n >= maxNumbered {
			return fmt.Errorf("the world holds more than %d objects, more than an export numbers", maxNumbered)
		}
		*p = uint32(queue.n) + 1
		return queue.put(uint64(o))
	}
	err = heap.Catch(func() error {
		for i := 0; i < heap.NumRoots; i++ {
			if err := add(h.Root(i)); err != nil {
				return err
			}
		}
		r, rec := queue.reader(), []uint64{0}
		for {
			ok, err := r.next(rec)
			if err != nil || !ok {
				return err
			}
			o := heap.Oop(rec[0])
			for f, n := 0, h.NumPtrs(o); f < n; f++ {
				if err := add(h.Field(o, f)); err != nil {
					return err
				}
			}
		}
	})
	if err != nil {
		return st, err
	}
	var roots [heap.NumRoots]heap.Oop
	for i := range roots {
		roots[i] = h.Root(i)
	}
	number := func(_, o heap.Oop) (uint64, bool) {
		p, err := numbers.place(o)
		if err != nil || *p == 0 {
			return 0, false
		}
		return uint64(*p - 1), true
	}
	return writeImage(path, h, roots, spilledOrder{queue}, number, progress)
}

// writeImage writes an image of the given roots and objects, in order, to
// path, replacing an existing file atomically. number answers the number of
// the object o that holder (heap.Nil for the roots) refers to; a reference
// it answers false for is written as nil (psyche recover cuts the objects
// it lost so).
func writeImage(path string, h *heap.Heap, roots [heap.NumRoots]heap.Oop, order objectOrder,
	number func(holder, o heap.Oop) (uint64, bool), progress func(done, total int)) (_ ExportStats, err error) {
	var st ExportStats
	f, err := createAtomic(path)
	if err != nil {
		return st, err
	}
	defer func() { err = errors.Join(err, f.discard()) }()
	if _, err := f.Write(make([]byte, imageHeader)); err != nil {
		return st, err
	}
	crc := crc32.New(crcTable)
	counter := &countingWriter{w: io.MultiWriter(f, crc)}
	zw, err := zstd.NewWriter(counter, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(imageWindow))
	if err != nil {
		return st, err
	}
	bw := bufio.NewWriterSize(zw, 1<<20)
	body := &countingWriter{w: bw}
	var vb [binary.MaxVarintLen64]byte
	put := func(v uint64) { body.Write(vb[:binary.PutUvarint(vb[:], v)]) }
	ref := func(holder, o heap.Oop) {
		switch {
		case o == heap.Nil:
			put(0)
		case o.IsPtr():
			if i, ok := number(holder, o); ok {
				put((i+1)<<2 | 1)
			} else {
				put(0)
			}
		case o.IsInt():
			v := o.Int()
			put(uint64(v<<1^v>>63)<<2 | 2)
		case o.IsImmFloat():
			put(immFloatRef)
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(o.ImmFloat()))
			body.Write(b[:])
		default:
			put(uint64(o)<<2 | 3)
		}
	}
	err = heap.Catch(func() error {
		total := int(order.count())
		put(uint64(total))
		for _, r := range roots {
			ref(heap.Nil, r)
		}
		i := 0
		return order.each(func(o heap.Oop) error {
			n := h.NumPtrs(o)
			b := h.Bytes(o)
			body.Write([]byte{h.Kind(o), h.Flags(o)})
			put(uint64(h.Hash(o)))
			put(uint64(n))
			put(uint64(len(b)))
			for f := 0; f < n; f++ {
				ref(o, h.Field(o, f))
			}
			body.Write(b)
			if progress != nil && i%65536 == 0 {
				progress(i, total)
			}
			i++
			return nil
		})
	})
	if err != nil {
		return st, err
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	if err := zw.Close(); err != nil {
		return st, err
	}
	var hdr [imageHeader]byte
	copy(hdr[:], imageMagic[:])
	binary.LittleEndian.PutUint32(hdr[8:], imageVersion)
	binary.LittleEndian.PutUint64(hdr[16:], body.n)
	binary.LittleEndian.PutUint64(hdr[24:], counter.n)
	binary.LittleEndian.PutUint32(hdr[32:], crc.Sum32())
	if _, err := f.WriteAt(hdr[:], 0); err != nil {
		return st, err
	}
	if err := f.commit(); err != nil {
		return st, err
	}
	if progress != nil {
		progress(int(order.count()), int(order.count()))
	}
	return ExportStats{Objects: order.count(), BodyBytes: body.n, FileBytes: imageHeader + counter.n}, nil
}

type countingWriter struct {
	w io.Writer
	n uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}
