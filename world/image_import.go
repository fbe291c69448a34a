package world

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/klauspost/compress/zstd"

	"psyche/heap"
	"psyche/vm"
	"psyche/vm/object"
)

// Reading an image: validating it and streaming its objects into a new
// world's heap (the format is in image.go).

// FromImage answers a Builder that fills a new world from the image in r
// (size bytes).
func FromImage(r io.ReaderAt, size int64) Builder { return FromImageProgress(r, size, nil) }

// FromImageProgress is FromImage, calling progress with the objects read so
// far and the objects in the image.
func FromImageProgress(r io.ReaderAt, size int64, progress func(done, total int)) Builder {
	return func(v *vm.VM) error { return importImage(v, r, size, progress) }
}

// FromImageFile answers a Builder for the image file at path, and a
// function that closes the file.
func FromImageFile(path string) (Builder, func(), error) { return FromImageFileProgress(path, nil) }

// FromImageFileProgress is FromImageFile with a progress callback.
func FromImageFileProgress(path string, progress func(done, total int)) (Builder, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return FromImageProgress(f, fi.Size(), progress), func() { f.Close() }, nil
}

func importImage(v *vm.VM, r io.ReaderAt, size int64, progress func(done, total int)) error {
	var hdr [imageHeader]byte
	if size < imageHeader {
		return badImage("%d bytes is too short for an image", size)
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return err
	}
	if [8]byte(hdr[:8]) != imageMagic {
		return badImage("not a Psyche image (wrong magic)")
	}
	if ver := binary.LittleEndian.Uint32(hdr[8:]); ver < minImageVersion || ver > imageVersion {
		return badImage("image format version %d; this program reads versions %d to %d", ver, minImageVersion, imageVersion)
	}
	bodyLen := binary.LittleEndian.Uint64(hdr[16:])
	compLen := binary.LittleEndian.Uint64(hdr[24:])
	if compLen != uint64(size-imageHeader) {
		return badImage("the image is %d bytes but its header says %d (truncated or extended)", size, imageHeader+compLen)
	}
	if bodyLen/maxExpansion > compLen {
		return badImage("the header declares a body of %d bytes, more than %d compressed bytes can hold", bodyLen, compLen)
	}
	// Check the whole compressed body before using any of it.
	crc := crc32.New(crcTable)
	if _, err := io.Copy(crc, io.NewSectionReader(r, imageHeader, int64(compLen))); err != nil {
		return err
	}
	if crc.Sum32() != binary.LittleEndian.Uint32(hdr[32:]) {
		return badImage("checksum mismatch: the image is damaged")
	}
	zr, err := zstd.NewReader(io.NewSectionReader(r, imageHeader, int64(compLen)), zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(imageWindow))
	if err != nil {
		return err
	}
	defer zr.Close()
	return importBody(v, zr, bodyLen, progress)
}

// importBody fills v's empty heap from an uncompressed image body, which
// must be exactly bodyLen bytes long. On error the heap is left empty (the
// transaction is aborted) and the error is an *ImageError.
func importBody(v *vm.VM, r io.Reader, bodyLen uint64, progress func(done, total int)) error {
	in := &imageReader{r: bufio.NewReaderSize(r, imageChunk), left: bodyLen, progress: progress}
	err := heap.Catch(func() error { return in.build(v) })
	if err != nil {
		v.Heap().Abort()
		v.FlushCaches()
		var ie *ImageError
		if !errors.As(err, &ie) {
			err = badImage("%v", err)
		}
		return err
	}
	return nil
}

// imageChunk is how much of a body the reader buffers, and the most it
// allocates for an object's bytes before they have been read: a large
// object's bytes are read a chunk at a time, so a declared size that the
// body does not back never costs memory.
const imageChunk = 64 << 10

// minObjectBytes is the smallest an object takes in a body: kind, flags,
// and three one-byte uvarints (hash, pointer count, byte count).
const minObjectBytes = 5

type imageReader struct {
	r        *bufio.Reader
	left     uint64 // body bytes not yet read
	err      error
	progress func(done, total int)
	fields   []heap.Oop // the current object's pointer fields (reused)
	bytes    []byte     // the current object's bytes (reused)
}

