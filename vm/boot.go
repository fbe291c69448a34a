package vm

import (
	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
)

// BuildSkeleton makes the objects a new world needs before its Self source
// can run (docs/vm.md, "The lobby and well-known objects"): the lobby,
// globals, traits and its members, nil, true, false, and the maps that
// numbers, strings, vectors, mirrors and weak stores are born with. The core
// world's files (package bootstrap) then fill the traits with methods.
func (vm *VM) BuildSkeleton() {
	m, h := vm.m, vm.h
	m.InitSpecials()
	empty := func() heap.Oop { return m.NewSlotsObject(m.NewMap(nil, 0, 0, heap.Nil), nil) }
	withParent := func(p heap.Oop) heap.Oop {
		return m.NewSlotsObject(m.NewMap([]object.Slot{{Name: m.Intern("parent"), Kind: object.SlotConst, Parent: true, Value: p}}, 0, 0, heap.Nil), nil)
	}
	parentMap := func(p heap.Oop) heap.Oop {
		return m.NewMap([]object.Slot{{Name: m.Intern("parent"), Kind: object.SlotConst, Parent: true, Value: p}}, 0, 0, heap.Nil)
	}

	// Self's nil must exist before anything is filled with it.
	m.SetSpecial(object.SpNil, empty())

	defaults := empty()
	clonable := withParent(defaults)
	m.SetSpecial(object.SpTraitsDefaults, defaults)
	m.SetSpecial(object.SpTraitsClonable, clonable)
	traitsNames := []struct {
		name string
		sp   object.Special
	}{
		{"integer", object.SpTraitsInteger}, {"float", object.SpTraitsFloat}, {"string", object.SpTraitsString},
		{"byteVector", object.SpTraitsByteVector}, {"vector", object.SpTraitsVector}, {"block", object.SpTraitsBlock},
		{"boolean", object.SpTraitsBoolean}, {"nil", object.SpTraitsNil}, {"mirror", object.SpTraitsMirror},
		{"weakStore", object.SpTraitsWeakStore},
	}
	traitSlots := []object.Slot{
		{Name: m.Intern("defaults"), Kind: object.SlotConst, Value: defaults},
		{Name: m.Intern("clonable"), Kind: object.SlotConst, Value: clonable},
	}
	for _, t := range traitsNames {
		o := withParent(clonable)
		m.SetSpecial(t.sp, o)
		traitSlots = append(traitSlots, object.Slot{Name: m.Intern(t.name), Kind: object.SlotConst, Value: o})
	}
	boolean := m.Special(object.SpTraitsBoolean)
	for _, t := range []struct {
		name string
		sp   object.Special
	}{{"true", object.SpTraitsTrue}, {"false", object.SpTraitsFalse}} {
		o := withParent(boolean)
		m.SetSpecial(t.sp, o)
		traitSlots = append(traitSlots, object.Slot{Name: m.Intern(t.name), Kind: object.SlotConst, Value: o})
	}
	traits := m.NewSlotsObject(m.NewMap(traitSlots, 0, 0, heap.Nil), nil)
	m.SetSpecial(object.SpTraits, traits)

	// nil, true and false get their parents now that the traits exist.
	h.SetField(m.Special(object.SpNil), object.FieldMap, parentMap(m.Special(object.SpTraitsNil)))
	m.SetSpecial(object.SpTrue, withParent(m.Special(object.SpTraitsTrue)))
	m.SetSpecial(object.SpFalse, withParent(m.Special(object.SpTraitsFalse)))

	intMap := parentMap(m.Special(object.SpTraitsInteger))
	m.SetSpecial(object.SpSmallIntMap, intMap)
	m.SetSpecial(object.SpBigIntMap, intMap)
	m.SetSpecial(object.SpFloatMap, parentMap(m.Special(object.SpTraitsFloat)))
	strMap := parentMap(m.Special(object.SpTraitsString))
	m.SetSpecial(object.SpStringMap, strMap)
	m.SetSpecial(object.SpMutableStringMap, strMap)
	m.SetSpecial(object.SpByteVectorMap, parentMap(m.Special(object.SpTraitsByteVector)))
	m.SetSpecial(object.SpVectorMap, parentMap(m.Special(object.SpTraitsVector)))
	m.SetSpecial(object.SpMirrorMap, parentMap(m.Special(object.SpTraitsMirror)))
	m.SetSpecial(object.SpWeakStoreMap, parentMap(m.Special(object.SpTraitsWeakStore)))

	// The prototypes, in globals.
	env := &prims.Env{M: m}
	weakStore := mustPrim(env, "_WeakStoreNew", m.Nil)
	mirror := mustPrim(env, "_Mirror", m.Nil)
	world := withParent(clonable)
	m.SetSpecial(object.SpWorld, world)
	globalSlots := []object.Slot{
		{Name: m.Intern("parent"), Kind: object.SlotConst, Parent: true, Value: defaults},
		{Name: m.Intern("vector"), Kind: object.SlotConst, Value: m.NewVector(0, m.Nil)},
		{Name: m.Intern("byteVector"), Kind: object.SlotConst, Value: m.NewByteVector(nil)},
		{Name: m.Intern("string"), Kind: object.SlotConst, Value: m.Intern("")},
		{Name: m.Intern("weakStore"), Kind: object.SlotConst, Value: weakStore},
		{Name: m.Intern("mirror"), Kind: object.SlotConst, Value: mirror},
	}
	globals := m.NewSlotsObject(m.NewMap(globalSlots, 0, 0, heap.Nil), nil)
	m.SetSpecial(object.SpGlobals, globals)

	lobby := empty()
	m.SetSpecial(object.SpLobby, lobby)
	lobbySlots := []object.Slot{
		{Name: m.Intern("lobby"), Kind: object.SlotConst, Value: lobby},
		{Name: m.Intern("globals"), Kind: object.SlotConst, Parent: true, Value: globals},
		{Name: m.Intern("traits"), Kind: object.SlotConst, Value: traits},
		{Name: m.Intern("nil"), Kind: object.SlotConst, Value: m.Nil},
		{Name: m.Intern("true"), Kind: object.SlotConst, Value: m.True},
		{Name: m.Intern("false"), Kind: object.SlotConst, Value: m.False},
		{Name: m.Intern("world"), Kind: object.SlotConst, Value: world},
	}
	h.SetField(lobby, object.FieldMap, m.NewMap(lobbySlots, 0, 0, heap.Nil))
	// As in Self, every object's lookup ends at the lobby, so that methods
	// anywhere can name nil, true, vector and the other globals. Lookup visits
	// each object once, so the cycle lobby -> globals -> defaults is harmless.
	h.SetField(defaults, object.FieldMap, parentMap(lobby))

	// The names interned before the string map existed get it now.
	table := m.Special(object.SpSymbols)
	for i := 0; i < h.NumPtrs(table); i++ {
		if s := h.Field(table, i); s != heap.Nil && h.Field(s, object.FieldMap) == heap.Nil {
			h.SetField(s, object.FieldMap, strMap)
		}
	}
	vm.FlushCaches()
}

func mustPrim(env *prims.Env, name string, rcv heap.Oop) heap.Oop {
	p, _, ok := prims.Lookup(name)
	if !ok {
		panic("vm: missing primitive " + name)
	}
	o, err := p.Fn(env, rcv, nil)
	if err != nil {
		panic("vm: " + name + ": " + err.Error())
	}
	return o
}
