package world

import (
	"bytes"
	"errors"
	"fmt"

	"psyche/heap"
	"psyche/vat"
	"psyche/vm"
	"psyche/vm/object"
)

// Reading the core world's objects from Go through the layouts declared in
// corelayout.go, without a send: what a user did to the core's methods
// cannot change what is read, and what is not laid out as declared is
// named, with the file that declares it.

// coreError is a failure of the core world's part in the system's own
// bookkeeping: an object Go reads is not laid out as declared, or a core
// method Go runs in a transaction failed, typically because a user changed
// it. The transaction was undone and nothing committed was lost, so it is
// not a failure of the world itself (vat.ErrNotFatal): what was not done is
// tried again later, and a rollback or a repair of the core mends it.
type coreError struct {
	msg string
	err error // the Self error, if a core method failed
}

func (e *coreError) Error() string { return e.msg }
func (e *coreError) Unwrap() error { return e.err }

// Is makes a coreError a vat.ErrNotFatal.
func (e *coreError) Is(target error) bool { return target == vat.ErrNotFatal }

func coreErrorf(format string, args ...any) error {
	return &coreError{msg: fmt.Sprintf(format, args...)}
}

// coreFailed answers err, an error of what, as a coreError when it is the
// failure of Self code (or already one), so that it undoes and stops only
// what, not the world; a failure of the heap is answered as it is.
func coreFailed(what string, err error) error {
	var ce *coreError
	switch {
	case err == nil || errors.As(err, &ce):
		return err
	case selfError(err):
		return &coreError{msg: fmt.Sprintf("the core world failed %s: %v%s (undone; roll back or repair the core)", what, err, innermost(err)), err: err}
	}
	return err
}

// innermost names the method err was raised in, from its stack: that is
// the method a user broke, more often than not.
func innermost(err error) string {
	var se *vm.Error
	if errors.As(err, &se) && len(se.Stack) > 0 {
		return ", in " + se.Stack[0]
	}
	return ""
}

// selfError reports whether err is an error of the Self code a crank ran
// (it rejects the message), not a failure of the heap (which stops).
func selfError(err error) bool {
	var e *vm.Error
	var ce *vm.CompileError
	return errors.As(err, &e) && e.Cause == nil || errors.As(err, &ce)
}

// ownSlot answers o's own slot name, if it has one.
func (w *World) ownSlot(o heap.Oop, name string) (object.Slot, bool) {
	m := w.vm.Model()
	sel := m.LookupInterned([]byte(name))
	if sel == heap.Nil || !o.IsPtr() {
		return object.Slot{}, false
	}
	mp := m.MapOf(o)
	i := m.FindSlot(mp, sel)
	if i < 0 {
		return object.Slot{}, false
	}
	return m.MapSlot(mp, i), true
}

// global answers the object in globals' constant slot obj.global.
func (w *World) global(obj *coreObject) (heap.Oop, error) {
	s, ok := w.ownSlot(w.vm.Model().Special(object.SpGlobals), obj.global)
	if !ok || s.Kind != object.SlotConst {
		return heap.Nil, coreErrorf("%s is not a constant slot of globals (declared by %s)", obj.name, obj.source)
	}
	return s.Value, nil
}

// dataSlot answers the value of o's own data slot name, which obj declares;
// what names o in the error.
func (w *World) dataSlot(o heap.Oop, obj *coreObject, name, what string) (heap.Oop, error) {
	s, ok := w.ownSlot(o, name)
	if !ok || s.Kind != object.SlotData {
		return heap.Nil, coreErrorf("%s has no data slot %s, which Go reads in %s (declared by %s): it is %s",
			what, name, obj.name, obj.source, w.vm.Model().Describe(o))
	}
	return w.vm.Model().DataAt(o, s.Index), nil
}

// vatsSlot answers the data slot name of globals vats.
func (w *World) vatsSlot(name string) (heap.Oop, error) {
	v, err := w.global(&coreVats)
	if err != nil {
		return heap.Nil, err
	}
	return w.dataSlot(v, &coreVats, name, coreVats.name)
}

// listElems answers the elements of the list o, first to last.
func (w *World) listElems(o heap.Oop, what string) ([]heap.Oop, error) {
	items, start, size, err := w.listParts(o, what)
	if err != nil {
		return nil, err
	}
	m := w.vm.Model()
	elems := make([]heap.Oop, size)
	for k := range elems {
		elems[k] = m.VectorAt(items, (start+k)%m.VectorSize(items))
	}
	return elems, nil
}

// listSize answers how many elements the list o holds.
func (w *World) listSize(o heap.Oop, what string) (int, error) {
	_, _, size, err := w.listParts(o, what)
	return size, err
}

