package prims

import (
	"psyche/heap"
	"psyche/vm/object"
)

// Vector primitives: 0-based, bounds-checked.

func (e *Env) vectorSize(v heap.Oop) (int, bool) {
	if !e.isKind(v, object.KindVector) {
		return 0, false
	}
	return e.M.VectorSize(v), true
}

func (e *Env) copySize(rcv, nArg, fill heap.Oop) (heap.Oop, error) {
	size, ok := e.vectorSize(rcv)
	if !ok || !nArg.IsInt() {
		return 0, errBadType
	}
	n := nArg.Int()
	if n < 0 {
		return 0, errBadSize
	}
	if err := e.checkAlloc(object.FirstData+n, 0); err != nil {
		return 0, err
	}
	h := e.M.H
	v := h.Alloc(object.FirstData+int(n), 0, object.KindVector, fill)
	h.SetField(v, object.FieldMap, h.Field(rcv, object.FieldMap))
	h.SetField(v, object.FieldExt, heap.Nil)
	if ext := h.Field(rcv, object.FieldExt); ext != heap.Nil {
		h.SetField(v, object.FieldExt, h.Clone(ext))
	}
	for i := 0; i < min(size, int(n)); i++ {
		if i%interruptStride == 0 {
			if err := e.checkInterrupt(); err != nil {
				return 0, err
			}
		}
		h.SetField(v, object.FirstData+i, h.Field(rcv, object.FirstData+i))
	}
	return v, nil
}

func init() {
	register("_VectorSize", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		n, ok := e.vectorSize(rcv)
		if !ok {
			return 0, errBadType
		}
		return heap.FromInt(int64(n)), nil
	})
	register("_VectorAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		n, ok := e.vectorSize(rcv)
		if !ok {
			return 0, errBadType
		}
		i, err := index(args[0], n)
		if err != nil {
			return 0, err
		}
		return e.M.VectorAt(rcv, i), nil
	})
	register("_VectorAt:Put:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		n, ok := e.vectorSize(rcv)
		if !ok {
			return 0, errBadType
		}
		i, err := index(args[0], n)
		if err != nil {
			return 0, err
		}
		e.M.VectorAtPut(rcv, i, args[1])
		return rcv, nil
	})
	register("_VectorCopySize:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		return e.copySize(rcv, args[0], e.M.Nil)
	})
	register("_VectorCopySize:FillingWith:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		return e.copySize(rcv, args[0], args[1])
	})
}
