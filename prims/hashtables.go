package prims

import (
	"bytes"

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
// its own slots keyTable, valueTable and size (NoSlot for a slot it does
// not have: a set has no valueTable), and the emptyMarker its lookup finds.
type TableLayout struct {
	Keys, Values, Size int
	Empty              heap.Oop
}

// NoSlot is a TableLayout index for a slot the table does not have.
const NoSlot = -1

// errTableFull: the insertion needs the table to grow, which the Self
// code does.
var errTableFull = &Failure{"tableFullError"}

// table answers rcv's layout and its key table, a vector of at least one place.
func (e *Env) hashTable(rcv heap.Oop) (TableLayout, heap.Oop, int, error) {
	if e.Tables == nil || !e.isKind(rcv, object.KindSlots) {
		return TableLayout{}, 0, 0, errBadType
	}
	lay, ok := e.Tables.Layout(rcv)
	if !ok {
		return TableLayout{}, 0, 0, errBadType
	}
	keys := e.M.DataAt(rcv, lay.Keys)
	n, ok := e.vectorSize(keys)
	if !ok || n == 0 {
		return TableLayout{}, 0, 0, errBadType
	}
	return lay, keys, n, nil
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

// probe is slotFor: of traits hashTable: the place of k in keys (n places)
// or, if k is absent, of the free place where it would go.
func (e *Env) probe(lay TableLayout, keys heap.Oop, n int, k heap.Oop) (i int, present bool, err error) {
	if !e.Tables.CoreKey(k) {
		return 0, false, errBadType
	}
	var kb []byte
	if !k.IsInt() {
		kb = e.M.H.Bytes(k)
	}
	h, err := e.coreKeyHash(k, kb)
	if err != nil {
		return 0, false, err
	}
	i = int((h%int64(n) + int64(n)) % int64(n))
	for range n {
		x := e.M.VectorAt(keys, i)
		if x == lay.Empty {
			return i, false, nil
		}
		if x == k {
			return i, true, nil
		}
		equal, ok := e.keyEqual(k, kb, x)
		if !ok {
			return 0, false, errBadType
		}
		if equal {
			return i, true, nil
		}
		if i++; i == n {
			i = 0
		}
	}
	// no free place: not a table the Self code made; let it deal with it
	return 0, false, errTableFull
}

// values answers the receiver's value table, which must have n places.
func (e *Env) values(rcv heap.Oop, lay TableLayout, n int) (heap.Oop, error) {
	if lay.Values == NoSlot {
		return 0, errBadType
	}
	v := e.M.DataAt(rcv, lay.Values)
	if m, ok := e.vectorSize(v); !ok || m != n {
		return 0, errBadType
	}
	return v, nil
}

// isFull is isFull of traits hashTable: would one more key make a table of
// n places holding size keys more than 2/3 full?
func isFull(size, n int64) bool { return (size+1)*3 > n*2 }

func init() {
	register("_HashTableSlotFor:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		lay, keys, n, err := e.hashTable(rcv)
		if err != nil {
			return 0, err
		}
		i, _, err := e.probe(lay, keys, n, args[0])
		if err != nil {
			return 0, err
		}
		return heap.FromInt(int64(i)), nil
	})
	register("_DictionaryAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		lay, keys, n, err := e.hashTable(rcv)
		if err != nil {
			return 0, err
		}
		values, err := e.values(rcv, lay, n)
		if err != nil {
			return 0, err
		}
		i, present, err := e.probe(lay, keys, n, args[0])
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
		lay, keys, n, err := e.hashTable(rcv)
		if err != nil {
			return 0, err
		}
		values, err := e.values(rcv, lay, n)
		if err != nil {
			return 0, err
		}
		i, present, err := e.probe(lay, keys, n, k)
		if err != nil {
			return 0, err
		}
		if !present {
			if lay.Size == NoSlot {
				return 0, errBadType
			}
			size := e.M.DataAt(rcv, lay.Size)
			if !size.IsInt() {
				return 0, errBadType
			}
			if isFull(size.Int(), int64(n)) {
				return 0, errTableFull
			}
			e.M.VectorAtPut(keys, i, k)
			e.M.DataAtPut(rcv, lay.Size, heap.FromInt(size.Int()+1))
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
	lay, keys, n, err := e.hashTable(rcv)
	if err != nil {
		return err
	}
	m, ok := e.vectorSize(oldKeys)
	if !ok || m > n {
		return errBadType
	}
	values := heap.Nil
	if lay.Values != NoSlot {
		if values, err = e.values(rcv, lay, n); err != nil {
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
	// every key is hashed before anything changes: a key whose hash is
	// not the core world's leaves the whole work to the Self code
	homes := make([]int, m)
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
		e.M.VectorAtPut(keys, i, e.M.VectorAt(oldKeys, j))
		if values != heap.Nil {
			e.M.VectorAtPut(values, i, e.M.VectorAt(oldValues, j))
		}
	}
	return nil
}
