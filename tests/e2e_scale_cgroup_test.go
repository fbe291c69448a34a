package tests

// Memory cgroups for the scale tests (e2e_scale_test.go): every psyche
// command of those tests runs alone in a fresh cgroup with a memory limit
// and no swap, made by the test and removed when the command has ended, so
// that the peak and the OOM kills read afterwards are that command's own.
//
// cgroup v1 (a hierarchy with the memory controller): the cgroup is made
// under the test process's own memory cgroup, so that a limit the test
// already runs under still applies; memory.limit_in_bytes and, where swap
// accounting exists, memory.memsw.limit_in_bytes are set. cgroup v2: the
// cgroup is made at the root of the unified hierarchy, which must have the
// memory controller in cgroup.subtree_control; memory.max is set and
// memory.swap.max is 0. Anything else (not Linux, not root, no memory
// controller) skips the test with the reason.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// scaleCgroupVersion says which cgroup interface a scaleCgroups uses.
type scaleCgroupVersion int

const (
	scaleCgroupV1 scaleCgroupVersion = 1
	scaleCgroupV2 scaleCgroupVersion = 2
)

// scaleCgroups makes the per-command cgroups of one test under parent.
type scaleCgroups struct {
	version scaleCgroupVersion
	parent  string // the directory new cgroups are made in
	limit   uint64 // bytes
	prefix  string // unique per test process and test
	serial  atomic.Int64
}

var scaleCgroupSerial atomic.Int64

// newScaleCgroups finds a memory cgroup hierarchy this process may make
// cgroups in, and checks that it can (by making and removing one), or
// skips the test saying why not.
func newScaleCgroups(t *testing.T, limit uint64) *scaleCgroups {
	t.Helper()
	cg, err := scaleFindCgroups()
	if err != nil {
		t.Skipf("scale test skipped: no memory cgroup can be made here (%v); it needs Linux, root and the memory controller (cgroup v1, or v2 with memory in cgroup.subtree_control)", err)
	}
	cg.limit = limit
	cg.prefix = fmt.Sprintf("psyche-scale-%d-%d", os.Getpid(), scaleCgroupSerial.Add(1))
	probe, err := cg.make()
	if err != nil {
		t.Skipf("scale test skipped: cannot make a memory cgroup in %s: %v", cg.parent, err)
	}
	if err := probe.remove(); err != nil {
		t.Fatalf("removing the probe cgroup %s: %v", probe.dir, err)
	}
	return cg
}

// scaleFindCgroups reads /proc/self/mountinfo and /proc/self/cgroup: a v1
// memory hierarchy is preferred (when both exist, v2 has no memory
// controller).
func scaleFindCgroups() (*scaleCgroups, error) {
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var v1, v2 string
	for _, line := range strings.Split(string(mounts), "\n") {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPEROPTIONS
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		switch {
		case g[0] == "cgroup" && scaleHasOption(g[2], "memory"):
			v1 = f[4]
		case g[0] == "cgroup2" && v2 == "":
			v2 = f[4]
		}
	}
	if v1 != "" {
		own, err := scaleOwnCgroup("memory")
		if err != nil {
			return nil, err
		}
		parent := filepath.Join(v1, own)
		if _, err := os.Stat(parent); err != nil {
			parent = v1 // a cgroup namespace hides the path: use the visible root
		}
		return &scaleCgroups{version: scaleCgroupV1, parent: parent}, nil
	}
	if v2 == "" {
		return nil, errors.New("no cgroup file system with the memory controller is mounted")
	}
	ctl, err := os.ReadFile(filepath.Join(v2, "cgroup.subtree_control"))
	if err != nil {
		return nil, err
	}
	if !scaleHasOption(strings.ReplaceAll(strings.TrimSpace(string(ctl)), " ", ","), "memory") {
		return nil, fmt.Errorf("cgroup v2 at %s does not have the memory controller in cgroup.subtree_control (%q)", v2, strings.TrimSpace(string(ctl)))
	}
	return &scaleCgroups{version: scaleCgroupV2, parent: v2}, nil
}

func scaleHasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// scaleOwnCgroup answers this process's cgroup path in the v1 hierarchy
// holding controller.
func scaleOwnCgroup(controller string) (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID:CONTROLLERS:PATH
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) == 3 && scaleHasOption(parts[1], controller) {
			return parts[2], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("/proc/self/cgroup names no %s cgroup", controller)
}

// scaleCgroup is one cgroup, made for one command.
type scaleCgroup struct {
	cg  *scaleCgroups
	dir string
}

