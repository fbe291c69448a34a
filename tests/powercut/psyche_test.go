package powercut

// Running the real psyche binary: building it once from the main module
// (this module cannot import package psyche/tests, so it has its own small
// builder), and running one command with its output, exit status and the
// signal that ended it.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// commandTimeout bounds one psyche command; a longer one is a hang.
const commandTimeout = 60 * time.Second

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// TestMain removes the binary built for the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildPath != "" && os.Getenv("PSYCHE_E2E_BIN") == "" {
		os.RemoveAll(filepath.Dir(buildPath))
	}
	os.Exit(code)
}

// psycheBin is $PSYCHE_E2E_BIN, or ./cmd/psyche of the main module built once
// per test run into a temporary directory.
func psycheBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if b := os.Getenv("PSYCHE_E2E_BIN"); b != "" {
			buildPath, buildErr = filepath.Abs(b)
			return
		}
		buildPath, buildErr = buildPsyche()
	})
	if buildErr != nil {
		t.Fatalf("building psyche: %v", buildErr)
	}
	return buildPath
}

func buildPsyche() (string, error) {
	root, err := mainModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "psyche-powercut-")
	if err != nil {
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

// mainModuleRoot is the nearest directory above the working directory whose
// go.mod declares module psyche.
func mainModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			first, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			if strings.TrimSpace(first) == "module psyche" {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of module psyche above the working directory")
		}
		dir = parent
	}
}

// result is what one psyche command did.
type result struct {
	args           []string
	stdout, stderr string
	code           int            // exit status; -1 if a signal ended it
	signal         syscall.Signal // the signal that ended it, if one did
	hung           bool           // killed after commandTimeout
}

func (r result) String() string {
	s := fmt.Sprintf("psyche %s\nexit status %d", strings.Join(r.args, " "), r.code)
	if r.signal != 0 {
		s += fmt.Sprintf(" (%v)", r.signal)
	}
	if r.hung {
		s += fmt.Sprintf(", killed after %v", commandTimeout)
	}
	return s + fmt.Sprintf("\nstdout:\n%s\nstderr:\n%s", indent(r.stdout), indent(r.stderr))
}

func (r result) ok() bool { return r.code == 0 && r.signal == 0 && !r.hung }

func indent(s string) string {
	if s == "" {
		return "    (nothing)"
	}
	const max = 3000
	if len(s) > max {
		s = s[:max] + fmt.Sprintf("... (%d more bytes)", len(s)-max)
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ")
}

// panicMarks are what the Go runtime prints when a program panics or
// crashes; no psyche command may print any of them, killed or not.
var panicMarks = []string{"panic:", "fatal error:", "goroutine ", "SIGSEGV", "SIGBUS", "unexpected fault address"}

func (r result) panicked() bool {
	for _, m := range panicMarks {
		if strings.Contains(r.stderr, m) || strings.Contains(r.stdout, m) {
			return true
		}
	}
	return false
}

// env is the environment psyche runs in: a private HOME and
// XDG_DATA_HOME, so that no test can touch the user's default world.
type env struct {
	bin  string
	dir  string // working directory, off the FUSE mount
	vars []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	set := map[string]string{
		"HOME":          filepath.Join(dir, "home"),
		"XDG_DATA_HOME": filepath.Join(dir, "xdg"),
		"PSYCHE_WORLD":  filepath.Join(dir, "default-world"),
	}
	var vars []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			vars = append(vars, kv)
		}
	}
	for k, v := range set {
		vars = append(vars, k+"="+v)
	}
	return &env{bin: psycheBin(t), dir: dir, vars: vars}
}

// command makes (does not start) a psyche command.
func (e *env) command(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(e.bin, args...)
	cmd.Dir = e.dir
	cmd.Env = e.vars
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// wait waits for a started command, killing it after commandTimeout.
func wait(cmd *exec.Cmd, stdout, stderr *bytes.Buffer, args []string) result {
	timer := time.AfterFunc(commandTimeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	hung := !timer.Stop()
	r := result{args: args, code: -1, hung: hung}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		r.stderr = err.Error()
		return r
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.signal = ws.Signal()
		return r
	}
	r.code = cmd.ProcessState.ExitCode()
	return r
}

// run runs one psyche command to its end.
func (e *env) run(args ...string) result {
	cmd, stdout, stderr := e.command(args...)
	if err := cmd.Start(); err != nil {
		return result{args: args, code: -1, stderr: err.Error()}
	}
	return wait(cmd, stdout, stderr, args)
}
