package prims

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"psyche/heap"
	"psyche/vat"
	"psyche/vat/values"
	"psyche/vm/object"
)

// Vat primitives (docs/vats.md): the value codec's heap side. A value
// passes by copy when it is a number, a string, a byteVector, nil, true,
// false, or a vector, list or dictionary (string and integer keys) of
// those; a far reference passes as itself; any other object passes by
// reference, as this world's address and its export key. The export table
// is Self's (vats exportKeyFor:), so encoding takes two primitives:
// _VatRefsIn: answers the objects that pass by reference, Self exports
// them, and _VatEncode:Keys: encodes with their keys, in the same order.
// _VatFarRefsIn: answers the far references in a value, which Self counts
// (vats noteImports: and passOn:To:) so that exports can be forgotten.
//
// Lists, dictionaries and far references are recognized by their maps:
// those of the prototypes list, dictionary and farRef in globals, which
// every copy of them shares (a slot change makes a new map, and such an
// object then passes by reference like any other).

// KeyBytes is how many random bytes make a vat id or an export key (a
// swiss number): 128 bits, written as 32 hex digits.
const KeyBytes = 16

// vatValueErr stops the evaluation: the value cannot pass between vats (a
// cycle, too deep, too big, a far reference with a damaged slot).
func vatValueErr(format string, args ...any) error {
	return &Abort{"cannot pass this value to another vat: " + fmt.Sprintf(format, args...)}
}

func init() {
	register("_VatRandomKey", func(e *Env, _ heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		var b [KeyBytes]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, abortf("no random bytes for a key: %v", err)
		}
		return e.str(hex.EncodeToString(b[:])), nil
	})
	register("_VatAddress", func(e *Env, _ heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		hooks, err := e.world()
		if err != nil {
			return 0, err
		}
		return e.str(hooks.Address()), nil
	})
	register("_VatResolve:", func(e *Env, _ heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !e.M.IsString(args[0]) {
			return 0, errBadType
		}
		addr, err := vat.ResolveAddress(e.M.StringOf(args[0]))
		if err != nil {
			return 0, abortf("vats at: %v", err)
		}
		return e.str(addr), nil
	})
	register("_VatRefsIn:", func(e *Env, _ heap.Oop, args []heap.Oop) (heap.Oop, error) {
		w, err := e.newValueWalk(nil)
		if err != nil {
			return 0, err
		}
		if _, err := w.value(args[0], 0); err != nil {
			return 0, err
		}
		v := e.M.NewVector(len(w.refs), e.M.Nil)
		for i, r := range w.refs {
			e.M.VectorAtPut(v, i, r)
		}
		return v, nil
	})
	register("_VatFarRefsIn:", func(e *Env, _ heap.Oop, args []heap.Oop) (heap.Oop, error) {
		w, err := e.newValueWalk(nil)
		if err != nil {
			return 0, err
		}
		if _, err := w.value(args[0], 0); err != nil {
			return 0, err
		}
		v := e.M.NewVector(len(w.farRefs), e.M.Nil)
		for i, r := range w.farRefs {
			e.M.VectorAtPut(v, i, r)
		}
		return v, nil
	})
	register("_VatEncode:Keys:", func(e *Env, _ heap.Oop, args []heap.Oop) (heap.Oop, error) {
		n, ok := e.vectorSize(args[1])
		if !ok {
			return 0, errBadType
		}
		keys := make([]string, n)
		for i := range keys {
			k := e.M.VectorAt(args[1], i)
			if !e.M.IsString(k) {
				return 0, errBadType
			}
			keys[i] = e.M.StringOf(k)
		}
		w, err := e.newValueWalk(keys)
		if err != nil {
			return 0, err
		}
		v, err := w.value(args[0], 0)
		if err != nil {
			return 0, err
		}
		data, err := values.Encode(v)
		if err != nil {
			return 0, vatValueErr("%v", err)
		}
		if err := e.checkBytes(int64(len(data))); err != nil {
			return 0, err
		}
		return e.M.NewByteVector(data), nil
	})
	register("_VatDecode:", func(e *Env, _ heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !e.isKind(args[0], object.KindByteVector) {
			return 0, errBadType
		}
		v, err := values.Decode(bytes.Clone(e.M.H.Bytes(args[0])))
		if err != nil {
			return 0, &Abort{err.Error()}
		}
		return e.DecodeValue(v)
	})
	register("_VatSameRef:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		p, err := e.vatProtos()
		if err != nil {
			return 0, err
		}
		same := rcv == args[0]
		if !same && e.hasMap(rcv, p.farRef) && e.hasMap(args[0], p.farRef) {
			v1, k1, err1 := e.farRefParts(rcv)
			v2, k2, err2 := e.farRefParts(args[0])
			same = err1 == nil && err2 == nil && v1 == v2 && k1 == k2
		}
		return e.M.Bool(same), nil
	})
}

