package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"

	"psyche/vat"
	"psyche/vm/syntax"
	"psyche/world"
)

// The REPL: one top-level evaluation per input. An input goes on over more
// lines while a bracket, paren, string or comment is open. On a terminal it
// uses liner (line editing, history kept in the world's directory, Tab
// completion of selectors and slot names); with piped input it reads plain
// lines and prints no prompts.

const (
	prompt     = "psyche> "
	contPrompt = "   ...> "
)

type lineReader interface {
	Prompt(p string) (string, error)
}

// plainReader reads lines without prompts (standard input is not a terminal).
type plainReader struct{ sc *bufio.Scanner }

func (r plainReader) Prompt(string) (string, error) {
	if r.sc.Scan() {
		return r.sc.Text(), nil
	}
	if err := r.sc.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}

func cmdRepl(args []string, stdout, stderr io.Writer) int {
	fs := flags("repl", stdout, stderr)
	dir := fs.world()
	limit := fs.memory()
	pos, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(pos) != 0 {
		return fs.usageError("repl takes no arguments")
	}
	return replOn(*dir, *limit, os.Stdin, stdout, stderr)
}

func replOn(dir string, limit memoryLimit, stdin *os.File, stdout, stderr io.Writer) int {
	w, err := openOrCreate(dir, limit, stdout)
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	defer w.Close()
	w.SetWarnings(stderr) // not errOut: a warning is no failure of the input
	r := &repl{w: w, out: stdout, errOut: stderr}

	interactive := liner.TerminalSupported() && isTerminal(stdin)
	if interactive {
		ln := liner.NewLiner()
		defer ln.Close()
		ln.SetCtrlCAborts(true)
		ln.SetMultiLineMode(true)
		ln.SetWordCompleter(r.completeOnOwner)
		histPath := filepath.Join(dir, "history")
		if f, err := os.Open(histPath); err == nil {
			ln.ReadHistory(f)
			f.Close()
		}
		r.saveHistory = func(entry string) {
			// The history file holds one entry per line: a multi-line input
			// is kept as one line that means the same (historyLine).
			ln.AppendHistory(historyLine(entry))
			if f, err := os.Create(histPath); err == nil {
				ln.WriteHistory(f)
				f.Close()
			}
		}
		r.in = ln
		fmt.Fprintf(stdout, "Psyche: a persistent Self world. World %s; :help for help, Ctrl-D to leave.\n", dir)
	} else {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		r.in = plainReader{sc}
		r.saveHistory = func(string) {}
		// A script piped in fails if any of its inputs did.
		errs := &errorLog{Writer: stderr}
		r.errOut = errs
		r.failed = func() bool { return errs.wrote }
	}

	// Ctrl-C during an evaluation interrupts it (at the prompt, liner reads
	// the key itself and the signal never comes).
	defer interruptOn(w)()
	return r.serve(stderr)
}

// serve runs the REPL as a vat: inputs are read on a goroutine of their
// own and handed to the loop that owns the world, which takes messages and
// replies from other vats between them, each as its own transaction.
func (r *repl) serve(stderr io.Writer) int {
	host := r.w
	// The world's own failures go to stderr, not errOut: they are no
	// failure of an input.
	loop := vat.NewLoop(host, vat.LoopOptions{Report: newSendReporter(r.errOut, stderr).report})
	us, err := vat.ServeUnix(loop, host.Address())
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	defer us.Close()
	r.owner = loop
	ctx, cancel := context.WithCancel(context.Background())
	status := make(chan int, 1)
	go func() {
		status <- r.loop()
		cancel()
	}()
	if err := loop.Run(ctx); err != nil {
		reportError(stderr, err)
		return 1
	}
	return <-status
}

type repl struct {
	w           *world.World
	in          lineReader
	out, errOut io.Writer
	saveHistory func(string)
	// owner is the loop that owns the world while the REPL runs: whatever
	// touches the world from the input's goroutine goes through it.
	owner *vat.Loop
	// failed reports whether an input failed, for the exit status (nil: the
	// status does not depend on it, as on a terminal).
	failed func() bool
}

