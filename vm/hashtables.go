package vm

import (
	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
)

// What the hash-table primitives (prims/hashtables.go) need of the
// interpreter: where a table keeps its parts, and whether a key's hash and =
// are the core world's. Both are answered with the ordinary lookup and kept
// per receiver map for one epoch, like the guards of inlined code
// (guards.go, index.go): a user's change of a slot anywhere ends the epoch,
// so a redefined hash or = on strings is seen at the next primitive.

// TableSlots: the names of a hash table's own data slots, and of the
// constant that marks a free place, as 65-hashTable.self and
// 70-dictionary.self define them; the world's Go side reads dictionaries
// by them too (world/corelayout.go).
var TableSlots = struct{ Keys, Values, Size, Tags, Empty string }{"keyTable", "valueTable", "size", "tagTable", "emptyMarker"}

// keyKind is a kind of key the hash-table primitives hash and compare in Go.
type keyKind uint8

const (
	keyInt keyKind = iota // a small integer
	keyString
	numKeyKinds
)

// coreKeyTable: per key kind, the primitive that the core world's hash and
// = only wrap. TestHashTableHooks checks it against bootstrap (20-integer,
// 40-string).
var coreKeyTable = [numKeyKinds]struct{ hash, eq string }{
	keyInt:    {"_IntHash", "_IntEQ:"},
	keyString: {"_StringHash", "_StringEQ:"},
}

// tableGuards are the hash tables' caches: the layout found for the last
// receiver map, and per key kind whether the last key map seen has the
// core world's hash and =; each with the epoch it was found in.
type tableGuards struct {
	layout struct {
		mp heap.Oop
		guardState
		lay prims.TableLayout
	}
	keys [numKeyKinds]indexGuard
}

// hashTables is the VM's prims.Tables.
type hashTables VM

// Layout answers the data indices of rcv's own slots keyTable, valueTable,
// size and tagTable, and the emptyMarker its lookup finds (a constant,
// found through constant parents). keyTable and emptyMarker are required.
func (t *hashTables) Layout(rcv heap.Oop) (prims.TableLayout, bool) {
	vm := (*VM)(t)
	g := &vm.tables.layout
	mp := vm.m.MapOf(rcv)
	now := vm.epoch.Current()
	if g.mp == mp && g.stamp == now {
		return g.lay, g.ok
	}
	lay := prims.TableLayout{
		Keys:   vm.ownDataSlot(mp, TableSlots.Keys),
		Values: vm.ownDataSlot(mp, TableSlots.Values),
		Size:   vm.ownDataSlot(mp, TableSlots.Size),
		Tags:   vm.ownDataSlot(mp, TableSlots.Tags),
	}
	res, st, byMap := vm.lookupMap(rcv, mp, vm.m.Intern(TableSlots.Empty))
	ok := lay.Keys != prims.NoSlot && st == found && byMap && res.kind == object.SlotConst
	lay.Empty = res.value
	g.mp, g.guardState, g.lay = mp, guardState{stamp: now, ok: ok}, lay
	return lay, ok
}

// ownDataSlot answers the data index of map mp's own data slot name, or
// prims.NoSlot.
func (vm *VM) ownDataSlot(mp heap.Oop, name string) int {
	i := vm.m.FindSlot(mp, vm.m.Intern(name))
	if i < 0 {
		return prims.NoSlot
	}
	s := vm.m.MapSlot(mp, i)
	if s.Kind != object.SlotData {
		return prims.NoSlot
	}
	return s.Index
}

// CoreKey reports whether key is a small integer or a string whose map
// finds, through constant parents, hash and = methods that only wrap the
// core world's primitives (coreKeyTable).
func (t *hashTables) CoreKey(key heap.Oop) bool {
	vm := (*VM)(t)
	var k keyKind
	switch {
	case key.IsInt():
		k = keyInt
	case vm.m.IsString(key):
		k = keyString
	default:
		return false
	}
	g := &vm.tables.keys[k]
	mp := vm.m.MapOf(key)
	now := vm.epoch.Current()
	if g.mp == mp && g.stamp == now {
		return g.ok
	}
	ok := vm.wraps(key, mp, "hash", coreKeyTable[k].hash) && vm.wraps(key, mp, "=", coreKeyTable[k].eq)
	*g = indexGuard{mp: mp, guardState: guardState{stamp: now, ok: ok}}
	return ok
}

// wraps reports whether the method sel finds for rcv, of map mp, is found
// through constant parents and only wraps the primitive prim.
func (vm *VM) wraps(rcv, mp heap.Oop, sel, prim string) bool {
	res, st, byMap := vm.lookupMap(rcv, mp, vm.m.Intern(sel))
	if st != found || !byMap || res.kind != object.SlotMethod {
		return false
	}
	fp := vm.h.Field(res.value, methFastPrim)
	return fp != heap.Nil && vm.m.StringOf(fp) == prim
}
