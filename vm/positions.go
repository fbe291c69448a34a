package vm

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"psyche/vm/syntax"
)

// A method's position table says where in which source each of its sends
// was written, so that an error can name FILE:LINE:COL in every frame. It is
// the method object's byte part (the interpreter never reads it, so it costs
// nothing until an error is reported), empty for a method without source
// (one made from Go, or from an older world):
//
//	uvarint  length of the file name, then the name's bytes
//	entries, one per instruction that can fail, in code order:
//	  uvarint pc - previous pc      (the first from 0; later ones are > 0)
//	  varint  line - previous line  (the first from 0)
//	  uvarint column
//
// Sends compile arguments before the send, so lines go back as well as forth.
// Invariants (validatePositions): pcs increase strictly and each starts an
// instruction of the method's code; lines and columns are at least 1.

// position is one entry of a position table.
type position struct {
	pc        int
	line, col int
}

// markPos records that the instruction about to be emitted was written at p.
func (b *methodBuilder) markPos(p syntax.Pos) {
	b.assigned = 0
	if p.IsValid() {
		b.pos = append(b.pos, position{pc: len(b.code), line: int(p.Line), col: int(p.Col)})
	}
}

// encodePositions answers the position table of a method compiled from file
// with the given entries, or nil when there are none.
func encodePositions(file string, entries []position) []byte {
	if len(entries) == 0 {
		return nil
	}
	t := binary.AppendUvarint(nil, uint64(len(file)))
	t = append(t, file...)
	prev := position{}
	for _, e := range entries {
		t = binary.AppendUvarint(t, uint64(e.pc-prev.pc))
		t = binary.AppendVarint(t, int64(e.line-prev.line))
		t = binary.AppendUvarint(t, uint64(e.col))
		prev = e
	}
	return t
}

// maxPosition bounds lines, columns and pcs in a table: a source is under
// 2 GiB (syntax.Pos is int32), code is far shorter.
const maxPosition = 1<<31 - 1

// decodePositions reads a position table; isStart, if not nil, tells which
// pcs start an instruction. It answers what is wrong with a damaged table.
func decodePositions(t []byte, isStart func(pc int) bool) (file string, entries []position, err error) {
	if len(t) == 0 {
		return "", nil, nil
	}
	n, k := binary.Uvarint(t)
	if k <= 0 || n > uint64(len(t)-k) {
		return "", nil, fmt.Errorf("a position table whose file name is cut short")
	}
	name := t[k : k+int(n)]
	if !utf8.Valid(name) {
		return "", nil, fmt.Errorf("a position table whose file name is not UTF-8")
	}
	t = t[k+int(n):]
	cur := position{}
	for i := 0; len(t) > 0; i++ {
		dpc, k1 := binary.Uvarint(t)
		if k1 <= 0 {
			return "", nil, fmt.Errorf("a position table cut short at entry %d", i)
		}
		dline, k2 := binary.Varint(t[k1:])
		if k2 <= 0 {
			return "", nil, fmt.Errorf("a position table cut short at entry %d", i)
		}
		col, k3 := binary.Uvarint(t[k1+k2:])
		if k3 <= 0 {
			return "", nil, fmt.Errorf("a position table cut short at entry %d", i)
		}
		t = t[k1+k2+k3:]
		if (i > 0 && dpc == 0) || dpc > maxPosition || dline > maxPosition || dline < -maxPosition || col > maxPosition {
			return "", nil, fmt.Errorf("position table entry %d is out of order or out of range", i)
		}
		cur = position{pc: cur.pc + int(dpc), line: cur.line + int(dline), col: int(col)}
		if cur.pc > maxPosition || cur.line < 1 || cur.line > maxPosition || cur.col < 1 {
			return "", nil, fmt.Errorf("position table entry %d is out of range (pc %d, line %d, column %d)", i, cur.pc, cur.line, cur.col)
		}
		if isStart != nil && !isStart(cur.pc) {
			return "", nil, fmt.Errorf("position table entry %d names pc %d, which starts no instruction", i, cur.pc)
		}
		entries = append(entries, cur)
	}
	if len(entries) == 0 {
		return "", nil, fmt.Errorf("a position table with a file name but no entries")
	}
	return string(name), entries, nil
}

// placeAt answers "FILE:LINE:COL" of the instruction that ends before pc
// (a frame's pc is just past the send it waits on), or "" if the table
// does not know it.
func placeAt(t []byte, pc int) string {
	file, entries, err := decodePositions(t, nil)
	if err != nil {
		return ""
	}
	place := ""
	for _, e := range entries {
		if e.pc >= pc {
			break
		}
		place = fmt.Sprintf("%s:%d:%d", file, e.line, e.col)
	}
	return place
}
