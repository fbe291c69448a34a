// Package values is the codec of the values vats pass each other (issue 11,
// docs/vats.md): a Value tree, which the primitives build from heap objects
// and turn back into them, and its CBOR encoding (RFC 8949), which travels
// in messages and replies and waits in a world's outbox as a byteVector.
//
// Bytes from another vat are hostile until decoded: Decode refuses input
// that is not well-formed CBOR, nests deeper than MaxDepth, declares more
// than MaxElements elements in one array, uses a tag it does not know,
// holds a value of a shape no Value has, or has bytes after the value. The
// CBOR library checks every declared length against the bytes present
// before it allocates, so a huge declared size costs nothing.
package values

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/fxamacker/cbor/v2"
)

// Kind is what a Value is.
type Kind uint8

// The kinds of Value. Strings, mutable strings and byteVectors keep their
// bytes as they are (Self strings need not be UTF-8).
const (
	Nil Kind = iota
	True
	False
	Int           // Int: a small integer
	BigInt        // Big: an integer too large for a small one
	Float         // Float
	String        // Bytes: an immutable string
	MutableString // Bytes
	ByteVector    // Bytes
	Vector        // Elems
	List          // Elems
	Dictionary    // Elems: key, value, key, value, ...
	Ref           // Vat, Key: an object that stays in vat Vat, exported under Key
)

// Value is one value passed between vats.
type Value struct {
	Kind  Kind
	Int   int64
	Big   *big.Int
	Float float64
	Bytes []byte
	Elems []Value
	Vat   string
	Key   string
}

const (
	// MaxDepth is how deeply containers may nest in a value.
	MaxDepth = 64
	// MaxElements is the most elements one container may have (a
	// dictionary counts keys and values).
	MaxElements = 1 << 20
)

// The CBOR tags that mark the kinds plain CBOR does not tell apart. They
// lie in the range the IANA registry leaves to first come, first served
// use; each wraps a byte string or an array.
const (
	tagString        = 1347616768 + iota // 'PS\0\0': a byte string
	tagMutableString                     // a byte string
	tagList                              // an array
	tagDictionary                        // an array of keys and values, alternating
	tagRef                               // an array: vat, key (byte strings)
)

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	// An empty string, byteVector or container may hold a nil slice; it
	// must still travel as an empty one of its kind, never as CBOR null.
	encMode, err = cbor.EncOptions{BigIntConvert: cbor.BigIntConvertNone, NilContainers: cbor.NilContainerAsEmpty}.EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		MaxNestedLevels:  MaxDepth + 2, // a value's own depth and its tags' wrapping
		MaxArrayElements: MaxElements,
		MaxMapPairs:      16, // no value is a CBOR map: refuse big ones early
		IndefLength:      cbor.IndefLengthForbidden,
		IntDec:           cbor.IntDecConvertSignedOrBigInt,
		BigIntDec:        cbor.BigIntDecodePointer,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Encode answers the CBOR bytes of v.
func Encode(v Value) ([]byte, error) {
	x, err := toCBOR(v, 0)
	if err != nil {
		return nil, err
	}
	return encMode.Marshal(x)
}

func toCBOR(v Value, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("a value nested more than %d deep", MaxDepth)
	}
	switch v.Kind {
	case Nil:
		return nil, nil
	case True:
		return true, nil
	case False:
		return false, nil
	case Int:
		return v.Int, nil
	case BigInt:
		return v.Big, nil
	case Float:
		return v.Float, nil
	case String:
		return cbor.Tag{Number: tagString, Content: v.Bytes}, nil
	case MutableString:
		return cbor.Tag{Number: tagMutableString, Content: v.Bytes}, nil
	case ByteVector:
		return v.Bytes, nil
	case Ref:
		return cbor.Tag{Number: tagRef, Content: [][]byte{[]byte(v.Vat), []byte(v.Key)}}, nil
	}
	elems := make([]any, len(v.Elems))
	for i, e := range v.Elems {
		x, err := toCBOR(e, depth+1)
		if err != nil {
			return nil, err
		}
		elems[i] = x
	}
	switch v.Kind {
	case Vector:
		return elems, nil
	case List:
		return cbor.Tag{Number: tagList, Content: elems}, nil
	case Dictionary:
		return cbor.Tag{Number: tagDictionary, Content: elems}, nil
	}
	return nil, fmt.Errorf("no encoding for value kind %d", v.Kind)
}

// Decode answers the value data encodes, or why it is not one.
func Decode(data []byte) (Value, error) {
	var x any
	dec := decMode.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&x); err != nil {
		return Value{}, fmt.Errorf("bad value encoding: %w", err)
	}
	if dec.NumBytesRead() != len(data) {
		return Value{}, fmt.Errorf("bad value encoding: %d bytes after the value", len(data)-dec.NumBytesRead())
	}
	return fromCBOR(x)
}

var errShape = errors.New("bad value encoding: not a value")

func fromCBOR(x any) (Value, error) {
	switch x := x.(type) {
	case nil:
		return Value{Kind: Nil}, nil
	case bool:
		if x {
			return Value{Kind: True}, nil
		}
		return Value{Kind: False}, nil
	case int64:
		return Value{Kind: Int, Int: x}, nil
	case *big.Int:
		return Value{Kind: BigInt, Big: x}, nil
	case float64:
		return Value{Kind: Float, Float: x}, nil
	case []byte:
		return Value{Kind: ByteVector, Bytes: x}, nil
	case []any:
		return elemsOf(Vector, x)
	case cbor.Tag:
		return fromTag(x)
	}
	return Value{}, fmt.Errorf("bad value encoding: a %T is not a value", x)
}

func fromTag(t cbor.Tag) (Value, error) {
	switch t.Number {
	case tagString, tagMutableString:
		b, ok := t.Content.([]byte)
		if !ok {
			return Value{}, errShape
		}
		k := String
		if t.Number == tagMutableString {
			k = MutableString
		}
		return Value{Kind: k, Bytes: b}, nil
	case tagList, tagDictionary:
		elems, ok := t.Content.([]any)
		if !ok || t.Number == tagDictionary && len(elems)%2 != 0 {
			return Value{}, errShape
		}
		k := List
		if t.Number == tagDictionary {
			k = Dictionary
		}
		return elemsOf(k, elems)
	case tagRef:
		parts, ok := t.Content.([]any)
		if !ok || len(parts) != 2 {
			return Value{}, errShape
		}
		vat, ok1 := parts[0].([]byte)
		key, ok2 := parts[1].([]byte)
		if !ok1 || !ok2 {
			return Value{}, errShape
		}
		return Value{Kind: Ref, Vat: string(vat), Key: string(key)}, nil
	}
	return Value{}, fmt.Errorf("bad value encoding: unknown tag %d", t.Number)
}

func elemsOf(k Kind, xs []any) (Value, error) {
	v := Value{Kind: k, Elems: make([]Value, len(xs))}
	for i, x := range xs {
		e, err := fromCBOR(x)
		if err != nil {
			return Value{}, err
		}
		v.Elems[i] = e
	}
	return v, nil
}
