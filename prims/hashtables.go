package prims

import (
	"bytes"
	"slices"

	"psyche/heap"
	"psyche/vm/object"
)

// Hash-table primitives: the probe of traits hashTable (65-hashTable.self)
// and the lookups and insertions of traits dictionary (70-dictionary.self)
// done in Go, for keys whose hash and = are the core world's string or
// integer ones. They follow the Self code step for step: the same home
// place, ((hash % capacity) + capacity) % capacity; the same linear probe,
// stopping at the first free place (the table's emptyMarker), at the key
// itself or at a key = to it; the same 2/3 fill limit; so a table filled by
// either is read the same by the other, and its keys sit where the Self code
// would have put them (the order of do: does not depend on which ran).
//
// Whenever that is not certain, a primitive fails before changing anything,
// and the Self code it stands in for runs instead: a key of another kind, a
// user's own hash or = for the key's kind (Tables.CoreKey), an entry the
// probe meets that the primitive cannot compare with the key in Go, a
// receiver that does not keep its tables in its own data slots
// (Tables.Layout), a table that must grow.
//
// A dictionary made by the core world also has a tag table (its own data
// slot tagTable, a byteVector of one byte per place), which lets a probe
// pass the entries that cannot be = to a string key without reading them:
// each is an object elsewhere in the heap, and reading it is most of a
// probe's cost. The tag table keeps this invariant: the tag of a place is
// 0, or the place holds an immutable string whose core hash gives that tag
// (stringTag). Only these primitives write non-zero tags; the Self code
// moves a tag with its key (moveFrom:To:) and clears it with it (clearAt:),
// and a free place's tag is 0, so the Self code's own insertions need no
// tag. A tag is a hint, never a key's only record: a place whose tag is 0
// is compared as before. A table without a tag table (a set, a dictionary
// of a world made before tags, tagTable nil) is probed as before.

// Tables is what the hash-table primitives need of the interpreter, which
// owns lookup and its caches.
type Tables interface {
	// Layout answers where hash table rcv keeps its parts, or false if it
	// is not one the primitives can work on.
	Layout(rcv heap.Oop) (TableLayout, bool)
	// CoreKey reports whether key is a small integer or a string whose hash
	// and = are the core world's methods, which only wrap _IntHash and
	// _IntEQ: (_StringHash and _StringEQ:).
	CoreKey(key heap.Oop) bool
}

// TableLayout is where a hash table keeps its parts: the data indices of
// its own slots keyTable, valueTable, size and tagTable (NoSlot for a slot
// it does not have: a set has no valueTable and no tagTable), and the
// emptyMarker its lookup finds.
type TableLayout struct {
	Keys, Values, Size, Tags int
	Empty                    heap.Oop
}

// NoSlot is a TableLayout index for a slot the table does not have.
const NoSlot = -1

// errTableFull: the insertion needs the table to grow, which the Self
// code does.
var errTableFull = &Failure{Name: "tableFullError"}

// hashTable is a hash table's parts as a primitive finds them.
type hashTable struct {
	lay  TableLayout
	keys heap.Oop // a vector of n places
	n    int
	// tags is the tag table, a byteVector of n bytes, or heap.Nil for a
	// table without one
	tags heap.Oop
}

// hashTable answers rcv's parts: its layout, its key table (a vector of at
// least one place) and its tag table, if it has one.
func (e *Env) hashTable(rcv heap.Oop) (hashTable, error) {
	if e.Tables == nil || !e.isKind(rcv, object.KindSlots) {
		return hashTable{}, errBadType
	}
	lay, ok := e.Tables.Layout(rcv)
	if !ok {
		return hashTable{}, errBadType
	}
	t := hashTable{lay: lay, keys: e.M.DataAt(rcv, lay.Keys), tags: heap.Nil}
	t.n, ok = e.vectorSize(t.keys)
	if !ok || t.n == 0 {
		return hashTable{}, errBadType
	}
	if lay.Tags != NoSlot {
		if tags := e.M.DataAt(rcv, lay.Tags); tags != e.M.Nil {
			if !e.isKind(tags, object.KindByteVector) || e.M.H.NumBytes(tags) != t.n {
				return hashTable{}, errBadType
			}
			t.tags = tags
		}
	}
	return t, nil
}

