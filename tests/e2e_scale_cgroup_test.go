package tests

// Memory cgroups for the scale tests (e2e_scale_test.go): every psyche
// command of those tests runs alone in a fresh cgroup with a memory limit
// and no swap (internal/memcg makes it), removed when the command has
// ended, so that the peak and the OOM kills read afterwards are that
// command's own.

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"psyche/internal/memcg"
)

// scaleCgroups makes the per-command cgroups of one test (internal/memcg).
type scaleCgroups struct {
	h     *memcg.Hierarchy
	limit uint64 // bytes
}

// newScaleCgroups finds a memory cgroup hierarchy this process may make
// cgroups in, and checks that it can (by making and removing one), or
// skips the test saying why not.
func newScaleCgroups(t *testing.T, limit uint64) *scaleCgroups {
	t.Helper()
	h, err := memcg.Find()
	if err != nil {
		t.Skipf("scale test skipped: no memory cgroup can be made here (%v); it needs Linux, root and the memory controller (cgroup v1, or v2 with memory in cgroup.subtree_control)", err)
	}
	probe, err := h.New(limit)
	if err != nil {
		t.Skipf("scale test skipped: cannot make a memory cgroup in %s: %v", h.Parent(), err)
	}
	if err := probe.Remove(); err != nil {
		t.Fatalf("removing the probe cgroup: %v", err)
	}
	return &scaleCgroups{h: h, limit: limit}
}

// scaleRun is one psyche command run inside its cgroup.
type scaleRun struct {
	e2eResult
	mem    memcg.Stats
	maxRSS uint64 // the process's peak resident set (bytes), from wait4
	took   time.Duration
}

// oomKilled says whether the kernel's OOM killer ended the command.
func (r scaleRun) oomKilled() bool { return r.signal == syscall.SIGKILL && r.mem.OOMKills > 0 }

// describe is the memory side of a run, for failure messages.
func (r scaleRun) describe(limit uint64) string {
	return fmt.Sprintf("memory limit %d MiB, cgroup peak %s (process memory and page cache), process peak RSS %s, OOM kills %d, limit hit %d times, took %v",
		limit>>20, scaleMiB(r.mem.Peak), scaleMiB(r.maxRSS), r.mem.OOMKills, r.mem.LimitHits, r.took.Round(time.Millisecond))
}

func scaleMiB(n uint64) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// scaleStarted is a psyche command started inside its own cgroup.
type scaleStarted struct {
	cmd    *exec.Cmd
	cg     *memcg.Group
	ctx    context.Context
	cancel context.CancelFunc
	stdout *e2eSyncBuffer
	stderr *e2eSyncBuffer
	args   []string
	start  time.Time
}

// start starts psyche with args in a new cgroup. The command is a shell
// that moves itself into the cgroup and then execs psyche, so psyche's
// first instruction already runs under the limit.
func (cg *scaleCgroups) start(e *e2eEnv, timeout time.Duration, args ...string) (*scaleStarted, error) {
	return cg.startInput(e, timeout, "", args...)
}

// startInput is start with stdin as the command's standard input.
func (cg *scaleCgroups) startInput(e *e2eEnv, timeout time.Duration, stdin string, args ...string) (*scaleStarted, error) {
	g, err := cg.h.New(cg.limit)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, e.bin, args...)
	g.Join(cmd)
	cmd.Dir, cmd.Env = e.dir, e.env
	cmd.WaitDelay = 5 * time.Second
	s := &scaleStarted{cmd: cmd, cg: g, ctx: ctx, cancel: cancel, stdout: &e2eSyncBuffer{}, stderr: &e2eSyncBuffer{}, args: args}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	cmd.Stdin = strings.NewReader(stdin)
	s.start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		g.Remove()
		return nil, err
	}
	return s, nil
}

// wait waits for the command, reads its cgroup's record and removes the
// cgroup.
func (s *scaleStarted) wait() (scaleRun, error) {
	defer s.cancel()
	err := s.cmd.Wait()
	r := scaleRun{took: time.Since(s.start)}
	r.args = s.args
	r.stdout, r.stderr = s.stdout.String(), s.stderr.String()
	r.code, r.signal, r.err = e2eStatus(s.cmd, err)
	if s.cmd.ProcessState != nil {
		if ru, ok := s.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = uint64(ru.Maxrss) << 10 // KiB on Linux
		}
	}
	if s.ctx.Err() != nil {
		r.err = fmt.Errorf("timed out after %v; killed", time.Since(s.start).Round(time.Second))
	}
	r.mem = s.cg.Stats()
	return r, s.cg.Remove()
}

// kill sends SIGKILL to the command (psyche itself: the shell has exec'd it,
// or is about to and then dies with it).
func (s *scaleStarted) kill() error { return s.cmd.Process.Signal(syscall.SIGKILL) }
