package tests

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	psycheBin   = flag.String("psyche", "", "run this psyche binary instead of building ./cmd/psyche")
	caseTimeout = flag.Duration("case-timeout", 2*time.Minute, "time limit for one psyche command")
)

// TestLanguage runs every case file in lang/ against the psyche command.
// Each file gets a fresh world (psyche new) and runs its cases in order,
// one psyche eval per case; different files run in parallel. Each case is
// a subtest named FILE:LINE, under a subtest named after the file:
//
//	go test -run 'TestLanguage/integers' ./tests/
//	go test -run 'TestLanguage/integers/integers.cases:12$' ./tests/
//
// When -run selects only some cases of a file, the others still run (so
// that the world is as the selected cases expect), but are not reported.
func TestLanguage(t *testing.T) {
	files, err := LoadDir("lang")
	if err != nil {
		t.Fatal(err)
	}
	if n := CountCases(files); n < MinCases {
		t.Fatalf("found %d cases in lang/*.cases, want at least %d: has a case file gone missing?", n, MinCases)
	}
	bin := *psycheBin
	if bin == "" {
		bin = buildPsyche(t)
	} else if bin, err = filepath.Abs(bin); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.Name, ".cases"), func(t *testing.T) {
			t.Parallel()
			runFile(t, bin, f)
		})
	}
}

// moduleRoot finds the directory of go.mod: go env GOMOD, or failing that
// the nearest go.mod above the current directory.
func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if gomod := strings.TrimSpace(string(out)); err == nil && gomod != "" && gomod != os.DevNull {
		return filepath.Dir(gomod)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the module root (no go.mod above the test directory)")
		}
		dir = parent
	}
}

// buildPsyche builds ./cmd/psyche into a temporary directory, once for
// the whole test.
func buildPsyche(t *testing.T) string {
	root := moduleRoot(t)
	bin := filepath.Join(t.TempDir(), "psyche")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/psyche")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/psyche in %s: %v\n%s", root, err, out)
	}
	return bin
}

// result is what one psyche command did.
type result struct {
	stdout, stderr string
	code           int   // exit status; -1 if it did not exit normally
	err            error // failure to run it at all, or a time-out
}

// caseMemory is the memory limit of the cases' evaluations
// (PSYCHE_MEMORY): enough for every case, small enough that a case that
// reaches it (reading /dev/zero) does so in a moment.
const caseMemory = "256M"

// psyche runs the binary with args in dir, with a world-related
// environment that cannot touch the user's own default world, and the
// cases' memory limit.
func psyche(bin, dir string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), *caseTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PSYCHE_WORLD="+filepath.Join(dir, "w"),
		"XDG_DATA_HOME="+filepath.Join(dir, "xdg"),
		"PSYCHE_MEMORY="+caseMemory,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code, r.err = -1, fmt.Errorf("timed out after %v (raise it with -case-timeout)", *caseTimeout)
	case err == nil:
		r.code = 0
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code, r.err = -1, err
	}
	return r
}

// runFile runs the cases of one file, in order, in a fresh world. The
// file's directory is also the working directory of every command, so
// relative file names in cases land there.
func runFile(t *testing.T, bin string, f *CaseFile) {
	dir := t.TempDir()
	world := filepath.Join(dir, "w")
	if r := psyche(bin, dir, "new", world); r.err != nil || r.code != 0 {
		t.Fatalf("psyche new %s: exit status %d, %v\nstdout:\n%s\nstderr:\n%s", world, r.code, r.err, r.stdout, r.stderr)
	}
	for _, c := range f.Cases {
		ran := false
		t.Run(c.Name(), func(t *testing.T) {
			ran = true
			if msg := check(c, psyche(bin, dir, "eval", "-w", world, c.Source)); msg != "" {
				t.Error(msg)
			}
		})
		if !ran {
			// Not selected by -run: run it anyway for its effects on the world.
			psyche(bin, dir, "eval", "-w", world, c.Source)
		}
	}
}

// check compares what a case did with what it should have done and
// answers a description of the difference, or "".
func check(c *Case, r result) string {
	var problem string
	switch {
	case r.err != nil:
		problem = r.err.Error()
	case c.Fails && r.code != 1:
		problem = fmt.Sprintf("the evaluation should fail with exit status 1, got exit status %d", r.code)
	case c.Fails:
		first, _, _ := strings.Cut(r.stderr, "\n")
		first = strings.TrimSuffix(first, "\r")
		if !strings.Contains(first, c.WantErr) {
			problem = "the first line of standard error does not contain the expected text"
		}
	case r.code != 0:
		problem = fmt.Sprintf("the evaluation should succeed, got exit status %d", r.code)
	case strings.TrimSuffix(r.stdout, "\n") != strings.Join(c.Want, "\n"):
		problem = "standard output differs"
	}
	if problem == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\nsource:\n%s", c.Name(), problem, indent(c.Source, "    > "))
	if c.Fails {
		fmt.Fprintf(&b, "expected: exit status 1, first line of standard error containing\n    !! %s\n", c.WantErr)
	} else {
		fmt.Fprintf(&b, "expected standard output:\n%s", indent(strings.Join(c.Want, "\n"), "    => "))
	}
	fmt.Fprintf(&b, "actual: exit status %d\nstandard output:\n%sstandard error:\n%s",
		r.code, indent(strings.TrimSuffix(r.stdout, "\n"), "    | "), indent(strings.TrimSuffix(r.stderr, "\n"), "    | "))
	return b.String()
}

// indent prefixes every line of s and ends each with a newline.
func indent(s, prefix string) string {
	if s == "" {
		return "    (empty)\n"
	}
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(prefix)
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}
