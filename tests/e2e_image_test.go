package tests

// End-to-end tests of hostile images through the real binary: an image is
// untrusted input, so every damaged or crafted one must be refused by
// psyche new --image with "bad image: …" and exit status 1, leaving no
// world behind; or, if accepted, give a world that checks clean and runs.
//
// The images are crafted from a real exported image with the format that
// world/image.go documents: a 40-byte header (magic, version, body length,
// compressed length, CRC-32C of the compressed body), then the zstd-
// compressed body: object count, roots, then per object kind, flags, hash,
// pointer count, byte count, the pointer fields and the bytes.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"
)

const (
	imageE2EHeader   = 40
	imageE2ERoots    = 16 // heap.NumRoots
	imageE2EMethod   = 17 // object.KindMethod
	imageE2EByteVec  = 5  // object.KindByteVector
	imageE2ECodeSlot = 1  // a method's bytecode field
	imageE2ESelSlot  = 3  // a method's selector field
)

var imageE2ECRC = crc32.MakeTable(crc32.Castagnoli)

// imageE2EBody decompresses the body of the image file at path.
func imageE2EBody(t *testing.T, path string) []byte {
	t.Helper()
	img := e2eRead(t, path)
	if len(img) < imageE2EHeader || string(img[:8]) != "PSYIMAGE" {
		t.Fatalf("%s is not an image", path)
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	body, err := dec.DecodeAll(img[imageE2EHeader:], nil)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(body)) != binary.LittleEndian.Uint64(img[16:]) {
		t.Fatalf("%s: the body is not as long as the header says", path)
	}
	return body
}

// imageE2EWrap makes an image file of body whose header declares bodyLen
// bytes of body (its true length, unless a test lies); the CRC is right, so
// the body reaches the importer's structural checks.
func imageE2EWrap(t *testing.T, body []byte, bodyLen uint64) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	comp := enc.EncodeAll(body, nil)
	enc.Close()
	img := make([]byte, imageE2EHeader, imageE2EHeader+len(comp))
	copy(img, "PSYIMAGE")
	binary.LittleEndian.PutUint32(img[8:], 1)
	binary.LittleEndian.PutUint64(img[16:], bodyLen)
	binary.LittleEndian.PutUint64(img[24:], uint64(len(comp)))
	binary.LittleEndian.PutUint32(img[32:], crc32.Checksum(comp, imageE2ECRC))
	return append(img, comp...)
}

// imageE2EObject is one object of a body; refs stay encoded.
type imageE2EObject struct {
	kind, flags byte
	hash        uint64
	ptrs        []uint64
	floatBits   map[int]uint64 // the bits after each immediate float ref (floatsE2ERef), by field
	bytes       []byte
	end         int // offset in the body just past the object
}

type imageE2EParsed struct {
	roots []uint64
	objs  []imageE2EObject
}

func imageE2EParse(t *testing.T, b []byte) *imageE2EParsed {
	t.Helper()
	pos := 0
	next := func() uint64 {
		v, n := binary.Uvarint(b[pos:])
		if n <= 0 {
			t.Fatalf("bad uvarint at %d", pos)
		}
		pos += n
		return v
	}
	count := next()
	p := &imageE2EParsed{}
	for i := 0; i < imageE2ERoots; i++ {
		p.roots = append(p.roots, next())
	}
	for i := uint64(0); i < count; i++ {
		o := imageE2EObject{kind: b[pos], flags: b[pos+1]}
		pos += 2
		o.hash = next()
		np, nb := next(), next()
		for f := uint64(0); f < np; f++ {
			o.ptrs = append(o.ptrs, next())
			if o.ptrs[f] == floatsE2ERef {
				if o.floatBits == nil {
					o.floatBits = map[int]uint64{}
				}
				o.floatBits[int(f)] = binary.LittleEndian.Uint64(b[pos:])
				pos += 8
			}
		}
		o.bytes = append([]byte(nil), b[pos:pos+int(nb)]...)
		pos += int(nb)
		o.end = pos
		p.objs = append(p.objs, o)
	}
	if pos != len(b) {
		t.Fatalf("%d bytes after the last object", len(b)-pos)
	}
	return p
}

func (p *imageE2EParsed) encode() []byte {
	out := binary.AppendUvarint(nil, uint64(len(p.objs)))
	for _, r := range p.roots {
		out = binary.AppendUvarint(out, r)
	}
	for _, o := range p.objs {
		out = append(out, o.kind, o.flags)
		out = binary.AppendUvarint(out, o.hash)
		out = binary.AppendUvarint(out, uint64(len(o.ptrs)))
		out = binary.AppendUvarint(out, uint64(len(o.bytes)))
		for f, r := range o.ptrs {
			out = binary.AppendUvarint(out, r)
			if r == floatsE2ERef {
				out = binary.LittleEndian.AppendUint64(out, o.floatBits[f])
			}
		}
		out = append(out, o.bytes...)
	}
	return out
}

