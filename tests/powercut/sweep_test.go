package powercut

// The same checks as TestPowerCutWorld, with the cut placed exactly rather
// than at random: for each kind of operation, the power goes off right
// after its first fsync, then after its second, and so on until it does
// not reach the nth; so every durable step of every operation is a cut
// point once.

import (
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestPowerCutEverySync(t *testing.T) {
	c := newCutTest(t, uint64(time.Now().UnixNano()))
	for _, kind := range []opKind{opEval, opGC, opCheckpoint, opRollback, opDelete, opExport} {
		trials := 0
		for n := 1; !t.Failed(); n++ {
			c.prepare(kind)
			o := c.wl.make(kind)
			if kind == opRollback {
				// Past the newest checkpoint, so that it restores pages
				// from more than one delta, and keeps them all.
				o.name = c.wl.s.cps[0].name
			}
			if !c.cutAtSync(o, n) {
				break
			}
			trials++
		}
		t.Logf("%s: %d cut points", opNames[kind], trials)
	}
}

// prepare gives the world what an operation of kind needs to have work to
// do: two checkpoints with a change after each.
func (c *cutTest) prepare(kind opKind) {
	c.t.Helper()
	for len(c.wl.s.cps) < 2 {
		c.step(c.wl.make(opCheckpoint))
		c.step(c.wl.make(opEval))
	}
	for len(c.wl.s.cps) > maxCheckpoints && (kind == opCheckpoint || kind == opRollback) {
		c.step(op{kind: opDelete, name: c.wl.s.cps[len(c.wl.s.cps)-1].name})
	}
	c.step(c.wl.make(opEval))
}

// step runs o, which must succeed, and applies it to the model.
func (c *cutTest) step(o op) {
	c.t.Helper()
	c.must(o.args(c.world, c.image)...)
	c.wl.s = o.apply(c.wl.s)
}

// cutAtSync runs o with the power going off right after its nth fsync,
// and checks the world. It answers false if o ended before that.
func (c *cutTest) cutAtSync(o op, n int) bool {
	c.t.Helper()
	when := o.String() + ", cut after its fsync " + strconv.Itoa(n)
	cutDone := c.m.FS.CutAtSync(n)
	args := o.args(c.world, c.image)
	cmd, stdout, stderr := c.e.command(args...)
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- wait(cmd, stdout, stderr, args) }()
	var r result
	select {
	case r = <-done:
		c.m.FS.CutAtSync(0)
		c.record(o, r, when)
		return false
	case <-cutDone:
	}
	kill := func() { cmd.Process.Signal(syscall.SIGKILL) }
	if err := c.m.PowerCut(kill, func() { r = <-done }); err != nil {
		c.t.Fatalf("%s: %v", when, err)
	}
	if c.record(o, r, when) {
		c.verify(nil, when)
	} else {
		c.verify(&o, when)
	}
	return true
}

// record checks what a psyche command that a cut may have killed did,
// applies it to the model if it was reported done, and answers whether it
// was.
func (c *cutTest) record(o op, r result, when string) bool {
	c.t.Helper()
	switch {
	case r.panicked():
		c.t.Fatalf("%s: psyche panicked:\n%s", when, r)
	case o.reported(r):
		c.wl.s = o.apply(c.wl.s)
		return true
	case r.signal != syscall.SIGKILL || r.hung:
		c.t.Fatalf("%s: failed without a cut:\n%s", when, r)
	}
	return false
}
