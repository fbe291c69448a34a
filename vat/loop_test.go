package vat

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoopGoesOnAfterNotFatalErrors: an outbox that cannot be read, a
// delivery and a taking of replies that fail with ErrNotFatal (a broken
// core) are reported and tried again; the loop does not stop, and the
// messages arrive once the host works again.
func TestLoopGoesOnAfterNotFatalErrors(t *testing.T) {
	b, lb, bdir := serveDir(t)
	if err := lb.Do(func() error { b.deliverFails = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	a := newFakeHost("a-id", t.TempDir())
	a.send(bdir, 2)
	sent, err := Pending(a)
	if err != nil {
		t.Fatal(err)
	}
	a.outgoingFails, a.acceptFails = 1, 1
	var mu sync.Mutex
	var reported []string
	la := NewLoop(a, LoopOptions{RetryMin: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond,
		Report: func(_ string, err error) {
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, ErrNotFatal) {
				reported = append(reported, err.Error())
			}
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pending, err := la.RunUntilReplied(ctx, sent)
	if err != nil || pending != 0 {
		t.Fatalf("RunUntilReplied: %d pending, %v", pending, err)
	}
	if len(a.outbox[bdir]) != 0 || len(a.accepted) != 2 {
		t.Errorf("after the replies: outbox %+v, accepted %+v", a.outbox[bdir], a.accepted)
	}
	mu.Lock()
	got := strings.Join(reported, "\n")
	mu.Unlock()
	for _, m := range []string{"Outgoing failed", "Accept failed"} {
		if !strings.Contains(got, m) {
			t.Errorf("the loop should have reported %q; it reported:\n%s", m, got)
		}
	}
	// The receiver failed once, then delivered; the sender failed to take
	// the replies, so it sent the batch again (a world answers the repeat
	// from its stored replies).
	if bs := deliveredTo(t, lb, b); len(bs) != 2 {
		t.Errorf("the receiver should have been given the batch twice after its failure: %+v", bs)
	}
}
