package prims

import (
	"psyche/heap"
	"psyche/vm/object"
)

// Mirror primitives: what traits mirror and traits slot (bootstrap/
// 90-mirror.self) build Self's mirror protocol on. A mirror is a
// KindMirror object whose field FieldReflectee holds the object it
// reflects. That object may be a method (the contents of a method slot,
// reached with _MirrorContentsAt:), which is not a Self object: it has no
// map and must never reach Self code, so the primitives that would answer
// it or read its slots fail or answer nothing for it.

func init() {
	register("_Mirror", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		return e.newMirror(rcv), nil
	})
	register("_MirrorReflectee", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		r, err := e.reflectee(rcv)
		if err != nil {
			return 0, err
		}
		if !e.isSelfObject(r) {
			return 0, errBadType
		}
		return r, nil
	})
	register("_MirrorReflecteeEq:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		r, err := e.reflectee(rcv)
		if err != nil {
			return 0, err
		}
		other, err := e.reflectee(args[0])
		if err != nil {
			return 0, err
		}
		return e.M.Bool(r == other), nil
	})
	register("_MirrorReflecteeIdentityHash", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		r, err := e.reflectee(rcv)
		if err != nil {
			return 0, err
		}
		return identityHash(e, r), nil
	})
	register("_MirrorSlotNames", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		slots, err := e.reflecteeSlots(rcv)
		if err != nil {
			return 0, err
		}
		v := e.M.NewVector(len(slots), e.M.Nil)
		for i, s := range slots {
			e.M.VectorAtPut(v, i, s.Name)
		}
		return v, nil
	})
	register("_MirrorContentsAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		s, r, err := e.slotNamed(rcv, args[0])
		if err != nil {
			return 0, err
		}
		if s.Kind == object.SlotData {
			return e.newMirror(e.M.DataAt(r, s.Index)), nil
		}
		return e.newMirror(s.Value), nil
	})
	register("_MirrorSlotKindAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		s, _, err := e.slotNamed(rcv, args[0])
		if err != nil {
			return 0, err
		}
		return e.M.Intern(s.Kind.Name()), nil
	})
	register("_MirrorIsParentAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		s, _, err := e.slotNamed(rcv, args[0])
		if err != nil {
			return 0, err
		}
		return e.M.Bool(s.Parent), nil
	})
	register("_MirrorSource", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		r, err := e.reflectee(rcv)
		if err != nil {
			return 0, err
		}
		if !e.isKind(r, object.KindMethod) || e.MethodSource == nil {
			return 0, errBadType
		}
		src, ok := e.MethodSource(r)
		if !ok {
			return 0, errNotFound
		}
		return e.str(src), nil
	})
}

func (e *Env) newMirror(o heap.Oop) heap.Oop {
	m := e.M.H.Alloc(object.MirrorFields, 0, object.KindMirror, heap.Nil)
	e.M.H.SetField(m, object.FieldMap, e.M.Special(object.SpMirrorMap))
	e.M.H.SetField(m, object.FieldReflectee, o)
	return m
}

// reflectee answers what mirror m reflects; badTypeError if m is not a mirror.
func (e *Env) reflectee(m heap.Oop) (heap.Oop, error) {
	if !e.isKind(m, object.KindMirror) {
		return 0, errBadType
	}
	return e.M.H.Field(m, object.FieldReflectee), nil
}

// isSelfObject reports whether o is an object Self code may hold: an
// integer or an object with a map, not a VM-internal part (a method).
func (e *Env) isSelfObject(o heap.Oop) bool {
	if !o.IsPtr() {
		return true
	}
	k := e.M.H.Kind(o)
	return object.HasExt(k) || k == object.KindFloat || k == object.KindBigInt
}

// reflecteeSlots answers the slots of mirror m's reflectee a mirror shows,
// in definition order: every slot but the assignment slots (a data slot
// stands for its own). A method shows none.
func (e *Env) reflecteeSlots(m heap.Oop) ([]object.Slot, error) {
	r, err := e.reflectee(m)
	if err != nil {
		return nil, err
	}
	if !e.isSelfObject(r) {
		return nil, nil
	}
	var slots []object.Slot
	for _, s := range e.M.MapSlots(e.M.MapOf(r)) {
		if s.Kind.Name() != "" {
			slots = append(slots, s)
		}
	}
	return slots, nil
}

// slotNamed answers the slot named name (a string) of mirror m's reflectee,
// and the reflectee: badTypeError for a name that is not a string,
// notFoundError if there is no such slot.
func (e *Env) slotNamed(m, name heap.Oop) (object.Slot, heap.Oop, error) {
	n, ok := e.stringArg(name)
	if !ok {
		return object.Slot{}, 0, errBadType
	}
	slots, err := e.reflecteeSlots(m)
	if err != nil {
		return object.Slot{}, 0, err
	}
	for _, s := range slots {
		if e.M.StringOf(s.Name) == string(n) {
			return s, e.M.H.Field(m, object.FieldReflectee), nil
		}
	}
	return object.Slot{}, 0, errNotFound
}
