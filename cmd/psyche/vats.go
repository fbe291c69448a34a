package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"psyche/vat"
	"psyche/world"
)

// Vats on the command line: psyche serve, and the waiting of eval and run
// for the replies their evaluation asked for. The transport is package vat;
// the world is its Host.

// defaultReplyTimeout is how long eval and run wait for replies.
const defaultReplyTimeout = 30 * time.Second

// A world is the transport's host.
var _ vat.Host = (*world.World)(nil)

// sendReporter tells the user of failed sends to other vats, once for each
// new reason per destination (the loop keeps trying), and remembers the
// last one; and of the world's own failures (vat.ErrNotFatal: a promise
// callback, a broken core), which are no failed send.
type sendReporter struct {
	mu       sync.Mutex
	out      io.Writer // failed sends; nil: remember only
	notFatal io.Writer // the world's own failures
	last     map[string]string
}

func newSendReporter(out, notFatal io.Writer) *sendReporter {
	return &sendReporter{out: out, notFatal: notFatal, last: map[string]string{}}
}

func (s *sendReporter) report(dest string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last[dest] == err.Error() {
		return
	}
	s.last[dest] = err.Error()
	switch {
	case errors.Is(err, vat.ErrNotFatal):
		fmt.Fprintf(s.notFatal, "vat: %v\n", err) // it says itself what happens next
	case s.out != nil:
		fmt.Fprintf(s.out, "vat: %v (trying again)\n", err)
	}
}

// lastErrors answers the last failure of each destination still failing.
func (s *sendReporter) lastErrors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []string
	for _, e := range s.last {
		errs = append(errs, e)
	}
	return errs
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := flags("serve", stdout, stderr)
	dir := fs.world()
	listen := fs.String("listen", "", "also serve over TLS on `HOST:PORT` (port 0 picks a free one), and print\nthe sturdy reference that reaches the world from there")
	limit := fs.memory()
	pos, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(pos) != 0 {
		return fs.usageError("serve takes no arguments")
	}
	w, err := openOrCreate(*dir, *limit, stdout)
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	defer w.Close()
	if err := serveWorld(w, *listen, stdout, stderr); err != nil {
		reportError(stderr, err)
		return 1
	}
	return 0
}

// serveWorld runs w as a vat until SIGINT or SIGTERM: on its Unix socket,
// and over TLS on listen if it is not empty.
func serveWorld(w *world.World, listen string, stdout, stderr io.Writer) error {
	host := w
	loop := vat.NewLoop(host, vat.LoopOptions{Report: newSendReporter(stderr, stderr).report})
	us, err := vat.ServeUnix(loop, host.Address())
	if err != nil {
		return err
	}
	defer us.Close()
	fmt.Fprintf(stdout, "serving %s on %s\n", host.Address(), vat.SocketPath(host.Address()))
	if listen != "" {
		creds, err := vat.LoadOrMakeCredentials(host.Address())
		if err != nil {
			return err
		}
		ts, addr, err := vat.ServeTLS(loop, listen, creds)
		if err != nil {
			return err
		}
		defer ts.Close()
		fmt.Fprintf(stdout, "sturdy reference (keep it secret: it lets in whoever holds it):\n%s\n", addr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return loop.Run(ctx)
}

// evalSending runs eval, one top-level evaluation of w, and then, until
// every message it sent has its reply or timeout passes (or SIGINT), takes
// in replies and messages, each as its own transaction. An outbox the core
// cannot read (vat.ErrNotFatal: a user broke it) does not stop the
// evaluation: it is reported on warn, and nothing is waited for.
func evalSending(w *world.World, timeout time.Duration, warn io.Writer, eval func() error) error {
	host := w
	before, err := vat.Pending(host)
	if errors.Is(err, vat.ErrNotFatal) {
		fmt.Fprintf(warn, "vat: %v\n", err)
		return eval()
	}
	if err != nil {
		return err
	}
	if err := eval(); err != nil {
		return err
	}
	after, err := vat.Pending(host)
	if errors.Is(err, vat.ErrNotFatal) {
		fmt.Fprintf(warn, "vat: the evaluation was kept, but %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	sent := newMessages(before, after)
	if len(sent) == 0 {
		return nil
	}
	reporter := newSendReporter(nil, warn)
	loop := vat.NewLoop(host, vat.LoopOptions{Report: reporter.report})
	us, err := vat.ServeUnix(loop, host.Address())
	if err != nil {
		return err
	}
	defer us.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending, err := loop.RunUntilReplied(ctx, sent)
	if err != nil || pending == 0 {
		return err
	}
	msg := fmt.Sprintf("%d replies still pending; their messages stay in the outbox and will be delivered the next time the world runs", pending)
	if pending == 1 {
		msg = "1 reply still pending; its message stays in the outbox and will be delivered the next time the world runs"
	}
	if errs := reporter.lastErrors(); len(errs) > 0 {
		msg += fmt.Sprintf(" (last failure: %s)", errs[0])
	}
	return fmt.Errorf("%s", msg)
}

// newMessages answers the messages of after that are not in before.
func newMessages(before, after []vat.MessageID) []vat.MessageID {
	old := make(map[vat.MessageID]bool, len(before))
	for _, id := range before {
		old[id] = true
	}
	var sent []vat.MessageID
	for _, id := range after {
		if !old[id] {
			sent = append(sent, id)
		}
	}
	return sent
}

// replyTimeout defines --timeout, how long eval and run wait for replies.
func replyTimeout(fs *cmdFlags) *time.Duration {
	return fs.Duration("timeout", defaultReplyTimeout,
		"wait at most `DUR` (30s, 2m) for the replies to the messages the evaluation sent;\nafter that, exit 1: the messages stay in the outbox")
}
