package vm

import (
	"fmt"

	"psyche/heap"
	"psyche/vm/object"
)

// Validation of objects that come from outside (an image): every object
// must have the shape its kind promises, every map must describe slots the
// VM can follow, and every method's bytecode must decode, name only literals
// it has, and keep its stack balanced, so that running it cannot index
// outside the interpreter's stack or its code.

// ValidateObject checks one object of a freshly imported graph.
func (vm *VM) ValidateObject(o heap.Oop) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if he, ok := heap.AsHeapPanic(r); ok {
				err = he
				return
			}
			panic(r)
		}
	}()
	h, m := vm.h, vm.m
	k := h.Kind(o)
	n := h.NumPtrs(o)
	kindOf := func(x heap.Oop) int {
		if !x.IsPtr() {
			return -1
		}
		return int(h.Kind(x))
	}
	isMap := func(x heap.Oop) bool { return kindOf(x) == int(object.KindMap) }
	switch k {
	case object.KindSlots, object.KindVector, object.KindString, object.KindMutableString,
		object.KindByteVector, object.KindBlock, object.KindMirror, object.KindWeakStore:
		if n < 2 || !isMap(h.Field(o, object.FieldMap)) {
			return fmt.Errorf("a %s object without a map", kindName(k))
		}
		if ext := h.Field(o, object.FieldExt); ext != heap.Nil && kindOf(ext) != int(object.KindRaw) {
			return fmt.Errorf("an object whose slot extension is not a raw vector")
		}
		switch k {
		case object.KindBlock:
			if n != 3 || kindOf(h.Field(o, blockAct)) != int(object.KindActivation) ||
				m.MapFlags(h.Field(o, object.FieldMap))&object.MapBlock == 0 {
				return fmt.Errorf("a malformed block")
			}
		case object.KindMirror:
			if n != 3 {
				return fmt.Errorf("a malformed mirror")
			}
		case object.KindWeakStore:
			t := h.Field(o, 2)
			if n != 3 || kindOf(t) != int(object.KindRaw) || h.Flags(t)&heap.FlagEphemeron == 0 ||
				h.NumPtrs(t) < 2 || h.NumPtrs(t)&(h.NumPtrs(t)-1) != 0 || h.NumBytes(t) < 8 {
				return fmt.Errorf("a malformed weakStore")
			}
		}
	case object.KindFloat:
		if n != 1 || h.NumBytes(o) != 8 || !isMap(h.Field(o, object.FieldMap)) {
			return fmt.Errorf("a malformed float")
		}
	case object.KindBigInt:
		b := h.Bytes(o)
		if n != 1 || len(b) < 2 || b[0] > 1 || !isMap(h.Field(o, object.FieldMap)) {
			return fmt.Errorf("a malformed big integer")
		}
	case object.KindMap:
		return vm.validateMap(o)
	case object.KindMethod:
		return vm.validateMethod(o)
	case object.KindActivation:
		if n < actVars || kindOf(h.Field(o, actMethod)) != int(object.KindMethod) ||
			kindOf(h.Field(o, actHome)) != int(object.KindActivation) {
			return fmt.Errorf("a malformed activation")
		}
		if lex := h.Field(o, actLex); lex != heap.Nil && kindOf(lex) != int(object.KindActivation) {
			return fmt.Errorf("an activation whose lexical parent is not an activation")
		}
		info := h.Field(h.Field(o, actMethod), methInfo).Int()
		if n != actVars+int(info&0xffff)+int(info>>16&0xffff) {
			return fmt.Errorf("an activation of the wrong size for its method")
		}
	case object.KindCode, object.KindRaw:
	default:
		return fmt.Errorf("an object of unknown kind %d", k)
	}
	return nil
}

func kindName(k object.Kind) string {
	return map[object.Kind]string{object.KindSlots: "slots", object.KindVector: "vector", object.KindString: "string",
		object.KindMutableString: "string", object.KindByteVector: "byteVector", object.KindBlock: "block",
		object.KindMirror: "mirror", object.KindWeakStore: "weakStore"}[k]
}

func (vm *VM) validateMap(mp heap.Oop) error {
	h, m := vm.h, vm.m
	n := h.NumPtrs(mp)
	if n < 3 || (n-3)%3 != 0 || !h.Field(mp, 1).IsInt() || h.Field(mp, 1).Int() < 0 {
		return fmt.Errorf("a malformed map")
	}
	if a := h.Field(mp, 2); a != heap.Nil && !m.IsString(a) {
		return fmt.Errorf("a map whose annotation is not a string")
	}
	nData := m.MapDataCount(mp)
	for i := 0; i < m.MapSlotCount(mp); i++ {
		b := 3 + 3*i
		name, desc := h.Field(mp, b), h.Field(mp, b+1)
		if !name.IsPtr() || h.Kind(name) != object.KindString || !desc.IsInt() {
			return fmt.Errorf("a map slot without a name or descriptor")
		}
		s := m.MapSlot(mp, i)
		switch s.Kind {
		case object.SlotConst:
		case object.SlotData, object.SlotAssign:
			if s.Index < 0 || s.Index >= nData {
				return fmt.Errorf("map slot %s has data index %d of %d", m.StringOf(name), s.Index, nData)
			}
		case object.SlotMethod:
			if !s.Value.IsPtr() || h.Kind(s.Value) != object.KindMethod {
				return fmt.Errorf("map slot %s holds no method", m.StringOf(name))
			}
		case object.SlotArg:
		default:
			return fmt.Errorf("map slot %s has unknown kind %d", m.StringOf(name), s.Kind)
		}
	}
	return nil
}

