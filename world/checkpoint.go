package world

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
// The index (checkpoints/index) is JSON, replaced atomically. A rollback
// first records its intent there, so that a crash in the middle is finished
// when the world is next opened.

type checkpointInfo struct {
	ID      int       `json:"id"`
	Name    string    `json:"name"`
	State   []byte    `json:"state"`
	Created time.Time `json:"created"`
}

type checkpointIndex struct {
	Version     int               `json:"version"`
	NextID      int               `json:"next_id"`
	Checkpoints []*checkpointInfo `json:"checkpoints"` // oldest first
	RollbackTo  int               `json:"rollback_to,omitempty"`
}

type checkpoints struct {
	dir    string
	h      *heap.Heap
	idx    checkpointIndex
	newest *deltaFile // the newest checkpoint's delta, open for appending
	enc    *zstd.Encoder
	dec    *zstd.Decoder
	buf    []byte
	// off disables saving old contents (while a rollback installs pages).
	off bool
	// sync fsyncs a delta file; tests replace it to inject failures.
	sync func(*os.File) error
}

func (c *checkpoints) indexPath() string { return filepath.Join(c.dir, "index") }
func (c *checkpoints) deltaPath(id int) string {
	return filepath.Join(c.dir, fmt.Sprintf("%d.delta", id))
}

func openCheckpoints(worldDir string, h *heap.Heap) (*checkpoints, error) {
	c := &checkpoints{dir: filepath.Join(worldDir, "checkpoints"), h: h, idx: checkpointIndex{Version: 1, NextID: 1},
		buf: make([]byte, heap.PageSize), sync: (*os.File).Sync}
	var err error
	if c.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest)); err != nil {
		return nil, err
	}
	if c.dec, err = zstd.NewReader(nil); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(c.indexPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &c.idx); err != nil || c.idx.Version != 1 {
			return nil, fmt.Errorf("%s is damaged (%v): the world's checkpoints cannot be read", c.indexPath(), err)
		}
	}
	if h.Access() == heap.ReadOnly {
		if c.idx.RollbackTo != 0 {
			return nil, fmt.Errorf("%w: a rollback was interrupted; opening the world read-write finishes it", heap.ErrNeedsRecovery)
		}
		return c, nil // nothing is appended to a delta, nor the index written
	}
	if n := len(c.idx.Checkpoints); n > 0 {
		if c.newest, err = openDelta(c.deltaPath(c.idx.Checkpoints[n-1].ID), false); err != nil {
			return nil, fmt.Errorf("opening the newest checkpoint's delta: %w", err)
		}
	}
	h.SetBeforeCommit(c.saveOld)
	if c.idx.RollbackTo != 0 {
		if err := c.finishRollback(c.idx.RollbackTo); err != nil {
			return nil, fmt.Errorf("finishing an interrupted rollback: %w", err)
		}
	}
	return c, nil
}

func (c *checkpoints) close() {
	if c.newest != nil {
		c.newest.close()
	}
	c.enc.Close()
	c.dec.Close()
}

// saveOld is the heap's BeforeCommit hook: it saves the committed contents
// of the pages a commit is about to overwrite, once per checkpoint.
func (c *checkpoints) saveOld(pages []uint64) error {
	if c.off || c.newest == nil {
		return nil
	}
	limit := heap.PageCountOf(c.idx.Checkpoints[len(c.idx.Checkpoints)-1].State)
	saved := false
	for _, p := range pages {
		if p >= limit || c.newest.has(p) {
			continue // a page the checkpoint's heap did not have, or already saved
		}
		if err := c.h.ReadCommittedPage(p, c.buf); err != nil {
			return err
		}
		if err := c.newest.append(c.enc, p, c.buf); err != nil {
			return c.h.Poison(fmt.Sprintf("saving page %d for checkpoint %q", p, c.idx.Checkpoints[len(c.idx.Checkpoints)-1].Name), err)
		}
		saved = true
	}
	if saved {
		// A failed fsync may have lost records an earlier fsync had not yet
		// covered; retrying could report success for them. The world stops.
		if err := c.sync(c.newest.f); err != nil {
			return c.h.Poison("fsync of the checkpoint delta", err)
		}
	}
	return nil
}

