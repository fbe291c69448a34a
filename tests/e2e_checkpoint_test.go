package tests

// End-to-end tests of damaged checkpoints (issue 10): a damaged heap page,
// checksum table, delta or index is reported by check, refused by eval --at
// and rollback with a clear error (exit 1, never a panic, never a wrong
// value), and the present world stays usable and openable.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// e2eCheckpointWorld is a world with two checkpoints and values that tell
// them apart:
//
//	a: x = 1, big at: 20000 = 0, big at: 39999 = 0
//	b: x = 2, big at: 20000 = 5, big at: 39999 = 7
//	now: x = 3, big at: 20000 = 6
//
// so a's delta is an old (closed) one and b's the newest. bigPage is the heap
// page that holds big at: 20000, which both deltas save and a rollback to
// either restores.
type e2eCheckpointWorld struct {
	dir     string
	bigPage int64
}

func e2eCheckpointSetup(e *e2eEnv) e2eCheckpointWorld {
	e.t.Helper()
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| x <- 1. big <- nil |). big: (byteVector copySize: 40000). 0", "0")
	e.ok("checkpoint", "-w", w, "a")
	e.expectEval(w, "x: 2. big at: 20000 Put: 5. big at: 39999 Put: 7. 0", "0")
	e.ok("checkpoint", "-w", w, "b")
	before := e2eRead(e.t, filepath.Join(w, "heap"))
	e.expectEval(w, "big at: 20000 Put: 6. 0", "0")
	page := e2eCheckpointChangedPage(e.t, before, e2eRead(e.t, filepath.Join(w, "heap")))
	e.expectEval(w, "x: 3. 0", "0")
	return e2eCheckpointWorld{dir: w, bigPage: page}
}

// e2eCheckpointChangedPage answers the one data page (past the two
// superblocks) that differs between two copies of a heap file.
func e2eCheckpointChangedPage(t *testing.T, before, after []byte) int64 {
	t.Helper()
	const pageSize, superPages = 4096, 2
	var changed []int64
	for p := int64(superPages); (p+1)*pageSize <= int64(min(len(before), len(after))); p++ {
		if !bytes.Equal(before[p*pageSize:(p+1)*pageSize], after[p*pageSize:(p+1)*pageSize]) {
			changed = append(changed, p)
		}
	}
	if len(changed) != 1 {
		t.Fatalf("expected one changed heap page, got %v", changed)
	}
	return changed[0]
}

// delta is the delta file of the i-th checkpoint (1 for a, 2 for b).
func (cw e2eCheckpointWorld) delta(i int) string {
	return filepath.Join(cw.dir, "checkpoints", fmt.Sprintf("%d.delta", i))
}

// e2eCheckpointPresentUsable fails the test unless the world opens and
// evaluates, and check names the damage (want, case-insensitively).
func e2eCheckpointPresentUsable(e *e2eEnv, w, want string) {
	e.t.Helper()
	e.expectEval(w, "3+4", "7")
	r := e.run("check", "-w", w)
	if r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(want)) {
		e.t.Errorf("check should fail and name %q:\n%s", want, r)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		e.t.Errorf("check panicked:\n%s", r)
	}
}

// e2eCheckpointRefused runs psyche and fails the test unless it exits 1 with
// an error that contains want: a value that comes back (exit 0) is wrong,
// since the checkpoint it looks at is damaged.
func e2eCheckpointRefused(e *e2eEnv, want string, args ...string) {
	e.t.Helper()
	r := e.fails(want, args...)
	if strings.Contains(r.stderr, "goroutine ") {
		e.t.Errorf("a Go panic reached the user:\n%s", r)
	}
}