func (vm *VM) validateMethod(meth heap.Oop) error {
	h, m := vm.h, vm.m
	isKind := func(x heap.Oop, k object.Kind) bool { return x.IsPtr() && h.Kind(x) == k }
	if h.NumPtrs(meth) != methFields {
		return fmt.Errorf("a malformed method")
	}
	code, lits, names, inits := h.Field(meth, methCode), h.Field(meth, methLits), h.Field(meth, methNames), h.Field(meth, methInits)
	info := h.Field(meth, methInfo)
	if !isKind(code, object.KindCode) || !isKind(lits, object.KindRaw) || !isKind(names, object.KindRaw) ||
		!isKind(inits, object.KindRaw) || !info.IsInt() || info.Int() < 0 {
		return fmt.Errorf("a method with malformed parts")
	}
	nargs, nlocals := int(info.Int()&0xffff), int(info.Int()>>16&0xffff)
	if h.NumPtrs(names) != nargs+nlocals || h.NumPtrs(inits) != nlocals {
		return fmt.Errorf("a method whose variables do not match its counts")
	}
	if sel := h.Field(meth, methSelector); sel != heap.Nil && !m.IsString(sel) {
		return fmt.Errorf("a method whose selector is not a string")
	}
	if fp := h.Field(meth, methFastPrim); fp != heap.Nil && !m.IsString(fp) {
		return fmt.Errorf("a method whose fast primitive is not a string")
	}
	nl := h.NumPtrs(lits)
	b := h.Bytes(code)
	lit := func(pc int) (heap.Oop, error) {
		i := u16(b, pc)
		if i >= nl {
			return heap.Nil, fmt.Errorf("bytecode at %d names literal %d of %d", pc, i, nl)
		}
		return h.Field(lits, i), nil
	}
	depth := 0
	last := -1
	for pc := 0; pc < len(b); {
		op := b[pc]
		size := map[byte]int{opPushSelf: 1, opPushLit: 3, opPushLocal: 4, opStoreLocal: 4, opSend: 4, opResend: 6,
			opPrim: 5, opPushBlock: 3, opInner: 3, opPop: 1, opReturn: 1, opNonLocalReturn: 1, opRestart: 1}[op]
		if size == 0 || pc+size > len(b) {
			return fmt.Errorf("bad bytecode %d at %d", op, pc)
		}
		switch op {
		case opPushSelf, opPushLocal, opPushLit:
			if op == opPushLit {
				if _, err := lit(pc + 1); err != nil {
					return err
				}
			}
			depth++
		case opStoreLocal, opPop:
			depth--
		case opSend, opResend, opPrim:
			sel, err := lit(pc + 1)
			if err != nil {
				return err
			}
			if !m.IsString(sel) {
				return fmt.Errorf("a send at %d whose selector is not a string", pc)
			}
			if op == opResend && u16(b, pc+4) != undirected {
				if p, err := lit(pc + 4); err != nil || !m.IsString(p) {
					return fmt.Errorf("a resend at %d whose parent name is not a string", pc)
				}
			}
			depth -= int(b[pc+3])
			if depth < 1 {
				return fmt.Errorf("a send at %d without its receiver and arguments", pc)
			}
		case opPushBlock:
			l, err := lit(pc + 1)
			if err != nil {
				return err
			}
			if !isKind(l, object.KindMap) || m.MapFlags(l)&object.MapBlock == 0 {
				return fmt.Errorf("a block literal at %d that is not a block map", pc)
			}
			depth++
		case opInner:
			l, err := lit(pc + 1)
			if err != nil {
				return err
			}
			if !isKind(l, object.KindMethod) {
				return fmt.Errorf("an inner method at %d that is not a method", pc)
			}
			depth++
		case opReturn, opNonLocalReturn:
			if depth < 1 {
				return fmt.Errorf("a return at %d with nothing to return", pc)
			}
			depth--
		case opRestart:
			depth = 0
		}
		if depth < 0 {
			return fmt.Errorf("bytecode at %d pops an empty stack", pc)
		}
		last = int(op)
		pc += size
	}
	if last != opReturn && last != opNonLocalReturn {
		return fmt.Errorf("a method whose code does not end in a return")
	}
	return nil
}
