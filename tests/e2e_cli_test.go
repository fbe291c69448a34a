package tests

// End-to-end tests of the command line (issue 7, "The command line" and
// "A rollback loses nothing"): -w names an existing world, help and flags
// as users type them, eval --at refuses what it could not keep, a rollback
// keeps the state it replaces (also when killed), and a piped REPL's exit
// status.
//
//	PSYCHE_SOAK=1 go test -run TestE2ECliRollbackKill9 ./tests/   # 200 rounds

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// eval, run and repl on a directory that holds no world say how to make
// one, and make nothing; the default world alone is made on first use.
func TestE2ECliMissingWorld(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	typo := e.path("wrold")
	script := e.path("s.self")
	if err := os.WriteFile(script, []byte("3 + 4"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"eval", "-w", typo, "3 + 4"},
		{"run", "-w", typo, script},
		{"repl", "-w", typo},
	} {
		e.fails("psyche new "+typo, args...)
		if _, err := os.Stat(typo); !os.IsNotExist(err) {
			t.Fatalf("psyche %s made %s (%v)", strings.Join(args, " "), typo, err)
		}
	}
	// The default world ($PSYCHE_WORLD here) is made on first use.
	if r := e.ok("eval", "3 + 4"); r.out() != "7" {
		t.Errorf("expected 7:\n%s", r)
	}
	e.ok("new", typo)
	e.expectEval(typo, "3 + 4", "7")
}

// An expression that starts with '-' goes after --; without it, the error
// says so.
func TestE2ECliDashExpression(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	if r := e.ok("eval", "-w", w, "--", "-7 / 2"); r.out() != "-3" {
		t.Errorf("expected -3:\n%s", r)
	}
	if r := e.ok("eval", "--", "-7 / 2"); r.out() != "-3" {
		t.Errorf("expected -3:\n%s", r)
	}
	r := e.run("eval", "-w", w, "-7 / 2")
	if r.code != 2 || !strings.Contains(r.stderr, "psyche eval -- '-7 / 2'") {
		t.Errorf("expected exit status 2 and the hint to put -- before the expression:\n%s", r)
	}
}

// e2eCliLongFlag is a flag of two or more letters written with one dash, as
// Go's flag package would show it, at the start of a help line or after a
// space in an error.
var e2eCliLongFlag = regexp.MustCompile(`(^|\s)-[a-z]{2,}\b`)

// psyche help CMD shows that command's usage and help, and every flag as
// it is typed: -w, --at, --delete, --image.
func TestE2ECliHelp(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, tc := range []struct {
		cmd   string
		flags []string
	}{
		{"new", []string{"--image IMG"}},
		{"export", []string{"-w DIR"}},
		{"eval", []string{"-w DIR", "--at CHECKPOINT"}},
		{"run", []string{"-w DIR"}},
		{"repl", []string{"-w DIR"}},
		{"checkpoint", []string{"-w DIR", "--delete"}},
		{"checkpoints", []string{"-w DIR"}},
		{"rollback", []string{"-w DIR"}},
		{"check", []string{"-w DIR"}},
		{"gc", []string{"-w DIR"}},
		{"info", []string{"-w DIR"}},
		{"parse", nil},
	} {
		for _, args := range [][]string{{"help", tc.cmd}, {tc.cmd, "-h"}, {tc.cmd, "--help"}} {
			r := e.ok(args...)
			if !strings.HasPrefix(r.stdout, "usage: psyche "+tc.cmd+" ") {
				t.Errorf("expected the usage of %s first:\n%s", tc.cmd, r)
			}
			for _, f := range tc.flags {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(f) + `  `).MatchString(r.stdout) {
					t.Errorf("expected a line for the flag %q as typed:\n%s", f, r)
				}
			}
			if m := e2eCliLongFlag.FindString(r.stdout); m != "" {
				t.Errorf("a long flag shown with one dash (%q):\n%s", m, r)
			}
		}
	}
	// Usage errors name the flag as typed too, and exit 2.
	r := e.run("eval", "--at")
	if r.code != 2 || !strings.Contains(r.stderr, "--at") || e2eCliLongFlag.MatchString(r.stderr) {
		t.Errorf("expected exit status 2 and an error naming --at:\n%s", r)
	}
	r = e.run("help", "nosuch")
	if r.code != 2 || !strings.Contains(r.stderr, "nosuch") {
		t.Errorf("expected exit status 2 and an error naming nosuch:\n%s", r)
	}
	if r := e.ok("help"); !strings.Contains(r.stdout, "psyche help CMD") {
		t.Errorf("psyche help should say how to get a command's help:\n%s", r)
	}
}

