package heap

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The heap file starts with two superblocks, one page each, as bbolt and
// LMDB keep two meta pages: a torn write can damage at most the one being
// written, and the other still describes a consistent heap. Superblocks are
// written only when the log is trimmed, both in turn, after the heap file has
// been fsynced, so a superblock's Seq promises that every transaction up to
// Seq is in the heap file. The valid one with the higher Seq wins.
//
// Layout (little-endian): magic[8] version u32 pageSize u32, then the encoded
// state, then the log mark u32, then at the end of the page a CRC-32C of
// everything before it.

const (
	pageShift = 12
	PageSize  = 1 << pageShift

	// formatVersion is what this program writes. 2: the state carries the
	// collector's counters. 3: objects may hold the VM's immediate floats
	// and bytecode its float division, which a version-2 program would
	// misread without an error; the layout is version 2's, so version 2
	// files are read as they are and become version 3 before the first
	// record this program adds (markLogInUse).
	formatVersion = 3
	// oldestReadable is the oldest version this program opens.
	oldestReadable = 2
	superPages     = 2
	dataStart      = superPages * PageSize // offset of the first object
)

var (
	heapMagic  = [8]byte{'P', 'S', 'Y', 'H', 'E', 'A', 'P', 0}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// NumRoots is the number of root slots. The VM keeps the lobby and its own
// tables here; everything persistent must be reachable from a root.
const NumRoots = 16

// NumAux is the number of uint64 words the layer above (the world) may keep
// in the superblock state, committed with every transaction.
const NumAux = 16

// Free-list size classes: one exact class per 8 bytes below smallLimit, then
// one bin per power of two.
const (
	smallLimit   = 1024
	smallClasses = smallLimit / wordSize
	largeBins    = 48
	numClasses   = smallClasses + largeBins
)

// state is everything a transaction changes besides page contents. It is
// copied whole into every log record and into the superblock.
type state struct {
	Seq       uint64 // the last committed transaction
	PageCount uint64 // the heap file's size in pages
	Frontier  uint64 // offset past the last object; allocation beyond is bump allocation
	Roots     [NumRoots]Oop
	Aux       [NumAux]uint64
	Free      [numClasses]uint64 // free-list heads (offsets of free chunks)
	Space     spaceCounts
}

// spaceCounts is what the heap knows of its space without walking it, kept
// true by allocation, freeing and collection so that Info reads it in
// constant time.
//
// Invariant: FreeBytes is the sum of the sizes of the chunks linked on the
// free lists. Allocated counts the bytes promoted since the collection
// that last completed began; LiveBytes is what that collection marked. A
// collection that finds nothing new to free leaves them as they were, so it
// writes nothing.
type spaceCounts struct {
	FreeBytes uint64
	Allocated uint64
	LiveBytes uint64
}

const stateSize = 3*8 + NumRoots*8 + NumAux*8 + numClasses*8 + 3*8

func (s *state) encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint64(b[0:], s.Seq)
	le.PutUint64(b[8:], s.PageCount)
	le.PutUint64(b[16:], s.Frontier)
	o := 24
	for _, r := range s.Roots {
		le.PutUint64(b[o:], uint64(r))
		o += 8
	}
	for _, a := range s.Aux {
		le.PutUint64(b[o:], a)
		o += 8
	}
	for _, f := range s.Free {
		le.PutUint64(b[o:], f)
		o += 8
	}
	for _, v := range []uint64{s.Space.FreeBytes, s.Space.Allocated, s.Space.LiveBytes} {
		le.PutUint64(b[o:], v)
		o += 8
	}
}

func (s *state) decode(b []byte) {
	le := binary.LittleEndian
	s.Seq = le.Uint64(b[0:])
	s.PageCount = le.Uint64(b[8:])
	s.Frontier = le.Uint64(b[16:])
	o := 24
	for i := range s.Roots {
		s.Roots[i] = Oop(le.Uint64(b[o:]))
		o += 8
	}
	for i := range s.Aux {
		s.Aux[i] = le.Uint64(b[o:])
		o += 8
	}
	for i := range s.Free {
		s.Free[i] = le.Uint64(b[o:])
		o += 8
	}
	for _, v := range []*uint64{&s.Space.FreeBytes, &s.Space.Allocated, &s.Space.LiveBytes} {
		*v = le.Uint64(b[o:])
		o += 8
	}
}

