package prims

import (
	"bytes"
	"math/big"
	"slices"
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// String and byteVector primitives. Strings hold bytes; indexing is 0-based.
// A literal (KindString) is immutable; copyMutable gives a KindMutableString.

func (e *Env) bytesOf(o heap.Oop) ([]byte, bool) {
	if !o.IsPtr() || !object.IsBytes(e.M.H.Kind(o)) {
		return nil, false
	}
	return e.M.H.Bytes(o), true
}

// byteSize answers the size of byte object o's byte part, reading only its
// header: a large byteVector's bytes are not read to learn its size.
func (e *Env) byteSize(o heap.Oop) (int, bool) {
	if !o.IsPtr() || !object.IsBytes(e.M.H.Kind(o)) {
		return 0, false
	}
	return e.M.H.NumBytes(o), true
}

func (e *Env) stringArg(o heap.Oop) ([]byte, bool) {
	if !e.M.IsString(o) {
		return nil, false
	}
	return e.M.H.Bytes(o), true
}

// sameKindString answers a new string with the mutability of like.
func (e *Env) sameKindString(like heap.Oop, b []byte) heap.Oop {
	if e.M.H.Kind(like) == object.KindMutableString {
		return e.M.NewMutableString(b)
	}
	return e.M.NewString(b)
}

// writableIndex checks that rcv is a byte object that may be changed (a
// mutable string, if onlyStrings; a literal string never) and that idx
// indexes it.
func (e *Env) writableIndex(rcv, idx heap.Oop, onlyStrings bool) (int, error) {
	n, ok := e.byteSize(rcv)
	if !ok || (onlyStrings && !e.M.IsString(rcv)) {
		return 0, errBadType
	}
	if e.M.H.Kind(rcv) == object.KindString {
		return 0, errImmutable
	}
	return index(idx, n)
}

// asciiMap answers a new string like s (its mutability) holding s's bytes
// with f applied to each.
func (e *Env) asciiMap(s heap.Oop, f func(byte) byte) (heap.Oop, error) {
	return e.rewritten(s, func(part []byte, from int) int {
		for i, c := range part {
			part[i] = f(c)
		}
		return from
	})
}

// rewritten answers a new string like s (its mutability and size) made a
// piece at a time, so that memory holds one piece whatever its size: each
// piece of s's bytes, read from offset from, is changed in place by
// rewrite, which answers where in the result it goes.
func (e *Env) rewritten(s heap.Oop, rewrite func(part []byte, from int) (at int)) (heap.Oop, error) {
	h := e.M.H
	n := h.NumBytes(s)
	if err := e.checkBytes(int64(n)); err != nil {
		return 0, err
	}
	kind, mp := object.KindString, e.M.Special(object.SpStringMap)
	if h.Kind(s) == uint8(object.KindMutableString) {
		kind, mp = object.KindMutableString, e.M.Special(object.SpMutableStringMap)
	}
	o := h.Alloc(object.ByteObjectFields, n, kind, heap.Nil)
	h.SetField(o, object.FieldMap, mp)
	part := make([]byte, min(n, interruptStride))
	for from := 0; from < n; from += len(part) {
		if err := e.checkInterrupt(); err != nil {
			return 0, err
		}
		part = part[:min(len(part), n-from)]
		h.ReadBytes(s, from, part)
		h.SetBytes(o, rewrite(part, from), part)
	}
	return o, nil
}

// stringHash answers object.StringHash(b), looking for an interrupt
// between pieces of a long string.
func (e *Env) stringHash(b []byte) (uint32, error) {
	h := object.NewStringHash()
	for len(b) > 0 {
		if err := e.checkInterrupt(); err != nil {
			return 0, err
		}
		n := min(len(b), interruptStride)
		h.Write(b[:n])
		b = b[n:]
	}
	return h.Sum32(), nil
}

// maxIntegerDigits is the most significant decimal digits an integer of
// object.MaxIntegerBits bits has (each digit carries log2(10) > 3.3 bits).
const maxIntegerDigits = object.MaxIntegerBits*10/33 + 1

// parseInteger reads a decimal integer, refusing one with more digits than
// an integer may have before converting it: the conversion takes time
// quadratic in the digits and cannot be interrupted.
func parseInteger(s string) (*big.Int, error) {
	digits := strings.TrimLeft(strings.TrimLeft(s, "+-"), "0")
	if len(digits) > maxIntegerDigits {
		return nil, errIntegerTooLarge
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, errBadType
	}
	return v, nil
}

func init() {
	register("_ByteSize", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if n, ok := e.byteSize(rcv); ok {
			return heap.FromInt(int64(n)), nil
		}
		return 0, errBadType
	})
	register("_ByteAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		n, ok := e.byteSize(rcv)
		if !ok {
			return 0, errBadType
		}
		i, err := index(args[0], n)
		if err != nil {
			return 0, err
		}
		return heap.FromInt(int64(e.M.H.ByteAt(rcv, i))), nil
	})
	register("_ByteAt:Put:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		i, err := e.writableIndex(rcv, args[0], false)
		if err != nil {
			return 0, err
		}
		v := args[1]
		if !v.IsInt() || v.Int() < 0 || v.Int() > 255 {
			return 0, errBadType
		}
		e.M.H.SetByteAt(rcv, i, byte(v.Int()))
		return rcv, nil
	})
	register("_StringAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !e.M.IsString(rcv) {
			return 0, errBadType
		}
		i, err := index(args[0], e.M.H.NumBytes(rcv))
		if err != nil {
			return 0, err
		}
		return e.M.InternBytes([]byte{e.M.H.ByteAt(rcv, i)}), nil
	})
	register("_StringAt:Put:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		i, err := e.writableIndex(rcv, args[0], true)
		if err != nil {
			return 0, err
		}
		c, ok := e.stringArg(args[1])
		if !ok || len(c) != 1 {
			return 0, errBadType
		}
		e.M.H.SetByteAt(rcv, i, c[0])
		return rcv, nil
	})
	register("_StringConcat:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		a, ok1 := e.stringArg(rcv)
		b, ok2 := e.stringArg(args[0])
		if !ok1 || !ok2 {
			return 0, errBadType
		}
		if err := e.checkBytes(int64(len(a)) + int64(len(b))); err != nil {
			return 0, err
		}
		return e.M.NewStringJoined(a, b), nil
	})
	register("_StringEQ:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok {
			return 0, errBadType
		}
		b, ok := e.stringArg(args[0])
		return e.M.Bool(ok && bytes.Equal(a, b)), nil
	})
	register("_StringLT:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		a, ok1 := e.stringArg(rcv)
		b, ok2 := e.stringArg(args[0])
		if !ok1 || !ok2 {
			return 0, errBadType
		}
		return e.M.Bool(bytes.Compare(a, b) < 0), nil
	})
	register("_StringHash", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok {
			return 0, errBadType
		}
		h, err := e.stringHash(a)
		if err != nil {
			return 0, err
		}
		return heap.FromInt(int64(h)), nil
	})
	register("_StringCopyMutable", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok {
			return 0, errBadType
		}
		return e.M.NewMutableString(a), nil
	})
	register("_StringCanonical", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok {
			return 0, errBadType
		}
		return e.M.InternBytes(append([]byte(nil), a...)), nil
	})
	register("_StringAsUppercase", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.M.IsString(rcv) {
			return 0, errBadType
		}
		return e.asciiMap(rcv, func(c byte) byte {
			if c >= 'a' && c <= 'z' {
				return c - 32
			}
			return c
		})
	})
	register("_StringAsLowercase", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.M.IsString(rcv) {
			return 0, errBadType
		}
		return e.asciiMap(rcv, func(c byte) byte {
			if c >= 'A' && c <= 'Z' {
				return c + 32
			}
			return c
		})
	})
	register("_StringCopyFrom:UpTo:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok || !args[0].IsInt() || !args[1].IsInt() {
			return 0, errBadType
		}
		i, j := args[0].Int(), args[1].Int()
		if i < 0 || j < i || j > int64(len(a)) {
			return 0, errBadIndex
		}
		return e.sameKindString(rcv, a[i:j]), nil // copied once, from the heap
	})
	register("_StringIncludesSubstring:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		a, ok1 := e.stringArg(rcv)
		b, ok2 := e.stringArg(args[0])
		if !ok1 || !ok2 {
			return 0, errBadType
		}
		return e.M.Bool(bytes.Contains(a, b)), nil
	})
	register("_StringFindSubstring:StartingAt:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		a, ok1 := e.stringArg(rcv)
		b, ok2 := e.stringArg(args[0])
		if !ok1 || !ok2 || !args[1].IsInt() {
			return 0, errBadType
		}
		start := args[1].Int()
		if start < 0 || start > int64(len(a)) {
			return 0, errBadIndex
		}
		i := bytes.Index(a[start:], b)
		if i < 0 {
			return 0, errNotFound
		}
		return heap.FromInt(start + int64(i)), nil
	})
	register("_StringReversed", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.M.IsString(rcv) {
			return 0, errBadType
		}
		n := e.M.H.NumBytes(rcv)
		return e.rewritten(rcv, func(part []byte, from int) int {
			slices.Reverse(part)
			return n - from - len(part)
		})
	})
	register("_StringAsInteger", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok {
			return 0, errBadType
		}
		v, err := parseInteger(strings.TrimSpace(string(a)))
		if err != nil {
			return 0, err
		}
		return e.bigResult(v)
	})
	register("_StringPrintString", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok {
			return 0, errBadType
		}
		n := object.QuotedLen(a)
		if err := e.checkBytes(int64(n)); err != nil {
			return 0, err
		}
		return e.quoted(rcv, n)
	})
	register("_StringAsByteVector", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		a, ok := e.stringArg(rcv)
		if !ok {
			return 0, errBadType
		}
		return e.M.NewByteVector(a), nil
	})
	register("_ByteVectorAsString", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		if !e.isKind(rcv, object.KindByteVector) {
			return 0, errBadType
		}
		return e.M.NewString(e.M.H.Bytes(rcv)), nil // copied once, from the heap
	})
	register("_ByteVectorCopySize:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !e.isKind(rcv, object.KindByteVector) {
			return 0, errBadType
		}
		if !args[0].IsInt() {
			return 0, errBadType
		}
		n := args[0].Int()
		if n < 0 {
			return 0, errBadSize
		}
		if err := e.checkBytes(n); err != nil {
			return 0, err
		}
		o := e.M.H.Alloc(object.ByteObjectFields, int(n), object.KindByteVector, heap.Nil)
		e.M.H.SetField(o, object.FieldMap, e.M.H.Field(rcv, object.FieldMap))
		return o, nil
	})
	register("_Print", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		b, ok := e.bytesOf(rcv)
		if !ok {
			return 0, errBadType
		}
		if _, err := e.Out.Write(b); err != nil {
			return 0, &Failure{Name: "ioError"}
		}
		return rcv, nil
	})
}

// quoted answers string s quoted as printString shows it, n bytes, written
// a piece at a time: a large one goes to the heap file, and memory holds
// one piece whatever its size.
func (e *Env) quoted(s heap.Oop, n int) (heap.Oop, error) {
	h := e.M.H
	o := h.Alloc(object.ByteObjectFields, n, object.KindString, heap.Nil)
	h.SetField(o, object.FieldMap, e.M.Special(object.SpStringMap))
	size := h.NumBytes(s)
	part := make([]byte, min(size, interruptStride))
	piece := []byte{'\''}
	at := 0
	for from := 0; from < size; from += len(part) {
		if err := e.checkInterrupt(); err != nil {
			return 0, err
		}
		part = part[:min(len(part), size-from)]
		h.ReadBytes(s, from, part)
		piece = object.AppendEscaped(piece, part)
		h.SetBytes(o, at, piece)
		at += len(piece)
		piece = piece[:0]
	}
	h.SetBytes(o, at, append(piece, '\''))
	return o, nil
}