// code answers the bytecode object of the method named sel.
func (p *imageE2EParsed) code(t *testing.T, sel string) *imageE2EObject {
	t.Helper()
	target := func(r uint64) *imageE2EObject {
		if r&3 != 1 {
			return nil
		}
		return &p.objs[r>>2-1]
	}
	for _, o := range p.objs {
		if o.kind == imageE2EMethod {
			if s := target(o.ptrs[imageE2ESelSlot]); s != nil && string(s.bytes) == sel {
				return target(o.ptrs[imageE2ECodeSlot])
			}
		}
	}
	t.Fatalf("no method %s in the image", sel)
	return nil
}

// imageE2EExport exports a fresh world and answers the image's body.
func imageE2EExport(e *e2eEnv) []byte {
	w := e.newWorld("source")
	img := e.path("source.img")
	e.ok("export", "-w", w, img)
	return imageE2EBody(e.t, img)
}

// refused runs psyche new with image img and fails the test unless the
// image is refused as a bad image, quickly, with no world left behind. It
// answers what the command did.
func (e *e2eEnv) imageE2ERefused(name string, img []byte) e2eResult {
	e.t.Helper()
	path := e.path(name + ".img")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		e.t.Fatal(err)
	}
	dir := e.path(name)
	r := e.run("new", dir, "--image", path)
	e.checkFailure(r, "bad image: ")
	if _, err := os.Stat(dir); err == nil {
		e.t.Errorf("%s: a refused image left %s behind", name, dir)
	}
	return r
}

// imageE2EBadImage reports whether standard error says, on its first line,
// that the image was refused.
func imageE2EBadImage(stderr string) bool {
	first, _, _ := strings.Cut(stderr, "\n")
	return strings.HasPrefix(first, "error: ") && strings.Contains(first, "bad image: ")
}

