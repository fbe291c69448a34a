package vm

import (
	"psyche/heap"
	"psyche/vm/object"
)

// Indexing without sends: at:, at:Put: and size sent to a vector or a
// byteVector (at: also to a string) compile to opIndex, which does the
// access in the interpreter loop when the receiver's kind is one of those,
// the index is a small integer in range (at:Put: of a byteVector: the value
// a byte), and the method a real send would find for the receiver's map
// only wraps the core world's primitive (indexTable). Otherwise it makes
// the real send, so errors (badIndexError, badTypeError, an immutable
// string) and a user's own at: are exactly as a send makes them.
//
// The guard is the arithmetic guards' (guards.go), checked per receiver
// map rather than per receiver kind: vectors may have maps of their own
// (a clone of a vector with a slot added). Each (operation, kind) keeps
// the last map found good and the epoch it was found in.

type indexOp uint8

const (
	indexAt indexOp = iota
	indexAtPut
	indexSize
	numIndex
)

// indexKind is a receiver kind opIndex runs on.
type indexKind uint8

const (
	idxVector indexKind = iota
	idxByteVector
	idxString // a literal or mutable string
	numIndexKinds
)

// indexTable: each operation's selector, its number of arguments and, per
// receiver kind, the primitive the core world's method for it only wraps
// ("": always a send). TestCoreGuards checks it against bootstrap
// (50-vector, 80-byteVector, 40-string).
var indexTable = [numIndex]struct {
	sel   string
	argc  int
	prims [numIndexKinds]string
}{
	indexAt:    {"at:", 1, [numIndexKinds]string{"_VectorAt:", "_ByteAt:", "_StringAt:"}},
	indexAtPut: {"at:Put:", 2, [numIndexKinds]string{"_VectorAt:Put:", "_ByteAt:Put:", ""}},
	indexSize:  {"size", 0, [numIndexKinds]string{"_VectorSize", "_ByteSize", ""}},
}

// indexFor answers the operation whose selector is sel.
func indexFor(sel string) (indexOp, bool) {
	for i, x := range indexTable {
		if x.sel == sel {
			return indexOp(i), true
		}
	}
	return 0, false
}

// indexGuard caches, for one operation and receiver kind, whether the
// method found for the last receiver map seen was the core world's, in
// epoch stamp, and the last receiver itself: within an epoch an object
// keeps its map (a change of map ends the epoch, as does every move), so a
// loop over one vector need not read the map again.
type indexGuard struct {
	mp, rcv heap.Oop
	guardState
}

// indexKindOf answers the index kind of objects of VM kind kind, or false.
func indexKindOf(kind object.Kind) (indexKind, bool) {
	switch kind {
	case object.KindVector:
		return idxVector, true
	case object.KindByteVector:
		return idxByteVector, true
	case object.KindString, object.KindMutableString:
		return idxString, true
	}
	return 0, false
}

// indexLast remembers, for one operation, the last receiver it ran on in
// the loop and the epoch stamp it was found fit in, with what the access
// needs of it: its index kind, its size and, for a young object with a
// byte part, that part (heap.YoungBytes, valid for the epoch). Within an
// epoch an object keeps its map, kind and size and, if young, its place,
// so a loop over one vector or byteVector reads its header and its map
// once.
type indexLast struct {
	rcv   heap.Oop
	stamp uint64
	k     indexKind
	n     int
	bytes []byte
}

