package heap

import (
	"encoding/binary"
	"fmt"
	"os"
)

// The mark stack of the collector and of Check: a LIFO of objects still to
// scan that keeps at most two segments in memory and spills the older
// entries, a segment at a time, to an unlinked file beside the heap. So a
// collection slice and a check use memory bounded by a constant however
// many references one object holds or how deep the graph is; the file
// holds what the graph's shape needs, read back once per entry.

// markStackSegment is how many entries a mark stack moves to or from its
// file at once (1 MiB of entries): twice this many stay in memory.
const markStackSegment = 64 << 10

// markEntryBytes is the size of one entry in the spill file.
const markEntryBytes = 16

// markWork is an object whose reference fields from field from on are
// still to scan: a large object is scanned a chunk at a time, its
// remainder pushed back below the references the chunk found.
type markWork struct {
	o    Oop
	from uint64
}

// markStack is the stack. Invariant: the file holds spilled segments, the
// bottom of the stack, each of exactly segment entries, and items holds
// the top; items is never empty while the file holds a segment.
type markStack struct {
	items   []markWork
	segment int
	dir     string
	f       *os.File
	spilled int64 // segments in the file
	buf     []byte
}

func newMarkStack(dir string, segment int) *markStack {
	return &markStack{segment: segment, dir: dir}
}

// empty reports whether nothing is left to scan.
func (s *markStack) empty() bool { return len(s.items) == 0 }

// push adds w on top. When memory holds two segments, the lower one goes
// to the file.
func (s *markStack) push(w markWork) error {
	if len(s.items) >= 2*s.segment {
		if err := s.spill(); err != nil {
			return fmt.Errorf("spilling the mark stack: %w", err)
		}
	}
	s.items = append(s.items, w)
	return nil
}

// pop takes the top entry; the stack must not be empty. When memory runs
// out of entries the file's top segment comes back.
func (s *markStack) pop() (markWork, error) {
	n := len(s.items) - 1
	w := s.items[n]
	s.items = s.items[:n]
	if n == 0 && s.spilled > 0 {
		if err := s.unspill(); err != nil {
			return w, fmt.Errorf("reading back the mark stack: %w", err)
		}
	}
	return w, nil
}

func (s *markStack) spill() error {
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, ".markstack-*")
		if err != nil {
			return err
		}
		os.Remove(f.Name())
		s.f = f
		s.buf = make([]byte, s.segment*markEntryBytes)
	}
	for i, w := range s.items[:s.segment] {
		binary.LittleEndian.PutUint64(s.buf[i*markEntryBytes:], uint64(w.o))
		binary.LittleEndian.PutUint64(s.buf[i*markEntryBytes+8:], w.from)
	}
	if _, err := s.f.WriteAt(s.buf, s.spilled*int64(len(s.buf))); err != nil {
		return err
	}
	s.spilled++
	s.items = s.items[:copy(s.items, s.items[s.segment:])]
	return nil
}

func (s *markStack) unspill() error {
	s.spilled--
	if _, err := s.f.ReadAt(s.buf, s.spilled*int64(len(s.buf))); err != nil {
		return err
	}
	for i := 0; i < s.segment; i++ {
		s.items = append(s.items, markWork{
			o:    Oop(binary.LittleEndian.Uint64(s.buf[i*markEntryBytes:])),
			from: binary.LittleEndian.Uint64(s.buf[i*markEntryBytes+8:]),
		})
	}
	return nil
}

// release closes the spill file (already unlinked) and drops the entries.
func (s *markStack) release() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.items, s.spilled = nil, 0
}