// vatProtos are the prototypes the codec recognizes and makes copies of.
type vatProtos struct {
	list, dictionary, farRef heap.Oop
	empty                    heap.Oop // traits hashTable emptyMarker
}

// slotOf answers the value of o's slot name (a constant or data slot of
// o itself), or false.
func (e *Env) slotOf(o heap.Oop, name string) (heap.Oop, bool) {
	sel := e.M.LookupInterned([]byte(name))
	if sel == heap.Nil || !o.IsPtr() {
		return heap.Nil, false
	}
	mp := e.M.MapOf(o)
	i := e.M.FindSlot(mp, sel)
	if i < 0 {
		return heap.Nil, false
	}
	switch s := e.M.MapSlot(mp, i); s.Kind {
	case object.SlotConst:
		return s.Value, true
	case object.SlotData:
		return e.M.DataAt(o, s.Index), true
	}
	return heap.Nil, false
}

// setSlot sets o's own data slot name.
func (e *Env) setSlot(o heap.Oop, name string, v heap.Oop) error {
	mp := e.M.MapOf(o)
	sel := e.M.LookupInterned([]byte(name))
	i := -1
	if sel != heap.Nil {
		i = e.M.FindSlot(mp, sel)
	}
	if i < 0 || e.M.MapSlot(mp, i).Kind != object.SlotData {
		return abortf("vats: the prototype has no data slot %s", name)
	}
	e.M.DataAtPut(o, e.M.MapSlot(mp, i).Index, v)
	return nil
}

func (e *Env) vatProtos() (vatProtos, error) {
	g := e.M.Special(object.SpGlobals)
	var p vatProtos
	var ok1, ok2, ok3 bool
	p.list, ok1 = e.slotOf(g, "list")
	p.dictionary, ok2 = e.slotOf(g, "dictionary")
	p.farRef, ok3 = e.slotOf(g, "farRef")
	if !ok1 || !ok2 || !ok3 || e.Tables == nil {
		return p, abortf("vats need the core world's list, dictionary and farRef prototypes")
	}
	lay, ok := e.Tables.Layout(p.dictionary)
	if !ok {
		return p, abortf("vats: the dictionary prototype is not a hash table")
	}
	p.empty = lay.Empty
	return p, nil
}

func (e *Env) hasMap(o, proto heap.Oop) bool {
	return o.IsPtr() && e.M.H.Kind(o) == object.KindSlots && e.M.MapOf(o) == e.M.MapOf(proto)
}

// farRefParts answers a far reference's vat and key.
func (e *Env) farRefParts(o heap.Oop) (vat, key string, err error) {
	v, ok1 := e.slotOf(o, "vat")
	k, ok2 := e.slotOf(o, "key")
	if !ok1 || !ok2 || !e.M.IsString(v) || !e.M.IsString(k) {
		return "", "", vatValueErr("a far reference whose vat or key is not a string")
	}
	return e.M.StringOf(v), e.M.StringOf(k), nil
}

// valueWalk turns a heap value into a values.Value. It collects the
// objects that pass by reference in refs, each once, in the order met;
// keys, when not nil, are their export keys in that order.
type valueWalk struct {
	e       *Env
	p       vatProtos
	address string
	refs    []heap.Oop
	farRefs []heap.Oop // the far references met, each once
	seenFar map[heap.Oop]bool
	keys    []string
	path    []heap.Oop // the containers being walked: meeting one again is a cycle
	count   int        // elements walked, bounded by values.MaxElements
}

func (e *Env) newValueWalk(keys []string) (*valueWalk, error) {
	p, err := e.vatProtos()
	if err != nil {
		return nil, err
	}
	w := &valueWalk{e: e, p: p, keys: keys, seenFar: map[heap.Oop]bool{}}
	if keys != nil {
		hooks, err := e.world()
		if err != nil {
			return nil, err
		}
		w.address = hooks.Address()
	}
	return w, nil
}