func (in *imageReader) fail(format string, args ...any) {
	if in.err == nil {
		in.err = badImage(format, args...)
	}
}

func (in *imageReader) uvarint() uint64 {
	if in.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(in)
	if err != nil {
		in.fail("the body ends early or holds a malformed number (%v)", err)
	}
	return v
}

func (in *imageReader) ReadByte() (byte, error) {
	if in.left == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	b, err := in.r.ReadByte()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		in.left--
	}
	return b, err
}

// read reads n bytes into in.bytes, a chunk at a time, so that memory grows
// only with bytes the body really holds.
func (in *imageReader) read(n uint64) []byte {
	in.bytes = in.bytes[:0]
	if in.err != nil {
		return nil
	}
	if n > in.left {
		in.fail("%d bytes run past the end of the body", n)
		return nil
	}
	for uint64(len(in.bytes)) < n {
		have := len(in.bytes)
		chunk := int(min(n-uint64(have), imageChunk))
		in.bytes = append(in.bytes, make([]byte, chunk)...)
		if _, err := io.ReadFull(in.r, in.bytes[have:]); err != nil {
			in.fail("the body ends early (%v)", err)
			return nil
		}
		in.left -= uint64(chunk)
	}
	return in.bytes
}

// end checks that the body ends exactly where its header says.
func (in *imageReader) end() error {
	if in.left != 0 {
		return badImage("%d bytes of the body follow the last object", in.left)
	}
	switch _, err := in.r.ReadByte(); err {
	case io.EOF:
		return nil
	case nil:
		return badImage("the body is longer than its header says")
	default:
		return badImage("the compressed body does not decode (%v)", err)
	}
}

// Import streams the objects into the heap as it reads them, in memory
// bounded whatever the image holds: the objects' oops (by number) are in a
// mapped temporary table and the references to objects not yet made in a
// temporary file (imagetable.go); the young space is scavenged as the
// interpreter would, so what survives is tenured into the persistent heap,
// whose dirty pages the transaction's budget bounds (heap/spill.go); a
// large object's bytes are written to it a chunk at a time, straight to
// the heap file. Nothing is usable before the graph is validated whole.

// A pending reference is a record of pendingWidth words in the pending
// file: the object holding it (rootsObject for a root), the field, and the
// number of the object it names.
const pendingWidth = 3

// rootsObject stands for the roots in a pending reference.
const rootsObject = ^uint64(0)

// importer is the state of one import's build.
type importer struct {
	in      *imageReader
	h       *heap.Heap
	count   uint64
	objs    *oopTable
	made    uint64     // objects made so far
	young   uint64     // the first object that may still be young
	large   []heap.Oop // the large objects made, which a scavenge must see live
	pending *spillFile
}

// scanRoots shows Scavenge the objects the import holds.
func (im *importer) scanRoots(visit func(*heap.Oop)) {
	for i := im.young; i < im.made; i++ {
		if im.objs.oops[i].IsYoung() {
			visit(&im.objs.oops[i])
		}
	}
	for i := range im.large {
		visit(&im.large[i])
	}
}

// scavenge runs a scavenge when the young space asks for one, and notes
// which objects it tenured.
func (im *importer) scavenge() {
	if !im.h.ScavengeWanted() {
		return
	}
	im.h.Scavenge()
	for im.young < im.made && !im.objs.oops[im.young].IsYoung() {
		im.young++
	}
}

func (in *imageReader) build(v *vm.VM) (err error) {
	h := v.Heap()
	count := in.uvarint()
	if in.err != nil {
		return in.err
	}
	if count == 0 || count > in.left/minObjectBytes {
		return badImage("object count %d does not fit a body of %d bytes", count, in.left)
	}
	im := &importer{in: in, h: h, count: count}
	if im.objs, err = newOopTable(tempDir(h), count); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, im.objs.close()) }()
	if im.pending, err = newSpillFile(tempDir(h), pendingWidth); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, im.pending.close()) }()
	h.SetRootScanner(func(visit func(*heap.Oop)) { v.ScanRoots(visit); im.scanRoots(visit) })
	defer h.SetRootScanner(v.ScanRoots)
	if err := im.read(); err != nil {
		return err
	}
	if err := in.end(); err != nil {
		return err
	}
	if in.progress != nil {
		in.progress(int(count), int(count))
	}
	if err := im.resolve(); err != nil {
		return err
	}
	return validateGraph(v, im.objs.oops)
}

