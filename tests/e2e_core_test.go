package tests

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Nothing a user does to the core world stops the world: the system's own
// bookkeeping reads the core through declared layouts (world/corelayout.go)
// and runs the core's vats methods where a failure is undone and reported
// as that work's error, never as the failure of an unrelated evaluation.

// e2eCoreBreakage breaks a core method or object the system once relied on.
type e2eCoreBreakage struct {
	name   string
	breaks string
	// probe prints want with the core whole, something else once broken.
	probe, want string
	// names, if set, is what the sender's serve reports while its core is
	// broken: the message is sent, but the core cannot settle its promise,
	// so it stays in the outbox (and is answered again after the
	// rollback); if empty, the message is sent and settled in spite of the
	// breakage.
	names string
}

var e2eCoreBreakages = []e2eCoreBreakage{
	{"list do:", `traits list _AddSlots: (| do: b = ( rep ) |)`, `((list copyRemoveAll add: 5) asVector) at: 0`, `5`, "in do:"},
	{"asVector", `traits collection _AddSlots: (| asVector = ( error: 'asVector is broken' ) |)`, `(list copyRemoveAll add: 5) asVector size`, `1`, ""},
	{"printString of integers", `traits integer _AddSlots: (| printString = ( rep ) |)`, `3 printString`, `'3'`, ""},
	{"vector at:", `traits vector _AddSlots: (| at: i = ( rep ) |)`, `(vector copySize: 1) at: 0`, `nil`, "acceptFrom:Seq:Ok:Value:"},
	{"vats acceptFrom:", `vats _AddSlots: (| acceptFrom: d Seq: n Ok: o Value: v = ( rep ) |)`, `((reflect: vats) at: 'acceptFrom:Seq:Ok:Value:') source size > 100`, `true`, "acceptFrom:Seq:Ok:Value:"},
	{"globals vats", `globals _AddSlots: (| vats = 3 |)`, `vats printString`, `'vats'`, "globals vats"},
}

// TestE2ECoreBreakagesSender: each client world has a message waiting in
// its outbox for a bank that is down, and then a broken core. 3 + 4 still
// answers 7, check passes, eval --at the checkpoint made before the
// breakage sees the core whole; serving the world sends the message (or
// reports an error naming the breakage, the message staying in the
// outbox); a rollback restores the core, and every message is taken
// exactly once.
func TestE2ECoreBreakagesSender(t *testing.T) {
	e2eUnignoreSigint()
	e := newE2E(t)
	bank := vatFlowBank(e, "bank")
	clients := make([]string, len(e2eCoreBreakages))
	for i, c := range e2eCoreBreakages {
		me := vatFlowClient(e, fmt.Sprintf("me%d", i), bank)
		clients[i] = me
		e.checkFailure(e.run("eval", "--timeout", "100ms", "-w", me, "p: bank deposit: 1 To: 'x'. 0"), "1 reply still pending")
		e.expectEval(me, c.probe, c.want)
		e.ok("checkpoint", "-w", me, "before")
		e.ok("eval", "-w", me, c.breaks)
		e2eCoreStillWorks(t, e, me, c)
	}

	srv := vatFlowServe(t, e, bank)
	for i, c := range e2eCoreBreakages {
		out := e2eServeUntil(t, e, clients[i], func(out string) bool {
			return e.eval(clients[i], "p isPending") == "false" || c.names != "" && strings.Contains(out, c.names)
		})
		settled := e.eval(clients[i], "p isPending") == "false"
		out = out[max(0, len(out)-1500):]
		if c.names == "" && !settled {
			t.Errorf("%s broken: the message was not sent:\n%s", c.name, out)
		}
		if c.names != "" && (settled || !strings.Contains(out, c.names)) {
			t.Errorf("%s broken: want the message kept and %q named in serve's output, got settled %v:\n%s", c.name, c.names, settled, out)
		}
		e.ok("rollback", "-w", clients[i], "before")
		e.expectEval(clients[i], c.probe, c.want)
		e.expectEval(clients[i], "3 + 4", "7")
		e.expectEval(clients[i], "(bank deposit: 0 To: 'y') whenResolved: [|:v| v printLine]. 0", "0\ny has "+fmt.Sprint(i+1))
		e.expectEval(clients[i], "p", "a promise (fulfilled: 'x has "+fmt.Sprint(i+1)+"')")
		e.checkWorld(clients[i])
	}
	srv.stop(t)
	e.expectEval(bank, "gateway total", fmt.Sprint(len(e2eCoreBreakages)))
	e.checkWorld(bank)
}

