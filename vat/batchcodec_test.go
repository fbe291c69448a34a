package vat

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func TestBatchRoundTrip(t *testing.T) {
	b := Batch{From: "a1b2", Ack: 41, Messages: []Message{
		{Seq: 42, Target: "gateway", Selector: "deposit:To:", Args: []byte{1, 2, 3}},
		{Seq: 43, Target: "0123456789abcdef0123456789abcdef", Selector: "balance", Args: nil},
	}}
	data, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("decoded %+v, want %+v", got, b)
	}
}

func TestRepliesRoundTrip(t *testing.T) {
	rs := []Reply{{Seq: 1, OK: true, Value: []byte("v")}, {Seq: 2, Error: "no object exported under that key"}}
	data, err := EncodeReplies(rs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeReplies(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rs) {
		t.Fatalf("decoded %+v, want %+v", got, rs)
	}
}

// rawCBOR encodes v with no limits, as a hostile peer might.
func rawCBOR(t *testing.T, v any) []byte {
	t.Helper()
	data, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeBatchRefusesHostileInput(t *testing.T) {
	ok := rawCBOR(t, Batch{From: "a", Messages: []Message{{Seq: 1, Target: "gateway", Selector: "x"}}})
	many := make([]Message, MaxBatchMessages+1)
	for i := range many {
		many[i] = Message{Seq: uint64(i + 1), Target: "gateway", Selector: "x"}
	}
	deep := any("x")
	for range 10 {
		deep = []any{deep}
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte("GET / HTTP/1.1\r\n"), "not a valid vat batch"},
		{"empty", nil, "not a valid vat batch"},
		{"trailing bytes", append(bytes.Clone(ok), 0x00), "not a valid vat batch"},
		{"truncated", ok[:len(ok)-2], "not a valid vat batch"},
		{"too many messages", rawCBOR(t, Batch{From: "a", Messages: many}), "exceeded max number of elements"},
		{"nested too deep", rawCBOR(t, map[string]any{"From": "a", "Messages": deep}), "exceeded max nested level"},
		{"unknown field", rawCBOR(t, map[string]any{"From": "a", "Evil": 1}), "unknown field"},
		{"indefinite length", []byte{0xbf, 0x64, 'F', 'r', 'o', 'm', 0x61, 'a', 0xff}, "indefinite-length"},
		{"tagged", append([]byte{0xc0}, ok...), "tag"},
		{"too big", make([]byte, MaxBodyBytes+1), "more than the"},
		{"no sender", rawCBOR(t, Batch{Messages: []Message{{Seq: 1, Target: "gateway", Selector: "x"}}}), "names no sender"},
		{"no target", rawCBOR(t, Batch{From: "a", Messages: []Message{{Seq: 1, Selector: "x"}}}), "names no target"},
		{"no selector", rawCBOR(t, Batch{From: "a", Messages: []Message{{Seq: 1, Target: "gateway"}}}), "names no selector"},
		{"sequence zero", rawCBOR(t, Batch{From: "a", Messages: []Message{{Seq: 0, Target: "gateway", Selector: "x"}}}), "sequence number 0"},
		{"sequence backwards", rawCBOR(t, Batch{From: "a", Messages: []Message{
			{Seq: 2, Target: "gateway", Selector: "x"}, {Seq: 2, Target: "gateway", Selector: "y"}}}), "not above the 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeBatch(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DecodeBatch: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestEncodeBatchRefusesTooManyMessages(t *testing.T) {
	_, err := EncodeBatch(Batch{From: "a", Messages: make([]Message, MaxBatchMessages+1)})
	if err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("EncodeBatch: %v, want a refusal", err)
	}
}

func TestDecodeRepliesRefusesGarbage(t *testing.T) {
	if _, err := DecodeReplies([]byte("<html>")); err == nil || !strings.Contains(err.Error(), "not a valid vat replies") {
		t.Fatalf("DecodeReplies: %v, want a refusal", err)
	}
}
