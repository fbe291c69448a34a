package world

import "fmt"

// Images move worlds between machines and versions. An image is the live
// objects (those reachable from the heap's roots), in a fixed byte order:
//
//	header: magic "PSYIMAGE" | version u32 | 0 u32 | body length u64 |
//	        compressed length u64 | CRC-32C of the compressed body u32 | 0 u32
//	body (zstd-compressed): object count, then the roots (NumRoots refs),
//	        then per object: kind u8, flags u8, hash, pointer count, byte
//	        count (uvarints), the pointer fields (refs), the bytes
//	ref:    a uvarint: 0 Nil; (i+1)<<2|1 object i; zigzag(n)<<2|2 a small
//	        integer; 7 then the float's IEEE 754 bits (u64), an immediate
//	        float (version 2); oop<<2|3 another immediate (the ephemeron
//	        tables' Tombstone, whose oop ends in 010, so bit 2 of its ref is 0)
//
// Version 2 added immediate floats; version 1 images (which have none) read
// the same as before. A boxed float is an object (KindFloat) in both.
//
// An image from elsewhere is untrusted: every count is bounded by the data
// actually present, every reference must name an object of the image, and
// every object is validated for its kind (maps, methods and their bytecode
// included) before the world is used.

var imageMagic = [8]byte{'P', 'S', 'Y', 'I', 'M', 'A', 'G', 'E'}

const (
	imageVersion = 2
	// minImageVersion is the oldest version import reads.
	minImageVersion = 1
	// immFloatRef is the ref that introduces an immediate float.
	immFloatRef = 7
	imageHeader = 40
	// imageWindow is the zstd window Export compresses with, and the
	// largest window import accepts: a hostile frame cannot make the
	// decoder allocate more.
	imageWindow = 8 << 20
	// maxExpansion bounds how many body bytes one compressed byte can
	// stand for: a zstd block decodes to at most 128 KiB and takes at
	// least 4 bytes (a run-length block), so a header that declares a
	// longer body than 32768 times the compressed length lies.
	maxExpansion = 1 << 15
)

// ImageError says why an image was refused.
type ImageError struct {
	Msg string
	// Object is the number of the object refused, or noObject when the
	// refusal is not about one object.
	Object int
}

// noObject is ImageError.Object for a refusal of the image as a whole.
const noObject = -1

func (e *ImageError) Error() string { return "bad image: " + e.Msg }

func badImage(format string, args ...any) error {
	return &ImageError{Msg: fmt.Sprintf(format, args...), Object: noObject}
}

// badObject refuses the image for what object i is.
func badObject(i int, err error) error {
	return &ImageError{Msg: fmt.Sprintf("object %d: %v", i, err), Object: i}
}