// A body with bytes after its last object, or a header whose body length
// does not match the body, is refused.
func TestE2EImageStrayBytes(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := imageE2EExport(e)
	p := imageE2EParse(t, body)
	stray := append(bytes.Clone(body), 0)
	mid := p.objs[len(p.objs)/2].end
	inserted := append(append(bytes.Clone(body[:mid]), 0x2a), body[mid:]...)
	for name, img := range map[string][]byte{
		"stray-byte-undeclared": imageE2EWrap(t, stray, uint64(len(body))),
		"stray-byte-declared":   imageE2EWrap(t, stray, uint64(len(stray))),
		"stray-byte-mid":        imageE2EWrap(t, inserted, uint64(len(inserted))),
		"length-too-long":       imageE2EWrap(t, body, uint64(len(body))+1),
		"length-too-short":      imageE2EWrap(t, body, uint64(len(body))-1),
	} {
		e.imageE2ERefused(name, img)
	}
	// The untouched body, wrapped the same way, is accepted.
	good := e.path("good.img")
	if err := os.WriteFile(good, imageE2EWrap(t, body, uint64(len(body))), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("new", e.path("good"), "--image", good)
	e.expectEval(e.path("good"), "5 factorial", "120")
}

// A method whose bytecode breaks what the interpreter relies on is refused
// at import, before anything runs.
func TestE2EImageBadBytecode(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := imageE2EExport(e)
	// factorial = ( | r | ... r ): its code ends in pushLocal 0 0 (r), return.
	want := []byte{3, 0, 0, 0, 11}
	for _, c := range []struct {
		name  string
		patch func(code []byte)
	}{
		{"pop-instead-of-return", func(code []byte) { code[len(code)-1] = 10 }},
		{"push-local-past-the-locals", func(code []byte) { code[len(code)-3] = 5 }},
		{"push-local-past-the-scope", func(code []byte) { code[len(code)-4] = 2 }},
		{"primitive-without-its-argument", func(code []byte) {
			// (_IntLT: 0) ifTrue: [...] starts pushSelf, pushInt 0, prim _IntLT: argc 1.
			if code[6] != 7 || code[9] != 1 {
				t.Fatalf("factorial does not start as expected: %v", code)
			}
			code[9] = 0
		}},
	} {
		p := imageE2EParse(t, body)
		code := p.code(t, "factorial")
		if !bytes.HasSuffix(code.bytes, want) {
			t.Fatalf("factorial's code does not end as expected: %v", code.bytes)
		}
		c.patch(code.bytes)
		b := p.encode()
		r := e.imageE2ERefused(c.name, imageE2EWrap(t, b, uint64(len(b))))
		if !strings.Contains(r.stderr, "object") {
			t.Errorf("%s: the error does not name the object:\n%s", c.name, r)
		}
	}
}

// A tiny image that declares an enormous object, or an enormous number of
// objects, is refused at once, without allocating what it declares.
func TestE2EImageHugeDeclarations(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	roots := make([]byte, imageE2ERoots) // all Nil
	byteVector := append(binary.AppendUvarint(nil, 1), roots...)
	byteVector = append(byteVector, imageE2EByteVec, 0, 1, 0)
	byteVector = binary.AppendUvarint(byteVector, 8<<30)
	objects := append(binary.AppendUvarint(nil, 1<<58), roots...)
	for _, c := range []struct {
		name    string
		body    []byte
		bodyLen uint64
	}{
		{"byteVector-8GB", byteVector, 1 << 40},
		{"byteVector-8GB-honest-length", byteVector, uint64(len(byteVector))},
		{"objects-2^58", objects, 1 << 62},
		{"objects-2^58-honest-length", objects, uint64(len(objects))},
	} {
		img := imageE2EWrap(t, c.body, c.bodyLen)
		if len(img) > 100 {
			t.Fatalf("%s: the crafted image has %d bytes", c.name, len(img))
		}
		path := e.path(c.name + ".img")
		if err := os.WriteFile(path, img, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := e.path(c.name)
		cmd := e.command("new", dir, "--image", path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		code, sig := e2eWait(t, cmd, e2eTimeout, c.name)
		if code != 1 || sig != 0 || !imageE2EBadImage(stderr.String()) {
			t.Errorf("%s: exit status %d (signal %v), expected 1 and a bad image error:\n%s", c.name, code, sig, stderr.String())
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > 256<<10 {
			t.Errorf("%s: psyche new used %d MB of memory to refuse a %d-byte image", c.name, ru.Maxrss>>10, len(img))
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s: a refused image left %s behind", c.name, dir)
		}
	}
}

// Random damage to an image's body (with its checksum made right again, so
// that the damage reaches the importer): every image is refused, or gives a
// world that checks clean and evaluates. PSYCHE_SOAK=1 runs more of them.
func TestE2EImageRandomMutations(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	body := imageE2EExport(e)
	rounds := 250
	if os.Getenv("PSYCHE_SOAK") != "" {
		rounds = 2000
	}
	rng := rand.New(rand.NewPCG(10, uint64(len(body))))
	accepted := 0
	for i := 0; i < rounds; i++ {
		b := bytes.Clone(body)
		at := rng.IntN(len(b))
		var what string
		switch rng.IntN(4) {
		case 0:
			b[at] ^= byte(1 << rng.IntN(8))
			what = "flip a bit"
		case 1:
			b = append(b[:at+1], b[at:]...)
			b[at] = byte(rng.IntN(256))
			what = "insert a byte"
		case 2:
			b = append(b[:at], b[at+1:]...)
			what = "delete a byte"
		default:
			b[at] = byte(rng.IntN(256))
			what = "overwrite a byte"
		}
		name := fmt.Sprintf("m%d", i)
		path := e.path(name + ".img")
		declared := uint64(len(b))
		if rng.IntN(8) == 0 { // the header keeps the undamaged body's length
			declared = uint64(len(body))
		}
		if err := os.WriteFile(path, imageE2EWrap(t, b, declared), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := e.path(name)
		r := e.run("new", dir, "--image", path)
		if r.code != 0 {
			if r.code != 1 || !imageE2EBadImage(r.stderr) {
				t.Fatalf("mutation %d (%s at %d): expected a bad image error:\n%s", i, what, at, r)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Fatalf("mutation %d (%s at %d): a refused image left %s behind", i, what, at, dir)
			}
			continue
		}
		accepted++
		if r := e.run("check", "-w", dir); r.code != 0 {
			t.Fatalf("mutation %d (%s at %d) was accepted but does not check clean:\n%s", i, what, at, r)
		}
		r = e.run("eval", "-w", dir, "3 + 4")
		if r.code != 0 && (r.code != 1 || !strings.HasPrefix(r.stderr, "error: ")) || strings.Contains(r.stderr, "goroutine ") {
			t.Fatalf("mutation %d (%s at %d) was accepted but does not run:\n%s", i, what, at, r)
		}
		os.RemoveAll(dir)
	}
	t.Logf("%d of %d mutations accepted", accepted, rounds)
}
