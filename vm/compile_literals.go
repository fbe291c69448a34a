package vm

import (
	"psyche/heap"
	"psyche/prims"
	"psyche/vm/object"
	"psyche/vm/syntax"
)

// Compiling literals: object literals (their slots' initial values are
// evaluated when the statement that holds them is compiled), methods and
// inner methods, blocks, and the wrapper methods whose only work is one
// primitive.

// object builds a data object literal now, evaluating its slots' initializers.
func (c *compiler) object(slots []*syntax.Slot, ann *syntax.Annotation) heap.Oop {
	m := c.vm.m
	var ms []object.Slot
	var data []heap.Oop
	seen := map[string]bool{}
	for _, s := range slots {
		name := string(s.Name)
		if seen[name] {
			c.errorf(s.NamePos, "slot %s is defined twice", name)
		}
		seen[name] = true
		switch s.Kind {
		case syntax.ArgSlot:
			c.errorf(s.NamePos, "argument slot :%s outside a method or block", name)
		case syntax.DataSlot:
			v := m.Nil
			if s.Value != nil {
				v = c.eval(s.Value)
			}
			idx := len(data)
			data = append(data, v)
			ms = append(ms, object.Slot{Name: m.Intern(name), Kind: object.SlotData, Parent: s.Parent, Index: idx},
				object.Slot{Name: m.Intern(name + ":"), Kind: object.SlotAssign, Index: idx})
		case syntax.ConstSlot:
			ms = append(ms, object.Slot{Name: m.Intern(name), Kind: object.SlotConst, Parent: s.Parent, Value: c.eval(s.Value)})
		case syntax.MethodSlot:
			meth, ok := s.Value.(*syntax.Method)
			if !ok {
				c.errorf(s.NamePos, "method slot %s has no method body", name)
			}
			ms = append(ms, object.Slot{Name: m.Intern(name), Kind: object.SlotMethod, Value: c.method(meth, name, nil, 0)})
		}
	}
	annOop := heap.Nil
	if ann != nil {
		annOop = m.Intern(ann.Text)
	}
	mp := m.NewMap(ms, len(data), 0, annOop)
	return m.NewSlotsObject(mp, data)
}

// method compiles a method body: its argument slots (named in the selector
// or written as :x) and its locals.
func (c *compiler) method(x *syntax.Method, selector string, lexical *scope, flags int) heap.Oop {
	return c.code(x.Slots, x.Body, selector, lexical, flags, x.Open, x.Close)
}

func (c *compiler) code(slots []*syntax.Slot, body *syntax.Code, selector string, lexical *scope, flags int, open, close syntax.Pos) heap.Oop {
	m := c.vm.m
	sc := &scope{parent: lexical, isBlock: flags&methBlock != 0}
	b := &methodBuilder{sc: sc}
	nargs := 0
	var locals []heap.Oop
	seen := make(map[string]bool, len(slots))
	for _, s := range slots {
		name := string(s.Name)
		if seen[name] {
			c.errorf(s.NamePos, "%s is defined twice", name)
		}
		seen[name] = true
		switch s.Kind {
		case syntax.ArgSlot:
			if len(locals) > 0 {
				c.errorf(s.NamePos, "argument :%s must come before the locals", name)
			}
			nargs++
			sc.names = append(sc.names, name)
			sc.readOnly = append(sc.readOnly, true)
		case syntax.DataSlot, syntax.ConstSlot:
			v := m.Nil
			if s.Value != nil {
				v = c.eval(s.Value)
			}
			locals = append(locals, v)
			sc.names = append(sc.names, name)
			sc.readOnly = append(sc.readOnly, s.Kind == syntax.ConstSlot)
		case syntax.MethodSlot:
			c.errorf(s.NamePos, "a method's slot list cannot hold the method %s", name)
		}
		if s.Parent {
			c.errorf(s.NamePos, "a method cannot have the parent slot %s", name)
		}
	}
	if len(sc.names) > maxVars {
		c.errorf(open, "too many arguments and locals in one method or block (limit %d)", maxVars)
	}
	if want := syntax.Selector(selector).Arity(); selector != "" && flags&methBlock == 0 && nargs != want {
		c.errorf(open, "method %s takes %d arguments but declares %d", selector, want, nargs)
	}
	c.body(b, body, flags&methBlock != 0)
	fast := heap.Nil
	if flags == 0 {
		fast = c.fastPrim(sc, nargs, body)
	}
	var src []byte
	if open.IsValid() && close.IsValid() && int(close.Off) < len(c.src) && open.Off <= close.Off {
		src = c.src[open.Off : close.Off+1]
	}
	selOop := heap.Nil
	if selector != "" {
		selOop = m.Intern(selector)
	}
	meth := c.finish(b, selOop, nargs, locals, flags, src)
	c.vm.h.SetField(meth, methFastPrim, fast)
	return meth
}

// fastPrim recognises a method whose whole body is a primitive sent to self
// with the method's own arguments, in order, and optionally an IfFail:
// block: `+ n = ( _IntAdd: n IfFail: [...] )`. A send to such a method first
// tries the primitive directly (no activation, no block); only if it fails
// does the method run as written. The answer is the same either way.
func (c *compiler) fastPrim(sc *scope, nargs int, body *syntax.Code) heap.Oop {
	if len(body.Stmts) != 1 || len(sc.names) != nargs {
		return heap.Nil
	}
	st := body.Stmts[0]
	if r, ok := st.(*syntax.Return); ok {
		st = r.X
	}
	s, ok := st.(*syntax.Send)
	if !ok || !s.Sel.IsPrimitive() || s.Resend != "" {
		return heap.Nil
	}
	if _, isSelf := s.Recv.(*syntax.Self); s.Recv != nil && !isSelf {
		return heap.Nil
	}
	name := prims.StripIfFail(string(s.Sel))
	p, _, ok := prims.Lookup(name)
	if !ok || p.Arity != nargs {
		return heap.Nil
	}
	for i := 0; i < nargs; i++ {
		a, ok := s.Args[i].(*syntax.Send)
		if !ok || !a.IsIdent() || string(a.Sel) != sc.names[i] {
			return heap.Nil
		}
	}
	if len(s.Args) == nargs+1 {
		if _, ok := s.Args[nargs].(*syntax.Block); !ok {
			return heap.Nil
		}
	} else if len(s.Args) != nargs {
		return heap.Nil
	}
	return c.vm.m.Intern(name)
}

// block compiles a block literal into its map: parent* = traits block and
// one method slot, value / value: / value:With: ..., holding the block's code.
func (c *compiler) block(x *syntax.Block, lexical *scope) heap.Oop {
	m := c.vm.m
	nargs := 0
	for _, s := range x.Slots {
		if s.Kind == syntax.ArgSlot {
			nargs++
		}
	}
	sel := "value"
	if nargs > 0 {
		sel = "value:"
		for i := 1; i < nargs; i++ {
			sel += "With:"
		}
	}
	meth := c.code(x.Slots, x.Body, sel, lexical, methBlock, x.Open, x.Close)
	return m.NewMap([]object.Slot{
		{Name: m.Intern("parent"), Kind: object.SlotConst, Parent: true, Value: m.Special(object.SpTraitsBlock)},
		{Name: m.Intern(sel), Kind: object.SlotMethod, Value: meth},
	}, 0, object.MapBlock, heap.Nil)
}
