package world

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"psyche/heap"
)

// Going back in time: verifying what a checkpoint needs, installing its
// pages (a look with eval --at, or a rollback), the checkpoint a rollback
// keeps the present in, and finishing or forgetting a rollback a crash
// interrupted. The rest of the checkpoints' life is in checkpoint.go.

// resumeRollback deals with the rollback intent found on open. If its
// transaction committed (the heap's sequence number moved on), the rollback
// is done and only the intent remains to be cleared, which the next index
// write does; if not, it never happened and is forgotten. Neither reads a
// delta, so damage found since cannot stop a world from opening.
func (c *checkpoints) resumeRollback(r *rollbackIntent) error {
	if c.h.Info().Seq != r.Seq {
		c.idx.rollback = nil
		c.indexStale = c.h.Access() == heap.ReadWrite
		return nil
	}
	return c.forgetRollback()
}

// verify reads and verifies everything that rolling back to (or looking
// at) checkpoint k uses: the saved pages of the deltas from the newest down to
// k. It holds none of them: installPages reads them again.
func (c *checkpoints) verify(k int, progress func(done, total int)) error {
	if err := c.undamaged(k); err != nil {
		return err
	}
	n := len(c.idx.cps)
	target := c.idx.cps[k]
	for i := n - 1; i >= k; i-- {
		if err := c.visitDelta(i, func(uint64, []byte) error { return nil }); err != nil {
			return fmt.Errorf("checkpoint %q cannot be used: %w", target.Name, err)
		}
		if progress != nil {
			progress(n-i, n-k)
		}
	}
	return nil
}

// undamaged answers why checkpoint k cannot be used if its entry, or that
// of a newer checkpoint whose saved pages it needs, is damaged.
func (c *checkpoints) undamaged(k int) error {
	target := c.idx.cps[k]
	for i := len(c.idx.cps) - 1; i >= k; i-- {
		cp := c.idx.cps[i]
		switch {
		case cp.damage == nil:
		case i == k:
			return fmt.Errorf("checkpoint %q cannot be used: %v", cp.Name, cp.damage)
		default:
			return fmt.Errorf("checkpoint %q cannot be used: checkpoint %q, whose saved pages it needs, is damaged: %v", target.Name, cp.Name, cp.damage)
		}
	}
	return nil
}

// install makes checkpoint k's state and pages the current transaction's
// (verify first): the saved pages of the deltas from the newest down to k,
// each written over the newer copies, so the older copies win. A newer
// delta may hold pages past k's heap (the heap grew after k): k's state
// does not have them, and they are not installed, since the heap file may
// no longer reach them (a collection gave its tail back). The pages go one
// at a time through the heap's write barrier, so an install larger than
// the heap's dirty budget spills like any large transaction, and memory
// stays bounded. keepAux, when set, runs after the state is installed and
// before any page is, to restore the words the present keeps. A state or
// page that the heap or the VM (which reads its well-known objects again
// after each install) finds damaged is answered as an error.
func (c *checkpoints) install(k int, keepAux func()) error {
	if err := heap.Catch(func() error { return c.installPages(k, keepAux) }); err != nil {
		return fmt.Errorf("checkpoint %q cannot be used: %w", c.idx.cps[k].Name, err)
	}
	return nil
}

