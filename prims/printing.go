package prims

import (
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// The printing primitives: what the core world's printString methods need
// to stay bounded (object.ListLimit, object.CutMark) and cycle-safe
// (Printing) without knowing the numbers and marks, which object owns.

// Printing is the objects whose collection printString is running,
// innermost last: a collection met again inside itself prints as
// object.CycleMark instead of recursing until the stack overflows. The VM
// owns it: it visits the oops in its root scanner (a scavenge moves them)
// and empties it before every evaluation and every printing, so that one
// an error abandoned leaves nothing behind.
type Printing struct{ objs []heap.Oop }

// Reset forgets every object.
func (p *Printing) Reset() { p.objs = p.objs[:0] }

// Scan visits every oop held, for a scavenge.
func (p *Printing) Scan(visit func(*heap.Oop)) {
	for i := range p.objs {
		visit(&p.objs[i])
	}
}

func (p *Printing) includes(o heap.Oop) bool {
	for _, x := range p.objs {
		if x == o {
			return true
		}
	}
	return false
}

// remove forgets the innermost entry for o.
func (p *Printing) remove(o heap.Oop) {
	for i := len(p.objs) - 1; i >= 0; i-- {
		if p.objs[i] == o {
			p.objs = append(p.objs[:i], p.objs[i+1:]...)
			return
		}
	}
}

func init() {
	register("_PrintingIncludes", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		return e.M.Bool(e.Printing.includes(rcv)), nil
	})
	register("_PrintingAdd", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		e.Printing.objs = append(e.Printing.objs, rcv)
		return rcv, nil
	})
	register("_PrintingRemove", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		e.Printing.remove(rcv)
		return rcv, nil
	})
	register("_PrintListLimit", func(e *Env, _ heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		return heap.FromInt(object.ListLimit), nil
	})
	register("_PrintCycleMark", func(e *Env, _ heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		return e.str(object.CycleMark), nil
	})
	// prefix _PrintList: pieces Count: n answers prefix(p1, p2, ...), with
	// "… (k more)" when pieces holds fewer than n strings.
	register("_PrintList:Count:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		prefix, ok := e.stringArg(rcv)
		if !ok || !e.isKind(args[0], object.KindVector) || !args[1].IsInt() {
			return 0, errBadType
		}
		pieces, total := args[0], int(args[1].Int())
		k := e.M.VectorSize(pieces)
		var b strings.Builder
		b.Write(prefix)
		b.WriteByte('(')
		for i := 0; i < k; i++ {
			s, ok := e.stringArg(e.M.VectorAt(pieces, i))
			if !ok {
				return 0, errBadType
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.Write(s)
		}
		if total > k {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString(object.CutMark(total - k))
		}
		b.WriteByte(')')
		if err := e.checkBytes(int64(b.Len())); err != nil {
			return 0, err
		}
		return e.str(b.String()), nil
	})
	register("_BytePrintString", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.isKind(rcv, object.KindByteVector) {
			return 0, errBadType
		}
		return e.str(e.M.BytesPrintForm(rcv)), nil
	})
}
