package vat

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// The CBOR encoding of batches and replies. A peer is not trusted: decoding
// refuses indefinite lengths, tags, duplicate or unknown map keys, deep
// nesting and long arrays, and the transport never reads more than
// MaxBodyBytes of a request or a response.

const (
	// MaxBodyBytes bounds an encoded batch or reply list: a request body
	// or a response longer than this is refused unread.
	MaxBodyBytes = 16 << 20
	// MaxBatchMessages bounds the messages in one batch (and so the
	// replies to it); the pump splits a longer outbox into several.
	MaxBatchMessages = 4096
	// maxWireNesting is the deepest nesting of a batch: a batch map, its
	// message array, a message map (and one level to spare for the codec's
	// own count).
	maxWireNesting = 4
	// maxWireMapPairs bounds a map on the wire: the wire structs have at
	// most four fields.
	maxWireMapPairs = 16
)

var (
	wireEncMode cbor.EncMode
	wireDecMode cbor.DecMode
)

func init() {
	var err error
	wireEncMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err) // the options are constants: this cannot fail
	}
	wireDecMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   maxWireNesting,
		MaxArrayElements:  MaxBatchMessages,
		MaxMapPairs:       maxWireMapPairs,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// EncodeBatch answers b's bytes on the wire.
func EncodeBatch(b Batch) ([]byte, error) {
	if len(b.Messages) > MaxBatchMessages {
		return nil, fmt.Errorf("a batch of %d messages is more than the %d a batch may hold", len(b.Messages), MaxBatchMessages)
	}
	return encodeBounded(b, "vat batch")
}

// DecodeBatch decodes a batch a peer sent and checks that it is well
// formed: it names its sender, and each message its target and selector,
// with sequence numbers from 1 up, strictly increasing.
func DecodeBatch(data []byte) (Batch, error) {
	var b Batch
	if err := decodeBounded(data, &b, "vat batch"); err != nil {
		return Batch{}, err
	}
	if b.From == "" {
		return Batch{}, errors.New("not a vat batch: it names no sender (From is empty)")
	}
	var last uint64
	for i, m := range b.Messages {
		switch {
		case m.Seq <= last:
			return Batch{}, fmt.Errorf("not a vat batch: message %d has sequence number %d, not above the %d before it", i, m.Seq, last)
		case m.Target == "":
			return Batch{}, fmt.Errorf("not a vat batch: message %d (sequence number %d) names no target", i, m.Seq)
		case m.Selector == "":
			return Batch{}, fmt.Errorf("not a vat batch: message %d (sequence number %d) names no selector", i, m.Seq)
		}
		last = m.Seq
	}
	return b, nil
}

// EncodeReplies answers the bytes on the wire of the replies to a batch.
func EncodeReplies(rs []Reply) ([]byte, error) {
	if len(rs) > MaxBatchMessages {
		return nil, fmt.Errorf("%d replies are more than the %d a batch may have", len(rs), MaxBatchMessages)
	}
	return encodeBounded(rs, "vat replies")
}

// DecodeReplies decodes the replies a peer answered.
func DecodeReplies(data []byte) ([]Reply, error) {
	var rs []Reply
	if err := decodeBounded(data, &rs, "vat replies"); err != nil {
		return nil, err
	}
	return rs, nil
}

func encodeBounded(v any, what string) ([]byte, error) {
	data, err := wireEncMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", what, err)
	}
	if len(data) > MaxBodyBytes {
		return nil, fmt.Errorf("encoding %s: %d bytes, more than the %d a request or response may have", what, len(data), MaxBodyBytes)
	}
	return data, nil
}

func decodeBounded(data []byte, v any, what string) error {
	if len(data) > MaxBodyBytes {
		return fmt.Errorf("not a valid %s: %d bytes, more than the %d allowed", what, len(data), MaxBodyBytes)
	}
	if err := wireDecMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not a valid %s: %w", what, err)
	}
	return nil
}
