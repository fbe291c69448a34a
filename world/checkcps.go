package world

import (
	"fmt"

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
// checkpoint. Installing a checkpoint reads and verifies every delta it
// needs (the oldest needs them all), so a damaged delta is found there. It
// changes no file: each checkpoint is installed into a view, as eval --at
// installs it, checked and thrown away. It runs between transactions.
func (c *checkpoints) check() []string {
	if c.broken != nil {
		return []string{c.broken.Error()} // every checkpoint needs the newest delta
	}
	var problems []string
	for i, cp := range c.idx.cps {
		if cp.damage != nil {
			problems = append(problems, fmt.Sprintf("checkpoint %q: %v", cp.Name, cp.damage))
			continue
		}
		problems = append(problems, c.checkInstalled(i)...)
	}
	return problems
}

// checkInstalled installs checkpoint i into a view and checks the heap it
// makes (heap.CheckInstalled): its state, objects, references and free
// lists. A checkpoint that cannot be installed, or whose heap is not
// consistent, is a problem named after it.
func (c *checkpoints) checkInstalled(i int) []string {
	cp := c.idx.cps[i]
	c.h.BeginView()
	defer func() {
		c.h.Abort()
		c.h.EndView()
	}()
	// Not all of verify: install verifies each saved page as it reads it.
	if err := c.undamaged(i); err != nil {
		return []string{err.Error()}
	}
	if err := c.install(i, nil); err != nil {
		return []string{err.Error()}
	}
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
