// Package memcg runs a test's commands inside memory cgroups it makes for
// them, so that tests can show that work completes under a memory limit, and
// reads back what the kernel recorded (the peak, the OOM kills).
//
// cgroup v1 (a hierarchy with the memory controller): a group is made under
// the caller's own memory cgroup, so that a limit the caller already runs
// under still applies; memory.limit_in_bytes and, where swap accounting
// exists, memory.memsw.limit_in_bytes are set. cgroup v2: a group is made at
// the root of the unified hierarchy, which must have the memory controller
// in cgroup.subtree_control; memory.max is set and memory.swap.max is 0.
// Anything else (not Linux, not root, no memory controller) is
// ErrUnavailable, with the reason, and the tests that need a group skip.
package memcg

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ErrUnavailable is answered when this machine does not let the caller make
// a memory cgroup.
var ErrUnavailable = errors.New("memory cgroups are not available here")

// Hierarchy is where this process makes its groups.
type Hierarchy struct {
	v1     bool   // cgroup v1's memory hierarchy, else the v2 unified one
	parent string // the directory new groups are made in
	prefix string // unique per process and Hierarchy
	serial atomic.Int64
}

var hierarchies atomic.Int64

// Find finds a memory cgroup hierarchy this process may make groups in,
// from /proc/self/mountinfo and /proc/self/cgroup. v1's memory hierarchy is
// preferred: when both are mounted, v2 has no memory controller.
func Find() (*Hierarchy, error) {
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
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
		case g[0] == "cgroup" && hasOption(g[2], "memory"):
			v1 = f[4]
		case g[0] == "cgroup2" && v2 == "":
			v2 = f[4]
		}
	}
	prefix := fmt.Sprintf("psyche-test-%d-%d", os.Getpid(), hierarchies.Add(1))
	if v1 != "" {
		own, err := ownGroup("memory")
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		parent := filepath.Join(v1, own)
		if _, err := os.Stat(parent); err != nil {
			parent = v1 // a cgroup namespace hides the path: use the visible root
		}
		return &Hierarchy{v1: true, parent: parent, prefix: prefix}, nil
	}
	if v2 == "" {
		return nil, fmt.Errorf("%w: no cgroup file system with the memory controller is mounted", ErrUnavailable)
	}
	ctl, err := os.ReadFile(filepath.Join(v2, "cgroup.subtree_control"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !hasOption(strings.ReplaceAll(strings.TrimSpace(string(ctl)), " ", ","), "memory") {
		return nil, fmt.Errorf("%w: cgroup v2 at %s does not have the memory controller in cgroup.subtree_control (%q)",
			ErrUnavailable, v2, strings.TrimSpace(string(ctl)))
	}
	return &Hierarchy{parent: v2, prefix: prefix}, nil
}

// Parent answers the directory the hierarchy makes groups in.
func (h *Hierarchy) Parent() string { return h.parent }

func hasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// ownGroup answers this process's cgroup path in the v1 hierarchy holding
// controller.
func ownGroup(controller string) (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID:CONTROLLERS:PATH
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) == 3 && hasOption(parts[1], controller) {
			return parts[2], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("/proc/self/cgroup names no %s cgroup", controller)
}

// Group is one memory cgroup, made for one command.
type Group struct {
	h   *Hierarchy
	dir string
}

// New makes a group limited to limit bytes of memory, with swap off.
func (h *Hierarchy) New(limit uint64) (*Group, error) {
	dir := filepath.Join(h.parent, fmt.Sprintf("%s-%d", h.prefix, h.serial.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	l := strconv.FormatUint(limit, 10)
	settings := [][2]string{{"memory.max", l}, {"memory.swap.max", "0"}}
	if h.v1 {
		// memsw (memory plus swap) must not be below memory: set memory first.
		settings = [][2]string{{"memory.limit_in_bytes", l}, {"memory.memsw.limit_in_bytes", l}}
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
	return &Group{h: h, dir: dir}, nil
}

// Dir answers the group's directory.
func (g *Group) Dir() string { return g.dir }

// Join rewrites cmd (not yet started) so that it runs in the group from its
// first instruction: a shell moves itself into the group and then execs the
// command.
func (g *Group) Join(cmd *exec.Cmd) {
	args := append([]string{"-c", `echo $$ > "$1" && shift && exec "$@"`, "sh", filepath.Join(g.dir, "cgroup.procs"), cmd.Path}, cmd.Args[1:]...)
	cmd.Path, cmd.Args = "/bin/sh", append([]string{"/bin/sh"}, args...)
	cmd.Err = nil // exec.Command's lookup error, if any, was about the old path
}

// Stats is what the kernel recorded about a group.
type Stats struct {
	Peak      uint64 // bytes charged at most (process memory and page cache); 0 if unknown
	OOMKills  uint64 // processes the OOM killer killed in the group
	LimitHits uint64 // v1: times the limit was hit (page cache reclaim included); 0 on v2
}

// Stats reads the group's record.
func (g *Group) Stats() Stats {
	var s Stats
	if g.h.v1 {
		s.Peak, _ = strconv.ParseUint(g.read("memory.max_usage_in_bytes"), 10, 64)
		s.LimitHits, _ = strconv.ParseUint(g.read("memory.failcnt"), 10, 64)
		s.OOMKills = keyed(g.read("memory.oom_control"), "oom_kill")
	} else {
		s.Peak, _ = strconv.ParseUint(g.read("memory.peak"), 10, 64)
		s.OOMKills = keyed(g.read("memory.events"), "oom_kill")
	}
	return s
}

func (g *Group) read(name string) string {
	b, err := os.ReadFile(filepath.Join(g.dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// keyed answers key's value in a "key value" per line file
// (memory.oom_control, memory.events), or 0.
func keyed(text, key string) uint64 {
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// Remove deletes the group once its processes have ended (the kernel may
// take a moment to notice).
func (g *Group) Remove() error {
	var err error
	for i := 0; i < 50; i++ {
		if err = os.Remove(g.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// Run runs cmd (not yet started) in a new group limited to limit bytes,
// waits for it, removes the group, and answers what the group recorded and
// cmd's error; ErrUnavailable (wrapped) when no group can be made.
func Run(cmd *exec.Cmd, limit uint64) (Stats, error) {
	h, err := Find()
	if err != nil {
		return Stats{}, err
	}
	g, err := h.New(limit)
	if err != nil {
		return Stats{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	g.Join(cmd)
	runErr := cmd.Run()
	s := g.Stats()
	return s, errors.Join(runErr, g.Remove())
}
