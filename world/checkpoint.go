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
//   - Rolling back to checkpoint k applies the deltas of the newest
//     checkpoint down to k (older copies win), as one logged heap
//     transaction, and installs k's state: it costs what changed since k.
//     The checkpoints made after k are deleted: they describe states that
//     are no longer reachable. k itself stays, with an empty delta.
//   - Deleting checkpoint j merges its delta into the one before it.
//   - Looking at checkpoint k (eval --at) installs the same pages into this
//     process's private mapping only, and never commits.
//
// Damage. Everything a rollback or a look at the past will use (the entries
// in the index, k's saved state, every saved page of every delta it applies,
// and the heap pages it overwrites) is read and verified before anything is
// recorded or installed, so a damaged checkpoint is refused and the present
// world is untouched. A rollback records its intent in the index (with the
// heap's sequence number) only once its transaction is ready to commit; on
// open, an intent whose transaction committed is finished (which reads no
// delta, so damage cannot stop it), and one whose transaction did not is
// forgotten: that rollback never happened and was never reported done.
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
	// off disables saving old contents (while a rollback installs pages).
	off bool
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
		if h.Access() == heap.ReadOnly {
			// An intent whose transaction never committed changes nothing;
			// one that committed needs its clean-up, which only writing can do.
			if h.Info().Seq != r.Seq {
				return nil, fmt.Errorf("%w: a rollback was interrupted; opening the world read-write finishes it", heap.ErrNeedsRecovery)
			}
		} else if err := c.resumeRollback(r); err != nil {
			return nil, fmt.Errorf("finishing an interrupted rollback: %w", err)
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

// resumeRollback deals with the rollback intent found on open.
func (c *checkpoints) resumeRollback(r *rollbackIntent) error {
	if c.h.Info().Seq == r.Seq {
		// Its transaction never committed: the world is as it was, and the
		// rollback was never reported done. Forget it before any commit,
		// which would make the intent look committed.
		c.idx.rollback = nil
		c.indexStale = true
		return nil
	}
	k := slices.IndexFunc(c.idx.cps, func(cp *checkpoint) bool { return cp.ID == r.To })
	if k < 0 {
		return fmt.Errorf("%s names checkpoint %d, which it does not hold", c.indexPath(), r.To)
	}
	return c.finishRollback(k, r.Nonce)
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
	if c.off {
		return nil
	}
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

func validName(name string) error {
	if name == "" || len(name) > 200 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\n\r\t/") {
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
	if err := c.writeIndex(); err != nil {
		c.idx.cps = c.idx.cps[:len(c.idx.cps)-1]
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

// plan reads and verifies everything that rolling back to (or looking at)
// checkpoint k uses, and answers the pages to install: the saved pages of the
// deltas from the newest down to k, older copies winning.
func (c *checkpoints) plan(k int, progress func(done, total int)) (map[uint64][]byte, error) {
	n := len(c.idx.cps)
	target := c.idx.cps[k]
	pages := map[uint64][]byte{}
	for i := n - 1; i >= k; i-- {
		cp := c.idx.cps[i]
		if cp.damage != nil {
			if i == k {
				return nil, fmt.Errorf("checkpoint %q cannot be used: %v", cp.Name, cp.damage)
			}
			return nil, fmt.Errorf("checkpoint %q cannot be used: checkpoint %q, whose saved pages it needs, is damaged: %v", target.Name, cp.Name, cp.damage)
		}
		got, err := c.readDelta(i)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %q cannot be used: %w", target.Name, err)
		}
		for p, data := range got {
			pages[p] = data
		}
		if progress != nil {
			progress(n-i, n-k)
		}
	}
	return pages, nil
}

// deltaLength answers checkpoint i's committed delta length.
func (c *checkpoints) deltaLength(i int) int64 {
	switch {
	case i < len(c.idx.cps)-1:
		return c.idx.cps[i].DeltaLen
	case c.newest != nil:
		return c.newest.end
	default: // opened read-only, or broken: nothing is appended
		return c.committedLength(c.idx.cps[i])
	}
}

// readDelta reads and verifies every saved page of checkpoint i's delta
// (visitDelta), and answers them.
func (c *checkpoints) readDelta(i int) (map[uint64][]byte, error) {
	pages := map[uint64][]byte{}
	err := c.visitDelta(i, func(p uint64, data []byte) { pages[p] = data })
	return pages, err
}

// visitDelta reads and verifies every saved page of checkpoint i's delta,
// handing each to f: each record's checksum, its decompression, and that the
// page lies inside the checkpoint's heap (the only pages ever saved for it).
func (c *checkpoints) visitDelta(i int, f func(p uint64, data []byte)) error {
	cp := c.idx.cps[i]
	d, err := openDelta(c.deltaPath(cp.ID), cp.Nonce, c.deltaLength(i))
	if err != nil {
		return err
	}
	defer d.close()
	limit := heap.PageCountOf(cp.State)
	for p := range d.pages {
		if p < heap.FirstDataPage || p >= limit {
			return fmt.Errorf("%s: a saved page %d, outside checkpoint %q's heap of %d pages", d.path, p, cp.Name, limit)
		}
		data, err := d.read(c.dec, p)
		if err != nil {
			return err
		}
		f(p, data)
	}
	return nil
}

// lookAt installs checkpoint name's pages and state into the current
// transaction, for reading; the caller aborts it.
func (c *checkpoints) lookAt(name string) error {
	k, err := c.lookup(name)
	if err != nil {
		return err
	}
	pages, err := c.plan(k, nil)
	if err != nil {
		return err
	}
	return c.h.Install(pages, c.idx.cps[k].State)
}

// rollback makes the world's committed state checkpoint name's again. It
// verifies everything and prepares the transaction before it records its
// intent, so a damaged checkpoint or heap page leaves the world as it was.
func (c *checkpoints) rollback(name string, progress func(done, total int)) error {
	k, err := c.lookup(name)
	if err != nil {
		return err
	}
	if err := c.h.Err(); err != nil {
		return err
	}
	if c.h.InTransaction() {
		return fmt.Errorf("a rollback can only run between evaluations")
	}
	nonce, err := c.commitRollback(k, progress)
	if err != nil {
		return err
	}
	if err := c.finishRollback(k, nonce); err != nil {
		// The world is checkpoint k's, but the later checkpoints' deltas may
		// still be in place: nothing may save pages until a reopen finishes.
		c.broken = fmt.Errorf("the rollback to %q was made, but could not be finished (%w): open the world again to finish it", name, err)
		return c.broken
	}
	return nil
}

// commitRollback verifies and installs checkpoint k's pages and state,
// records the intent, and commits; it answers the nonce of k's new delta.
func (c *checkpoints) commitRollback(k int, progress func(done, total int)) (uint64, error) {
	pages, err := c.plan(k, progress)
	if err != nil {
		return 0, err
	}
	if err := c.h.Install(pages, c.idx.cps[k].State); err != nil {
		c.h.Abort()
		return 0, err
	}
	nonce := newNonce()
	c.h.SetAux(auxDeltaNonce, nonce)
	c.h.SetAux(auxDeltaLen, 0)
	c.idx.rollback = &rollbackIntent{To: c.idx.cps[k].ID, Seq: c.h.Info().Seq, Nonce: nonce}
	if err := c.writeIndex(); err != nil {
		c.idx.rollback = nil
		c.h.Abort()
		return 0, err
	}
	c.off = true
	err = c.h.Commit()
	c.off = false
	if err != nil {
		// Not committed: the intent must go before the next commit.
		c.idx.rollback = nil
		c.indexStale = true
		return 0, err
	}
	return nonce, nil
}

// finishRollback finishes a rollback to checkpoint k whose transaction has
// committed: the later checkpoints go, and k starts afresh with an empty
// delta whose nonce is the one that transaction recorded. It reads no delta,
// and running it twice gives the same result, so an interrupted rollback is
// finished on open whatever damage a delta has.
func (c *checkpoints) finishRollback(k int, nonce uint64) error {
	if c.newest != nil {
		c.newest.close()
		c.newest = nil
	}
	for _, cp := range c.idx.cps[k+1:] {
		if cp.damage != nil {
			continue // its id cannot be trusted to name its file
		}
		if err := os.Remove(c.deltaPath(cp.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	c.idx.cps = c.idx.cps[:k+1]
	cp := c.idx.cps[k]
	cp.Nonce, cp.DeltaLen, cp.BaseNonce = nonce, 0, nonce
	d, err := createDelta(c.deltaPath(cp.ID), nonce)
	if err != nil {
		return err
	}
	if err := c.syncFile(d.f, d.path); err != nil {
		d.close()
		return err
	}
	c.idx.rollback = nil
	if err := c.writeIndex(); err != nil {
		d.close()
		return err
	}
	if cp.damage == nil {
		c.newest = d
	} else {
		d.close()
		c.broken = c.brokenHint(fmt.Errorf("checkpoint %q, the newest: %v", cp.Name, cp.damage))
	}
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
	pages, err := c.readDelta(j)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %q cannot be deleted: %w", cp.Name, err)
	}
	pd, err := openDelta(c.deltaPath(prev.ID), prev.Nonce, prev.DeltaLen)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %q cannot be deleted: checkpoint %q: %w", cp.Name, prev.Name, err)
	}
	limit := heap.PageCountOf(prev.State)
	copied := slices.Sorted(func(yield func(uint64) bool) {
		for p := range pages {
			if p < limit && !pd.has(p) && !yield(p) {
				return
			}
		}
	})
	for _, p := range copied {
		if err := pd.append(c.enc, p, pages[p]); err != nil {
			pd.close()
			return nil, err
		}
	}
	if len(copied) > 0 {
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

// check verifies the index and every delta, and answers the problems found.
// It changes no file.
func (c *checkpoints) check() []string {
	var problems []string
	if c.broken != nil {
		problems = append(problems, c.broken.Error())
	}
	for i, cp := range c.idx.cps {
		if cp.damage != nil {
			problems = append(problems, fmt.Sprintf("checkpoint %q: %v", cp.Name, cp.damage))
			continue
		}
		if i == len(c.idx.cps)-1 && c.broken != nil {
			continue // reported above
		}
		if err := c.visitDelta(i, func(uint64, []byte) {}); err != nil {
			problems = append(problems, fmt.Sprintf("checkpoint %q: %v", cp.Name, err))
		}
	}
	return problems
}