func (w *valueWalk) value(o heap.Oop, depth int) (values.Value, error) {
	m := w.e.M
	if depth > values.MaxDepth {
		return values.Value{}, vatValueErr("nested more than %d deep", values.MaxDepth)
	}
	if w.count++; w.count > values.MaxElements {
		return values.Value{}, vatValueErr("more than %d elements", values.MaxElements)
	}
	switch {
	case o.IsInt():
		return values.Value{Kind: values.Int, Int: o.Int()}, nil
	case m.IsFloat(o):
		return values.Value{Kind: values.Float, Float: m.FloatOf(o)}, nil
	case m.IsInteger(o):
		return values.Value{Kind: values.BigInt, Big: m.BigOf(o)}, nil
	case o == m.Nil:
		return values.Value{Kind: values.Nil}, nil
	case o == m.True:
		return values.Value{Kind: values.True}, nil
	case o == m.False:
		return values.Value{Kind: values.False}, nil
	}
	switch object.Kind(m.H.Kind(o)) {
	case object.KindString:
		return values.Value{Kind: values.String, Bytes: bytes.Clone(m.H.Bytes(o))}, nil
	case object.KindMutableString:
		return values.Value{Kind: values.MutableString, Bytes: bytes.Clone(m.H.Bytes(o))}, nil
	case object.KindByteVector:
		return values.Value{Kind: values.ByteVector, Bytes: bytes.Clone(m.H.Bytes(o))}, nil
	case object.KindVector:
		n := m.VectorSize(o)
		return w.container(o, values.Vector, n, func(i int) heap.Oop { return m.VectorAt(o, i) }, depth)
	}
	switch {
	case w.e.hasMap(o, w.p.farRef):
		vat, key, err := w.e.farRefParts(o)
		if !w.seenFar[o] {
			w.seenFar[o] = true
			w.farRefs = append(w.farRefs, o)
		}
		return values.Value{Kind: values.Ref, Vat: vat, Key: key}, err
	case w.e.hasMap(o, w.p.list):
		if elems, ok := w.listElems(o); ok {
			return w.container(o, values.List, len(elems), func(i int) heap.Oop { return elems[i] }, depth)
		}
	case w.e.hasMap(o, w.p.dictionary):
		if kv, ok := w.dictionaryElems(o); ok {
			return w.container(o, values.Dictionary, len(kv), func(i int) heap.Oop { return kv[i] }, depth)
		}
	}
	return w.byReference(o)
}

func (w *valueWalk) container(o heap.Oop, k values.Kind, n int, at func(int) heap.Oop, depth int) (values.Value, error) {
	for _, p := range w.path {
		if p == o {
			return values.Value{}, vatValueErr("it contains itself (a cycle)")
		}
	}
	w.path = append(w.path, o)
	defer func() { w.path = w.path[:len(w.path)-1] }()
	v := values.Value{Kind: k, Elems: make([]values.Value, n)}
	for i := 0; i < n; i++ {
		e, err := w.value(at(i), depth+1)
		if err != nil {
			return values.Value{}, err
		}
		v.Elems[i] = e
	}
	return v, nil
}

// listElems answers a list's elements, first to last, or false if its
// slots are not a list's.
func (w *valueWalk) listElems(o heap.Oop) ([]heap.Oop, bool) {
	m := w.e.M
	items, ok1 := w.e.slotOf(o, "items")
	start, ok2 := w.e.slotOf(o, "start")
	size, ok3 := w.e.slotOf(o, "size")
	if !ok1 || !ok2 || !ok3 || !start.IsInt() || !size.IsInt() || !w.e.isKind(items, object.KindVector) {
		return nil, false
	}
	capacity, s, n := m.VectorSize(items), int(start.Int()), int(size.Int())
	if s < 0 || n < 0 || n > capacity || (capacity > 0 && s >= capacity) {
		return nil, false
	}
	elems := make([]heap.Oop, n)
	for k := range elems {
		elems[k] = m.VectorAt(items, (s+k)%capacity)
	}
	return elems, true
}

// dictionaryElems answers a dictionary's keys and values, alternating, in
// table order, or false if it cannot pass by copy: its slots are not a
// dictionary's, or a key is not a string or integer with the core hash.
func (w *valueWalk) dictionaryElems(o heap.Oop) ([]heap.Oop, bool) {
	m := w.e.M
	keys, ok1 := w.e.slotOf(o, "keyTable")
	vals, ok2 := w.e.slotOf(o, "valueTable")
	if !ok1 || !ok2 || !w.e.isKind(keys, object.KindVector) || !w.e.isKind(vals, object.KindVector) ||
		m.VectorSize(keys) != m.VectorSize(vals) {
		return nil, false
	}
	var kv []heap.Oop
	for i, n := 0, m.VectorSize(keys); i < n; i++ {
		k := m.VectorAt(keys, i)
		if k == w.p.empty {
			continue
		}
		if !w.e.Tables.CoreKey(k) {
			return nil, false
		}
		kv = append(kv, k, m.VectorAt(vals, i))
	}
	return kv, true
}