// listParts answers the list o's items vector, start and size, checked to
// be consistent.
func (w *World) listParts(o heap.Oop, what string) (items heap.Oop, start, size int, err error) {
	var parts [3]heap.Oop
	for i, name := range coreList.slots {
		if parts[i], err = w.dataSlot(o, &coreList, name, what); err != nil {
			return heap.Nil, 0, 0, err
		}
	}
	items, st, sz := parts[0], parts[1], parts[2]
	if !w.isVector(items) || !st.IsInt() || !sz.IsInt() {
		return heap.Nil, 0, 0, coreErrorf("%s is a list whose %s, %s and %s are not a vector and two integers (%s)", what, listItems, listStart, listSize, coreList.source)
	}
	n := w.vm.Model().VectorSize(items)
	start, size = int(st.Int()), int(sz.Int())
	if size < 0 || size > n || start < 0 || (n > 0 && start >= n) || (n == 0 && start != 0) {
		return heap.Nil, 0, 0, coreErrorf("%s is a list whose %s %d and %s %d do not fit its %d %s (%s)", what, listStart, start, listSize, size, n, listItems, coreList.source)
	}
	return items, start, size, nil
}

// dictionarySizeOf answers how many entries the dictionary o holds.
func (w *World) dictionarySizeOf(o heap.Oop, what string) (int, error) {
	sz, err := w.dataSlot(o, &coreDictionary, dictionarySize, what)
	if err != nil {
		return 0, err
	}
	if !sz.IsInt() || sz.Int() < 0 {
		return 0, coreErrorf("%s is a dictionary whose %s is not a count (%s)", what, dictionarySize, coreDictionary.source)
	}
	return int(sz.Int()), nil
}

// dictionaryAtString answers the value at the string key of the
// dictionary o, and whether there is one. It looks at every place rather
// than hash the key, so as not to rely on the core's hash.
func (w *World) dictionaryAtString(o heap.Oop, key, what string) (heap.Oop, bool, error) {
	keys, err1 := w.dataSlot(o, &coreDictionary, dictionaryKeys, what)
	values, err2 := w.dataSlot(o, &coreDictionary, dictionaryValues, what)
	if err := errors.Join(err1, err2); err != nil {
		return heap.Nil, false, err
	}
	m := w.vm.Model()
	if !w.isVector(keys) || !w.isVector(values) || m.VectorSize(keys) != m.VectorSize(values) {
		return heap.Nil, false, coreErrorf("%s is a dictionary whose %s and %s are not two vectors of one size (%s)", what, dictionaryKeys, dictionaryValues, coreDictionary.source)
	}
	for i := range m.VectorSize(keys) {
		if k := m.VectorAt(keys, i); m.IsString(k) && bytes.Equal(w.h.Bytes(k), []byte(key)) {
			return m.VectorAt(values, i), true, nil
		}
	}
	return heap.Nil, false, nil
}

func (w *World) isVector(o heap.Oop) bool {
	return o.IsPtr() && object.Kind(w.h.Kind(o)) == object.KindVector
}

// recordFields answers the fields of o, a record laid out as rec declares
// (an older world's has fewer fields), padded with nil to all of them.
func (w *World) recordFields(o heap.Oop, rec *coreRecord) ([]heap.Oop, error) {
	m := w.vm.Model()
	n := len(rec.fields)
	if !w.isVector(o) || m.VectorSize(o) != n && m.VectorSize(o) != rec.older {
		return nil, coreErrorf("vats: %s is not a vector of %d fields (%s) but %s", rec.name, n, rec.source, m.Describe(o))
	}
	f := make([]heap.Oop, n)
	for i := range f {
		f[i] = m.Nil
		if i < m.VectorSize(o) {
			f[i] = m.VectorAt(o, i)
		}
	}
	return f, nil
}

// field names field i of rec in errors: "an outbox entry's selector".
func (rec *coreRecord) field(i int) string { return rec.name + "'s " + rec.fields[i] }

func (w *World) str(s string) heap.Oop { return w.vm.Model().NewString([]byte(s)) }

func (w *World) stringOf(o heap.Oop, what string) (string, error) {
	m := w.vm.Model()
	if o == m.Nil {
		return "", nil
	}
	if !m.IsString(o) {
		return "", coreErrorf("vats: %s is not a string but %s", what, m.Describe(o))
	}
	return m.StringOf(o), nil
}

func (w *World) intOf(o heap.Oop, what string) (uint64, error) {
	if !o.IsInt() || o.Int() < 0 {
		return 0, coreErrorf("vats: %s is not a sequence number but %s", what, w.vm.Model().Describe(o))
	}
	return uint64(o.Int()), nil
}

// vectorElems answers the elements of o, which must be a Self vector of n
// elements (n < 0: any number).
func (w *World) vectorElems(o heap.Oop, n int, what string) ([]heap.Oop, error) {
	m := w.vm.Model()
	if !w.isVector(o) || n >= 0 && m.VectorSize(o) != n {
		return nil, coreErrorf("vats: %s is not a vector of %d elements but %s", what, n, m.Describe(o))
	}
	elems := make([]heap.Oop, m.VectorSize(o))
	for i := range elems {
		elems[i] = m.VectorAt(o, i)
	}
	return elems, nil
}

// bytesOf answers a byteVector's bytes (a copy), or nil for nil.
func (w *World) bytesOf(o heap.Oop, what string) ([]byte, error) {
	m := w.vm.Model()
	if o == m.Nil {
		return nil, nil
	}
	if !o.IsPtr() || object.Kind(w.h.Kind(o)) != object.KindByteVector {
		return nil, coreErrorf("vats: %s is not a byteVector but %s", what, m.Describe(o))
	}
	return bytes.Clone(w.h.Bytes(o)), nil
}