func (c *checkpoints) writeIndex() error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(&c.idx, "", "  ")
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
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if err := os.Rename(tmp, c.indexPath()); err != nil {
		return err
	}
	d, err := os.Open(c.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (c *checkpoints) find(name string) int {
	for i, cp := range c.idx.Checkpoints {
		if cp.Name == name {
			return i
		}
	}
	return -1
}

// Names answers the checkpoints' names, oldest first.
func (c *checkpoints) names() []string {
	var n []string
	for _, cp := range c.idx.Checkpoints {
		n = append(n, cp.Name)
	}
	return n
}

func validName(name string) error {
	if name == "" || len(name) > 200 || strings.ContainsAny(name, "\x00\n\r\t/") {
		return fmt.Errorf("invalid checkpoint name %q: use a non-empty name without '/', tabs or line breaks", name)
	}
	return nil
}

// create names the committed state. It must run between transactions.
func (c *checkpoints) create(name string) error {
	if err := validName(name); err != nil {
		return err
	}
	if c.find(name) >= 0 {
		return fmt.Errorf("a checkpoint named %q already exists", name)
	}
	if c.h.InTransaction() {
		return fmt.Errorf("a checkpoint can only be made between evaluations")
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	id := c.idx.NextID
	d, err := openDelta(c.deltaPath(id), true)
	if err != nil {
		return err
	}
	if err := d.f.Sync(); err != nil {
		d.close()
		return err
	}
	c.idx.NextID++
	c.idx.Checkpoints = append(c.idx.Checkpoints, &checkpointInfo{ID: id, Name: name, State: c.h.CommittedState(), Created: time.Now().UTC()})
	if err := c.writeIndex(); err != nil {
		c.idx.Checkpoints = c.idx.Checkpoints[:len(c.idx.Checkpoints)-1]
		d.close()
		os.Remove(d.path)
		return err
	}
	if c.newest != nil {
		c.newest.close()
	}
	c.newest = d
	return nil
}

// pagesSince collects, for checkpoint k, the saved contents of every page
// changed since it: the deltas from the newest down to k, older copies winning.
func (c *checkpoints) pagesSince(k int, progress func(done, total int)) (map[uint64][]byte, error) {
	pages := map[uint64][]byte{}
	n := len(c.idx.Checkpoints)
	for i := n - 1; i >= k; i-- {
		d, err := readDelta(c.deltaPath(c.idx.Checkpoints[i].ID))
		if err != nil {
			return nil, err
		}
		for p := range d.pages {
			data, err := d.read(c.dec, p)
			if err != nil {
				d.close()
				return nil, err
			}
			pages[p] = data
		}
		d.close()
		if progress != nil {
			progress(n-i, n-k)
		}
	}
	return pages, nil
}

// rollback makes the world's committed state checkpoint name's again.
func (c *checkpoints) rollback(name string, progress func(done, total int)) error {
	k := c.find(name)
	if k < 0 {
		return fmt.Errorf("no checkpoint named %q", name)
	}
	if c.h.InTransaction() {
		return fmt.Errorf("a rollback can only run between evaluations")
	}
	c.idx.RollbackTo = c.idx.Checkpoints[k].ID
	if err := c.writeIndex(); err != nil {
		return err
	}
	return c.finishRollback(c.idx.RollbackTo, progress)
}

// finishRollback does the rollback recorded in the index. Running it twice
// gives the same result, so an interrupted rollback is finished on open.
func (c *checkpoints) finishRollback(id int, progress ...func(done, total int)) error {
	k := -1
	for i, cp := range c.idx.Checkpoints {
		if cp.ID == id {
			k = i
		}
	}
	if k < 0 {
		return fmt.Errorf("the index names checkpoint %d, which it does not hold", id)
	}
	var pf func(int, int)
	if len(progress) > 0 {
		pf = progress[0]
	}
	pages, err := c.pagesSince(k, pf)
	if err != nil {
		return err
	}
	c.off = true
	err = c.h.Install(pages, c.idx.Checkpoints[k].State)
	if err == nil {
		err = c.h.Commit()
	} else {
		c.h.Abort()
	}
	c.off = false
	if err != nil {
		return err
	}
	// The later checkpoints go; k starts afresh with an empty delta.
	if c.newest != nil {
		c.newest.close()
		c.newest = nil
	}
	for _, cp := range c.idx.Checkpoints[k+1:] {
		os.Remove(c.deltaPath(cp.ID))
	}
	c.idx.Checkpoints = c.idx.Checkpoints[:k+1]
	if c.newest, err = openDelta(c.deltaPath(id), true); err != nil {
		return err
	}
	if err := c.newest.f.Sync(); err != nil {
		return err
	}
	c.idx.RollbackTo = 0
	return c.writeIndex()
}

// remove deletes checkpoint name, merging its delta into the one before.
func (c *checkpoints) remove(name string) error {
	j := c.find(name)
	if j < 0 {
		return fmt.Errorf("no checkpoint named %q", name)
	}
	cp := c.idx.Checkpoints[j]
	last := j == len(c.idx.Checkpoints)-1
	if j > 0 {
		prev := c.idx.Checkpoints[j-1]
		var pd *deltaFile
		var err error
		if pd, err = openDelta(c.deltaPath(prev.ID), false); err != nil {
			return err
		}
		d, err := openDelta(c.deltaPath(cp.ID), false)
		if err != nil {
			pd.close()
			return err
		}
		limit := heap.PageCountOf(prev.State)
		for p := range d.pages {
			if pd.has(p) || p >= limit {
				continue
			}
			data, err := d.read(c.dec, p)
			if err == nil {
				err = pd.append(c.enc, p, data)
			}
			if err != nil {
				d.close()
				pd.close()
				return err
			}
		}
		d.close()
		if err := pd.f.Sync(); err != nil {
			pd.close()
			return err
		}
		if last {
			c.newest.close()
			c.newest = pd
		} else {
			pd.close()
		}
	} else if last {
		c.newest.close()
		c.newest = nil
	}
	c.idx.Checkpoints = append(c.idx.Checkpoints[:j], c.idx.Checkpoints[j+1:]...)
	if err := c.writeIndex(); err != nil {
		return err
	}
	os.Remove(c.deltaPath(cp.ID))
	return nil
}
