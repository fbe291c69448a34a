package prims

import (
	"psyche/heap"
	"psyche/vm/object"
)

// Object primitives: identity, cloning, slot changes and errors (the
// mirror primitives are in mirrors.go).

func init() {
	register("_Clone", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !rcv.IsPtr() || rcv == e.M.Nil || rcv == e.M.True || rcv == e.M.False {
			return rcv, nil // immediates and the singletons are their own clones
		}
		return e.M.CloneObject(rcv), nil
	})
	register("_Eq:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		return e.M.Bool(rcv == args[0]), nil
	})
	register("_IdentityHash", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		return identityHash(e, rcv), nil
	})
	register("_AddSlots:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		return e.changeSlots(rcv, args[0], false)
	})
	register("_Define:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		return e.changeSlots(rcv, args[0], true)
	})
	register("_RemoveSlot:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !e.slotsChangeable(rcv) {
			return 0, errBadType
		}
		name, ok := e.stringArg(args[0])
		if !ok {
			return 0, errBadType
		}
		sym := e.M.LookupInterned(name)
		mp := e.M.MapOf(rcv)
		var kept []object.Slot
		found := false
		for _, s := range e.M.MapSlots(mp) {
			if s.Name == sym || (s.Kind == object.SlotAssign && e.M.StringOf(s.Name) == string(name)+":") {
				found = found || s.Name == sym
				continue
			}
			kept = append(kept, s)
		}
		if !found {
			return 0, errNotFound
		}
		e.M.H.SetField(rcv, object.FieldMap, e.M.NewMap(kept, e.M.MapDataCount(mp), e.M.MapFlags(mp), e.M.MapAnnotation(mp)))
		e.changed()
		return rcv, nil
	})
	register("_Error:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if b, ok := e.bytesOf(args[0]); ok {
			return 0, &Abort{string(b)}
		}
		return 0, &Abort{e.M.Describe(args[0])}
	})
	register("_ObjectPrintString", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		return e.str(e.M.PrintForm(rcv)), nil
	})
}

// identityHash answers o's identity hash, a small integer stable for its life.
func identityHash(e *Env, o heap.Oop) heap.Oop {
	if !o.IsPtr() {
		return heap.FromInt(int64(uint64(o) >> 1 & (1<<40 - 1)))
	}
	return heap.FromInt(int64(e.M.H.Hash(o)))
}

func (e *Env) changed() {
	if e.SlotsChanged != nil {
		e.SlotsChanged()
	}
}

// slotsChangeable reports whether o can be given new slots: it needs a map
// and an extension for data slots that do not fit.
func (e *Env) slotsChangeable(o heap.Oop) bool {
	return o.IsPtr() && object.HasExt(e.M.H.Kind(o))
}

// changeSlots implements _AddSlots: (replace false: the source's slots are
// added, replacing slots of the same name) and _Define: (replace true: the
// receiver's slots become the source's). Data slot values are copied from
// the source object.
func (e *Env) changeSlots(rcv, src heap.Oop, replace bool) (heap.Oop, error) {
	if !e.slotsChangeable(rcv) || !src.IsPtr() || !object.HasExt(e.M.H.Kind(src)) {
		return 0, errBadType
	}
	m := e.M
	oldMap := m.MapOf(rcv)
	var slots []object.Slot
	nData := 0
	if !replace {
		slots = m.MapSlots(oldMap)
		nData = m.MapDataCount(oldMap)
	}
	srcSlots := m.MapSlots(m.MapOf(src))
	type pending struct {
		index int
		value heap.Oop
	}
	var writes []pending
	for _, s := range srcSlots {
		if s.Kind == object.SlotAssign || s.Kind == object.SlotArg {
			continue // assignment slots come with their data slot
		}
		// Drop any slot of the same name (and its assignment slot).
		assignName := ""
		if s.Kind == object.SlotData {
			assignName = m.StringOf(s.Name) + ":"
		}
		kept := slots[:0:0]
		reuse := -1
		for _, t := range slots {
			if t.Name == s.Name {
				if t.Kind == object.SlotData {
					reuse = t.Index
				}
				continue
			}
			if t.Kind == object.SlotAssign && (m.StringOf(t.Name) == m.StringOf(s.Name)+":") {
				continue
			}
			kept = append(kept, t)
		}
		slots = kept
		switch s.Kind {
		case object.SlotData:
			idx := reuse
			if idx < 0 {
				idx = nData
				nData++
			}
			writes = append(writes, pending{idx, m.DataAt(src, s.Index)})
			slots = append(slots, object.Slot{Name: s.Name, Kind: object.SlotData, Parent: s.Parent, Index: idx},
				object.Slot{Name: m.Intern(assignName), Kind: object.SlotAssign, Index: idx})
		default:
			slots = append(slots, s)
		}
	}
	m.H.SetField(rcv, object.FieldMap, m.NewMap(slots, nData, m.MapFlags(oldMap), m.MapAnnotation(oldMap)))
	for _, w := range writes {
		m.DataAtPut(rcv, w.index, w.value)
	}
	e.changed()
	return rcv, nil
}