// make creates a new cgroup with the memory limit set and swap off.
func (cg *scaleCgroups) make() (*scaleCgroup, error) {
	dir := filepath.Join(cg.parent, fmt.Sprintf("%s-%d", cg.prefix, cg.serial.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	c := &scaleCgroup{cg: cg, dir: dir}
	limit := strconv.FormatUint(cg.limit, 10)
	var settings [][2]string
	switch cg.version {
	case scaleCgroupV1:
		// memsw (memory plus swap) must not be below memory: set memory first.
		settings = [][2]string{{"memory.limit_in_bytes", limit}, {"memory.memsw.limit_in_bytes", limit}}
	case scaleCgroupV2:
		settings = [][2]string{{"memory.max", limit}, {"memory.swap.max", "0"}}
	}
	for i, s := range settings {
		err := os.WriteFile(filepath.Join(dir, s[0]), []byte(s[1]), 0)
		if errors.Is(err, os.ErrNotExist) && i > 0 {
			continue // no swap accounting: nothing can be swapped out to escape the limit either
		}
		if err != nil {
			os.Remove(dir)
			return nil, fmt.Errorf("setting %s: %w", s[0], err)
		}
	}
	return c, nil
}

// remove deletes the cgroup; its processes have ended, but the kernel may
// take a moment to notice.
func (c *scaleCgroup) remove() error {
	var err error
	for i := 0; i < 50; i++ {
		if err = os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// scaleMemory is what the kernel recorded about one command's cgroup.
type scaleMemory struct {
	peak    uint64 // bytes charged at most (process memory and page cache); 0 if unknown
	oomKill uint64 // processes the OOM killer killed in the cgroup
	failcnt uint64 // v1: times the limit was hit (page cache reclaim included)
}

func (c *scaleCgroup) read(name string) string {
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// scaleKeyed answers key's value in a "key value" per line file
// (memory.oom_control, memory.events).
func scaleKeyed(text, key string) uint64 {
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func (c *scaleCgroup) memory() scaleMemory {
	var m scaleMemory
	switch c.cg.version {
	case scaleCgroupV1:
		m.peak, _ = strconv.ParseUint(c.read("memory.max_usage_in_bytes"), 10, 64)
		m.failcnt, _ = strconv.ParseUint(c.read("memory.failcnt"), 10, 64)
		m.oomKill = scaleKeyed(c.read("memory.oom_control"), "oom_kill")
	case scaleCgroupV2:
		m.peak, _ = strconv.ParseUint(c.read("memory.peak"), 10, 64)
		m.oomKill = scaleKeyed(c.read("memory.events"), "oom_kill")
	}
	return m
}

// scaleRun is one psyche command run inside its cgroup.
type scaleRun struct {
	e2eResult
	mem    scaleMemory
	maxRSS uint64 // the process's peak resident set (bytes), from wait4
	took   time.Duration
}

// oomKilled says whether the kernel's OOM killer ended the command.
func (r scaleRun) oomKilled() bool { return r.signal == syscall.SIGKILL && r.mem.oomKill > 0 }

// describe is the memory side of a run, for failure messages.
func (r scaleRun) describe(limit uint64) string {
	return fmt.Sprintf("memory limit %d MiB, cgroup peak %s (process memory and page cache), process peak RSS %s, OOM kills %d, limit hit %d times, took %v",
		limit>>20, scaleMiB(r.mem.peak), scaleMiB(r.maxRSS), r.mem.oomKill, r.mem.failcnt, r.took.Round(time.Millisecond))
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
	cg     *scaleCgroup
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
	c, err := cg.make()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	script := `echo $$ > "$1" && shift && exec "$@"`
	shArgs := append([]string{"-c", script, "sh", filepath.Join(c.dir, "cgroup.procs"), e.bin}, args...)
	cmd := exec.CommandContext(ctx, "/bin/sh", shArgs...)
	cmd.Dir, cmd.Env = e.dir, e.env
	cmd.WaitDelay = 5 * time.Second
	s := &scaleStarted{cmd: cmd, cg: c, ctx: ctx, cancel: cancel, stdout: &e2eSyncBuffer{}, stderr: &e2eSyncBuffer{}, args: args}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	s.start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		c.remove()
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
	r.mem = s.cg.memory()
	return r, s.cg.remove()
}

// kill sends SIGKILL to the command (psyche itself: the shell has exec'd it,
// or is about to and then dies with it).
func (s *scaleStarted) kill() error { return s.cmd.Process.Signal(syscall.SIGKILL) }
