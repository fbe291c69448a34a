package vm

import (
	"reflect"
	"strings"
	"testing"
)

// TestPositionTableRoundTrip: a table decodes to what was encoded (lines
// may go back, as a send's arguments come before it), and placeAt names the
// last instruction before a frame's pc.
func TestPositionTableRoundTrip(t *testing.T) {
	entries := []position{{pc: 0, line: 3, col: 7}, {pc: 4, line: 5, col: 1}, {pc: 9, line: 2, col: 300}}
	table := encodePositions("dir/f.self", entries)
	file, got, err := decodePositions(table, func(pc int) bool { return pc <= 9 })
	if err != nil || file != "dir/f.self" || !reflect.DeepEqual(got, entries) {
		t.Fatalf("decoded %q %v %v, want %q %v", file, got, err, "dir/f.self", entries)
	}
	for _, c := range []struct {
		pc   int
		want string
	}{{0, ""}, {1, "dir/f.self:3:7"}, {4, "dir/f.self:3:7"}, {5, "dir/f.self:5:1"}, {12, "dir/f.self:2:300"}} {
		if got := placeAt(table, c.pc); got != c.want {
			t.Errorf("placeAt(%d) = %q, want %q", c.pc, got, c.want)
		}
	}
	if encodePositions("f", nil) != nil || placeAt(nil, 3) != "" {
		t.Errorf("a method without positions should have an empty table and no place")
	}
}

// TestDecodePositionsRefusesDamage: each way a table can be wrong is named.
func TestDecodePositionsRefusesDamage(t *testing.T) {
	good := encodePositions("f", []position{{pc: 2, line: 1, col: 1}, {pc: 5, line: 2, col: 4}})
	for _, c := range []struct {
		name, want string
		table      []byte
	}{
		{"name longer than the table", "file name is cut short", []byte{9, 'f'}},
		{"name not UTF-8", "not UTF-8", []byte{1, 0xff, 0, 2, 1}},
		{"entry cut short", "cut short at entry 1", good[:len(good)-1]},
		{"no entries", "no entries", []byte{1, 'f'}},
		{"pc not increasing", "out of order", encodePositions("f", []position{{pc: 2, line: 1, col: 1}, {pc: 2, line: 1, col: 2}})},
		{"line 0", "out of range", encodePositions("f", []position{{pc: 2, line: 0, col: 1}})},
		{"column 0", "out of range", encodePositions("f", []position{{pc: 2, line: 1, col: 0}})},
		{"pc inside an instruction", "starts no instruction", encodePositions("f", []position{{pc: 3, line: 1, col: 1}})},
	} {
		_, _, err := decodePositions(c.table, func(pc int) bool { return pc == 2 || pc == 5 })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestCompiledMethodsCarryPositions: a compiled method's table names its
// sends' places, and validation checks it against the code.
func TestCompiledMethodsCarryPositions(t *testing.T) {
	vm, _ := newTestVM(t)
	meth := compileSlot(t, vm, "(| f = ( | r | r: 3000000000 _IntAdd: 4000000000. r ) |)")
	table := append([]byte(nil), vm.h.Bytes(meth)...)
	file, entries, err := decodePositions(table, nil)
	if err != nil || file != "t" || !reflect.DeepEqual(entries, []position{{pc: 6, line: 1, col: 30}}) {
		t.Fatalf("the method's table is %q %v %v, want the _IntAdd: send at pc 6, t:1:30", file, entries, err)
	}
	table[2] = 7 // the pc delta: inside the primitive send's operands
	vm.h.SetBytes(meth, 0, table)
	if err := vm.ValidateObject(meth); err == nil || !strings.Contains(err.Error(), "starts no instruction") {
		t.Errorf("a table naming pc 7 should be refused, got %v", err)
	}
}