// stringTag is the tag of a place holding an immutable string of core
// hash h: the hash's top bits (the home place depends on its low bits, so
// keys that share a probe run mostly differ there), never 0.
func stringTag(h uint32) byte { return 0x80 | byte(h>>25) }

// keyTag answers the tag of a place that gets core key k (core hash h):
// stringTag for an immutable string, 0 for anything else (a mutable
// string may change, and an integer is compared without reading memory).
func (e *Env) keyTag(k heap.Oop, h int64) byte {
	if k.IsInt() || e.M.H.Kind(k) != uint8(object.KindString) {
		return 0
	}
	return stringTag(uint32(h))
}

// coreKeyHash answers what the core world's hash answers for a core key k
// (see _IntHash and _StringHash); kb is k's bytes if it is a string.
func (e *Env) coreKeyHash(k heap.Oop, kb []byte) (int64, error) {
	if k.IsInt() {
		return k.Int() & intHashMask, nil
	}
	h, err := e.stringHash(kb)
	return int64(h), err
}

// keyEqual answers k = x for a core key k (kb: its bytes, if a string) and
// an entry x that is not k itself; ok is false when that needs Self code
// (x is of another kind, so the answer is what k's = does when its
// primitive fails).
func (e *Env) keyEqual(k heap.Oop, kb []byte, x heap.Oop) (equal, ok bool) {
	if k.IsInt() {
		return false, x.IsInt()
	}
	if !e.M.IsString(x) {
		return false, false
	}
	return bytes.Equal(kb, e.M.H.Bytes(x)), true
}

// probe is slotFor: of traits hashTable: the place of k in t's keys or, if
// k is absent, of the free place where it would go. A place whose tag is
// another string's holds a string with another hash, which is not = to a
// string k: the probe passes it unread (what k = x would answer, false,
// without a send that anything could see).
//
// It also answers k's core hash.
func (e *Env) probe(t hashTable, k heap.Oop) (i int, present bool, h int64, err error) {
	if !e.Tables.CoreKey(k) {
		return 0, false, 0, errBadType
	}
	var kb []byte
	if !k.IsInt() {
		kb = e.M.H.Bytes(k)
	}
	h, err = e.coreKeyHash(k, kb)
	if err != nil {
		return 0, false, 0, err
	}
	var tag byte
	if !k.IsInt() && t.tags != heap.Nil {
		tag = stringTag(uint32(h))
	}
	n := t.n
	i = int((h%int64(n) + int64(n)) % int64(n))
	for range n {
		if tag != 0 {
			if xt := e.M.H.ByteAt(t.tags, i); xt != 0 && xt != tag {
				if i++; i == n {
					i = 0
				}
				continue
			}
		}
		x := e.M.VectorAt(t.keys, i)
		if x == t.lay.Empty {
			return i, false, h, nil
		}
		if x == k {
			return i, true, h, nil
		}
		equal, ok := e.keyEqual(k, kb, x)
		if !ok {
			return 0, false, 0, errBadType
		}
		if equal {
			return i, true, h, nil
		}
		if i++; i == n {
			i = 0
		}
	}
	// no free place: not a table the Self code made; let it deal with it
	return 0, false, 0, errTableFull
}

// values answers the receiver's value table, which must have n places.
func (e *Env) values(rcv heap.Oop, t hashTable) (heap.Oop, error) {
	if t.lay.Values == NoSlot {
		return 0, errBadType
	}
	v := e.M.DataAt(rcv, t.lay.Values)
	if m, ok := e.vectorSize(v); !ok || m != t.n {
		return 0, errBadType
	}
	return v, nil
}

// setTag gives place i of t, which gets core key k of core hash h, its tag.
func (e *Env) setTag(t hashTable, i int, k heap.Oop, h int64) {
	if t.tags != heap.Nil {
		e.M.H.SetByteAt(t.tags, i, e.keyTag(k, h))
	}
}

// isFull is isFull of traits hashTable: would one more key make a table of
// n places holding size keys more than 2/3 full?
func isFull(size, n int64) bool { return (size+1)*3 > n*2 }

