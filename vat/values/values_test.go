package values

import (
	"math/big"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	big1, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	v := Value{Kind: Vector, Elems: []Value{
		{Kind: Nil}, {Kind: True}, {Kind: False},
		{Kind: Int, Int: -7}, {Kind: BigInt, Big: big1}, {Kind: Float, Float: 2.5},
		{Kind: String, Bytes: []byte("h\xffi")}, {Kind: MutableString, Bytes: []byte("m")},
		{Kind: ByteVector, Bytes: []byte{0, 1, 2}},
		{Kind: List, Elems: []Value{{Kind: Int, Int: 1}}},
		{Kind: Dictionary, Elems: []Value{{Kind: String, Bytes: []byte("k")}, {Kind: Vector, Elems: []Value{}}}},
		{Kind: Ref, Vat: "/w/a", Key: "0123"},
	}}
	b, err := Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("got %+v\nwant %+v", got, v)
	}
}

// An empty value whose contents are a nil slice (as the heap gives for an
// empty string or byteVector) keeps its kind and stays empty.
func TestRoundTripEmpty(t *testing.T) {
	for _, k := range []Kind{String, MutableString, ByteVector, Vector, List, Dictionary} {
		b, err := Encode(Value{Kind: k})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("kind %d: %v", k, err)
		}
		if got.Kind != k || len(got.Bytes) != 0 || len(got.Elems) != 0 {
			t.Errorf("an empty value of kind %d came back as %+v", k, got)
		}
	}
}

func TestDecodeRefusesHostileInput(t *testing.T) {
	deep := strings.Repeat("\x81", 200) + "\x00"
	cases := map[string]string{
		"garbage":             "\xff\xfe\xfd",
		"empty":               "",
		"huge declared array": "\x9b\xff\xff\xff\xff\xff\xff\xff\xff",
		"huge byte string":    "\x5b\x00\x00\x00\xff\xff\xff\xff\xff",
		"too deep":            deep,
		"trailing bytes":      "\x00\x00",
		"unknown tag":         "\xd9\x01\x00\x00",
		"a map":               "\xa1\x00\x00",
		"odd dictionary":      "\xda\x50\x53\x00\x03\x81\x00",
		"text string":         "\x61a",
	}
	for name, in := range cases {
		if _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), "bad value encoding") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
