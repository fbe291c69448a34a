package vat

import (
	"context"
	"errors"
	"sync"
	"time"
)

// The loop that owns a world. Heap access is single-threaded, so exactly
// one goroutine, the one in Run, calls the Host and whatever else touches
// the world: network handlers and Do hand it functions over a channel and
// wait for their result. Sends to other vats leave from goroutines of
// their own (one per destination at a time), so a slow or absent peer
// never holds up the world; their answers come back over a channel too.
//
// The sender drives: a batch is sent again, after a capped exponential
// backoff, until the peer answers it, and the outbox (in the heap) keeps
// it meanwhile, so a crash of either side loses nothing.

const (
	// DefaultRetryMin is the first wait before sending to a peer again.
	DefaultRetryMin = 50 * time.Millisecond
	// DefaultRetryMax caps the wait between tries.
	DefaultRetryMax = 5 * time.Second
)

// ErrStopped is answered by Do once the loop has stopped.
var ErrStopped = errors.New("the vat loop has stopped")

// LoopOptions tune a Loop; the zero value is the default.
type LoopOptions struct {
	RetryMin, RetryMax time.Duration // 0: DefaultRetryMin, DefaultRetryMax
	// Report, if set, is told of each failed send (the loop tries again),
	// with the destination, and of each ErrNotFatal error of the Host, with
	// the vat concerned: the destination of a reply, the vat id of a batch's
	// sender, the Host's own address for its outbox.
	Report func(dest string, err error)
}

// MessageID names a message in an outbox.
type MessageID struct {
	Dest string
	Seq  uint64
}

// Loop owns a world (its Host) while Run runs.
type Loop struct {
	host    Host
	opts    LoopOptions
	work    chan job
	results chan sendResult
	stopped chan struct{} // closed when Run returns

	clientsMu sync.Mutex
	clients   map[string]*Client

	// Owned by the goroutine in Run.
	peers map[string]*peer
	fatal error // a Host failure met in a handler's job: Run stops with it
}

type job struct {
	f    func() error
	done chan error // buffered: Run never waits for the one who asked
}

type peer struct {
	inFlight bool
	retryAt  time.Time
	backoff  time.Duration
}

type sendResult struct {
	dest    string
	sent    int
	replies []Reply
	err     error
}

// NewLoop answers a loop for host. Until Run is called, the caller owns
// the host and may use it directly.
func NewLoop(host Host, opts LoopOptions) *Loop {
	if opts.RetryMin <= 0 {
		opts.RetryMin = DefaultRetryMin
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(DefaultRetryMax, opts.RetryMin)
	}
	return &Loop{
		host:    host,
		opts:    opts,
		work:    make(chan job),
		results: make(chan sendResult),
		stopped: make(chan struct{}),
		clients: map[string]*Client{},
		peers:   map[string]*peer{},
	}
}

// Do runs f on the goroutine that owns the world, between the loop's other
// work, and answers its error; ErrStopped if the loop stopped first. It
// must not be called from that goroutine (from inside f, or before Run).
func (l *Loop) Do(f func() error) error {
	j := job{f: f, done: make(chan error, 1)}
	select {
	case l.work <- j:
	case <-l.stopped:
		return ErrStopped
	}
	return <-j.done
}

// Run owns the world until ctx is done or a Host method fails (whose
// error it answers): it runs what Do and the servers hand it and sends
// the outbox. It is called once.
func (l *Loop) Run(ctx context.Context) error {
	_, err := l.run(ctx, nil)
	return err
}

// RunUntilReplied runs the loop (as Run does) until no message of sent is
// in the outbox any more, every one having had its reply, or ctx is done;
// it answers how many are still waiting for theirs.
func (l *Loop) RunUntilReplied(ctx context.Context, sent []MessageID) (pending int, err error) {
	want := make(map[MessageID]bool, len(sent))
	for _, id := range sent {
		want[id] = true
	}
	return l.run(ctx, want)
}

// Pending answers the messages in h's outbox. The caller must own h.
func Pending(h Host) ([]MessageID, error) {
	outs, err := h.Outgoing()
	if err != nil {
		return nil, err
	}
	return messageIDs(outs), nil
}

func messageIDs(outs []Outgoing) []MessageID {
	var ids []MessageID
	for _, o := range outs {
		for _, m := range o.Batch.Messages {
			ids = append(ids, MessageID{o.Dest, m.Seq})
		}
		for _, m := range o.Held {
			ids = append(ids, MessageID{o.Dest, m.Seq})
		}
	}
	return ids
}