// e2eCheckpointFlip flips one bit of the byte at off in file name.
func e2eCheckpointFlip(t *testing.T, name string, off int64) {
	t.Helper()
	b := e2eRead(t, name)
	if off >= int64(len(b)) {
		t.Fatalf("%s has %d bytes; cannot flip byte %d", name, len(b), off)
	}
	b[off] ^= 0x10
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A truncated checksum table (the last page's checksum is cut short, the
// page being the end of big, which a rollback to a restores): a clean
// "heap corrupt" error from eval --at and rollback, not a panic in Install,
// and the world still opens and evaluates.
func TestE2ECheckpointTruncatedSums(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cw := e2eCheckpointSetup(e)
	sums := filepath.Join(cw.dir, "heap.sums")
	fi, err := os.Stat(sums)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sums, fi.Size()-4); err != nil {
		t.Fatal(err)
	}
	e2eCheckpointRefused(e, "heap corrupt", "eval", "-w", cw.dir, "--at", "a", "big at: 39999")
	e2eCheckpointRefused(e, "heap corrupt", "rollback", "-w", cw.dir, "a")
	e2eCheckpointPresentUsable(e, cw.dir, "heap.sums")
	e.expectEval(cw.dir, "x", "3")
}

// One bit flipped in a heap page that a rollback restores.
func TestE2ECheckpointFlippedRestoredPage(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cw := e2eCheckpointSetup(e)
	e2eCheckpointFlip(t, filepath.Join(cw.dir, "heap"), cw.bigPage*4096+1000)
	e2eCheckpointRefused(e, "heap corrupt", "eval", "-w", cw.dir, "--at", "b", "big at: 20000")
	e2eCheckpointRefused(e, "heap corrupt", "rollback", "-w", cw.dir, "b")
	e2eCheckpointPresentUsable(e, cw.dir, "checksum mismatch")
	e.expectEval(cw.dir, "x", "3")
}

// One bit flipped in the middle of an old checkpoint's delta: rollback is
// refused before it records anything, so the world stays usable; a rollback
// to the newer checkpoint, which does not need that delta, still works.
func TestE2ECheckpointFlippedOldDelta(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cw := e2eCheckpointSetup(e)
	delta := cw.delta(1)
	fi, err := os.Stat(delta)
	if err != nil {
		t.Fatal(err)
	}
	e2eCheckpointFlip(t, delta, fi.Size()/2)
	e2eCheckpointRefused(e, "1.delta", "eval", "-w", cw.dir, "--at", "a", "x")
	e2eCheckpointRefused(e, "1.delta", "rollback", "-w", cw.dir, "a")
	e2eCheckpointPresentUsable(e, cw.dir, "1.delta")
	e.expectEval(cw.dir, "x", "3")
	e.ok("rollback", "-w", cw.dir, "b")
	e.expectEval(cw.dir, "x", "2")
	e.expectEval(cw.dir, "big at: 20000", "5")
}

// One character changed inside checkpoint a's saved state in the index:
// check reports it, and rollback and eval --at refuse it before anything is
// recorded.
func TestE2ECheckpointDamagedSavedState(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cw := e2eCheckpointSetup(e)
	index := filepath.Join(cw.dir, "checkpoints", "index")
	b := e2eRead(t, index)
	const key = `"state": "`
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		t.Fatalf("no saved state in %s:\n%s", index, b)
	}
	// Characters 20..24 of the encoded state lie in its page count.
	off := i + len(key) + 20
	if b[off] == 'A' {
		b[off] = 'B'
	} else {
		b[off] = 'A'
	}
	if err := os.WriteFile(index, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e2eCheckpointRefused(e, `checkpoint "a"`, "rollback", "-w", cw.dir, "a")
	e2eCheckpointRefused(e, `checkpoint "a"`, "eval", "-w", cw.dir, "--at", "a", "x")
	e2eCheckpointPresentUsable(e, cw.dir, `checkpoint "a"`)
	e.expectEval(cw.dir, "x", "3")
	e.ok("rollback", "-w", cw.dir, "b")
	e.expectEval(cw.dir, "x", "2")
}

// A delta record whose page number was changed (the first record of a's
// delta; a record starts with a 4-byte magic number and then the page):
// before, eval --at printed the present x, 3, for a's 1.
func TestE2ECheckpointChangedRecordPage(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cw := e2eCheckpointSetup(e)
	delta := cw.delta(1)
	b := e2eRead(t, delta)
	binary.LittleEndian.PutUint64(b[4:], binary.LittleEndian.Uint64(b[4:])+1)
	if err := os.WriteFile(delta, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e2eCheckpointRefused(e, "1.delta", "eval", "-w", cw.dir, "--at", "a", "x")
	e2eCheckpointRefused(e, "1.delta", "rollback", "-w", cw.dir, "a")
	e2eCheckpointPresentUsable(e, cw.dir, "1.delta")
	e.expectEval(cw.dir, "x", "3")
}

// A truncated delta, old or newest: check reports it and changes no file;
// eval --at and rollback refuse it rather than answer without the lost pages.
func TestE2ECheckpointTruncatedDelta(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		delta      int    // which checkpoint's delta: 1 (a, old) or 2 (b, newest)
		checkpoint string // the checkpoint to look at
	}{
		{"old", 1, "a"},
		{"newest", 2, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t)
			cw := e2eCheckpointSetup(e)
			delta := cw.delta(tc.delta)
			b := e2eRead(t, delta)
			if err := os.WriteFile(delta, b[:len(b)-10], 0o644); err != nil {
				t.Fatal(err)
			}
			files := e2eCheckpointSnapshot(t, cw.dir)
			r := e.run("check", "-w", cw.dir)
			if r.code != 1 || !strings.Contains(r.stderr, filepath.Base(delta)) {
				t.Errorf("check should name the truncated %s:\n%s", filepath.Base(delta), r)
			}
			e2eCheckpointSameFiles(t, cw.dir, files, "check")
			e2eCheckpointRefused(e, filepath.Base(delta), "eval", "-w", cw.dir, "--at", tc.checkpoint, "x")
			e2eCheckpointSameFiles(t, cw.dir, files, "eval --at")
			e2eCheckpointRefused(e, filepath.Base(delta), "rollback", "-w", cw.dir, tc.checkpoint)
			if tc.delta == 1 {
				e2eCheckpointPresentUsable(e, cw.dir, filepath.Base(delta))
				e.expectEval(cw.dir, "x", "3")
			} else {
				// The newest delta cannot take more saved pages: evaluations
				// are refused with directions, but the world opens and
				// answers what it holds.
				e2eCheckpointRefused(e, filepath.Base(delta), "eval", "-w", cw.dir, "x: 4")
				e.ok("info", "-w", cw.dir)
				e2eCheckpointRefused(e, filepath.Base(delta), "check", "-w", cw.dir)
			}
		})
	}
}

