package vm

import (
	"fmt"

	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
	"psyche/vm/syntax"
)

// Validation of objects that come from outside (an image): every object
// must have the shape its kind promises, every map must describe slots the
// VM can follow, and every method's bytecode must decode, name only literals
// it has, and keep its stack balanced (and its position table name only
// instructions of its code), so that running it cannot index
// outside the interpreter's stack or its code.

// ValidateObject checks one object of a freshly imported graph. Like every
// reader of the heap it panics on damage it meets; the import that calls it
// runs inside heap.Catch.
func (vm *VM) ValidateObject(o heap.Oop) error {
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
			if n != object.MirrorFields {
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

// opSize is each instruction's length in bytes, operands included; 0 marks
// an unknown opcode.
var opSize = [...]int{opPushSelf: 1, opPushLit: 3, opPushLocal: 4, opStoreLocal: 4, opSend: 4, opResend: 6,
	opPrim: 5, opPushBlock: 3, opInner: 3, opPop: 1, opReturn: 1, opNonLocalReturn: 1, opRestart: 1,
	opJump: 5, opIf: 11, opGuard: 6, opForInit: 17, opForNext: 11, opArith: 5, opIndex: 5, opConcat: 7,
	opForStepInit: 16, opForStepNext: 11, opPushInt: 5}

func instrSize(op byte) int {
	if int(op) < len(opSize) {
		return opSize[op]
	}
	return 0
}

// methodVars answers how many arguments and locals an activation of meth holds.
func (vm *VM) methodVars(meth heap.Oop) int {
	info := vm.h.Field(meth, methInfo).Int()
	return int(info&0xffff) + int(info>>16&0xffff)
}

func methodFlags(info int64) int64 { return info >> 32 }

// validateMethod checks a method on its own: its parts, and that its code
// runs as the interpreter assumes. Straight-line code with one backward
// jump (opRestart, to the start with an empty stack) has no other paths,
// so following it once, with the stack depth it would have, covers every
// path: each instruction finds the operands it pops, every literal and
// variable it names exists, and the code ends in a return. Variables of
// enclosing scopes are checked with the whole graph (validateScopes).
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
	if f := methodFlags(info.Int()); f != 0 && f != methBlock && f != methInner {
		return fmt.Errorf("a method with unknown flags %#x", f)
	}
	nargs, nlocals := int(info.Int()&0xffff), int(info.Int()>>16&0xffff)
	if h.NumPtrs(names) != nargs+nlocals || h.NumPtrs(inits) != nlocals {
		return fmt.Errorf("a method whose variables do not match its counts")
	}
	if sel := h.Field(meth, methSelector); sel != heap.Nil && !m.IsString(sel) {
		return fmt.Errorf("a method whose selector is not a string")
	}
	if src := h.Field(meth, methSource); src != heap.Nil && !m.IsString(src) {
		return fmt.Errorf("a method whose source is not a string")
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
	selector := func(pc int) (string, error) {
		sel, err := lit(pc + 1)
		if err != nil {
			return "", err
		}
		if !m.IsString(sel) {
			return "", fmt.Errorf("a send at %d whose selector is not a string", pc)
		}
		name := m.StringOf(sel)
		if argc := int(b[pc+3]); syntax.Selector(name).Arity() != argc {
			return "", fmt.Errorf("a send of %s at %d with %d arguments", name, pc, argc)
		}
		return name, nil
	}
	starts := make([]bool, len(b)) // which pcs start an instruction
	for pc := 0; pc < len(b); {
		size := instrSize(b[pc])
		if size == 0 || pc+size > len(b) {
			return fmt.Errorf("bad bytecode %d at %d", b[pc], pc)
		}
		starts[pc] = true
		pc += size
	}
	// Follow every path from the start with the stack depth it has: each
	// instruction must find the operands it pops, and every path to an
	// instruction must come with the same depth.
	depthAt := make([]int, len(b))
	for i := range depthAt {
		depthAt[i] = -1
	}
	var work []int
	reach := func(from, pc, depth int) error {
		switch {
		case pc == len(b):
			return fmt.Errorf("a method whose code does not end in a return")
		case pc < 0 || pc > len(b) || !starts[pc]:
			return fmt.Errorf("a jump at %d to %d, which starts no instruction", from, pc)
		case depth < 0:
			return fmt.Errorf("bytecode at %d pops an empty stack", from)
		case depthAt[pc] == -1:
			depthAt[pc] = depth
			work = append(work, pc)
		case depthAt[pc] != depth:
			return fmt.Errorf("paths reach %d with different stack depths (%d and %d)", pc, depthAt[pc], depth)
		}
		return nil
	}
	localIndex := func(pc int) error {
		if i := u16(b, pc); i >= nargs+nlocals {
			return fmt.Errorf("bytecode at %d names variable %d of %d", pc, i, nargs+nlocals)
		}
		return nil
	}
	if len(b) == 0 {
		return fmt.Errorf("a method whose code does not end in a return")
	}
	depthAt[0] = 0
	work = append(work, 0)
	for len(work) > 0 {
		pc := work[len(work)-1]
		work = work[:len(work)-1]
		depth := depthAt[pc]
		op := b[pc]
		next := pc + instrSize(op)
		var jumps []int // other successors, with the depth after the instruction
		switch op {
		case opPushSelf, opPushInt:
			depth++
		case opPushLit:
			if _, err := lit(pc + 1); err != nil {
				return err
			}
			depth++
		case opPushLocal, opStoreLocal:
			if d := b[pc+1]; d == 0 {
				if err := localIndex(pc + 2); err != nil {
					return err
				}
			} else if methodFlags(info.Int()) == 0 {
				return fmt.Errorf("bytecode at %d names a variable %d scopes out of a method that has no enclosing scope", pc, d)
			}
			if op == opPushLocal {
				depth++
			} else {
				depth--
			}
		case opPop:
			depth--
		case opSend, opResend, opArith, opIndex:
			if _, err := selector(pc); err != nil {
				return err
			}
			if op == opResend && u16(b, pc+4) != undirected {
				if p, err := lit(pc + 4); err != nil || !m.IsString(p) {
					return fmt.Errorf("a resend at %d whose parent name is not a string", pc)
				}
			}
			if op == opArith {
				if o := arithOp(b[pc+4]); o >= numArith || b[pc+3] != 1 {
					return fmt.Errorf("an arithmetic send at %d with a bad operator", pc)
				} else if name, _ := selector(pc); name != arithTable[o].sel {
					return fmt.Errorf("an arithmetic send of %s at %d with the operator of %s", name, pc, arithTable[o].sel)
				}
			}
			if op == opIndex {
				if o := indexOp(b[pc+4]); o >= numIndex || int(b[pc+3]) != indexTable[o].argc {
					return fmt.Errorf("an indexing send at %d with a bad operation", pc)
				} else if name, _ := selector(pc); name != indexTable[o].sel {
					return fmt.Errorf("an indexing send of %s at %d with the operation of %s", name, pc, indexTable[o].sel)
				}
			}
		case opPrim:
			name, err := selector(pc)
			if err != nil {
				return err
			}
			argc, ifFail := int(b[pc+3]), b[pc+4]
			if ifFail > 1 || (ifFail == 1) != primHasIfFail(name) {
				return fmt.Errorf("a primitive send of %s at %d with a wrong IfFail: flag", name, pc)
			}
			if p, _, ok := prims.Lookup(name); ok && p.Arity != argc-int(ifFail) {
				return fmt.Errorf("a primitive send of %s at %d with %d arguments; it takes %d", name, pc, argc-int(ifFail), p.Arity)
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
			if !isKind(l, object.KindMethod) || !h.Field(l, methInfo).IsInt() || methodFlags(h.Field(l, methInfo).Int()) != methInner {
				return fmt.Errorf("an inner method at %d that is not an inner method", pc)
			}
			depth++
		case opReturn, opNonLocalReturn:
			if depth < 1 {
				return fmt.Errorf("a return at %d with nothing to return", pc)
			}
			continue
		case opRestart:
			depth = 0
		case opJump:
			if err := reach(pc, u32(b, pc+1), depth); err != nil {
				return err
			}
			continue
		case opIf, opGuard:
			if b[pc+1] >= byte(numGuards) || op == opIf && b[pc+2] > 1 {
				return fmt.Errorf("an inlined test at %d with a bad guard", pc)
			}
			if op == opIf {
				if depth < 1 {
					return fmt.Errorf("bytecode at %d pops an empty stack", pc)
				}
				jumps = []int{u32(b, pc+3)}
				if err := reach(pc, u32(b, pc+7), depth); err != nil {
					return err
				}
				depth--
			} else {
				jumps = []int{u32(b, pc+2)}
			}
		case opConcat:
			if l, err := lit(pc + 1); err != nil {
				return err
			} else if !m.IsString(l) {
				return fmt.Errorf("a concatenation at %d whose literal is not a string", pc)
			}
			if depth < 2 {
				return fmt.Errorf("bytecode at %d pops an empty stack", pc)
			}
			if err := reach(pc, u32(b, pc+3), depth-1); err != nil {
				return err
			}
		case opForInit, opForNext:
			operands := pc + 1
			if op == opForInit {
				if b[pc+1] >= byte(numGuards) || b[pc+2] > forRepeat {
					return fmt.Errorf("an inlined loop at %d with a bad guard or form", pc)
				}
				operands = pc + 3
			}
			for _, at := range []int{operands, operands + 2} {
				if err := localIndex(at); err != nil {
					return err
				}
			}
			if st, err := lit(operands + 4); err != nil {
				return err
			} else if !st.IsInt() || st.Int() == 0 || st.Int() > maxInlineStep || st.Int() < -maxInlineStep {
				return fmt.Errorf("an inlined loop at %d whose step is not a small non-zero integer", pc)
			}
			if op == opForNext {
				jumps = []int{u32(b, pc+7)}
				break
			}
			if b[pc+2] == forTo {
				if depth < 2 {
					return fmt.Errorf("bytecode at %d pops an empty stack", pc)
				}
				if err := reach(pc, u32(b, pc+13), depth); err != nil {
					return err
				}
				depth--
			} else if err := reach(pc, u32(b, pc+13), depth); err != nil {
				return err
			}
			jumps = []int{u32(b, pc+9)}
		case opForStepInit, opForStepNext:
			operands := pc + 1
			if op == opForStepInit {
				if b[pc+1] >= byte(numGuards) {
					return fmt.Errorf("an inlined loop at %d with a bad guard", pc)
				}
				operands = pc + 2
			}
			for _, at := range []int{operands, operands + 2, operands + 4} {
				if err := localIndex(at); err != nil {
					return err
				}
			}
			if op == opForStepNext {
				jumps = []int{u32(b, pc+7)}
				break
			}
			if depth < 3 {
				return fmt.Errorf("bytecode at %d pops an empty stack", pc)
			}
			if err := reach(pc, u32(b, pc+12), depth); err != nil {
				return err
			}
			depth -= 2
			jumps = []int{u32(b, pc+8)}
		}
		if op == opSend || op == opResend || op == opPrim || op == opArith || op == opIndex {
			depth -= int(b[pc+3])
			if depth < 1 {
				return fmt.Errorf("a send at %d without its receiver and arguments", pc)
			}
		}
		if depth < 0 {
			return fmt.Errorf("bytecode at %d pops an empty stack", pc)
		}
		for _, j := range jumps {
			if err := reach(pc, j, depth); err != nil {
				return err
			}
		}
		if err := reach(pc, next, depth); err != nil {
			return err
		}
	}
	_, _, err := decodePositions(h.Bytes(meth), func(pc int) bool { return pc < len(starts) && starts[pc] })
	return err
}

// forEachInstr calls f with each instruction of meth's code, which
// validateMethod has accepted, and its offset.
func (vm *VM) forEachInstr(meth heap.Oop, f func(pc int, code []byte)) {
	b := vm.h.Bytes(vm.h.Field(meth, methCode))
	for pc := 0; pc < len(b); pc += instrSize(b[pc]) {
		f(pc, b)
	}
}

// ValidateScopes checks, for a freshly imported graph whose objects each
// passed ValidateObject, what no object shows alone: that every variable a
// block or inner method names in an enclosing scope exists there. The
// compiler makes each block and inner method inside exactly one method, its
// lexical parent, and runs it only over an activation of that parent; so a
// method's parent must be unique, every variable d scopes out must exist in
// the parent d levels up, every block's activation must be one of its
// method's parent, and every activation's lexical link must be one of its
// method's parent (or Nil for a method that has none).
func (vm *VM) ValidateScopes(objs []heap.Oop) (err error) {
	h, m := vm.h, vm.m
	parent := map[heap.Oop]heap.Oop{}
	setParent := func(child, p heap.Oop) error {
		if q, ok := parent[child]; ok && q != p {
			return fmt.Errorf("a block or inner method that belongs to two methods")
		}
		parent[child] = p
		return nil
	}
	for mi, meth := range objs {
		if h.Kind(meth) != object.KindMethod {
			continue
		}
		lits := h.Field(meth, methLits)
		vm.forEachInstr(meth, func(pc int, b []byte) {
			switch b[pc] {
			case opInner:
				if e := setParent(h.Field(lits, u16(b, pc+1)), meth); e != nil && err == nil {
					err = e
				}
			case opPushBlock:
				mp := h.Field(lits, u16(b, pc+1))
				for i := 0; i < m.MapSlotCount(mp); i++ {
					if s := m.MapSlot(mp, i); s.Kind == object.SlotMethod {
						if e := setParent(s.Value, meth); e != nil && err == nil {
							err = e
						}
					}
				}
			}
		})
		if err != nil {
			return &ObjectError{Index: mi, Err: err}
		}
	}
	// scope answers the method whose activation is d scopes out of meth's.
	scope := func(meth heap.Oop, d int) (heap.Oop, bool) {
		for ; d > 0; d-- {
			p, ok := parent[meth]
			if !ok {
				return heap.Nil, false
			}
			meth = p
		}
		return meth, true
	}
	for idx, o := range objs {
		switch h.Kind(o) {
		case object.KindMethod:
			vm.forEachInstr(o, func(pc int, b []byte) {
				if (b[pc] != opPushLocal && b[pc] != opStoreLocal) || b[pc+1] == 0 || err != nil {
					return
				}
				d, i := int(b[pc+1]), u16(b, pc+2)
				if s, ok := scope(o, d); !ok {
					err = fmt.Errorf("bytecode at %d names a variable %d scopes out, beyond the outermost", pc, d)
				} else if n := vm.methodVars(s); i >= n {
					err = fmt.Errorf("bytecode at %d names variable %d of %d, %d scopes out", pc, i, n, d)
				}
			})
		case object.KindBlock:
			act := h.Field(o, blockAct)
			mp := h.Field(o, object.FieldMap)
			for i := 0; i < m.MapSlotCount(mp) && err == nil; i++ {
				s := m.MapSlot(mp, i)
				if s.Kind == object.SlotMethod && methodFlags(h.Field(s.Value, methInfo).Int()) == methBlock {
					if p, ok := parent[s.Value]; !ok || p != h.Field(act, actMethod) {
						err = fmt.Errorf("a block whose activation is not of the method that made it")
					}
				}
			}
		case object.KindActivation:
			meth, lex := h.Field(o, actMethod), h.Field(o, actLex)
			p, ok := parent[meth]
			switch {
			case methodFlags(h.Field(meth, methInfo).Int()) == 0 && lex != heap.Nil:
				err = fmt.Errorf("a method's activation with a lexical parent")
			case methodFlags(h.Field(meth, methInfo).Int()) != 0 && (!ok || lex == heap.Nil || h.Field(lex, actMethod) != p):
				err = fmt.Errorf("an activation whose lexical parent is not of its method's parent")
			}
		}
		if err != nil {
			return &ObjectError{Index: idx, Err: err}
		}
	}
	return nil
}

// ObjectError is what ValidateScopes found wrong, and the index in its
// list of the object that shows it (psyche recover leaves that object out
// and tries again).
type ObjectError struct {
	Index int
	Err   error
}

func (e *ObjectError) Error() string { return fmt.Sprintf("object %d: %v", e.Index, e.Err) }
func (e *ObjectError) Unwrap() error { return e.Err }
