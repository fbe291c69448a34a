package tests

// Helpers for the end-to-end tests (e2e_*_test.go): they build the real
// psyche binary once per test run and run it in a private environment
// (HOME, XDG_DATA_HOME and PSYCHE_WORLD inside t.TempDir()), so that no
// test can touch the user's own default world.
//
// Everything here is prefixed with e2e so that it cannot clash with the
// language harness (lang_test.go, build tag langtests) or anything else in
// package tests. Set PSYCHE_E2E_BIN to run a prebuilt binary instead of
// building ./cmd/psyche.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// e2eTimeout bounds one psyche command; a command that takes longer is a
// failure (a hang), not a slow test.
const e2eTimeout = 60 * time.Second

var (
	e2eBuildOnce sync.Once
	e2eBinPath   string
	e2eBuildErr  error
)

// e2eBin is the psyche binary: $PSYCHE_E2E_BIN, or ./cmd/psyche built once
// per test run into a fresh temporary directory.
func e2eBin(t testing.TB) string {
	t.Helper()
	e2eBuildOnce.Do(func() {
		if b := os.Getenv("PSYCHE_E2E_BIN"); b != "" {
			e2eBinPath, e2eBuildErr = filepath.Abs(b)
			return
		}
		e2eBinPath, e2eBuildErr = e2eBuild()
	})
	if e2eBuildErr != nil {
		t.Fatalf("building psyche: %v", e2eBuildErr)
	}
	return e2eBinPath
}

// e2eBuild builds ./cmd/psyche into os.TempDir()/psyche-e2e-PID. The test
// binary has no end-of-run hook short of TestMain (which this package must
// leave free), so the directories of earlier runs whose process is gone
// are removed here instead.
func e2eBuild() (string, error) {
	tmp := os.TempDir()
	if old, _ := filepath.Glob(filepath.Join(tmp, "psyche-e2e-*")); len(old) > 0 {
		for _, d := range old {
			pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "psyche-e2e-"))
			if err != nil || pid == os.Getpid() {
				continue
			}
			if syscall.Kill(pid, 0) == syscall.ESRCH {
				os.RemoveAll(d)
			}
		}
	}
	root, err := e2eModuleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(tmp, fmt.Sprintf("psyche-e2e-%d", os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "psyche")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/psyche")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/psyche in %s: %v\n%s", root, err, out)
	}
	return bin, nil
}

// e2eModuleRoot is the directory of go.mod (go env GOMOD, else the nearest
// go.mod above the working directory).
func e2eModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if gomod := strings.TrimSpace(string(out)); err == nil && gomod != "" && gomod != os.DevNull {
		return filepath.Dir(gomod), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the module root (no go.mod above the test directory)")
		}
		dir = parent
	}
}

// The interrupt tests send SIGINT to psyche. A process started with SIGINT
// ignored (go test run from a non-interactive shell's background job, for
// one) passes that on to its children, and then psyche would never see the
// signal. Once the Go runtime handles SIGINT itself, children start with
// the default disposition again, so when SIGINT is ignored here, take it
// (and keep ignoring it: nothing is lost).
var e2eSigintOnce sync.Once

func e2eUnignoreSigint() {
	e2eSigintOnce.Do(func() {
		if signal.Ignored(syscall.SIGINT) {
			c := make(chan os.Signal, 1)
			signal.Notify(c, syscall.SIGINT)
			go func() {
				for range c {
				}
			}()
		}
	})
}

// e2eEnv is one test's private environment: a temporary directory with a
// HOME, an XDG_DATA_HOME and a PSYCHE_WORLD inside it.
type e2eEnv struct {
	t   *testing.T
	bin string
	dir string   // the test's temporary directory; commands run here
	env []string // the environment for psyche
}

// e2eResult is what one psyche command did.
type e2eResult struct {
	args           []string
	stdout, stderr string
	code           int // exit status; -1 if killed by a signal or not run
	signal         syscall.Signal
	err            error // failure to run it at all, or a time-out
}

func (r e2eResult) String() string {
	s := fmt.Sprintf("psyche %s\nexit status: %d", e2eQuote(r.args), r.code)
	if r.signal != 0 {
		s += fmt.Sprintf(" (killed by %v)", r.signal)
	}
	if r.err != nil {
		s += fmt.Sprintf("\nerror: %v", r.err)
	}
	return s + fmt.Sprintf("\nstdout:\n%s\nstderr:\n%s", e2eIndent(r.stdout), e2eIndent(r.stderr))
}

// out is standard output without its final newline.
func (r e2eResult) out() string { return strings.TrimSuffix(r.stdout, "\n") }

func e2eQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$*?;|&()<>") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