// run is Run; with want, it returns once none of want is in the outbox,
// answering how many of want still are.
func (l *Loop) run(ctx context.Context, want map[MessageID]bool) (int, error) {
	defer close(l.stopped)
	defer l.closeClients()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		outs, err := l.host.Outgoing()
		if errors.Is(err, ErrNotFatal) {
			l.report(l.host.Address(), err)
			outs = nil // nothing can be sent until the outbox reads again
		} else if err != nil {
			return len(want), err
		}
		waiting := countWanted(outs, want)
		if err != nil {
			waiting = len(want) // unknown: wait for them all
		}
		if want != nil && waiting == 0 {
			return 0, nil
		}
		l.send(outs)
		if err != nil {
			timer.Reset(l.opts.RetryMax) // read the outbox again then: it may be mended
		} else {
			l.arm(timer)
		}
		select {
		case <-ctx.Done():
			return waiting, nil
		case j := <-l.work:
			j.done <- j.f()
			if l.fatal != nil {
				return waiting, l.fatal
			}
		case r := <-l.results:
			if err := l.took(r); err != nil {
				return waiting, err
			}
		case <-timer.C:
		}
	}
}

// countWanted answers how many of want are among outs' messages.
func countWanted(outs []Outgoing, want map[MessageID]bool) int {
	if want == nil {
		return 0
	}
	n := 0
	for _, id := range messageIDs(outs) {
		if want[id] {
			n++
		}
	}
	return n
}

// send starts sending each destination's batch, unless one is already on
// its way there or the destination's backoff has not passed. A batch of
// no messages is not sent: its Ack goes with the next one.
func (l *Loop) send(outs []Outgoing) {
	now := time.Now()
	for _, o := range outs {
		if len(o.Batch.Messages) == 0 {
			continue
		}
		p := l.peers[o.Dest]
		if p == nil {
			p = &peer{}
			l.peers[o.Dest] = p
		}
		if p.inFlight || now.Before(p.retryAt) {
			continue
		}
		p.inFlight = true
		b := o.Batch
		b.Messages = b.Messages[:min(len(b.Messages), MaxBatchMessages)]
		go l.deliver(o.Dest, b)
	}
}

// deliver sends b to dest and hands the answer to the owning goroutine.
func (l *Loop) deliver(dest string, b Batch) {
	r := sendResult{dest: dest, sent: len(b.Messages)}
	c, err := l.client(dest)
	if err == nil {
		r.replies, err = c.Deliver(context.Background(), b)
	}
	r.err = err
	select {
	case l.results <- r:
	case <-l.stopped:
	}
}

// took takes the answer to a send: its replies go to the Host; a failure,
// or an answer that left messages unreplied (the peer waits for a gap to
// fill), waits a backoff before the next try.
func (l *Loop) took(r sendResult) error {
	p := l.peers[r.dest]
	p.inFlight = false
	if r.err != nil {
		l.report(r.dest, r.err)
		l.backOff(p)
		return nil
	}
	if len(r.replies) > 0 {
		err := l.host.Accept(r.dest, r.replies)
		if errors.Is(err, ErrNotFatal) {
			l.report(r.dest, err)
			l.backOff(p)
			return nil
		}
		if err != nil {
			return err
		}
	}
	if len(r.replies) < r.sent {
		l.backOff(p)
		return nil
	}
	p.backoff, p.retryAt = 0, time.Time{}
	return nil
}

// report tells LoopOptions.Report, if set, of err about the vat at dest.
func (l *Loop) report(dest string, err error) {
	if l.opts.Report != nil {
		l.opts.Report(dest, err)
	}
}

func (l *Loop) backOff(p *peer) {
	p.backoff = min(max(2*p.backoff, l.opts.RetryMin), l.opts.RetryMax)
	p.retryAt = time.Now().Add(p.backoff)
}

// arm sets timer to fire at the earliest retry due.
func (l *Loop) arm(timer *time.Timer) {
	var next time.Time
	for _, p := range l.peers {
		if !p.inFlight && !p.retryAt.IsZero() && (next.IsZero() || p.retryAt.Before(next)) {
			next = p.retryAt
		}
	}
	d := time.Hour
	if !next.IsZero() {
		d = max(time.Until(next), 0)
	}
	timer.Reset(d)
}

func (l *Loop) client(dest string) (*Client, error) {
	l.clientsMu.Lock()
	defer l.clientsMu.Unlock()
	if c := l.clients[dest]; c != nil {
		return c, nil
	}
	c, err := Dial(dest)
	if err != nil {
		return nil, err
	}
	l.clients[dest] = c
	return c, nil
}

func (l *Loop) closeClients() {
	l.clientsMu.Lock()
	defer l.clientsMu.Unlock()
	for _, c := range l.clients {
		c.Close()
	}
}

// deliverBatch runs b's delivery on the owning goroutine, for a server's
// handler; ctx is the request's.
func (l *Loop) deliverBatch(ctx context.Context, b Batch) ([]Reply, error) {
	var replies []Reply
	j := job{done: make(chan error, 1), f: func() error {
		var err error
		replies, err = l.host.Deliver(b)
		if errors.Is(err, ErrNotFatal) {
			l.report(b.From, err) // the messages not answered are sent again
			return nil
		}
		if err != nil {
			l.fatal = err
		}
		return err
	}}
	select {
	case l.work <- j:
	case <-l.stopped:
		return nil, ErrStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return replies, <-j.done
}
