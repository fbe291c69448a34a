package vm_test

import (
	"testing"

	"psyche/prims"
	"psyche/vm"
)

// tablesEval evaluates src in v and answers its result's print form.
func tablesEval(t *testing.T, v *vm.VM, src string) string {
	t.Helper()
	r, err := v.Eval("test", []byte(src), vm.Periods)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	s, err := v.PrintResult(r)
	if err != nil {
		t.Fatalf("printing the result of %s: %v", src, err)
	}
	return s
}

// The hash-table primitives' answers and failures, sent directly.
func TestHashTablePrimitives(t *testing.T) {
	v := coreVM(t)
	tablesEval(t, v, "lobby _AddSlots: (| d. s. fail = [|:e. :p| e] |)")
	tablesEval(t, v, "d: dictionary copyRemoveAll. s: set copyRemoveAll")
	for _, c := range []struct{ src, want string }{
		{"(d _DictionaryAt: 'a' Put: 1) == d", "true"},
		{"d _DictionaryAt: 'a' copyMutable", "1"},
		{"d size", "1"},
		{"d _DictionaryAt: 'a' Put: 2. d size", "1"},
		{"d _DictionaryAt: 'a'", "2"},
		{"d _DictionaryAt: 'b' IfFail: fail", "'notFoundError'"},
		// where the key is, and where an absent one would go: a free place
		{"d keyTable _VectorAt: (d _HashTableSlotFor: 'a')", "'a'"},
		{"(d keyTable _VectorAt: (d _HashTableSlotFor: 'b')) _Eq: traits hashTable emptyMarker", "true"},
		// keys the primitives leave to the Self code
		{"d _DictionaryAt: 1.5 IfFail: fail", "'badTypeError'"},
		{"d _HashTableSlotFor: d IfFail: fail", "'badTypeError'"},
		// receivers that are not hash tables, or have no value table
		{"3 _HashTableSlotFor: 1 IfFail: fail", "'badTypeError'"},
		{"traits dictionary _DictionaryAt: 1 IfFail: fail", "'badTypeError'"},
		{"s _DictionaryAt: 1 IfFail: fail", "'badTypeError'"},
		{"s add: 7. s keyTable _VectorAt: (s _HashTableSlotFor: 7)", "7"},
	} {
		if got := tablesEval(t, v, c.src); got != c.want {
			t.Errorf("%s answered %s, want %s", c.src, got, c.want)
		}
	}
	// a table of 8 places takes 5 keys; the sixth needs it to grow
	tablesEval(t, v, "d: dictionary copyRemoveAll. 1 to: 5 Do: [|:i| d _DictionaryAt: i Put: i]")
	if got := tablesEval(t, v, "d _DictionaryAt: 6 Put: 6 IfFail: fail"); got != "'tableFullError'" {
		t.Errorf("the sixth key of 8 places: %s, want 'tableFullError'", got)
	}
	if got := tablesEval(t, v, "d at: 6 Put: 6. d keyTable _VectorSize printString , ' ' , d size printString"); got != "'16 6'" {
		t.Errorf("after growing: %s", got)
	}
	// growth moves the keys into an empty table, and refuses anything else
	for _, c := range []struct{ src, want string }{
		{"(| c. old | c: d copy. old: c keyTable. c initStorage: 32. c _HashTableAddKeys: old Values: c valueTable IfFail: fail)", "'badTypeError'"},
		{"(| c. ks. vs | c: d copy. ks: c keyTable. vs: c valueTable. c initStorage: 32. c _HashTableAddKeys: ks Values: vs. c _HashTableAddKeys: ks Values: vs IfFail: fail)", "'badTypeError'"},
		{"(| c. ks. vs. n <- 0 | c: d copy. ks: c keyTable. vs: c valueTable. c initStorage: 32. c _HashTableAddKeys: ks Values: vs. 1 to: 6 Do: [|:i| n: n + (c at: i)]. n)", "21"},
		{"(| c. ks | c: s copy. ks: c keyTable. c initStorage: 32. c _HashTableAddKeys: ks Values: 0 IfFail: fail)", "'badTypeError'"},
		{"(| c. ks | c: s copy. ks: c keyTable. c initStorage: 32. c _HashTableAddKeys: ks Values: nil. c includes: 7)", "true"},
	} {
		if got := tablesEval(t, v, c.src); got != c.want {
			t.Errorf("%s answered %s, want %s", c.src, got, c.want)
		}
	}
}

