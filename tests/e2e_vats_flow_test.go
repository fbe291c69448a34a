package tests

// End-to-end tests of vats with real processes (issue 11's judging rows):
// two and three worlds messaging each other, values passed by copy and by
// reference, errors rejecting promises, eval waiting for its replies, a
// receiver that is down, hostile peers, and a stream of sends while either
// side is killed with SIGKILL. The transport alone is e2e_vats_test.go.

import (
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vatFlowGateway is the bank's gateway: a total, deposits, an echo for
// values passed by copy, a failing method, and a slot for a far reference
// another world hands it.
const vatFlowGateway = `lobby _AddSlots: (| gateway = (|
    parent* = traits clonable.
    total <- 0.
    kept <- nil.
    last <- nil.
    deposit: n To: who = ( total: total + n. who, ' has ', total printString ).
    withdraw: n = ( n > total ifTrue: [error: 'no funds']. total: total - n. total ).
    echo: x = ( x ).
    show: x = ( x printString ).
    keep: r = ( kept: r. 'kept' ).
    poke = ( (kept bump) whenResolved: [|:v| last: v]. 'poked' ).
|) |)`

// vatFlowBank makes a world named name whose lobby has vatFlowGateway.
func vatFlowBank(e *e2eEnv, name string) string {
	e.t.Helper()
	w := e.newWorld(name)
	e.eval(w, vatFlowGateway)
	return w
}

// vatFlowServer is a running psyche serve.
type vatFlowServer struct {
	cmd *exec.Cmd
	out *e2eSyncBuffer
}

// vatFlowServe starts psyche serve on world w (with args added) and waits
// until it says it is serving.
func vatFlowServe(t *testing.T, e *e2eEnv, w string, args ...string) *vatFlowServer {
	t.Helper()
	cmd := e.command(append([]string{"serve", "-w", w}, args...)...)
	out := &e2eSyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &vatFlowServer{cmd: cmd, out: out}
	deadline := time.Now().Add(e2eTimeout)
	for time.Now().Before(deadline) {
		if strings.Contains(out.String(), "serving ") {
			return s
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("psyche serve -w %s did not start serving:\n%s", w, out)
	return nil
}

// stop ends the server with SIGTERM and fails the test unless it exits 0.
func (s *vatFlowServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _ := e2eWait(t, s.cmd, e2eTimeout, "psyche serve after SIGTERM"); code != 0 {
		t.Fatalf("psyche serve exited %d after SIGTERM:\n%s", code, s.out)
	}
}

// kill ends the server with SIGKILL.
func (s *vatFlowServer) kill(t *testing.T) {
	t.Helper()
	s.cmd.Process.Kill()
	e2eWait(t, s.cmd, e2eTimeout, "psyche serve after SIGKILL")
}

// vatFlowClient makes a world named name whose lobby has a slot bank (a
// far reference to the gateway of the world at bankDir) and a slot p.
func vatFlowClient(e *e2eEnv, name, bankDir string) string {
	e.t.Helper()
	w := e.newWorld(name)
	e.eval(w, fmt.Sprintf("lobby _AddSlots: (| bank <- nil. p <- nil |). bank: (vats at: '%s'). 'ok'", bankDir))
	return w
}

func TestE2EVatFlowTwoWorlds(t *testing.T) {
	e2eUnignoreSigint()
	e := newE2E(t)
	bank := vatFlowBank(e, "bank")
	me := vatFlowClient(e, "me", bank)
	srv := vatFlowServe(t, e, bank)

	// The evaluation answers the promise pending; eval waits for the reply,
	// whose callback prints; the promise is fulfilled afterwards.
	e.expectEval(me, "p: bank deposit: 100 To: 'alice'. p whenResolved: [|:v| v printLine]. p",
		"a promise (pending)\nalice has 100")
	e.expectEval(me, "p", "a promise (fulfilled: 'alice has 100')")
	e.expectEval(me, "bank printLine. 0", "a far reference to gateway in "+bank+"\n0")

	// An error in the receiver rejects the promise with the error's text.
	r := e.ok("eval", "-w", me, "p: bank withdraw: 500. p whenRejected: [|:t| ('rejected: ', t) printLine]. p whenResolved: [|:v| 'not this' printLine]. 0")
	if !strings.Contains(r.stdout, "rejected: ") || !strings.Contains(r.stdout, "no funds") || strings.Contains(r.stdout, "not this") {
		t.Errorf("a failing withdrawal should reject its promise with 'no funds':\n%s", r)
	}
	if got := e.eval(me, "p isRejected printString, ' ', p value"); got != "'true no funds'" {
		t.Errorf("the rejected promise: %q", got)
	}
	e.expectEval(me, "p: bank withdraw: 30. p whenResolved: [|:v| v printLine]. 0", "0\n70")

	// By-copy values come back exactly as they went.
	for _, v := range []string{
		"0", "-1", "4611686018427387903", "-4611686018427387904", "(2 power: 62)", "(0 - (2 power: 62)) - 1",
		"100 factorial", "(0 - 100 factorial)",
		"0.0", "(0.0 negate)", "1.5", "(1.0 / 3.0)", "5e-324", "1.7976931348623157e308", "2.2250738585072014e-308",
		"(1.0e308 * 10.0)", "(1.0e308 * 10.0) negate",
		"''", "'hello'", "'it\\'s\\t\\\\ é ✓'", "'abc' copyMutable", "(byteVector copySize: 0)", "'a\\0b' asByteVector",
		"nil", "true", "false",
		"(vector copySize: 0)", "(vector copySize: 3 FillingWith: 'x')",
		"[| l | l: list copyRemoveAll. l addLast: 1. l addLast: 'two'. l addLast: (vector copySize: 2 FillingWith: 3.5). l] value",
		"[| d. l | d: dictionary copyRemoveAll. l: list copyRemoveAll. l addLast: nil. d at: 'a' Put: l. d at: 7 Put: 100 factorial. d at: 'v' Put: (vector copySize: 1 FillingWith: true). d] value",
	} {
		want := strings.TrimSuffix(e.eval(me, "("+v+") printString printLine. 0"), "\n0")
		got := e.eval(me, "p: bank echo: ("+v+"). p whenResolved: [|:x| x printString printLine]. 0")
		if got != "0\n"+want {
			t.Errorf("echo: %s came back as\n%s\nwant %s", v, got, want)
		}
		got = e.eval(me, "p: bank show: ("+v+"). p whenResolved: [|:x| x printLine]. 0")
		if got != "0\n"+want {
			t.Errorf("show: %s printed in the receiver as\n%s\nwant %s", v, got, want)
		}
	}
	srv.stop(t)

	// The receiver is down: eval waits --timeout, then exits 1 saying the
	// message stays in the outbox.
	r = e.run("eval", "--timeout", "1s", "-w", me, "p: bank deposit: 1 To: 'bob'. 0")
	e.checkFailure(r, "1 reply still pending")
	if r.stdout != "0\n" {
		t.Errorf("the evaluation's result should still be printed:\n%s", r)
	}
	e.expectEval(me, "p", "a promise (pending)")
	e.expectEval(me, "vats outbox size", "1")
	e.expectEval(bank, "gateway total", "70")
	// The receiver comes up, the sender runs again (sending one more):
	// both are delivered, in order, once.
	srv = vatFlowServe(t, e, bank)
	e.expectEval(me, "(bank deposit: 10 To: 'carol') whenResolved: [|:v| v printLine]. 0", "0\ncarol has 81")
	e.expectEval(me, "p", "a promise (fulfilled: 'bob has 71')")
	e.expectEval(me, "vats outbox size", "0")
	e.expectEval(me, "(bank deposit: 0 To: 'dan') whenResolved: [|:v| v printLine]. 0", "0\ndan has 81")
	srv.stop(t)
	e.expectEval(bank, "gateway total", "81")
	e.checkWorld(bank)
	e.checkWorld(me)
}

func TestE2EVatFlowThreeWorlds(t *testing.T) {
	e2eUnignoreSigint()
	e := newE2E(t)
	b := vatFlowBank(e, "b")
	a := vatFlowClient(e, "a", b)
	c := vatFlowClient(e, "c", b)
	e.eval(a, "lobby _AddSlots: (| counter = (| n <- 0. bump = ( n: n + 1. n ) |) |). 0")
	srvB := vatFlowServe(t, e, b)

	// A hands B a reference to its counter; it stays in A.
	e.expectEval(a, "(bank keep: counter) whenResolved: [|:v| v printLine]. 0", "0\nkept")
	// C reaches B, and B sends to A's counter: A, served, delivers.
	srvA := vatFlowServe(t, e, a)
	e.expectEval(c, "(bank poke) whenResolved: [|:v| v printLine]. 0", "0\npoked")
	vatFlowAwait(t, e, c, "bank last", "1")
	// B hands C its far reference to A's counter; C sends to it directly.
	got := e.eval(c, "p: bank kept. p whenResolved: [|:r| r printLine]. 0")
	if !strings.HasPrefix(got, "0\na far reference to ") || !strings.HasSuffix(got, " in "+a) || strings.Contains(got, "gateway") {
		t.Errorf("B's reference to A's counter came to C as %q", got)
	}
	e.expectEval(c, "(p value bump) whenResolved: [|:v| v printLine]. 0", "0\n2")
	srvA.stop(t)

	// A in a REPL takes B's message between its inputs.
	repl := e.command("repl", "-w", a)
	in, err := repl.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &e2eSyncBuffer{}
	repl.Stdout, repl.Stderr = out, out
	if err := repl.Start(); err != nil {
		t.Fatal(err)
	}
	vatFlowAwaitSocket(t, a)
	e.expectEval(c, "(bank poke) whenResolved: [|:v| v printLine]. 0", "0\npoked")
	vatFlowAwait(t, e, c, "bank last", "3")
	fmt.Fprintln(in, "counter n")
	in.Close()
	e2eWait(t, repl, e2eTimeout, "psyche repl")
	if !strings.Contains(out.String(), "3") {
		t.Errorf("the REPL's counter n should be 3:\n%s", out)
	}
	srvB.stop(t)
	e.expectEval(a, "counter n", "3")
	for _, w := range []string{a, b, c} {
		e.checkWorld(w)
	}
}

// vatFlowAwait asks world w (with a send to its bank) until expr's reply
// prints want, for at most e2eTimeout.
func vatFlowAwait(t *testing.T, e *e2eEnv, w, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	var got string
	for time.Now().Before(deadline) {
		got = e.eval(w, "("+expr+") whenResolved: [|:v| v printLine]. 0")
		if got == "0\n"+want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s in %s: %q, want %q", expr, w, got, want)
}

// vatFlowAwaitSocket waits until world w listens on its socket.
func vatFlowAwaitSocket(t testing.TB, w string) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", filepath.Join(w, "vat.sock")); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s/vat.sock", w)
}

func TestE2EVatFlowHostilePeers(t *testing.T) {
	e2eUnignoreSigint()
	e := newE2E(t)
	bank := vatFlowBank(e, "bank")
	me := vatFlowClient(e, "me", bank)
	cmd, out, ref := vatsServe(t, e, bank)
	hostPort, fingerprint, secret := ref[0], ref[1], ref[2]

	// Garbage that is not even HTTP, on the socket and on the TLS port:
	// the connections are dropped, the vat serves on.
	for _, dial := range [][2]string{{"unix", filepath.Join(bank, "vat.sock")}, {"tcp", hostPort}} {
		c, err := net.Dial(dial[0], dial[1])
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(e2eTimeout))
		c.Write([]byte("\x00\xff\x16\x03garbage\r\n\r\n\x80\x81"))
		var buf [512]byte
		c.Read(buf[:])
		c.Close()
	}

	// A message to a key that was never exported is rejected; nothing else
	// happens.
	r := e.ok("eval", "-w", me, "p: ((vats at: '"+bank+"') key: '0123456789abcdef0123456789abcdef') deposit: 5 To: 'mallory'. p whenRejected: [|:t| t printLine]. 0")
	if !strings.Contains(r.stdout, "no object exported under that key") {
		t.Errorf("a message to a key never exported should be rejected:\n%s", r)
	}
	e.expectEval(me, "(bank deposit: 1 To: 'alice') whenResolved: [|:v| v printLine]. 0", "0\nalice has 1")

	// Over TCP: a wrong secret is refused; the sender sees why, and its
	// message stays in its outbox.
	bad := "tcp://" + hostPort + "/" + fingerprint + "/" + strings.Repeat("0", 32)
	eve := vatFlowClient(e, "eve", bad)
	r = e.run("eval", "--timeout", "2s", "-w", eve, "p: bank deposit: 1000 To: 'eve'. 0")
	e.checkFailure(r, "1 reply still pending")
	if !strings.Contains(r.stderr, "wrong or missing secret") || strings.Contains(r.stderr, strings.Repeat("0", 32)) {
		t.Errorf("a wrong secret should be reported (without showing the secret):\n%s", r)
	}
	e.expectEval(eve, "vats outbox size printString, ' ', p printString", "'1 a promise (pending)'")
	// A wrong fingerprint: the connection is refused before any secret
	// leaves.
	forged := vatFlowClient(e, "forged", "tcp://"+hostPort+"/"+strings.Repeat("ab", 32)+"/"+secret)
	r = e.run("eval", "--timeout", "2s", "-w", forged, "p: bank deposit: 1000 To: 'forger'. 0")
	e.checkFailure(r, "1 reply still pending")
	if !strings.Contains(r.stderr, "certificate") {
		t.Errorf("a wrong fingerprint should be reported as the certificate's:\n%s", r)
	}
	// No secret at all is not a sturdy reference.
	for _, missing := range []string{"tcp://" + hostPort + "/" + fingerprint, "tcp://" + hostPort + "/" + fingerprint + "/"} {
		r = e.run("eval", "-w", eve, "vats at: '"+missing+"'")
		e.checkFailure(r, "vats at: vat address")
		if !strings.Contains(strings.ToLower(r.stderr), "secret") {
			t.Errorf("a sturdy reference without its secret should be refused naming it:\n%s", r)
		}
	}

	// The right sturdy reference works over TLS.
	good := vatFlowClient(e, "good", "tcp://"+hostPort+"/"+fingerprint+"/"+secret)
	e.expectEval(good, "(bank deposit: 10 To: 'bob') whenResolved: [|:v| v printLine]. 0", "0\nbob has 11")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _ := e2eWait(t, cmd, e2eTimeout, "psyche serve"); code != 0 {
		t.Fatalf("psyche serve exited %d:\n%s", code, out)
	}
	e.expectEval(bank, "gateway total", "11")
	for _, w := range []string{bank, me, eve, good} {
		e.checkWorld(w)
	}
}

// TestE2EVatFlowKillStream sends a stream of messages from one world to a
// served one in many small evaluations, each adding 1 to a counter in the
// receiver and moving 1 between two accounts, while either side is killed
// with SIGKILL at random moments and started again; some evaluations fail
// on purpose after their sends. Afterwards every send of a committed
// evaluation has been applied exactly once, none of a failed one, and both
// worlds pass psyche check. 100 sends here; 1,000 with PSYCHE_SOAK=1.
func TestE2EVatFlowKillStream(t *testing.T) {
	e2eUnignoreSigint()
	sends := 100
	if os.Getenv("PSYCHE_SOAK") != "" {
		sends = 1000
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	e := newE2E(t)
	recv := e.newWorld("recv")
	e.eval(recv, "lobby _AddSlots: (| gateway = (| parent* = traits clonable. n <- 0. a <- 0. b <- 0. add = ( n: n + 1. a: a - 1. b: b + 1. n ) |) |). 0")
	send := vatFlowClient(e, "send", recv)
	e.eval(send, "lobby _AddSlots: (| sent <- 0 |). 0")

	srv := vatFlowServe(t, e, recv)
	var senderKills, receiverKills, failures, evals int
	for attempted := 0; attempted < sends; evals++ {
		k := 1 + rng.Intn(3)
		expr := fmt.Sprintf("%d timesRepeat: [bank add]. sent: sent + %d. sent", k, k)
		fail := rng.Intn(8) == 0
		if fail {
			expr = fmt.Sprintf("%d timesRepeat: [bank add]. sent: sent + %d. error: 'deliberately failing after its sends'", k, k)
		}
		cmd := e.command("eval", "--timeout", "3s", "-w", send, expr)
		var out e2eSyncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var killSender, killReceiver *time.Timer
		if rng.Intn(6) == 0 {
			senderKills++
			killSender = time.AfterFunc(time.Duration(rng.Intn(40))*time.Millisecond, func() { cmd.Process.Kill() })
		}
		if rng.Intn(6) == 0 {
			receiverKills++
			p := srv.cmd.Process
			killReceiver = time.AfterFunc(time.Duration(rng.Intn(40))*time.Millisecond, func() { p.Kill() })
		}
		code, sig := e2eWait(t, cmd, e2eTimeout, "psyche eval")
		for _, tm := range []*time.Timer{killSender, killReceiver} {
			if tm != nil {
				tm.Stop()
			}
		}
		switch {
		case sig == syscall.SIGKILL:
		case fail:
			failures++
			if code != 1 || !strings.Contains(out.String(), "deliberately failing") {
				t.Fatalf("an evaluation failing on purpose exited %d:\n%s", code, out.String())
			}
		case code != 0 && !strings.Contains(out.String(), "still pending"):
			t.Fatalf("psyche eval %q exited %d:\n%s", expr, code, out.String())
		}
		if !fail {
			attempted += k
		}
		if killReceiver != nil {
			srv.cmd.Process.Kill()
			e2eWait(t, srv.cmd, e2eTimeout, "psyche serve after SIGKILL")
			srv = vatFlowServe(t, e, recv)
		}
	}
	t.Logf("%d evaluations (%d failing on purpose), %d sender kills, %d receiver kills", evals, failures, senderKills, receiverKills)

	// The sender runs once more: its question comes after every earlier
	// send, so its answer counts them all.
	r := e.ok("eval", "-w", send, "(bank n) whenResolved: [|:v| v printLine]. sent")
	committed, applied, ok := strings.Cut(r.out(), "\n")
	if !ok || committed != applied {
		t.Errorf("committed sends and applied sends differ (sent, then the receiver's count):\n%s", r)
	}
	e.expectEval(send, "vats outbox size", "0")
	srv.stop(t)
	e.expectEval(recv, "(gateway a + gateway b) printString, ' ', (gateway n = gateway b) printString", "'0 true'")
	e.checkWorld(recv)
	e.checkWorld(send)
}