// TestE2ECoreBreakagesReceiver: a bank whose core cannot record a delivery
// keeps serving, answers nothing for the message (which the sender keeps)
// and says why; after a rollback of the bank the message is delivered once.
func TestE2ECoreBreakagesReceiver(t *testing.T) {
	e2eUnignoreSigint()
	e := newE2E(t)
	bank := vatFlowBank(e, "bank")
	me := vatFlowClient(e, "me", bank)
	c := e2eCoreBreakage{"vats record:From:", `vats _AddSlots: (| record: r From: s = ( rep ) |)`,
		`((reflect: vats) at: 'record:From:') source size > 100`, `true`, "record:From:"}
	e.expectEval(bank, c.probe, c.want)
	e.ok("checkpoint", "-w", bank, "before")
	e.ok("eval", "-w", bank, c.breaks)

	srv := vatFlowServe(t, e, bank)
	r := e.run("eval", "--timeout", "1s", "-w", me, "p: bank deposit: 1 To: 'x'. 0")
	e.checkFailure(r, "1 reply still pending")
	srv.stop(t)
	if !strings.Contains(srv.out.String(), c.names) || !strings.Contains(srv.out.String(), "the message waits") {
		t.Errorf("the bank's serve should report the broken %s and go on:\n%s", c.names, srv.out)
	}
	e2eCoreStillWorks(t, e, bank, c)
	e.ok("rollback", "-w", bank, "before")
	e.expectEval(bank, c.probe, c.want)

	srv = vatFlowServe(t, e, bank)
	e.expectEval(me, "(bank deposit: 0 To: 'y') whenResolved: [|:v| v printLine]. 0", "0\ny has 1")
	e.expectEval(me, "p", "a promise (fulfilled: 'x has 1')")
	// A failing callback is reported and undoes only itself.
	r = e.run("eval", "-w", me, "p: bank deposit: 0 To: 'z'. p whenResolved: [|:v| rep]. 0")
	if r.code != 0 || r.out() != "0" || !strings.Contains(r.stderr, "a promise callback failed: undefinedSelector: rep") {
		t.Errorf("a failing callback should be reported, the evaluation kept:\n%s", r)
	}
	e.expectEval(me, "p", "a promise (fulfilled: 'z has 1')")
	srv.stop(t)
	e.expectEval(bank, "gateway total", "1")
	e.checkWorld(bank)
	e.checkWorld(me)
}

// e2eCoreStillWorks checks world w with its core broken by c: the breakage
// took, 3 + 4 answers 7, check passes, eval --at before sees the core
// whole, info and gc work, and so does a copy made by export and import.
func e2eCoreStillWorks(t *testing.T, e *e2eEnv, w string, c e2eCoreBreakage) {
	t.Helper()
	if r := e.run("eval", "-w", w, c.probe); r.code == 0 && r.out() == c.want {
		t.Errorf("%s: the breakage did not take:\n%s", c.name, r)
	}
	if r := e.run("eval", "-w", w, "3 + 4"); r.code != 0 || !strings.HasPrefix(r.out(), "7") {
		t.Errorf("%s broken: 3 + 4 should answer 7:\n%s", c.name, r)
	}
	e.checkWorld(w)
	if r := e.run("eval", "-w", w, "--at", "before", c.probe); r.code != 0 || r.out() != c.want {
		t.Errorf("%s broken: eval --at before should print %s:\n%s", c.name, c.want, r)
	}
	e.ok("info", "-w", w)
	e.ok("gc", "-w", w)
	copied := e.copyByImage(w, filepath.Base(w)+".img", filepath.Base(w)+"-copy")
	if r := e.run("eval", "-w", copied, "3 + 4"); r.code != 0 || !strings.HasPrefix(r.out(), "7") {
		t.Errorf("%s broken, exported and imported: 3 + 4 should answer 7:\n%s", c.name, r)
	}
}

// e2eServeUntil serves world w in short runs until done says so of what
// the runs printed (or e2eTimeout passes), and answers that output.
func e2eServeUntil(t *testing.T, e *e2eEnv, w string, done func(out string) bool) string {
	t.Helper()
	var out strings.Builder
	for deadline := time.Now().Add(e2eTimeout); time.Now().Before(deadline); {
		srv := vatFlowServe(t, e, w)
		time.Sleep(300 * time.Millisecond)
		srv.stop(t)
		out.WriteString(srv.out.String())
		if done(out.String()) {
			break
		}
	}
	return out.String()
}

// TestE2ECoreBreakageRepl: in a REPL, which runs as a vat and reads its
// outbox between inputs, breaking the core's list do:, then globals vats,
// then the lobby's slot lobby fails no later input (:ls included), and
// :rollback restores the core.
func TestE2ECoreBreakageRepl(t *testing.T) {
	e := newE2E(t)
	w := e.newWorld("w")
	e.ok("checkpoint", "-w", w, "before")
	r := e.runInput(`traits list _AddSlots: (| do: b = ( rep ) |)
3 + 4
globals _AddSlots: (| vats = 3 |)
3 + 4
lobby _AddSlots: (| lobby = 3 |)
:ls
:rollback before
((list copyRemoveAll add: 5) asVector) at: 0
vats printString
`, "repl", "-w", w)
	lines := strings.Split(r.out(), "\n")
	if r.code != 0 || len(lines) < 6 || lines[1] != "7" || lines[3] != "7" || !slices.Contains(lines, "5") || !slices.Contains(lines, "'vats'") {
		t.Errorf("the REPL should answer every input and restore the core:\n%s", r)
	}
	if !strings.Contains(r.stdout, "globals*  constant parent") {
		t.Errorf(":ls should list the lobby's slots even when its slot lobby is redefined:\n%s", r)
	}
	if !strings.Contains(r.stderr, "the outbox cannot be read") || !strings.Contains(r.stderr, "globals vats") {
		t.Errorf("the REPL should say the outbox cannot be read, naming globals vats:\n%s", r)
	}
	e.checkWorld(w)
}
