package tests

// The REPL through a pseudo-terminal, as a person uses it: line editing,
// continuation lines, Ctrl-C at the prompt and during an evaluation,
// history kept in the world's directory, Tab completion, meta-commands,
// Ctrl-D (LANGUAGE.md section 5).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// e2ePtyTimeout bounds each wait for expected output.
const e2ePtyTimeout = 10 * time.Second

// e2ePty is a psyche process whose standard input, output and error are
// the slave side of a pseudo-terminal, which is also its controlling
// terminal.
type e2ePty struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	raw    e2eSyncBuffer // everything the terminal showed
	mark   int           // how far the expectations have read, in the stripped text
	done   chan struct{} // closed when the master reads EOF or EIO
	exited bool
}

// e2eOpenPty opens a new pseudo-terminal pair: /dev/ptmx, unlocked, and
// its /dev/pts/N, with a window of 40 x 200.
func e2eOpenPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: open /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(m)
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
	if err != nil {
		unix.Close(m)
		t.Fatalf("TIOCGPTN: %v", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	s, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(m)
		t.Fatalf("open %s: %v", name, err)
	}
	if err := unix.IoctlSetWinsize(s, unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 200}); err != nil {
		t.Logf("TIOCSWINSZ: %v", err)
	}
	return os.NewFile(uintptr(m), "/dev/ptmx"), os.NewFile(uintptr(s), name)
}

// e2eStartPty starts psyche with args on a new pseudo-terminal.
func e2eStartPty(t *testing.T, e *e2eEnv, args ...string) *e2ePty {
	t.Helper()
	master, slave := e2eOpenPty(t)
	p := &e2ePty{t: t, master: master, done: make(chan struct{})}
	p.cmd = e.command(args...)
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = slave, slave, slave
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := p.cmd.Start(); err != nil {
		master.Close()
		slave.Close()
		t.Fatal(err)
	}
	slave.Close()
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.raw.Write(buf[:n])
			if err != nil {
				return // EIO once the last slave descriptor is closed
			}
		}
	}()
	t.Cleanup(func() {
		if !p.exited {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		master.Close()
		if t.Failed() {
			t.Logf("the terminal showed (control sequences removed):\n%s", e2eIndent(e2eStripANSI(p.raw.String())))
		}
	})
	return p
}

// text is what the terminal showed, without control sequences.
func (p *e2ePty) text() string { return e2eStripANSI(p.raw.String()) }

// typeKeys sends keystrokes.
func (p *e2ePty) typeKeys(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		p.t.Fatalf("typing %q: %v", s, err)
	}
}

