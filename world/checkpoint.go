package world

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"psyche/heap"
)

// Checkpoints. A checkpoint is a name for a committed state, made in O(1):
// it records the heap's state (roots, allocator, size) and starts an empty
// delta file. From then on, the first time a commit overwrites a page, the
// page's committed contents go to the newest checkpoint's delta first
// (durably, before the commit is logged). So:
//
//   - Rolling back to checkpoint k is a change like any other, and deletes
//     nothing: the present first becomes a checkpoint of its own (P, the
//     newest), then the deltas of the newest checkpoint down to k (older
//     copies win) and k's state are committed as one ordinary transaction,
//     whose overwritten pages go to P's delta. So it costs what changed
//     since k, and rolling back to P undoes it.
//   - Deleting checkpoint j merges its delta into the one before it.
//   - Looking at checkpoint k (eval --at) installs the same pages into this
//     process's private mapping only, and never commits.
//
// Damage. Everything a rollback or a look at the past will use (the entries
// in the index, k's saved state, every saved page of every delta it applies,
// and the heap pages it overwrites) is read and verified before anything is
// recorded or installed, so a damaged checkpoint is refused and the present
// world is untouched. A rollback records its intent in the index (the
// checkpoint P it made, and the heap's sequence number) in the same write
// that adds P; on open, an intent whose transaction committed only needs
// clearing, and one whose transaction did not is forgotten with P: that
// rollback never happened and was never reported done. Neither reads a
// delta, so damage cannot stop a world from opening.
//
// When the checkpoints cannot be kept correct (the index cannot be read, or
// the newest checkpoint's entry or delta is damaged), the world still opens:
// check, info and eval --at work, but a commit that would have to save pages
// is refused (see broken), so that no checkpoint is silently made wrong.

// The heap state's aux words the checkpoints keep, committed with every
// transaction that appends to the newest delta: that delta's nonce and its
// length after the commit. A delta's committed length is the boundary
// between what commits rely on and a torn or abandoned tail (delta.go).
const (
	auxDeltaNonce = 0
	auxDeltaLen   = 1
)

type checkpoints struct {
	dir string
	h   *heap.Heap
	idx *index
	// newest is the newest checkpoint's delta (nil when there are none, or
	// when broken); its end is its committed length.
	newest *deltaFile
	// broken, if set, is why the checkpoints cannot be kept up to date:
	// commits that would save pages, and every checkpoint operation, are
	// refused with it.
	broken error
	// indexStale: the index on disk still records a rollback intent that was
	// abandoned; it must be rewritten before the next commit.
	indexStale bool
	enc        *zstd.Encoder
	dec        *zstd.Decoder
	buf        []byte
	// sync fsyncs a file (deltas, the index and its directory); tests
	// replace it to inject failures. A failure poisons the heap.
	sync func(*os.File) error
}

func (c *checkpoints) indexPath() string { return filepath.Join(c.dir, "index") }
func (c *checkpoints) deltaPath(id int) string {
	return filepath.Join(c.dir, fmt.Sprintf("%d.delta", id))
}

// brokenHint is what the user can do about a broken set of checkpoints.
func (c *checkpoints) brokenHint(err error) error {
	return fmt.Errorf("%w; the checkpoints cannot be kept up to date, so changes to the world are refused: "+
		"restore the damaged file from a backup, or remove the directory %s to give up every checkpoint", err, c.dir)
}

func openCheckpoints(worldDir string, h *heap.Heap) (*checkpoints, error) {
	c := &checkpoints{dir: filepath.Join(worldDir, "checkpoints"), h: h, idx: &index{nextID: 1},
		buf: make([]byte, heap.PageSize), sync: (*os.File).Sync}
	var err error
	if c.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1)); err != nil {
		return nil, err
	}
	if c.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<20)); err != nil {
		return nil, err
	}
	h.SetBeforeCommit(c.saveOld)
	b, err := os.ReadFile(c.indexPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, err
	}
	idx, err := decodeIndex(b, c.indexPath())
	if err != nil {
		c.broken = c.brokenHint(err)
		return c, nil
	}
	c.idx = idx
	if r := idx.rollback; r != nil {
		if err := c.resumeRollback(r); err != nil {
			c.broken = c.brokenHint(fmt.Errorf("forgetting an interrupted rollback: %w", err))
			return c, nil
		}
	}
	if n := len(idx.cps); n > 0 && c.newest == nil && c.broken == nil {
		cp := idx.cps[n-1]
		if cp.damage != nil {
			c.broken = c.brokenHint(fmt.Errorf("checkpoint %q, the newest: %v", cp.Name, cp.damage))
			return c, nil
		}
		if aux := h.Aux(auxDeltaNonce); aux != cp.Nonce && aux != cp.BaseNonce {
			c.broken = c.brokenHint(fmt.Errorf("%s does not match the heap: the heap's last saved pages went to a delta it does not name as the newest (is it an older copy?)", c.indexPath()))
			return c, nil
		}
		if c.newest, err = openDelta(c.deltaPath(cp.ID), cp.Nonce, c.committedLength(cp)); err != nil {
			c.broken = c.brokenHint(fmt.Errorf("checkpoint %q, the newest: %w", cp.Name, err))
		}
	}
	return c, nil
}