func init() {
	register("_HashTableSlotFor:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		t, err := e.hashTable(rcv)
		if err != nil {
			return 0, err
		}
		i, _, _, err := e.probe(t, args[0])
		if err != nil {
			return 0, err
		}
		return heap.FromInt(int64(i)), nil
	})
	register("_DictionaryAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		t, err := e.hashTable(rcv)
		if err != nil {
			return 0, err
		}
		values, err := e.values(rcv, t)
		if err != nil {
			return 0, err
		}
		i, present, _, err := e.probe(t, args[0])
		if err != nil {
			return 0, err
		}
		if !present {
			return 0, errNotFound
		}
		return e.M.VectorAt(values, i), nil
	})
	register("_DictionaryAt:Put:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		k, v := args[0], args[1]
		t, err := e.hashTable(rcv)
		if err != nil {
			return 0, err
		}
		values, err := e.values(rcv, t)
		if err != nil {
			return 0, err
		}
		i, present, h, err := e.probe(t, k)
		if err != nil {
			return 0, err
		}
		if !present {
			if t.lay.Size == NoSlot {
				return 0, errBadType
			}
			size := e.M.DataAt(rcv, t.lay.Size)
			if !size.IsInt() {
				return 0, errBadType
			}
			if isFull(size.Int(), int64(t.n)) {
				return 0, errTableFull
			}
			e.setTag(t, i, k, h)
			e.M.VectorAtPut(t.keys, i, k)
			e.M.DataAtPut(rcv, t.lay.Size, heap.FromInt(size.Int()+1))
		}
		e.M.VectorAtPut(values, i, v)
		return rcv, nil
	})
	register("_HashTableAddKeys:Values:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		return rcv, e.addKeys(rcv, args[0], args[1])
	})
}

// addKeys puts each key of oldKeys (its free places skipped) into rcv's
// empty table of at least as many places, with its value from oldValues
// (nil for a set): the loop of grow, in the same order, so each key lands
// where freeSlotFor: would put it.
func (e *Env) addKeys(rcv, oldKeys, oldValues heap.Oop) error {
	t, err := e.hashTable(rcv)
	if err != nil {
		return err
	}
	lay, keys, n := t.lay, t.keys, t.n
	m, ok := e.vectorSize(oldKeys)
	if !ok || m > n {
		return errBadType
	}
	values := heap.Nil
	if lay.Values != NoSlot {
		if values, err = e.values(rcv, t); err != nil {
			return err
		}
		if k, ok := e.vectorSize(oldValues); !ok || k != m {
			return errBadType
		}
	} else if oldValues != e.M.Nil {
		return errBadType
	}
	for i := range n {
		if e.M.VectorAt(keys, i) != lay.Empty {
			return errBadType
		}
	}
	if t.tags != heap.Nil && slices.ContainsFunc(e.M.H.Bytes(t.tags), func(b byte) bool { return b != 0 }) {
		return errBadType // a free place's tag is 0
	}
	// every key is hashed before anything changes: a key whose hash is
	// not the core world's leaves the whole work to the Self code
	homes := make([]int, m)
	hashes := make([]int64, m)
	for j := range m {
		k := e.M.VectorAt(oldKeys, j)
		if k == lay.Empty {
			homes[j] = NoSlot
			continue
		}
		if !e.Tables.CoreKey(k) {
			return errBadType
		}
		var kb []byte
		if !k.IsInt() {
			kb = e.M.H.Bytes(k)
		}
		h, err := e.coreKeyHash(k, kb)
		if err != nil {
			return err
		}
		homes[j] = int((h%int64(n) + int64(n)) % int64(n))
		hashes[j] = h
	}
	for j, i := range homes {
		if i == NoSlot {
			continue
		}
		for e.M.VectorAt(keys, i) != lay.Empty {
			if i++; i == n {
				i = 0
			}
		}
		k := e.M.VectorAt(oldKeys, j)
		e.setTag(t, i, k, hashes[j])
		e.M.VectorAtPut(keys, i, k)
		if values != heap.Nil {
			e.M.VectorAtPut(values, i, e.M.VectorAt(oldValues, j))
		}
	}
	return nil
}