// decode reads one reference of object obj's field; a reference to an
// object goes to the pending file and reads as Nil for now.
func (im *importer) decode(obj uint64, field int) heap.Oop {
	in := im.in
	x := in.uvarint()
	switch x & 3 {
	case 0:
		if x != 0 {
			in.fail("a malformed reference")
		}
		return heap.Nil
	case 1:
		t := x>>2 - 1
		if t >= im.count {
			in.fail("a reference to object %d of %d", t, im.count)
			return heap.Nil
		}
		if err := im.pending.put(obj, uint64(field), t); err != nil && in.err == nil {
			in.err = err
		}
		return heap.Nil
	case 2:
		u := x >> 2
		n := int64(u>>1) ^ -int64(u&1)
		if !heap.FitsSmallInt(n) {
			in.fail("a small integer out of range")
		}
		return heap.FromInt(n)
	}
	if x == immFloatRef {
		var b [8]byte
		for i := range b {
			b[i] = in.byte()
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
		o, ok := heap.FromFloat(f)
		if !ok && in.err == nil {
			in.fail("an immediate float %g that has no immediate form", f)
		}
		return o
	}
	if o := heap.Oop(x >> 2); o == heap.Tombstone {
		return o
	}
	in.fail("a malformed immediate")
	return heap.Nil
}

// read reads the roots and every object, making each in the heap.
func (im *importer) read() error {
	in, h := im.in, im.h
	var roots [heap.NumRoots]heap.Oop
	for i := range roots {
		roots[i] = im.decode(rootsObject, i)
	}
	for i, r := range roots {
		h.SetRoot(i, r)
	}
	for i := uint64(0); i < im.count && in.err == nil; i++ {
		var kf [2]byte
		kf[0], kf[1] = in.byte(), in.byte()
		hash := in.uvarint()
		nptrs, nbytes := in.uvarint(), in.uvarint()
		if in.err != nil {
			break
		}
		if nptrs > in.left || nbytes > in.left || hash == 0 || hash >= 1<<24 || kf[1]&^(heap.FlagWeak|heap.FlagEphemeron) != 0 {
			return badObject(int(i), fmt.Errorf("an impossible header (%d fields, %d bytes, hash %d)", nptrs, nbytes, hash))
		}
		if err := h.CheckAlloc(int(nptrs), int(nbytes)); err != nil {
			return badObject(int(i), err)
		}
		if heap.IsLarge(int(nptrs), int(nbytes)) {
			im.makeLarge(i, int(nptrs), nbytes, kf, uint32(hash))
		} else {
			im.makeSmall(i, int(nptrs), nbytes, kf, uint32(hash))
		}
		if in.err != nil {
			break
		}
		im.scavenge()
		if in.progress != nil && i%65536 == 0 {
			in.progress(int(i), int(im.count))
		}
	}
	return in.err
}

// makeSmall reads object i, a young one, and makes it: its fields and
// bytes are read first (a young object is smaller than a large one's
// threshold), and nothing moves in between.
func (im *importer) makeSmall(i uint64, nptrs int, nbytes uint64, kf [2]byte, hash uint32) {
	in, h := im.in, im.h
	// Every field takes at least a byte, so the loop ends with the body.
	in.fields = in.fields[:0]
	for f := 0; f < nptrs && in.err == nil; f++ {
		in.fields = append(in.fields, im.decode(i, f))
	}
	b := in.read(nbytes)
	if in.err != nil {
		return
	}
	o := im.record(i, h.Alloc(nptrs, int(nbytes), kf[0], heap.Nil), kf, hash)
	for f, val := range in.fields {
		if val != heap.Nil {
			h.SetField(o, f, val)
		}
	}
	h.SetBytes(o, 0, b)
}

// makeLarge makes object i, a large one, in the heap file first, and then
// reads its fields and bytes into it a piece at a time, so that none of it
// is whole in memory.
func (im *importer) makeLarge(i uint64, nptrs int, nbytes uint64, kf [2]byte, hash uint32) {
	in, h := im.in, im.h
	o := im.record(i, h.Alloc(nptrs, int(nbytes), kf[0], heap.Nil), kf, hash)
	im.large = append(im.large, o)
	for f := 0; f < nptrs && in.err == nil; f++ {
		if val := im.decode(i, f); val != heap.Nil {
			h.SetField(o, f, val)
		}
	}
	for at := uint64(0); at < nbytes && in.err == nil; {
		piece := in.read(min(nbytes-at, largeChunk))
		if in.err == nil {
			h.SetBytes(o, int(at), piece)
			at += uint64(len(piece))
		}
	}
}

// record records o as object i, with its hash and flags.
func (im *importer) record(i uint64, o heap.Oop, kf [2]byte, hash uint32) heap.Oop {
	im.objs.oops[i] = o
	im.made = i + 1
	im.h.SetIdentityHash(o, hash)
	if kf[1] != 0 {
		im.h.SetFlags(o, kf[1])
	}
	return o
}

// largeChunk is how many bytes of a large object are read and written at a
// time: the most of it in memory at once.
const largeChunk = 1 << 20

// resolve sets the references to objects, now that every object exists.
func (im *importer) resolve() error {
	h, objs := im.h, im.objs.oops
	return im.pending.each(func(p []uint64) error {
		if p[0] == rootsObject {
			h.SetRoot(int(p[1]), objs[p[2]])
		} else {
			h.SetField(objs[p[0]], int(p[1]), objs[p[2]])
		}
		return nil
	})
}

// byte reads one byte of the body.
func (in *imageReader) byte() byte {
	if in.err != nil {
		return 0
	}
	b, err := in.ReadByte()
	if err != nil {
		in.fail("the body ends early (%v)", err)
	}
	return b
}

// validateGraph checks the imported objects before anything runs in them.
func validateGraph(v *vm.VM, objs []heap.Oop) error {
	h, m := v.Heap(), v.Model()
	specials := h.Root(object.RootSpecials)
	if !specials.IsPtr() || h.Kind(specials) != object.KindRaw || h.NumPtrs(specials) != int(object.NumSpecials) {
		return badImage("the image has no well-formed table of well-known objects")
	}
	v.FlushCaches() // the model reads the well-known objects from the new roots
	for i, o := range objs {
		if err := v.ValidateObject(o); err != nil {
			return badObject(i, err)
		}
		if h.Kind(o) == object.KindActivation {
			h.SetField(o, 5, heap.Nil) // no activation is running in a new world
		}
	}
	if err := v.ValidateScopes(objs); err != nil {
		var oe *vm.ObjectError
		if errors.As(err, &oe) {
			return badObject(oe.Index, oe.Err)
		}
		return badImage("%v", err)
	}
	if err := validateSpecials(v); err != nil {
		return err
	}
	table := m.Special(object.SpSymbols)
	var strs []heap.Oop
	if table.IsPtr() && h.Kind(table) == object.KindRaw {
		for i := 0; i < h.NumPtrs(table); i++ {
			if s := h.Field(table, i); s != heap.Nil {
				if !s.IsPtr() || h.Kind(s) != object.KindString {
					return badImage("the canonical-string table holds a non-string")
				}
				strs = append(strs, s)
			}
		}
	}
	m.RebuildSymbols(strs)
	v.FlushCaches()
	return nil
}

// validateSpecials checks that the well-known objects have the kinds the VM relies on.
func validateSpecials(v *vm.VM) error {
	h, m := v.Heap(), v.Model()
	for s := object.Special(0); s < object.NumSpecials; s++ {
		o := m.Special(s)
		want := object.KindSlots
		switch s {
		case object.SpSymbols:
			want = object.KindRaw
		case object.SpSymbolCount:
			if !o.IsInt() {
				return badImage("well-known object %d is not a count", s)
			}
			continue
		case object.SpSmallIntMap, object.SpBigIntMap, object.SpFloatMap, object.SpStringMap, object.SpMutableStringMap,
			object.SpByteVectorMap, object.SpVectorMap, object.SpMirrorMap, object.SpWeakStoreMap:
			want = object.KindMap
		}
		if !o.IsPtr() || h.Kind(o) != want {
			return badImage("well-known object %d has the wrong kind", s)
		}
	}
	return nil
}