func (c *checkpoints) installPages(k int, keepAux func()) error {
	if err := c.h.InstallState(c.idx.cps[k].State); err != nil {
		return err
	}
	if keepAux != nil {
		keepAux()
	}
	limit := heap.PageCountOf(c.idx.cps[k].State)
	installInK := func(p uint64, data []byte) error {
		if p >= limit {
			return nil
		}
		return c.h.InstallPage(p, data)
	}
	for i := len(c.idx.cps) - 1; i >= k; i-- {
		if err := c.visitDelta(i, installInK); err != nil {
			return err
		}
	}
	return nil
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

// visitDelta reads and verifies every saved page of checkpoint i's delta,
// handing each to f in page order, one at a time: each record's checksum, its
// decompression, and that the page lies inside the checkpoint's heap (the
// only pages ever saved for it). An error from f stops it.
func (c *checkpoints) visitDelta(i int, f func(p uint64, data []byte) error) error {
	cp := c.idx.cps[i]
	d, err := openDelta(c.deltaPath(cp.ID), cp.Nonce, c.deltaLength(i))
	if err != nil {
		return err
	}
	defer d.close()
	limit := heap.PageCountOf(cp.State)
	for _, p := range slices.Sorted(maps.Keys(d.pages)) {
		if p < heap.FirstDataPage || p >= limit {
			return fmt.Errorf("%s: a saved page %d, outside checkpoint %q's heap of %d pages", d.path, p, cp.Name, limit)
		}
		data, err := d.read(c.dec, p)
		if err != nil {
			return err
		}
		if err := f(p, data); err != nil {
			return err
		}
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
	if err := c.verify(k, nil); err != nil {
		return err
	}
	return c.install(k, nil)
}

// keptPrefix starts the name of the checkpoint a rollback keeps the present
// in: before-rollback-to-NAME, then -2, -3, ... when that is taken.
const keptPrefix = "before-rollback-to-"

// keptName answers the name of the checkpoint that keeps the present when
// rolling back to target: the first of before-rollback-to-TARGET,
// before-rollback-to-TARGET-2, ... that is free, cut to a valid length.
// A target that is itself such a checkpoint (undoing a rollback) loses its
// prefix first, so that names do not nest (before-rollback-to-X-2, not
// before-rollback-to-before-rollback-to-X).
func (c *checkpoints) keptName(target string) string {
	taken := map[string]bool{}
	for _, n := range c.names() {
		taken[n] = true
	}
	for strings.HasPrefix(target, keptPrefix) && len(target) > len(keptPrefix) {
		target = strings.TrimPrefix(target, keptPrefix)
	}
	for n := 1; ; n++ {
		suffix := ""
		if n > 1 {
			suffix = fmt.Sprintf("-%d", n)
		}
		base := keptPrefix + target
		for len(base)+len(suffix) > maxNameLen {
			_, size := utf8.DecodeLastRuneInString(base)
			base = base[:len(base)-size]
		}
		if name := base + suffix; !taken[name] {
			return name
		}
	}
}

// rollback makes checkpoint name's state the world's again, as a change
// recorded like any other, and answers the name of the checkpoint that now
// holds the state before it. Nothing is deleted:
//
//  1. plan verifies everything the rollback uses, so that a damaged
//     checkpoint or heap page leaves the world as it was;
//  2. push makes the present a checkpoint P, the newest, and records the
//     rollback's intent (P's id, the heap's sequence number) in the same
//     index write;
//  3. name's pages and state are installed and committed as one ordinary
//     transaction, so saveOld puts the pages it overwrites into P's delta:
//     P, and every checkpoint between name and P, can still be rebuilt
//     (from the present, P's delta, then the older deltas), and the cost is
//     what changed since name;
//  4. the intent is cleared.
//
// A crash before 3 commits leaves the intent with the heap's sequence
// number unchanged: open forgets P, and the world is as before. After it,
// the world is name's state with P kept; the intent only waits to be cleared.
func (c *checkpoints) rollback(name string, progress func(done, total int)) (string, error) {
	k, err := c.lookup(name)
	if err != nil {
		return "", err
	}
	if err := c.h.Err(); err != nil {
		return "", err
	}
	if c.h.InTransaction() {
		return "", fmt.Errorf("a rollback can only run between evaluations")
	}
	kept := c.keptName(name)
	if err := c.commitRollback(k, kept, progress); err != nil {
		return "", err
	}
	c.idx.rollback = nil
	if err := c.writeIndex(); err != nil {
		// Harmless on disk: the heap's sequence number has moved past the
		// intent's, so open takes it for finished; the next commit rewrites
		// the index anyway.
		c.indexStale = true
		return kept, fmt.Errorf("the rollback to %q was made (the present is kept as checkpoint %q), but the checkpoint index could not be updated: %w", name, kept, err)
	}
	return kept, nil
}

// commitRollback is steps 1 to 3 of rollback: it verifies, keeps the present
// as checkpoint kept with the intent recorded, and commits checkpoint k's
// pages and state. On failure the world is as it was, and kept is forgotten.
func (c *checkpoints) commitRollback(k int, kept string, progress func(done, total int)) error {
	if err := c.verify(k, progress); err != nil {
		return err
	}
	// The delta words belong to the present, not to k's saved state: P's
	// delta is the newest whatever k's state recorded. They are restored
	// before any page is installed, since a spill saves pages into P's delta
	// and records its length.
	nonce, length := c.h.Aux(auxDeltaNonce), c.h.Aux(auxDeltaLen)
	if err := c.push(kept, &rollbackIntent{Seq: c.h.Info().Seq}); err != nil {
		return err
	}
	err := c.install(k, func() {
		c.h.SetAux(auxDeltaNonce, nonce)
		c.h.SetAux(auxDeltaLen, length)
	})
	if err == nil {
		err = c.h.Commit()
	}
	if err != nil {
		c.h.Abort()
		return errors.Join(err, c.forgetRollback())
	}
	return nil
}

// forgetRollback undoes a rollback whose transaction did not commit (found on
// open, or failed here): the checkpoint it kept the present in goes, and the
// one before is the newest again. The index on disk is rewritten before the
// next commit (indexStale); until then it still names the intent, which a
// later open forgets the same way.
func (c *checkpoints) forgetRollback() error {
	r := c.idx.rollback
	c.idx.rollback = nil
	n := len(c.idx.cps)
	if n == 0 || c.idx.cps[n-1].ID != r.Kept {
		return fmt.Errorf("%s records a rollback that kept the present as checkpoint %d, but that is not its newest checkpoint", c.indexPath(), r.Kept)
	}
	c.idx.cps = c.idx.cps[:n-1]
	if c.h.Access() == heap.ReadOnly {
		return nil
	}
	c.indexStale = true
	// On open, the newest delta is not open yet, and is opened next.
	inProcess := c.newest != nil
	if inProcess {
		c.newest.close()
		c.newest = nil
	}
	if err := os.Remove(c.deltaPath(r.Kept)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if !inProcess || n == 1 {
		return nil
	}
	prev := c.idx.cps[n-2]
	d, err := openDelta(c.deltaPath(prev.ID), prev.Nonce, c.committedLength(prev))
	if err != nil {
		c.broken = c.brokenHint(fmt.Errorf("checkpoint %q, the newest: %w", prev.Name, err))
		return c.broken
	}
	c.newest = d
	return nil
}