// errorLog is a piped REPL's standard error: every error is reported
// there, so that something was written means that an input failed.
type errorLog struct {
	io.Writer
	wrote bool
}

func (e *errorLog) Write(p []byte) (int, error) {
	e.wrote = true
	return e.Writer.Write(p)
}

// exitStatus is the REPL's exit status when it ends normally: 1 if an input
// of a piped REPL failed, else 0.
func (r *repl) exitStatus() int {
	if r.failed != nil && r.failed() {
		return 1
	}
	return 0
}

// loop reads inputs and has the owner evaluate them, until the input ends or
// :quit; it answers the exit status.
func (r *repl) loop() int {
	for {
		input, err := r.read()
		if errors.Is(err, io.EOF) {
			return r.exitStatus()
		}
		if err != nil {
			reportError(r.errOut, err)
			return 1
		}
		text := strings.TrimSpace(input)
		if text == "" {
			continue
		}
		r.saveHistory(input)
		var end replEnd
		if err := r.owner.Do(func() error { end = r.take(input, text); return nil }); err != nil {
			reportError(r.errOut, err)
			return 1
		}
		switch end {
		case replQuit:
			return r.exitStatus()
		case replFailed:
			return 1
		}
	}
}

// completeOnOwner completes a word (see complete) on the goroutine that
// owns the world; nothing, if the loop has stopped.
func (r *repl) completeOnOwner(line string, pos int) (head string, completions []string, tail string) {
	err := r.owner.Do(func() error {
		head, completions, tail = r.complete(line, pos)
		return nil
	})
	if err != nil {
		return line[:pos], nil, line[pos:]
	}
	return head, completions, tail
}

// replEnd says whether an input ends the REPL.
type replEnd int

const (
	replGoOn   replEnd = iota
	replQuit           // :quit
	replFailed         // the world failed: it must be reopened
)

// take evaluates one input (text is it trimmed), or runs its meta-command.
func (r *repl) take(input, text string) replEnd {
	if strings.HasPrefix(text, ":") {
		if quit := r.meta(text); quit {
			return replQuit
		}
		return replGoOn
	}
	result, err := r.w.Eval("<repl>", []byte(input))
	if err != nil {
		reportError(r.errOut, err)
		if r.w.Heap().Err() != nil {
			return replFailed // the world failed an fsync or a write: it must be reopened
		}
		return replGoOn
	}
	if result != "" { // "": the input held no code
		fmt.Fprintln(r.out, result)
	}
	return replGoOn
}

// read reads one input: more lines while it is incomplete. Ctrl-C at the
// prompt clears what was typed.
func (r *repl) read() (string, error) {
	var buf strings.Builder
	p := prompt
	for {
		line, err := r.in.Prompt(p)
		if errors.Is(err, liner.ErrPromptAborted) {
			buf.Reset()
			p = prompt
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) && buf.Len() > 0 {
				return buf.String(), nil
			}
			return "", err
		}
		if buf.Len() > 0 {
			buf.WriteByte('\n')
		}
		buf.WriteString(line)
		if !syntax.Incomplete([]byte(buf.String())) {
			return buf.String(), nil
		}
		p = contPrompt
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// historyLine answers input as one line that means the same, for the
// history file (one entry per line): a line break inside a string becomes
// its escape (\n, \r), one anywhere else a space, which Self reads as the
// same white space.
func historyLine(input string) string {
	var b strings.Builder
	inString, inComment, escaped := false, false, false
	for _, c := range input {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '\'':
			inString = false
		case inComment && c == '"':
			inComment = false
		case !inString && !inComment && c == '\'':
			inString = true
		case !inString && !inComment && c == '"':
			inComment = true
		}
		switch {
		case c == '\n' && inString:
			b.WriteString(`\n`)
		case c == '\r' && inString:
			b.WriteString(`\r`)
		case c == '\n' || c == '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