// committedLength answers the newest delta's committed length: what its last
// page-saving commit recorded, unless it became the newest later (a merge).
func (c *checkpoints) committedLength(cp *checkpoint) int64 {
	if c.h.Aux(auxDeltaNonce) == cp.Nonce {
		return max(cp.DeltaLen, int64(c.h.Aux(auxDeltaLen)))
	}
	return cp.DeltaLen
}

func (c *checkpoints) close() {
	if c.newest != nil {
		c.newest.close()
	}
	c.enc.Close()
	c.dec.Close()
}

// saveOld is the heap's BeforeCommit hook: it saves the committed contents
// of the pages a commit is about to overwrite, once per checkpoint, and
// records the delta's new committed length in the transaction's state.
func (c *checkpoints) saveOld(pages []uint64) error {
	if c.broken != nil && len(pages) > 0 {
		return c.broken
	}
	if c.indexStale {
		if err := c.writeIndex(); err != nil {
			return err
		}
	}
	if c.newest == nil {
		return nil
	}
	cp := c.idx.cps[len(c.idx.cps)-1]
	limit := heap.PageCountOf(cp.State)
	saved := false
	for _, p := range pages {
		if p >= limit || c.newest.has(p) {
			continue // a page the checkpoint's heap did not have, or already saved
		}
		if err := c.h.ReadCommittedPage(p, c.buf); err != nil {
			return err
		}
		if err := c.newest.append(c.enc, p, c.buf); err != nil {
			return c.h.Poison(fmt.Sprintf("saving page %d for checkpoint %q", p, cp.Name), err)
		}
		saved = true
	}
	if saved {
		// A failed fsync may have lost records an earlier fsync had not yet
		// covered; retrying could report success for them. The world stops.
		if err := c.sync(c.newest.f); err != nil {
			return c.h.Poison("fsync of the checkpoint delta", err)
		}
		c.h.SetAux(auxDeltaNonce, c.newest.nonce)
		c.h.SetAux(auxDeltaLen, uint64(c.newest.end))
	}
	return nil
}

// syncFile fsyncs f; a failure poisons the heap (a retried fsync can report
// success for writes that were lost).
func (c *checkpoints) syncFile(f *os.File, what string) error {
	if err := c.sync(f); err != nil {
		return c.h.Poison("fsync of "+what, err)
	}
	return nil
}

// ensureDir makes the checkpoints directory the first time one is needed,
// and makes its entry in the world's directory durable: without that fsync a
// power cut can take the directory, and every checkpoint in it, away.
func (c *checkpoints) ensureDir() error {
	if _, err := os.Stat(c.dir); err == nil {
		return nil
	}
	if err := os.Mkdir(c.dir, 0o755); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(c.dir))
	if err != nil {
		return err
	}
	defer d.Close()
	return c.syncFile(d, filepath.Dir(c.dir))
}

func (c *checkpoints) writeIndex() error {
	if err := c.ensureDir(); err != nil {
		return err
	}
	b, err := c.idx.encode()
	if err != nil {
		return err
	}
	tmp := c.indexPath() + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := c.syncFile(f, tmp); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.indexPath()); err != nil {
		return err
	}
	d, err := os.Open(c.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := c.syncFile(d, c.dir); err != nil {
		return err
	}
	c.indexStale = false
	return nil
}

// lookup answers the position of checkpoint name.
func (c *checkpoints) lookup(name string) (int, error) {
	if c.broken != nil {
		return -1, c.broken
	}
	for i, cp := range c.idx.cps {
		if cp.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no checkpoint named %q", name)
}

// names answers the checkpoints' names, oldest first.
func (c *checkpoints) names() []string {
	var n []string
	for _, cp := range c.idx.cps {
		n = append(n, cp.Name)
	}
	return n
}

// maxNameLen is the longest checkpoint name, in bytes.
const maxNameLen = 200

func validName(name string) error {
	if name == "" || len(name) > maxNameLen || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\n\r\t/") {
		return fmt.Errorf("invalid checkpoint name %q: use a non-empty name without '/', tabs or line breaks", name)
	}
	return nil
}

// newNonce answers a delta's nonce: random, and never 0 (the aux words of a
// heap that never saved a page).
func newNonce() uint64 {
	for {
		if n := rand.Uint64(); n != 0 {
			return n
		}
	}
}

