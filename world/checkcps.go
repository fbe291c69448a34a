package world

import (
	"fmt"
	"slices"

	"psyche/heap"
)

// Checking the checkpoints: every entry, every delta, and the heap each
// checkpoint installs, so that check proves every checkpoint usable, not
// only its files readable.

// maxCheckpointProblems is how many of an installed heap's problems check
// lists for one checkpoint; the heap's own check lists up to a thousand,
// which for one damaged checkpoint would bury the rest of the report.
const maxCheckpointProblems = 10

// check verifies the index, and installs every checkpoint and checks the
// heap it makes; it answers the problems found, each naming its
// checkpoint, oldest first. It changes no file: the checkpoints are
// installed into one view, as eval --at installs one, from the newest down,
// each one's saved pages over the last's (the pages past its heap do no
// harm: its state does not reach them), so the cost is what changed since
// the oldest. Installing reads and verifies every saved page. It runs
// between transactions.
func (c *checkpoints) check() []string {
	if c.broken != nil {
		return []string{c.broken.Error()} // every checkpoint needs the newest delta
	}
	n := len(c.idx.cps)
	found := make([][]string, n)
	c.h.BeginView()
	defer func() {
		c.h.Abort()
		c.h.EndView()
	}()
	for k := n - 1; k >= 0; k-- {
		cp := c.idx.cps[k]
		if cp.damage != nil {
			found[k] = []string{fmt.Sprintf("checkpoint %q: %v", cp.Name, cp.damage)}
		}
		if err := c.undamaged(k); err != nil {
			if cp.damage == nil {
				found[k] = []string{err.Error()}
			}
			continue
		}
		if err := c.installNext(k, k == n-1); err != nil {
			// Every older checkpoint needs what could not be installed.
			for j := k; j >= 0; j-- {
				found[j] = append(found[j], fmt.Sprintf("checkpoint %q cannot be used: %v", c.idx.cps[j].Name, err))
			}
			break
		}
		found[k] = append(found[k], c.checkInstalled(k)...)
	}
	return slices.Concat(found...)
}

// installNext installs checkpoint k's state and saved pages into the view
// over checkpoint k+1's, or alone when k is the newest.
func (c *checkpoints) installNext(k int, newest bool) error {
	return heap.Catch(func() error {
		st := c.idx.cps[k].State
		var err error
		if newest {
			err = c.h.InstallState(st)
		} else {
			err = c.h.ReinstallState(st)
		}
		if err != nil {
			return err
		}
		return c.visitDelta(k, c.h.InstallPage)
	})
}

// checkInstalled checks the heap checkpoint k's install made
// (heap.CheckInstalled): its state, objects, references and free lists.
// A heap that is not consistent is a problem named after the checkpoint.
func (c *checkpoints) checkInstalled(k int) []string {
	cp := c.idx.cps[k]
	var r *heap.CheckReport
	err := heap.Catch(func() error {
		r = c.h.CheckInstalled(nil)
		return nil
	})
	if err != nil {
		return []string{fmt.Sprintf("checkpoint %q cannot be used: %v", cp.Name, err)}
	}
	var problems []string
	for n, p := range r.Problems {
		if n == maxCheckpointProblems {
			problems = append(problems, fmt.Sprintf("checkpoint %q is not consistent: %d more problems", cp.Name, len(r.Problems)-n))
			break
		}
		problems = append(problems, fmt.Sprintf("checkpoint %q is not consistent: %s", cp.Name, p))
	}
	return problems
}
