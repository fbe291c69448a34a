package tests

// The REPL's inspector and its world commands through the binary, with
// piped input and on a pseudo-terminal (docs/language.md, "The REPL"), and
// mirrors that change objects for good.

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// inspectAccount defines the object the inspector tests look at.
const inspectAccount = `lobby _AddSlots: (| acct = (| parent* = traits clonable. balance <- 10. owner = 'ann'. deposit: n = ( balance: balance + n. self ) |) |)`

// inspectRepl runs a piped REPL on w with the given input lines and
// answers its result; it must exit 0 with nothing on standard error.
func inspectRepl(t *testing.T, e *e2eEnv, w string, lines ...string) e2eResult {
	t.Helper()
	r := e.runInput(strings.Join(lines, "\n")+"\n", "repl", "-w", w)
	if r.code != 0 || r.err != nil || r.stderr != "" {
		t.Fatalf("the REPL should succeed quietly:\n%s", r)
	}
	return r
}

// inspectMatch fails the test unless the output matches each pattern, in order.
func inspectMatch(t *testing.T, r e2eResult, patterns ...string) {
	t.Helper()
	rest := r.stdout
	for _, p := range patterns {
		loc := regexp.MustCompile(`(?m)` + p).FindStringIndex(rest)
		if loc == nil {
			t.Fatalf("no match for %q in what is left of the output:\n%s\n%s", p, e2eIndent(rest), r)
		}
		rest = rest[loc[1]:]
	}
}

func TestE2EInspectObjectAndMethod(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.eval(w, inspectAccount)
	r := inspectRepl(t, e, w,
		":inspect acct",
		":inspect (reflect: acct) at: 'deposit:'",
		":inspect acct balance: 99",
		"acct balance")
	inspectMatch(t, r,
		`^\(\| parent\*\. balance\. owner \|\)$`,
		`^  parent\*\s+constant parent\s+traits clonable$`,
		`^  balance\s+data\s+10$`,
		`^  owner\s+constant\s+'ann'$`,
		`^  deposit:\s+method\s+\( balance: balance \+ n\. self \)$`,
		`^a method:\n\( balance: balance \+ n\. self \)$`,
		`^  balance\s+data\s+99$`, // the inspected expression's own result...
		`^10$`)                    // ...which was not kept
}

func TestE2EInspectLsLoadExport(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.eval(w, inspectAccount)
	script := e.path("more.self")
	if err := os.WriteFile(script, []byte("acct deposit: 5.\nlobby _AddSlots: (| loadedHere = 'yes' |).\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := e.path("saved.img")
	r := inspectRepl(t, e, w, ":ls", ":load "+script, ":export "+img, "acct balance")
	inspectMatch(t, r,
		`^  lobby\s+constant\s+lobby$`,
		`^  acct\s+constant\s+\(\| parent\*\. balance\. owner \|\)$`,
		`^loaded .*more\.self$`,
		`^.*saved\.img: \d+ objects, \d+ bytes`,
		`^15$`)
	e.expectEval(w, "loadedHere", "'yes'")

	// A failing file leaves no trace.
	bad := e.path("bad.self")
	if err := os.WriteFile(bad, []byte("acct deposit: 100.\n1 / 0.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = e.runInput(":load "+bad+"\nacct balance\n", "repl", "-w", w)
	if !strings.Contains(r.stderr, "divisionByZeroError") || !strings.Contains(r.stdout, "15") {
		t.Errorf(":load of a failing file should report it and change nothing:\n%s", r)
	}

	// The exported image holds the world as it was.
	w2 := e.path("w2")
	e.ok("new", "--image", img, w2)
	e.expectEval(w2, "acct balance", "15")
	e.expectEval(w2, "loadedHere", "'yes'")
	e.checkWorld(w)
}

func TestE2EInspectCheckpointsAndDelete(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	r := inspectRepl(t, e, w, ":checkpoint first", ":checkpoint second", ":checkpoints", ":delete first", ":checkpoints")
	inspectMatch(t, r,
		`^first\s+made \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`,
		`^second\s+made \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`,
		`^second\s+made `)
	if strings.Count(r.stdout, "first") != 1 {
		t.Errorf(":delete first left it listed:\n%s", r)
	}
	if got := e.ok("checkpoints", "-w", w).out(); got != "second" {
		t.Errorf("psyche checkpoints after :delete first: %q, want second", got)
	}
	// Usage mistakes are reported, and the REPL goes on.
	r = e.runInput(":delete\n:delete nosuch\n:inspect\n:zork\n3 + 4\n", "repl", "-w", w)
	for _, want := range []string{"usage: :delete NAME", `no checkpoint named "nosuch"`, "usage: :inspect EXPR", "unknown command :zork"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("standard error should contain %q:\n%s", want, r)
		}
	}
	if !strings.Contains(r.stdout, "7") {
		t.Errorf("the REPL should go on after the mistakes:\n%s", r)
	}
	r = inspectRepl(t, e, w, ":help")
	for _, c := range []string{":inspect EXPR", ":ls", ":load FILE", ":export IMG", ":delete NAME", ":checkpoints"} {
		if !strings.Contains(r.stdout, c) {
			t.Errorf(":help does not list %s:\n%s", c, r)
		}
	}
}

// TestE2EMirrorChangesPersist: slots added and removed through a mirror
// are there for the next process, like any change.
func TestE2EMirrorChangesPersist(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.eval(w, inspectAccount)
	e.eval(w, "(reflect: acct) addSlots: (reflect: (| limit <- 50. withdraw: n = ( balance: balance - n. self ) |))")
	e.expectEval(w, "(acct withdraw: 4) balance", "6")
	e.expectEval(w, "acct limit", "50")
	e.expectEval(w, "((reflect: acct) at: 'withdraw:') source", "'( balance: balance - n. self )'")
	e.eval(w, "(reflect: acct) removeSlot: 'owner'")
	e.expectEval(w, "(reflect: acct) names", "('parent', 'balance', 'deposit:', 'limit', 'withdraw:')")
	e.fails("undefinedSelector: owner", "eval", "-w", w, "acct owner")
	e.checkWorld(w)
}

// TestE2EInspectTabCompletion: on a terminal, Tab after a name offers the
// slot names of the object it names (not every selector with that
// prefix), and completes the colon commands.
func TestE2EInspectTabCompletion(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.eval(w, "lobby _AddSlots: (| other = (| tabSlotAlpha = 1 |). myAccount = (| parent* = traits clonable. tabSlotZulu <- 7 |) |)")

	p := e2eStartPty(t, e, "repl", "-w", w)
	p.prompt()
	// tabSlotAlpha sorts first among all selectors; only tabSlotZulu is
	// myAccount's.
	p.typeKeys("myAccount tabSlot\t")
	p.expect("myAccount tabSlotZulu")
	p.enter("")
	p.expectLine("7")
	p.prompt()

	p.typeKeys(":ins\t")
	p.expect(":inspect")
	p.enter(" myAccount")
	p.waitFor(regexp.MustCompile(`(?m)^  tabSlotZulu\s+data\s+7`), "the inspection of myAccount")
	p.prompt()
	p.enter(":quit")
	if code := p.wait(); code != 0 {
		t.Errorf(":quit: the REPL exited with status %d, want 0", code)
	}
}