// The first things a newcomer types: a mistyped command and help on help
// show the commands; version answers; psyche -w DIR is the REPL on DIR, as
// psyche alone is on the default world; counts read as English.
func TestE2ECliFirstSteps(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, args := range [][]string{{"bogus"}, {"help", "bogus"}, {"help", "eval", "run"}} {
		r := e.run(args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, "  psyche eval ") {
			t.Errorf("expected exit status 2, an error and the commands' usage lines:\n%s", r)
		}
	}
	if r := e.ok("help", "help"); !strings.Contains(r.stdout, "  psyche eval ") {
		t.Errorf("psyche help help should list the commands:\n%s", r)
	}
	for _, v := range []string{"version", "--version"} {
		if r := e.ok(v); !regexp.MustCompile(`^psyche \S.* \(go1\.`).MatchString(r.stdout) {
			t.Errorf("expected the version and the Go release:\n%s", r)
		}
	}
	w := e.newWorld("w")
	r := e.runInput("lobby _AddSlots: (| n <- 41 |).\nn + 1\n", "-w", w)
	if r.code != 0 || !strings.Contains(r.stdout, "42") {
		t.Errorf("expected psyche -w DIR to run the REPL on DIR:\n%s", r)
	}
	if info := e.eval(w, "world info"); !strings.Contains(info, ", 2 transactions, 0 checkpoints") {
		t.Errorf("world info: %s", info)
	}
	for _, blank := range []string{"", "  ", `"only a comment"`} {
		if r := e.ok("eval", "-w", w, blank); r.stdout != "" {
			t.Errorf("expected no output for input without code:\n%s", r)
		}
	}
	if r := e.runInput("\"a comment\"\n3 + 4\n", "-w", w); r.code != 0 || strings.Contains(r.stdout, "lobby") || !strings.Contains(r.stdout, "7") {
		t.Errorf("expected the REPL to show nothing for a comment, then 7:\n%s", r)
	}
	// -w on what is not a world says what it is, and advises psyche new only
	// where that would work.
	if err := os.WriteFile(e.path("file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.path("full"), "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.fails("is a file, not a world", "eval", "-w", e.path("file"), "3")
	e.fails("holds no world but other files (notes)", "eval", "-w", e.path("full"), "3")
	e.fails("no world here (create one with: psyche new "+e.path("none")+")", "eval", "-w", e.path("none"), "3")
	e.ok("checkpoint", "-w", w, "one")
	if info := e.eval(w, "n: 1. world info"); !strings.Contains(info, ", 1 checkpoint'") {
		t.Errorf("world info after one checkpoint: %s", info)
	}
}

// world checkpoint: inside eval --at would be thrown away with everything
// else: it is an error, also when the world needs recovery first (and is
// therefore opened to change it), where it used to pass silently.
func TestE2ECliEvalAtRefusesCheckpoint(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| y <- 1 |). y", "1")
	e.ok("checkpoint", "-w", w, "a")
	refused := func(when string) {
		t.Helper()
		r := e.fails("eval --at is read-only", "eval", "-w", w, "--at", "a", "world checkpoint: 'x'. y")
		if !strings.Contains(r.stderr, "checkpoint:") {
			t.Errorf("%s: the error should name checkpoint:\n%s", when, r)
		}
		if r := e.ok("checkpoints", "-w", w); r.out() != "a" {
			t.Errorf("%s: expected only checkpoint a:\n%s", when, r)
		}
	}
	refused("a clean world")

	// A REPL killed after a commit leaves its log to replay.
	cmd := e.command("repl", "-w", w)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(stdin, "y: 2. y")
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "2\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the REPL answered %q (%v), want 2", line, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	refused("a world with a log to replay")
	e.expectEval(w, "y", "2")
}

// A rollback deletes nothing: the present becomes a checkpoint (named and
// printed), and rolling back to it undoes the rollback.
func TestE2ECliRollbackKeepsEverything(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| x <- 1 |). x", "1")
	e.ok("checkpoint", "-w", w, "a")
	e.expectEval(w, "x: 2", "lobby")
	e.ok("checkpoint", "-w", w, "b")
	e.expectEval(w, "x: 3", "lobby")

	r := e.ok("rollback", "-w", w, "a")
	if !strings.Contains(r.stdout, "the present state is kept as checkpoint before-rollback-to-a") {
		t.Errorf("rollback should say where the present state is kept:\n%s", r)
	}
	e.expectEval(w, "x", "1")
	if r := e.ok("checkpoints", "-w", w); r.out() != "a\nb\nbefore-rollback-to-a" {
		t.Errorf("expected a, b and before-rollback-to-a:\n%s", r)
	}
	for name, want := range map[string]string{"a": "1", "b": "2", "before-rollback-to-a": "3"} {
		if r := e.ok("eval", "-w", w, "--at", name, "x"); r.out() != want {
			t.Errorf("at %s, expected x = %s:\n%s", name, want, r)
		}
	}
	// Undo it: the present is kept under a name that does not nest.
	if r := e.ok("rollback", "-w", w, "before-rollback-to-a"); !strings.Contains(r.stdout, "kept as checkpoint before-rollback-to-a-2:") {
		t.Errorf("undoing the rollback should keep the present as before-rollback-to-a-2:\n%s", r)
	}
	e.expectEval(w, "x", "3")
	// The same target again: the next free name.
	if r := e.ok("rollback", "-w", w, "a"); !strings.Contains(r.stdout, "before-rollback-to-a-3") {
		t.Errorf("a second rollback to a should keep the present as before-rollback-to-a-3:\n%s", r)
	}
	e.expectEval(w, "x", "1")
	for name, want := range map[string]string{"before-rollback-to-a-2": "1", "before-rollback-to-a-3": "3"} {
		if r := e.ok("eval", "-w", w, "--at", name, "x"); r.out() != want {
			t.Errorf("at %s, expected x = %s:\n%s", name, want, r)
		}
	}
	// :rollback in the REPL says the same.
	r = e.runInput(":rollback b\nx\n", "repl", "-w", w)
	if r.code != 0 || !strings.Contains(r.stdout, "kept as checkpoint before-rollback-to-b") || !strings.HasSuffix(r.stdout, "2\n") {
		t.Errorf("expected :rollback b to keep the present and x = 2:\n%s", r)
	}
	e.checkWorld(w)
}