// waitFor waits until re matches the text after the mark, and moves the
// mark past the match.
func (p *e2ePty) waitFor(re *regexp.Regexp, what string) {
	p.t.Helper()
	deadline := time.Now().Add(e2ePtyTimeout)
	for {
		text := p.text()
		if p.mark <= len(text) {
			if loc := re.FindStringIndex(text[p.mark:]); loc != nil {
				p.mark += loc[1]
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waited %v for %s; the terminal showed since the last expectation:\n%s",
				e2ePtyTimeout, what, e2eIndent(text[min(p.mark, len(text)):]))
		}
		select {
		case <-p.done:
			// Nothing more will come, but look once more at what did.
			if loc := re.FindStringIndex(p.text()[min(p.mark, len(p.text())):]); loc != nil {
				p.mark += loc[1]
				return
			}
			p.t.Fatalf("the REPL ended while waiting for %s; the terminal showed since the last expectation:\n%s",
				what, e2eIndent(text[min(p.mark, len(text)):]))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// expect waits for s (case-insensitive) after the mark.
func (p *e2ePty) expect(s string) {
	p.t.Helper()
	p.waitFor(regexp.MustCompile(`(?i)`+regexp.QuoteMeta(s)), fmt.Sprintf("%q", s))
}

// expectLine waits for a line that is exactly s after the mark.
func (p *e2ePty) expectLine(s string) {
	p.t.Helper()
	p.waitFor(regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(s)+`\n`), fmt.Sprintf("the line %q", s))
}

// prompt waits for the main prompt at the start of a line.
func (p *e2ePty) prompt() {
	p.t.Helper()
	p.waitFor(regexp.MustCompile(`(?m)^psyche> `), "the prompt")
}

// enter types a line and Enter, and waits until the terminal has echoed
// the whole line and the newline after it (so that the line editor has
// taken it, and a prompt seen later is a new one, not a redraw).
func (p *e2ePty) enter(line string) {
	p.t.Helper()
	p.typeKeys(line + "\r")
	p.waitFor(regexp.MustCompile(regexp.QuoteMeta(line)+`\n`), fmt.Sprintf("the echo of %q", line))
}

// eval types an input at the prompt and waits for the line want, then for
// the next prompt.
func (p *e2ePty) eval(input, want string) {
	p.t.Helper()
	p.enter(input)
	p.expectLine(want)
	p.prompt()
}

// wait waits for the process to end and answers its exit status.
func (p *e2ePty) wait() int {
	p.t.Helper()
	code, sig := e2eWait(p.t, p.cmd, e2ePtyTimeout, "psyche repl on a terminal")
	p.exited = true
	if sig != 0 {
		p.t.Errorf("the REPL was killed by %v", sig)
	}
	return code
}

func TestE2EReplTerminal(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")

	p := e2eStartPty(t, e, "repl", "-w", w)
	p.prompt()
	p.eval("3 + 4", "7")

	// A multi-line input: the continuation prompt, then the result.
	p.enter("(| a = 1 |")
	p.expect("...> ")
	p.enter(") a")
	p.expectLine("1")
	p.prompt()

	// Ctrl-C at the prompt clears a half-typed line. (Were it kept, the
	// input would be "1 +2 + 2", which is 5.)
	p.typeKeys("1 +")
	p.expect("1 +")
	p.typeKeys("\x03")
	p.prompt()
	p.eval("2 + 2", "4")

	// Ctrl-C during an evaluation interrupts it, undoes it, and the REPL
	// goes on.
	p.eval("lobby _AddSlots: (| y <- 1 |)", "lobby")
	p.enter("y: 2. [true] whileTrue")
	time.Sleep(500 * time.Millisecond) // well into the loop
	p.typeKeys("\x03")
	p.expect("interrupted")
	p.prompt()
	p.eval("y", "1")
	p.eval("5 * 5", "25")

	// Tab completes slot names.
	p.eval("lobby _AddSlots: (| uniqueSlotNameForTab = 42 |)", "lobby")
	p.typeKeys("uniqueSlotNam\t")
	p.expect("uniqueSlotNameForTab")
	p.enter("")
	p.expectLine("42")
	p.prompt()

	// Meta-commands.
	p.enter(":checkpoint a")
	p.prompt()
	p.enter(":checkpoints")
	p.waitFor(regexp.MustCompile(`(?m)^a  made `), "checkpoint a")
	p.prompt()
	p.enter(":help")
	p.expect(":checkpoints")
	p.expect(":rollback")
	p.prompt()

	p.eval("'history-marker' size", "14")
	// Ctrl-D at an empty prompt leaves, with status 0.
	p.typeKeys("\x04")
	if code := p.wait(); code != 0 {
		t.Errorf("Ctrl-D: the REPL exited with status %d, want 0", code)
	}

	// The history is kept in the world's directory.
	hist := string(e2eRead(t, filepath.Join(w, "history")))
	for _, in := range []string{"3 + 4", "'history-marker' size", ":checkpoint a"} {
		if !strings.Contains(hist, in) {
			t.Errorf("%s does not contain the input %q:\n%s", filepath.Join(w, "history"), in, hist)
		}
	}
	if strings.Contains(hist, "1 +\n") {
		t.Errorf("the line cleared with Ctrl-C went into the history:\n%s", hist)
	}

	// A second session: Up recalls the last input of the first one.
	q := e2eStartPty(t, e, "repl", "-w", w)
	q.prompt()
	q.typeKeys("\x1b[A")
	q.expect("'history-marker' size")
	q.enter("")
	q.expectLine("14")
	q.prompt()
	// :rollback goes back to the checkpoint made in the first session.
	q.eval("y: 3. y", "3")
	q.enter(":checkpoints")
	q.waitFor(regexp.MustCompile(`(?m)^a  made `), "checkpoint a")
	q.prompt()
	q.enter(":rollback a")
	q.prompt()
	q.eval("y", "1")
	q.enter(":quit")
	if code := q.wait(); code != 0 {
		t.Errorf(":quit: the REPL exited with status %d, want 0", code)
	}

	e.expectEval(w, "y", "1")
	e.checkWorld(w)
}