// e2eCheckpointSnapshot reads every file of the world's checkpoints
// directory and its heap files.
func e2eCheckpointSnapshot(t *testing.T, w string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	names, err := filepath.Glob(filepath.Join(w, "checkpoints", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range append(names, filepath.Join(w, "heap"), filepath.Join(w, "heap.sums")) {
		files[n] = e2eRead(t, n)
	}
	return files
}

// e2eCheckpointSameFiles fails the test unless every file of the snapshot
// is still byte for byte the same.
func e2eCheckpointSameFiles(t *testing.T, w string, files map[string][]byte, what string) {
	t.Helper()
	for n, b := range files {
		e2eSameBytes(t, n, b, what)
	}
}

// A checkpoint whose files are all intact and checksummed, but whose heap
// is not consistent: a's saved state names its first root one word into
// the object it was (the index entry re-summed, as a hostile or buggy
// writer would leave it). check installs every checkpoint, so it fails
// (exit 1) naming a, and eval --at a refuses it with a clear error; b and
// the present are untouched.
func TestE2ECheckpointInconsistentState(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	cw := e2eCheckpointSetup(e)
	e.ok("check", "-w", cw.dir)
	index := filepath.Join(cw.dir, "checkpoints", "index")
	e2eIndexRewrite(t, index, "a", func(state []byte) {
		const root0 = 24 // after the sequence number, page count and frontier
		binary.LittleEndian.PutUint64(state[root0:], binary.LittleEndian.Uint64(state[root0:])+8)
	})
	r := e.run("check", "-w", cw.dir)
	if r.code != 1 || !strings.Contains(r.stderr, `error: checkpoint "a" `) ||
		strings.Contains(r.stderr, `checkpoint "b"`) || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("check should fail naming checkpoint a, and only a:\n%s", r)
	}
	e2eCheckpointRefused(e, `checkpoint "a" cannot be used`, "eval", "-w", cw.dir, "--at", "a", "x")
	e.expectEval(cw.dir, "x", "3")
	if r := e.run("eval", "-w", cw.dir, "--at", "b", "x"); r.code != 0 || r.stdout != "2\n" {
		t.Errorf("eval --at b:\n%s", r)
	}
}

// e2eIndexRewrite changes the saved state of checkpoint name in the index
// file and writes it back with valid checksums (world/index.go's format:
// each entry's CRC-32C covers its fields, the file's covers its structure).
func e2eIndexRewrite(t *testing.T, index, name string, change func(state []byte)) {
	t.Helper()
	type entry struct {
		ID        int       `json:"id"`
		Name      string    `json:"name"`
		Created   time.Time `json:"created"`
		State     string    `json:"state"`
		Nonce     uint64    `json:"nonce"`
		DeltaLen  int64     `json:"delta_length"`
		BaseNonce uint64    `json:"base_nonce"`
		Sum       uint32    `json:"sum"`
	}
	var f struct {
		Version     int             `json:"version"`
		NextID      int             `json:"next_id"`
		Checkpoints []entry         `json:"checkpoints"`
		Rollback    json.RawMessage `json:"rollback,omitempty"`
		Sum         uint32          `json:"sum"`
	}
	if err := json.Unmarshal(e2eRead(t, index), &f); err != nil {
		t.Fatal(err)
	}
	if f.Rollback != nil {
		t.Fatal("the index records a rollback in progress")
	}
	crc := crc32.MakeTable(crc32.Castagnoli)
	le := binary.LittleEndian
	found := false
	for i := range f.Checkpoints {
		e := &f.Checkpoints[i]
		if e.Name != name {
			continue
		}
		found = true
		state, err := hex.DecodeString(e.State)
		if err != nil {
			t.Fatal(err)
		}
		change(state)
		e.State = hex.EncodeToString(state)
		b := le.AppendUint64(nil, uint64(e.ID))
		b = le.AppendUint64(b, uint64(len(e.Name)))
		b = append(b, e.Name...)
		b = le.AppendUint64(b, uint64(e.Created.UnixNano()))
		b = le.AppendUint64(b, uint64(len(e.State)))
		b = append(b, e.State...)
		b = le.AppendUint64(b, e.Nonce)
		b = le.AppendUint64(b, uint64(e.DeltaLen))
		b = le.AppendUint64(b, e.BaseNonce)
		e.Sum = crc32.Checksum(b, crc)
	}
	if !found {
		t.Fatalf("no checkpoint %q in %s", name, index)
	}
	b := le.AppendUint64(nil, uint64(f.Version))
	b = le.AppendUint64(b, uint64(f.NextID))
	b = le.AppendUint64(b, uint64(len(f.Checkpoints)))
	for _, e := range f.Checkpoints {
		b = le.AppendUint64(b, uint64(e.ID))
		b = le.AppendUint32(b, e.Sum)
	}
	f.Sum = crc32.Checksum(b, crc)
	out, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