// validate checks the invariants a decoded state must satisfy before the heap
// trusts it: a damaged or hostile file must not lead to out-of-range accesses.
func (s *state) validate() error {
	if s.PageCount < superPages || s.PageCount > maxPages {
		return fmt.Errorf("page count %d is out of range", s.PageCount)
	}
	if s.Frontier < dataStart || s.Frontier%8 != 0 || s.Frontier > s.PageCount*PageSize {
		return fmt.Errorf("frontier %d is outside the heap (%d pages)", s.Frontier, s.PageCount)
	}
	for i, r := range s.Roots {
		if r.IsYoung() || (r.IsOld() && (uint64(r) < dataStart || uint64(r) >= s.Frontier)) {
			return fmt.Errorf("root %d (%#x) is not a valid reference", i, uint64(r))
		}
	}
	for c, f := range s.Free {
		if f != 0 && (f < dataStart || f%8 != 0 || f >= s.Frontier) {
			return fmt.Errorf("free list %d head %#x is outside the heap", c, f)
		}
	}
	return nil
}

// maxPages bounds a heap at 2^48 bytes, so that page arithmetic cannot overflow.
const maxPages = 1 << (48 - pageShift)

const (
	superHeader  = 16
	superLogMark = superHeader + stateSize // offset of the log mark
)

// logMark records in the superblock whether the log may hold records newer
// than the superblock's Seq, so that a log deleted after a crash is noticed
// instead of being made again empty over a heap file that holds pages of
// transactions whose state only the log had.
//
// Invariant: while the mark on disk is logEmpty, the log holds no record
// newer than the superblock: a heap sets logInUse (written and fsynced)
// before it appends its first record, and writes logEmpty only when it
// closes, after the log's records are in the heap file.
type logMark uint32

const (
	// logMarkUnset is what a superblock written before the mark existed
	// holds; it is read as logInUse.
	logMarkUnset logMark = iota
	logEmpty
	logInUse
)

func encodeSuperblock(s *state, mark logMark) []byte {
	b := make([]byte, PageSize)
	copy(b, heapMagic[:])
	binary.LittleEndian.PutUint32(b[8:], formatVersion)
	binary.LittleEndian.PutUint32(b[12:], PageSize)
	s.encode(b[superHeader:])
	binary.LittleEndian.PutUint32(b[superLogMark:], uint32(mark))
	binary.LittleEndian.PutUint32(b[PageSize-4:], crc32.Checksum(b[:PageSize-4], castagnoli))
	return b
}

// A superblock is one decoded superblock page.
type superblock struct {
	state   state
	mark    logMark
	version uint32
}

// decodeSuperblock answers the state and log mark in one superblock page, or
// why it cannot be used.
func decodeSuperblock(b []byte) (superblock, error) {
	var sb superblock
	if len(b) < PageSize {
		return sb, fmt.Errorf("short superblock (%d bytes)", len(b))
	}
	if [8]byte(b[:8]) != heapMagic {
		return sb, ErrNotHeap
	}
	if crc32.Checksum(b[:PageSize-4], castagnoli) != binary.LittleEndian.Uint32(b[PageSize-4:]) {
		return sb, fmt.Errorf("superblock checksum mismatch")
	}
	sb.version = binary.LittleEndian.Uint32(b[8:])
	if sb.version < oldestReadable || sb.version > formatVersion {
		return sb, fmt.Errorf("%w: file has version %d, this program reads versions %d to %d",
			ErrVersion, sb.version, oldestReadable, formatVersion)
	}
	if ps := binary.LittleEndian.Uint32(b[12:]); ps != PageSize {
		return sb, fmt.Errorf("%w: page size %d, expected %d", ErrVersion, ps, PageSize)
	}
	sb.state.decode(b[superHeader:])
	if err := sb.state.validate(); err != nil {
		return sb, err
	}
	sb.mark = logMark(binary.LittleEndian.Uint32(b[superLogMark:]))
	if sb.mark > logInUse {
		return sb, fmt.Errorf("log mark %d is not one this program knows", sb.mark)
	}
	return sb, nil
}

// pageSum is the checksum kept for a heap page: CRC-32C seeded with the page
// number (so a page written to the wrong place is caught too), with bit 32 set
// so that 0 can mean "never written, must be all zeros".
func pageSum(pageNo uint64, data []byte) uint64 {
	var pn [8]byte
	binary.LittleEndian.PutUint64(pn[:], pageNo)
	c := crc32.Update(0, castagnoli, pn[:])
	c = crc32.Update(c, castagnoli, data)
	return 1<<32 | uint64(c)
}

func crc32Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