// index runs opIndex's operation on the receiver and arguments on top of
// the stack, leaving the result in their stead. It reports false, touching
// nothing, when a real send must do it.
func (vm *VM) index(op indexOp) bool {
	argc := indexTable[op].argc
	rcv := vm.stack[vm.sp-1-argc]
	c := &vm.indexLast[op]
	if c.rcv != rcv || c.stamp != vm.epoch.Current() {
		if !vm.indexFit(op, rcv) {
			return false
		}
	}
	var i int
	if argc > 0 {
		x := vm.stack[vm.sp-argc]
		if !x.IsInt() || uint64(x.Int()) >= uint64(c.n) {
			return false
		}
		i = int(x.Int())
	}
	v := vm.stack[vm.sp-1] // at:Put:'s value
	r := rcv               // at:Put: answers the receiver
	switch {
	case op == indexSize:
		r = heap.FromInt(int64(c.n))
	case c.k == idxVector && op == indexAt:
		r = vm.m.VectorAt(rcv, i)
	case c.k == idxVector:
		vm.m.VectorAtPut(rcv, i, v)
	case op == indexAt:
		var b byte
		if c.bytes != nil {
			b = c.bytes[i]
		} else {
			b = vm.h.ByteAt(rcv, i)
		}
		if c.k == idxByteVector {
			r = heap.FromInt(int64(b))
		} else {
			r = vm.m.InternBytes([]byte{b})
		}
	default: // a byteVector's at:Put:
		if !v.IsInt() || uint64(v.Int()) > 255 {
			return false
		}
		if c.bytes != nil {
			c.bytes[i] = byte(v.Int())
		} else {
			vm.h.SetByteAt(rcv, i, byte(v.Int()))
		}
	}
	vm.sp -= argc
	vm.stack[vm.sp-1] = r
	return true
}

// vectorPrim runs a send of vector primitive op (_VectorAt:, ...) with
// argc arguments the way index runs at:, at:Put: and size, when the
// receiver is a vector index takes; otherwise it does nothing, reports
// false, and the primitive runs as any other (its errors included).
func (vm *VM) vectorPrim(op indexOp, argc int) bool {
	if argc != indexTable[op].argc {
		return false
	}
	rcv := vm.stack[vm.sp-1-argc]
	c := &vm.indexLast[op]
	if (c.rcv != rcv || c.stamp != vm.epoch.Current()) && !vm.indexFit(op, rcv) {
		return false
	}
	return c.k == idxVector && vm.index(op)
}

// indexFit reports whether op runs in the loop on rcv: an object of an
// index kind op has a primitive for, whose method for op is the core
// world's (indexGuard); if so it makes rcv op's indexLast.
func (vm *VM) indexFit(op indexOp, rcv heap.Oop) bool {
	if !rcv.IsPtr() {
		return false
	}
	kind, n := vm.h.KindAndSize(rcv)
	k, ok := indexKindOf(kind)
	if !ok || indexTable[op].prims[k] == "" || !vm.indexGuard(op, k, rcv) {
		return false
	}
	var bytes []byte
	if k == idxVector {
		n = vm.m.VectorSize(rcv)
	} else if b, young := vm.h.YoungBytes(rcv); young {
		bytes = b
	}
	vm.indexLast[op] = indexLast{rcv: rcv, stamp: vm.epoch.Current(), k: k, n: n, bytes: bytes}
	return true
}

// indexGuard reports whether the method op's selector finds for rcv, of
// kind k, only wraps the core world's primitive: found through constant
// parents (so rcv's map alone decides it) and compiled to that primitive.
func (vm *VM) indexGuard(op indexOp, k indexKind, rcv heap.Oop) bool {
	g := &vm.indexGuards[op][k]
	now := vm.epoch.Current()
	if g.rcv == rcv && g.stamp == now {
		return g.ok
	}
	mp := vm.m.MapOf(rcv)
	if g.mp == mp && g.stamp == now {
		g.rcv = rcv
		return g.ok
	}
	res, st, byMap := vm.lookupMap(rcv, mp, vm.m.Intern(indexTable[op].sel))
	ok := st == found && byMap && res.kind == object.SlotMethod
	if ok {
		fp := vm.h.Field(res.value, methFastPrim)
		ok = fp != heap.Nil && vm.m.StringOf(fp) == indexTable[op].prims[k]
	}
	*g = indexGuard{mp: mp, rcv: rcv, guardState: guardState{stamp: now, ok: ok}}
	return ok
}