func e2eIndent(s string) string {
	if s == "" {
		return "    (nothing)"
	}
	const max = 3000
	if len(s) > max {
		s = s[:max] + fmt.Sprintf("... (%d more bytes)", len(s)-max)
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ")
}

// newE2E makes a private environment for one test.
func newE2E(t *testing.T) *e2eEnv {
	t.Helper()
	bin := e2eBin(t)
	dir := t.TempDir()
	for _, d := range []string{"home", "xdg"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e := &e2eEnv{t: t, bin: bin, dir: dir}
	e.env = e2eEnviron(map[string]string{
		"HOME":          filepath.Join(dir, "home"),
		"XDG_DATA_HOME": filepath.Join(dir, "xdg"),
		"PSYCHE_WORLD":  filepath.Join(dir, "default-world"),
		"TERM":          "xterm",
	})
	return e
}

// e2eEnviron is os.Environ() with the variables of set replaced (an empty
// value removes the variable).
func e2eEnviron(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// withEnv is a copy of e with some variables changed ("" removes one).
func (e *e2eEnv) withEnv(set map[string]string) *e2eEnv {
	c := *e
	var env []string
	for _, kv := range e.env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	c.env = env
	return &c
}

// path is a file name inside the test's directory.
func (e *e2eEnv) path(name string) string { return filepath.Join(e.dir, name) }

// command makes (does not start) a psyche command in the test's directory.
func (e *e2eEnv) command(args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, args...)
	cmd.Dir = e.dir
	cmd.Env = e.env
	return cmd
}

// run runs psyche with args and no input.
func (e *e2eEnv) run(args ...string) e2eResult { return e.runInput("", args...) }

// runInput runs psyche with args, with stdin as its standard input (a pipe,
// not a terminal).
func (e *e2eEnv) runInput(stdin string, args ...string) e2eResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Dir = e.dir
	cmd.Env = e.env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := e2eResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	r.code, r.signal, r.err = e2eStatus(cmd, err)
	if ctx.Err() != nil {
		r.err = fmt.Errorf("timed out after %v", e2eTimeout)
	}
	return r
}

// e2eStatus turns what Wait or Run said into an exit status, the signal
// that killed the process (if one did) and an error (if it could not be
// run at all).
func e2eStatus(cmd *exec.Cmd, err error) (int, syscall.Signal, error) {
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return -1, 0, err
	}
	if cmd.ProcessState == nil {
		return -1, 0, err
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal(), nil
	}
	return cmd.ProcessState.ExitCode(), 0, nil
}

// ok runs psyche and fails the test unless it exits 0.
func (e *e2eEnv) ok(args ...string) e2eResult {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 || r.err != nil {
		e.t.Fatalf("expected success:\n%s", r)
	}
	return r
}

// fails runs psyche and fails the test unless it exits 1 with a standard
// error whose first line starts with "error: " and contains want
// (case-insensitively; "" accepts any message).
func (e *e2eEnv) fails(want string, args ...string) e2eResult {
	e.t.Helper()
	r := e.run(args...)
	e.checkFailure(r, want)
	return r
}

func (e *e2eEnv) checkFailure(r e2eResult, want string) {
	e.t.Helper()
	first, _, _ := strings.Cut(r.stderr, "\n")
	switch {
	case r.err != nil || r.code != 1:
		e.t.Errorf("expected exit status 1 and an error containing %q:\n%s", want, r)
	case !strings.HasPrefix(r.stderr, "error: "):
		e.t.Errorf("expected standard error to start with %q:\n%s", "error: ", r)
	case !strings.Contains(strings.ToLower(first), strings.ToLower(want)):
		e.t.Errorf("expected the error's first line to contain %q:\n%s", want, r)
	}
}

// newWorld makes a world named name in the test's directory with psyche new
// and answers its directory.
func (e *e2eEnv) newWorld(name string) string {
	e.t.Helper()
	w := e.path(name)
	e.ok("new", w)
	return w
}

// eval evaluates expr in world w and answers its output (without the final
// newline); anything but success fails the test.
func (e *e2eEnv) eval(w, expr string) string {
	e.t.Helper()
	return e.ok("eval", "-w", w, expr).out()
}

// expectEval evaluates expr in world w and fails the test unless it prints
// want.
func (e *e2eEnv) expectEval(w, expr, want string) {
	e.t.Helper()
	r := e.run("eval", "-w", w, expr)
	if r.code != 0 || r.err != nil || r.out() != want {
		e.t.Errorf("expected output %q:\n%s", want, r)
	}
}

// checkWorld runs psyche check on w and fails the test unless it passes.
func (e *e2eEnv) checkWorld(w string) {
	e.t.Helper()
	if r := e.run("check", "-w", w); r.code != 0 || r.err != nil {
		e.t.Errorf("psyche check should pass:\n%s", r)
	}
}

// e2eRead reads a file or fails the test.
func e2eRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// e2eSameBytes fails the test unless the file name holds exactly want.
func e2eSameBytes(t *testing.T, name string, want []byte, what string) {
	t.Helper()
	got := e2eRead(t, name)
	if bytes.Equal(got, want) {
		return
	}
	first := -1
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if got[i] != want[i] {
			first = i
			break
		}
	}
	if first < 0 {
		first = n
	}
	t.Errorf("%s: %s changed: %d bytes before, %d after, first difference at offset %d (page %d of 4096 bytes)",
		what, name, len(want), len(got), first, first/4096)
}

// e2eWait waits for a started command, at most d; after that it kills it
// and fails the test.
func e2eWait(t *testing.T, cmd *exec.Cmd, d time.Duration, what string) (int, syscall.Signal) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code, sig, err := e2eStatus(cmd, err)
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
		return code, sig
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Errorf("%s: still running after %v; killed it", what, d)
		return -1, syscall.SIGKILL
	}
}

// e2eSyncBuffer is a buffer that one goroutine writes while another reads.
type e2eSyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *e2eSyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *e2eSyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2eANSI matches the terminal control sequences that a line editor writes
// (CSI sequences, OSC sequences, character set selections, single-character
// escapes) and carriage returns.
var e2eANSI = regexp.MustCompile(`\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]|\r|\x07`)

// e2eStripANSI removes terminal control sequences.
func e2eStripANSI(s string) string { return e2eANSI.ReplaceAllString(s, "") }

// copyByImage exports world w to the image img and makes the world copy
// from it (both names in the test's directory), and answers copy's path.
func (e *e2eEnv) copyByImage(w, img, copy string) string {
	e.t.Helper()
	imgPath, copyPath := e.path(img), e.path(copy)
	e.ok("export", "-w", w, imgPath)
	e.ok("new", copyPath, "--image", imgPath)
	return copyPath
}