// A REPL reading a pipe exits 1 if any input failed, 0 if none did.
func TestE2ECliReplPipedExitStatus(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	for _, tc := range []struct {
		input string
		code  int
	}{
		{"3 + 4\n5\n", 0},
		{"3 + 4\nnil zork\n5\n", 1},
		{"nil zork\n:quit\n", 1},
		{":rollback nosuch\n3\n", 1},
		{":checkpoint c\n:checkpoints\n", 0},
	} {
		r := e.runInput(tc.input, "repl", "-w", w)
		if r.code != tc.code || r.err != nil {
			t.Errorf("input %q: expected exit status %d:\n%s", tc.input, tc.code, r)
		}
	}
}

// e2eCliState prints x and the first and last bytes of bv.
const e2eCliState = "x printString, '/', (bv at: 0) printString, '/', (bv at: bv size - 1) printString"

// kill -9 at any moment of a rollback leaves the world as it was before it
// (same state, same checkpoints) or after it (the target's state, the
// present kept as a new checkpoint), and every checkpoint still holds its
// state.
func TestE2ECliRollbackKill9(t *testing.T) {
	t.Parallel()
	rounds := 20
	if os.Getenv("PSYCHE_SOAK") != "" {
		rounds = 200
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PSYCHE_E2E_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (PSYCHE_E2E_SEED=%d replays the choices), %d rounds", seed, seed, rounds)
	rng := rand.New(rand.NewPCG(seed, 0x7b))

	e := newE2E(t)
	w := e.newWorld("w")
	const pages = 256 // bv's size in pages: every round changes all of them
	e.expectEval(w, fmt.Sprintf("lobby _AddSlots: (| x <- 0. bv <- byteVector copySize: %d |). x", pages*4096), "0")
	e.ok("checkpoint", "-w", w, "a")
	names := []string{"a"}
	states := map[string]string{"a": "'0/0/0'"}

	// A whole rollback's time, to spread the kills over.
	start := time.Now()
	e2eCliChange(e, w, 1)
	e.ok("rollback", "-w", w, "a")
	took := time.Since(start)
	names = append(names, "before-rollback-to-a")
	states["before-rollback-to-a"] = "'1/1/1'"
	present := "'0/0/0'"
	kills := 0

	for round := 2; round < rounds+2 && !t.Failed(); round++ {
		present = e2eCliChange(e, w, round)
		// Names of kept states of kept states grow; keep them well under
		// the limit (psyche would shorten them).
		targets := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return len(n) > 100 })
		target := targets[rng.IntN(len(targets))]
		kept := e2eCliKeptName(names, target)
		delay := time.Duration(rng.Int64N(int64(took) * 3 / 2))
		cmd := e.command("rollback", "-w", w, target)
		var out e2eSyncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		code, sig := e2eWait(t, cmd, e2eTimeout, "psyche rollback")
		if sig == syscall.SIGKILL {
			kills++
		} else if code != 0 {
			t.Fatalf("round %d: rollback to %s failed without a kill:\n%s", round, target, out.String())
		}

		list := strings.Fields(e.ok("checkpoints", "-w", w).stdout)
		state := e.ok("eval", "-w", w, e2eCliState).out()
		after := append(slices.Clone(names), kept)
		switch {
		case slices.Equal(list, names) && state == present && sig == syscall.SIGKILL:
			// Killed before the rollback happened.
		case slices.Equal(list, after) && state == states[target]:
			names = after
			states[kept] = present
			present = states[target]
		default:
			t.Fatalf("round %d: rollback to %s killed after %v (exit %d, signal %v): checkpoints %v, state %s;\nwant %v and %s (before) or %v and %s (after)\noutput: %s",
				round, target, delay, code, sig, list, state, names, present, after, states[target], out.String())
		}
		// Every checkpoint holds its state: the kept one and the target
		// every round, all of them now and then.
		look := []string{target, names[len(names)-1]}
		if round%5 == 0 || round == rounds+1 {
			look = names
			e.checkWorld(w)
		}
		for _, name := range look {
			if r := e.ok("eval", "-w", w, "--at", name, e2eCliState); r.out() != states[name] {
				t.Fatalf("round %d: checkpoint %s holds %s, want %s", round, name, r.out(), states[name])
			}
		}
		// Keep the history short enough for the rounds to stay fast.
		if len(names) > 8 {
			victim := names[1+rng.IntN(len(names)-1)]
			e.ok("checkpoint", "-w", w, "--delete", victim)
			names = slices.DeleteFunc(names, func(n string) bool { return n == victim })
			delete(states, victim)
		}
	}
	t.Logf("%d of %d rollbacks killed (a whole one takes %v)", kills, rounds, took)
}

// e2eCliChange sets x to round, and the first byte of every page of bv and
// its last byte to round (mod 256), and answers the new state.
func e2eCliChange(e *e2eEnv, w string, round int) string {
	e.t.Helper()
	v := round % 256
	e.eval(w, fmt.Sprintf("x: %d. 0 to: bv size - 1 By: 4096 Do: [|:i| bv at: i Put: %d]. bv at: bv size - 1 Put: %d. x", round, v, v))
	return fmt.Sprintf("'%d/%d/%d'", round, v, v)
}

// e2eCliKeptName is the checkpoint a rollback to target keeps the present
// in, given the checkpoints names.
func e2eCliKeptName(names []string, target string) string {
	const prefix = "before-rollback-to-" // a target that has it loses it first
	for strings.HasPrefix(target, prefix) && len(target) > len(prefix) {
		target = strings.TrimPrefix(target, prefix)
	}
	name := "before-rollback-to-" + target
	for n := 2; slices.Contains(names, name); n++ {
		name = "before-rollback-to-" + target + "-" + strconv.Itoa(n)
	}
	return name
}
