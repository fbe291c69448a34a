package object

import (
	"hash"
	"hash/fnv"

	"psyche/heap"
)

// Canonical strings. String literals and selectors are canonical: equal
// contents, same object. The table lives in the heap (an open-addressing
// raw vector at SpSymbols, its count at SpSymbolCount), so canonical strings
// persist with the code that uses them and identity comparison of selectors
// stays valid across sessions.

// StringHash is the hash of a string's contents, used by the table and by `hash`.
func StringHash(b []byte) uint32 {
	h := NewStringHash()
	h.Write(b)
	return h.Sum32()
}

// NewStringHash answers a hash that gives StringHash of what is written to
// it, for hashing a long string piece by piece.
func NewStringHash() hash.Hash32 { return fnv.New32a() }

// Intern answers the canonical string with contents s.
func (m *Model) Intern(s string) heap.Oop {
	return m.InternBytes([]byte(s))
}

// InternBytes answers the canonical string with contents b, making it if needed.
func (m *Model) InternBytes(b []byte) heap.Oop {
	table := m.Special(SpSymbols)
	if table == heap.Nil {
		table = m.RawVector(256, heap.Nil)
		m.SetSpecial(SpSymbols, table)
		m.SetSpecial(SpSymbolCount, heap.FromInt(0))
	}
	size := m.H.NumPtrs(table)
	i := int(StringHash(b)) & (size - 1)
	for {
		e := m.H.Field(table, i)
		if e == heap.Nil {
			break
		}
		if string(m.H.Bytes(e)) == string(b) {
			return e
		}
		i = (i + 1) & (size - 1)
	}
	s := m.NewString(b)
	m.H.SetField(table, i, s)
	count := m.Special(SpSymbolCount).Int() + 1
	m.SetSpecial(SpSymbolCount, heap.FromInt(count))
	if int(count)*2 > size {
		m.growSymbols(table, size*2)
	}
	return s
}

// LookupInterned answers the canonical string with contents b, or Nil if there is none.
func (m *Model) LookupInterned(b []byte) heap.Oop {
	table := m.Special(SpSymbols)
	if table == heap.Nil {
		return heap.Nil
	}
	size := m.H.NumPtrs(table)
	for i := int(StringHash(b)) & (size - 1); ; i = (i + 1) & (size - 1) {
		e := m.H.Field(table, i)
		if e == heap.Nil || string(m.H.Bytes(e)) == string(b) {
			return e
		}
	}
}

func (m *Model) growSymbols(old heap.Oop, size int) {
	table := m.RawVector(size, heap.Nil)
	for j := 0; j < m.H.NumPtrs(old); j++ {
		e := m.H.Field(old, j)
		if e == heap.Nil {
			continue
		}
		i := int(StringHash(m.H.Bytes(e))) & (size - 1)
		for m.H.Field(table, i) != heap.Nil {
			i = (i + 1) & (size - 1)
		}
		m.H.SetField(table, i, e)
	}
	m.SetSpecial(SpSymbols, table)
}

// ForEachInterned calls f with the contents of every canonical string.
func (m *Model) ForEachInterned(f func(b []byte)) {
	table := m.Special(SpSymbols)
	if table == heap.Nil {
		return
	}
	for i := 0; i < m.H.NumPtrs(table); i++ {
		if e := m.H.Field(table, i); e != heap.Nil {
			f(m.H.Bytes(e))
		}
	}
}

// RebuildSymbols makes a fresh canonical-string table holding the given
// strings (an imported image's table is rebuilt, not trusted).
func (m *Model) RebuildSymbols(strs []heap.Oop) {
	size := 256
	for size < 2*len(strs)+2 {
		size *= 2
	}
	table := m.RawVector(size, heap.Nil)
	n := 0
	for _, s := range strs {
		i := int(StringHash(m.H.Bytes(s))) & (size - 1)
		dup := false
		for e := m.H.Field(table, i); e != heap.Nil; e = m.H.Field(table, i) {
			if string(m.H.Bytes(e)) == string(m.H.Bytes(s)) {
				dup = true
				break
			}
			i = (i + 1) & (size - 1)
		}
		if !dup {
			m.H.SetField(table, i, s)
			n++
		}
	}
	m.SetSpecial(SpSymbols, table)
	m.SetSpecial(SpSymbolCount, heap.FromInt(int64(n)))
}