func (w *valueWalk) byReference(o heap.Oop) (values.Value, error) {
	i := 0
	for i < len(w.refs) && w.refs[i] != o {
		i++
	}
	if i == len(w.refs) {
		w.refs = append(w.refs, o)
	}
	if w.keys == nil {
		return values.Value{Kind: values.Ref}, nil
	}
	if i >= len(w.keys) {
		return values.Value{}, abortf("vats: no export key for an object passed by reference")
	}
	return values.Value{Kind: values.Ref, Vat: w.address, Key: w.keys[i]}, nil
}

// DecodeValue makes the heap objects of v: copies for by-copy values, far
// references (copies of globals farRef) for references.
func (e *Env) DecodeValue(v values.Value) (heap.Oop, error) {
	p, err := e.vatProtos()
	if err != nil {
		return 0, err
	}
	return e.decode(p, v)
}

func (e *Env) decode(p vatProtos, v values.Value) (heap.Oop, error) {
	m := e.M
	switch v.Kind {
	case values.Nil:
		return m.Nil, nil
	case values.True:
		return m.True, nil
	case values.False:
		return m.False, nil
	case values.Int:
		return m.Int64(v.Int), nil
	case values.BigInt:
		return m.Int(v.Big), nil
	case values.Float:
		return m.Float(v.Float), nil
	case values.String, values.MutableString, values.ByteVector:
		if err := e.checkBytes(int64(len(v.Bytes))); err != nil {
			return 0, err
		}
		switch v.Kind {
		case values.String:
			return m.NewString(v.Bytes), nil
		case values.MutableString:
			return m.NewMutableString(v.Bytes), nil
		}
		return m.NewByteVector(v.Bytes), nil
	case values.Ref:
		r := m.CloneObject(p.farRef)
		if err := e.setSlot(r, "vat", e.str(v.Vat)); err != nil {
			return 0, err
		}
		return r, e.setSlot(r, "key", e.str(v.Key))
	}
	if err := e.checkAlloc(int64(len(v.Elems))+object.FirstData, 0); err != nil {
		return 0, err
	}
	elems := m.NewVector(len(v.Elems), m.Nil)
	for i, x := range v.Elems {
		o, err := e.decode(p, x)
		if err != nil {
			return 0, err
		}
		m.VectorAtPut(elems, i, o)
	}
	switch v.Kind {
	case values.Vector:
		return elems, nil
	case values.List:
		return e.newList(p, elems, len(v.Elems))
	case values.Dictionary:
		return e.newDictionary(p, elems, len(v.Elems)/2)
	}
	return 0, abortf("vats: no value of kind %d", v.Kind)
}

func (e *Env) newList(p vatProtos, items heap.Oop, n int) (heap.Oop, error) {
	m := e.M
	if n < 8 { // a list's smallest items vector (60-list.self)
		bigger := m.NewVector(8, m.Nil)
		for i := 0; i < n; i++ {
			m.VectorAtPut(bigger, i, m.VectorAt(items, i))
		}
		items = bigger
	}
	l := m.CloneObject(p.list)
	for _, s := range []struct {
		name string
		v    heap.Oop
	}{{"items", items}, {"start", heap.FromInt(0)}, {"size", heap.FromInt(int64(n))}} {
		if err := e.setSlot(l, s.name, s.v); err != nil {
			return 0, err
		}
	}
	return l, nil
}

// newDictionary makes a dictionary of the n keys and values in kv
// (alternating), with room for all of them, and puts each in with
// _DictionaryAt:Put:, which places keys as the Self code would.
func (e *Env) newDictionary(p vatProtos, kv heap.Oop, n int) (heap.Oop, error) {
	m := e.M
	capacity := 8
	for !(n*3 <= capacity*2) { // isFull's 2/3 limit, for the last insertion
		capacity *= 2
	}
	if err := e.checkAlloc(int64(capacity)*2+object.FirstData, 0); err != nil {
		return 0, err
	}
	d := m.CloneObject(p.dictionary)
	for _, s := range []struct {
		name string
		v    heap.Oop
	}{{"keyTable", m.NewVector(capacity, p.empty)}, {"valueTable", m.NewVector(capacity, m.Nil)},
		{"tagTable", m.NewByteVector(make([]byte, capacity))}, {"size", heap.FromInt(0)}} {
		if err := e.setSlot(d, s.name, s.v); err != nil {
			return 0, err
		}
	}
	put := table["_DictionaryAt:Put:"]
	for i := 0; i < n; i++ {
		k := m.VectorAt(kv, 2*i)
		if !e.Tables.CoreKey(k) {
			return 0, &Abort{"bad value encoding: a dictionary key that is not a string or an integer"}
		}
		if _, err := put.Fn(e, d, []heap.Oop{k, m.VectorAt(kv, 2*i+1)}); err != nil {
			return 0, abortf("vats: cannot make a dictionary: %v", err)
		}
	}
	return d, nil
}