// create names the committed state. It must run between transactions.
func (c *checkpoints) create(name string) error {
	if err := validName(name); err != nil {
		return err
	}
	if c.broken != nil {
		return c.broken
	}
	if err := c.h.Err(); err != nil {
		return err
	}
	if slices.Contains(c.names(), name) {
		return fmt.Errorf("a checkpoint named %q already exists", name)
	}
	if c.h.InTransaction() {
		return fmt.Errorf("a checkpoint can only be made between evaluations")
	}
	return c.push(name, nil)
}

// push makes checkpoint name of the committed state the newest, in one
// write of the index that also records intent (when not nil) with the new
// checkpoint's id. The heap's state must still be the committed one: the
// entry keeps its delta nonce.
func (c *checkpoints) push(name string, intent *rollbackIntent) error {
	if err := c.ensureDir(); err != nil {
		return err
	}
	cp := &checkpoint{ID: c.idx.nextID, Name: name, Created: time.Now().UTC(), State: c.h.CommittedState(),
		Nonce: newNonce(), BaseNonce: c.h.Aux(auxDeltaNonce)}
	d, err := createDelta(c.deltaPath(cp.ID), cp.Nonce)
	if err != nil {
		return err
	}
	if err := c.syncFile(d.f, d.path); err != nil {
		d.close()
		return err
	}
	// The newest delta closes: its committed length goes into the index.
	var prev *checkpoint
	var prevLen int64
	if n := len(c.idx.cps); n > 0 {
		prev = c.idx.cps[n-1]
		prevLen, prev.DeltaLen = prev.DeltaLen, c.newest.end
	}
	c.idx.nextID++
	c.idx.cps = append(c.idx.cps, cp)
	if intent != nil {
		intent.Kept = cp.ID
		c.idx.rollback = intent
	}
	if err := c.writeIndex(); err != nil {
		c.idx.cps = c.idx.cps[:len(c.idx.cps)-1]
		c.idx.rollback = nil
		if prev != nil {
			prev.DeltaLen = prevLen
		}
		d.close()
		return err
	}
	if c.newest != nil {
		c.newest.close()
	}
	c.newest = d
	return nil
}

// remove deletes checkpoint name, merging its delta into the one before.
func (c *checkpoints) remove(name string) error {
	j, err := c.lookup(name)
	if err != nil {
		return err
	}
	if err := c.h.Err(); err != nil {
		return err
	}
	cp := c.idx.cps[j]
	last := j == len(c.idx.cps)-1
	var merged *deltaFile
	var prevWas checkpoint
	if j > 0 {
		prevWas = *c.idx.cps[j-1]
		if merged, err = c.merge(j); err != nil {
			return err
		}
	}
	was := c.idx.cps
	c.idx.cps = slices.Delete(slices.Clone(was), j, j+1)
	if err := c.writeIndex(); err != nil {
		// The index on disk still holds j: so does the world.
		c.idx.cps = was
		if merged != nil {
			*was[j-1] = prevWas
			merged.close()
		}
		return err
	}
	switch {
	case last:
		c.newest.close()
		c.newest = merged // nil when j was the only checkpoint
	case merged != nil:
		merged.close()
	}
	if err := os.Remove(c.deltaPath(cp.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checkpoint %q was deleted, but its file could not be removed: %w", name, err)
	}
	return nil
}

// merge copies the pages of checkpoint j's delta that checkpoint j-1's lacks
// into it, so that j can go, and answers j-1's delta, still open, with j-1's
// entry updated for when j is gone. A crash (or a failure) before the index
// is written leaves the copies past j-1's committed length, where they are
// ignored.
func (c *checkpoints) merge(j int) (*deltaFile, error) {
	cp, prev := c.idx.cps[j], c.idx.cps[j-1]
	for _, x := range []*checkpoint{cp, prev} {
		if x.damage != nil {
			return nil, fmt.Errorf("checkpoint %q cannot be deleted: checkpoint %q is damaged (%v), and the older checkpoints need its saved pages", cp.Name, x.Name, x.damage)
		}
	}
	pd, err := openDelta(c.deltaPath(prev.ID), prev.Nonce, prev.DeltaLen)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %q cannot be deleted: checkpoint %q: %w", cp.Name, prev.Name, err)
	}
	limit := heap.PageCountOf(prev.State)
	copied := 0
	err = c.visitDelta(j, func(p uint64, data []byte) error {
		if p >= limit || pd.has(p) {
			return nil
		}
		copied++
		return pd.append(c.enc, p, data)
	})
	if err != nil {
		pd.close()
		return nil, fmt.Errorf("checkpoint %q cannot be deleted: %w", cp.Name, err)
	}
	if copied > 0 {
		if err := c.syncFile(pd.f, pd.path); err != nil {
			pd.close()
			return nil, err
		}
	}
	prev.DeltaLen = pd.end
	if j == len(c.idx.cps)-1 {
		prev.BaseNonce = c.h.Aux(auxDeltaNonce)
	}
	return pd, nil
}
