package world

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"psyche/heap"
)

// The checkpoint index (checkpoints/index) is JSON, replaced atomically
// (temporary file, fsync, rename, fsync of the directory). Format version 2:
//
//	{"version": 2, "next_id": N,
//	 "checkpoints": [{"id", "name", "created", "state" (hex), "nonce",
//	                  "delta_length", "base_nonce", "sum"}, ...],   oldest first
//	 "rollback": {"kept", "seq", "sum"},     while a rollback runs
//	 "sum"}
//
// Each entry's sum is a CRC-32C of all its other fields, so damage to any of
// them (the saved state above all) is found; an entry that fails it, or
// whose state the heap would not accept, is marked damaged rather than
// trusted. delta_length is the committed length of a closed delta, and of the
// newest one as of when it became the newest (its commits record the rest in
// the heap). Version 1 (no sums, records whose CRC covered only the data)
// is refused: it was never released.

const indexVersion = 2

// checkpoint is one entry of the index.
type checkpoint struct {
	ID       int
	Name     string
	Created  time.Time
	State    heap.State
	Nonce    uint64 // ties the delta's records to it
	DeltaLen int64
	// BaseNonce is the heap's delta nonce (auxDeltaNonce) when this delta
	// became the newest: until a commit saves a page into it, the heap still
	// names that one. Any other nonce in the heap means the index is not
	// the one the heap was committed with.
	BaseNonce uint64
	// damage says why the entry cannot be trusted (nil: it can). A damaged
	// entry is written back exactly as it was read (raw), never re-summed.
	damage error
	raw    indexEntry
}

// rollbackIntent is a rollback in progress: it kept the present as
// checkpoint Kept (the newest), and its transaction is the one after Seq.
type rollbackIntent struct {
	Kept int    `json:"kept"`
	Seq  uint64 `json:"seq"`
	Sum  uint32 `json:"sum"`
}

type indexEntry struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
	State     string    `json:"state"`
	Nonce     uint64    `json:"nonce"`
	DeltaLen  int64     `json:"delta_length"`
	BaseNonce uint64    `json:"base_nonce"`
	Sum       uint32    `json:"sum"`
}

type indexFile struct {
	Version     int             `json:"version"`
	NextID      int             `json:"next_id"`
	Checkpoints []indexEntry    `json:"checkpoints"`
	Rollback    *rollbackIntent `json:"rollback,omitempty"`
	Sum         uint32          `json:"sum"`
}

// sum covers the file's structure: its version, next id, how many entries
// it has and which, and whether a rollback is recorded. With the entries'
// own sums it covers every field, so damage that leaves valid JSON (a
// checkpoint's entry or the whole list silently gone, a changed next id)
// is found. An entry's contents are covered by its own sum only, so damage
// there costs that checkpoint, not all of them.
func (f *indexFile) sum() uint32 {
	b := binary.LittleEndian.AppendUint64(nil, uint64(f.Version))
	b = binary.LittleEndian.AppendUint64(b, uint64(f.NextID))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(f.Checkpoints)))
	for _, e := range f.Checkpoints {
		b = binary.LittleEndian.AppendUint64(b, uint64(e.ID))
		b = binary.LittleEndian.AppendUint32(b, e.Sum)
	}
	if r := f.Rollback; r != nil {
		b = binary.LittleEndian.AppendUint32(b, r.Sum)
	}
	return crc32.Checksum(b, crcTable)
}

// index is the decoded index.
type index struct {
	nextID   int
	cps      []*checkpoint // oldest first
	rollback *rollbackIntent
}

func (e *indexEntry) sum() uint32 {
	b := binary.LittleEndian.AppendUint64(nil, uint64(e.ID))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(e.Name)))
	b = append(b, e.Name...)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Created.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(e.State)))
	b = append(b, e.State...)
	b = binary.LittleEndian.AppendUint64(b, e.Nonce)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.DeltaLen))
	b = binary.LittleEndian.AppendUint64(b, e.BaseNonce)
	return crc32.Checksum(b, crcTable)
}

func (r *rollbackIntent) sum() uint32 {
	b := binary.LittleEndian.AppendUint64(nil, uint64(r.Kept))
	b = binary.LittleEndian.AppendUint64(b, r.Seq)
	return crc32.Checksum(b, crcTable)
}

// decodeIndex parses an index. An error means the index as a whole cannot
// be used; a damaged entry is marked (checkpoint.damage) instead.
func decodeIndex(b []byte, path string) (*index, error) {
	var f indexFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a damaged key must not make its field silently absent
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v)", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s is damaged (something follows the index)", path)
	}
	if f.Version != indexVersion {
		return nil, fmt.Errorf("%s has format version %d; this psyche reads only version %d", path, f.Version, indexVersion)
	}
	if f.Sum != f.sum() {
		return nil, fmt.Errorf("%s is damaged (checksum mismatch)", path)
	}
	idx := &index{nextID: max(f.NextID, 1), rollback: f.Rollback}
	if r := f.Rollback; r != nil && r.Sum != r.sum() {
		return nil, fmt.Errorf("%s: the record of a rollback in progress is damaged (checksum mismatch)", path)
	}
	ids := map[int]bool{}
	for _, e := range f.Checkpoints {
		cp := &checkpoint{ID: e.ID, Name: e.Name, Created: e.Created, Nonce: e.Nonce, DeltaLen: e.DeltaLen,
			BaseNonce: e.BaseNonce, raw: e}
		state, err := hex.DecodeString(e.State)
		cp.State = state
		switch {
		case e.Sum != e.sum():
			cp.damage = fmt.Errorf("its entry in %s is damaged (checksum mismatch)", path)
		case err != nil:
			cp.damage = fmt.Errorf("its saved state in %s is damaged (%v)", path, err)
		case e.ID <= 0 || ids[e.ID] || e.DeltaLen < 0:
			cp.damage = fmt.Errorf("its entry in %s is invalid (id %d, delta length %d)", path, e.ID, e.DeltaLen)
		default:
			if err := heap.ValidateState(cp.State); err != nil {
				cp.damage = fmt.Errorf("its saved state in %s is invalid: %v", path, err)
			}
		}
		ids[e.ID] = true
		// An id must never be reused: a new delta file replaces any old one.
		idx.nextID = max(idx.nextID, e.ID+1)
		idx.cps = append(idx.cps, cp)
	}
	return idx, nil
}

// encode answers the index's bytes.
func (idx *index) encode() ([]byte, error) {
	f := indexFile{Version: indexVersion, NextID: idx.nextID, Checkpoints: []indexEntry{}}
	if r := idx.rollback; r != nil {
		r.Sum = r.sum()
		f.Rollback = r
	}
	for _, cp := range idx.cps {
		if cp.damage != nil {
			f.Checkpoints = append(f.Checkpoints, cp.raw)
			continue
		}
		e := indexEntry{ID: cp.ID, Name: cp.Name, Created: cp.Created, State: hex.EncodeToString(cp.State),
			Nonce: cp.Nonce, DeltaLen: cp.DeltaLen, BaseNonce: cp.BaseNonce}
		e.Sum = e.sum()
		f.Checkpoints = append(f.Checkpoints, e)
	}
	f.Sum = f.sum()
	return json.MarshalIndent(&f, "", "  ")
}
