// Package memcg runs a command inside a memory cgroup it makes for it, so
// that tests can show that work completes under a memory limit. It knows
// cgroup v2 (the unified hierarchy at /sys/fs/cgroup, with the memory
// controller enabled for children) and v1 (the memory hierarchy at
// /sys/fs/cgroup/memory). The cgroup is made below the caller's own, so the
// caller's limits still apply, and removed after the command ends.
package memcg

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnavailable is answered when this machine does not let the caller make
// a memory cgroup (no memory controller, not root, a read-only cgroupfs).
var ErrUnavailable = errors.New("memory cgroups are not available here")

// hierarchy is where one cgroup version keeps its files.
type hierarchy struct {
	root      string // the mount point
	procLine  string // the /proc/self/cgroup field naming it ("" for v2's "0::")
	limitFile string
	peakFile  string // the most memory the group used ("" where unknown)
	killFile  string // counts the group's out-of-memory kills
	killKey   string
}

var (
	v2 = hierarchy{root: "/sys/fs/cgroup", limitFile: "memory.max", peakFile: "memory.peak",
		killFile: "memory.events", killKey: "oom_kill"}
	v1 = hierarchy{root: "/sys/fs/cgroup/memory", procLine: "memory", limitFile: "memory.limit_in_bytes",
		peakFile: "memory.max_usage_in_bytes", killFile: "memory.oom_control", killKey: "oom_kill"}
)

// Result is how a command ran in its cgroup.
type Result struct {
	Peak     int64 // the most memory the cgroup was charged (0 if unknown)
	OOMKills int64 // processes the kernel killed for want of memory
}

// Run starts cmd (not yet started) inside a new memory cgroup limited to
// limit bytes, waits for it, and answers what the cgroup saw and cmd's
// error. It answers ErrUnavailable (wrapped, with the reason) when it cannot
// make the cgroup.
func Run(cmd *exec.Cmd, limit int64) (Result, error) {
	dir, h, err := makeGroup(limit)
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(dir)
	// The shell joins the group before it execs the command, so none of
	// the command's memory is charged elsewhere.
	args := append([]string{"-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir, cmd.Path}, cmd.Args[1:]...)
	cmd.Path, cmd.Args = "/bin/sh", append([]string{"/bin/sh"}, args...)
	runErr := cmd.Run()
	var r Result
	if h.peakFile != "" {
		r.Peak, _ = readInt(filepath.Join(dir, h.peakFile))
	}
	r.OOMKills = readKey(filepath.Join(dir, h.killFile), h.killKey)
	return r, runErr
}

func makeGroup(limit int64) (string, hierarchy, error) {
	h := v1
	if _, err := os.Stat(filepath.Join(v2.root, "cgroup.controllers")); err == nil {
		h = v2
	}
	own, err := ownGroup(h.procLine)
	if err != nil {
		return "", h, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	parent := filepath.Join(h.root, own)
	if h == v2 {
		b, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
		if err != nil || !strings.Contains(string(b), "memory") {
			return "", h, fmt.Errorf("%w: the memory controller is not enabled for children of %s", ErrUnavailable, parent)
		}
	}
	dir := filepath.Join(parent, fmt.Sprintf("psyche-test-%d-%d", os.Getpid(), rand.Uint32()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", h, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := os.WriteFile(filepath.Join(dir, h.limitFile), []byte(strconv.FormatInt(limit, 10)), 0); err != nil {
		os.Remove(dir)
		return "", h, fmt.Errorf("%w: setting the limit: %v", ErrUnavailable, err)
	}
	return dir, h, nil
}

// ownGroup answers this process's cgroup in the hierarchy named field in
// /proc/self/cgroup ("" names v2's).
func ownGroup(field string) (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == field {
				return parts[2], nil
			}
		}
	}
	return "", fmt.Errorf("this process is in no %q cgroup", field)
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// readKey answers the value of "key N" in a flat-keyed cgroup file, or 0.
func readKey(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