// CoreKey holds for small integers and strings while their hash and = are
// the core world's, and Layout finds a table's own slots.
func TestHashTableHooks(t *testing.T) {
	v := coreVM(t)
	tb := v.Tables()
	m := v.Model()
	str, mut := m.Intern("k"), m.NewMutableString([]byte("k"))
	for _, k := range []struct {
		name string
		key  func() bool
		want bool
	}{
		{"integer", func() bool { return tb.CoreKey(v.Model().Int64(3)) }, true},
		{"string", func() bool { return tb.CoreKey(str) }, true},
		{"mutable string", func() bool { return tb.CoreKey(mut) }, true},
		{"float", func() bool { return tb.CoreKey(m.NewFloat(1.5)) }, false},
		{"big integer", func() bool { return tb.CoreKey(m.Int64(1 << 62)) }, false},
		{"lobby", func() bool { return tb.CoreKey(m.Lobby) }, false},
	} {
		if got := k.key(); got != k.want {
			t.Errorf("CoreKey(%s) = %v, want %v", k.name, got, k.want)
		}
	}
	tablesEval(t, v, "traits string _AddSlots: (| hash = ( 0 _IntAdd: _StringHash ) |)")
	if tb.CoreKey(str) || tb.CoreKey(mut) || !tb.CoreKey(m.Int64(3)) {
		t.Errorf("after a user's string hash: CoreKey string %v, mutable %v, integer %v; want false, false, true",
			tb.CoreKey(str), tb.CoreKey(mut), tb.CoreKey(m.Int64(3)))
	}
	tablesEval(t, v, "traits string _AddSlots: (| hash = ( _StringHash ) |). traits integer _AddSlots: (| = n = ( (_IntNE: n) not ) |)")
	if !tb.CoreKey(str) {
		t.Errorf("the core world's string hash again: CoreKey is false")
	}
	if tb.CoreKey(m.Int64(3)) {
		t.Errorf("a user's integer =: CoreKey is true")
	}

	for _, c := range []struct {
		src          string
		ok           bool
		values, size bool
	}{
		{"dictionary", true, true, true},
		{"set", true, false, true},
		{"(| parent* = dictionary |)", false, false, false},
		{"(| parent* = traits dictionary. keyTable = 3 |)", false, false, false},
	} {
		r, err := v.Eval("test", []byte(c.src), vm.Periods)
		if err != nil {
			t.Fatal(err)
		}
		lay, ok := tb.Layout(r)
		if ok != c.ok {
			t.Errorf("Layout(%s): ok %v, want %v", c.src, ok, c.ok)
			continue
		}
		if ok && ((lay.Values != prims.NoSlot) != c.values || (lay.Size != prims.NoSlot) != c.size) {
			t.Errorf("Layout(%s) = %+v", c.src, lay)
		}
	}
}

// A dictionary's tag table: the primitives tag the places of immutable
// strings, the Self code moves and clears tags with their keys, copies get
// their own, and tables without one (or with a broken one) work as before.
func TestHashTableTags(t *testing.T) {
	v := coreVM(t)
	tablesEval(t, v, "lobby _AddSlots: (| d. fail = [|:e. :p| e]. tagOf: k In: t = ( t tagTable _ByteAt: (t _HashTableSlotFor: k) ) |)")
	tablesEval(t, v, "d: dictionary copyRemoveAll. d at: 'a' Put: 1. d at: 'b' copyMutable Put: 2. d at: 3 Put: 3")
	for _, c := range []struct{ src, want string }{
		{"(tagOf: 'a' In: d) > 127", "true"},
		{"tagOf: 'b' In: d", "0"},
		{"tagOf: 3 In: d", "0"},
		{"(| n <- 0 | d tagTable do: [|:b| b = 0 ifFalse: [n: n + 1]]. n)", "1"},
	} {
		if got := tablesEval(t, v, c.src); got != c.want {
			t.Errorf("%s answered %s, want %s", c.src, got, c.want)
		}
	}
	// many keys in few places share probe runs; removals move keys (and
	// their tags) back, and every key must still be found
	const fill = `1 to: 300 Do: [|:i| d at: 'k', i printString Put: i].
		1 to: 300 By: 3 Do: [|:i| d removeKey: 'k', i printString]`
	const check = `(| ok <- true |
		1 to: 300 Do: [|:i. want|
			want: ((i - 1) % 3) = 0 ifTrue: [0] False: [i].
			(d at: 'k', i printString IfAbsent: [0]) = want ifFalse: [ok: false]].
		ok)`
	// the primitive's place for a key, present or absent, is the Self code's
	const samePlaces = `(| ok <- true |
		1 to: 400 Do: [|:i. k| k: 'k', i printString. (d slotFor: k) = (d probeFor: k) ifFalse: [ok: false]].
		ok)`
	for _, c := range []struct{ name, setup string }{
		{"tagged", "d: dictionary copyRemoveAll"},
		{"no tag table", "d: dictionary copyRemoveAll. d tagTable: nil. d removeAll"},
		{"no tagTable slot", "d: (| parent* = traits dictionary. keyTable. valueTable. size |) copyRemoveAll"},
	} {
		tablesEval(t, v, c.setup)
		tablesEval(t, v, fill)
		if got := tablesEval(t, v, check); got != "true" {
			t.Errorf("%s: a key was lost", c.name)
		}
		if got := tablesEval(t, v, samePlaces); got != "true" {
			t.Errorf("%s: the primitive and the Self code disagree on a key's place", c.name)
		}
		if got := tablesEval(t, v, "d size"); got != "200" {
			t.Errorf("%s: size %s, want 200", c.name, got)
		}
	}
	// a copy has its own tags: removals from it (which move its keys and
	// tags) leave the original's tags alone
	tablesEval(t, v, "d: dictionary copyRemoveAll. "+fill)
	tablesEval(t, v, "(| c | c: d copy. 1 to: 300 By: 3 Do: [|:i| c removeKey: 'k', (i + 1) printString]. c size)")
	if got := tablesEval(t, v, check); got != "true" {
		t.Errorf("a copy's removals: a key of the original was lost")
	}
	// a tag table that does not fit the key table leaves the work to the
	// Self code; growth refuses a table whose free places have tags
	for _, c := range []struct{ src, want string }{
		{"(| c | c: dictionary copyRemoveAll. c tagTable: (byteVector _ByteVectorCopySize: 3). c _DictionaryAt: 'a' IfFail: fail)", "'badTypeError'"},
		{"(| c | c: dictionary copyRemoveAll. c tagTable: 7. c _HashTableSlotFor: 'a' IfFail: fail)", "'badTypeError'"},
		{"(| c. ks. vs | c: d copy. ks: c keyTable. vs: c valueTable. c initStorage: 1024. c tagTable _ByteAt: 5 Put: 200. c _HashTableAddKeys: ks Values: vs IfFail: fail)", "'badTypeError'"},
	} {
		if got := tablesEval(t, v, c.src); got != c.want {
			t.Errorf("%s answered %s, want %s", c.src, got, c.want)
		}
	}
}
