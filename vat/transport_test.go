package vat

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testLoop runs a loop for host until the test ends.
func testLoop(t *testing.T, host Host, opts LoopOptions) *Loop {
	t.Helper()
	l := NewLoop(host, opts)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return l
}

// serveDir serves a fake host as the world in a new directory.
func serveDir(t *testing.T) (*fakeHost, *Loop, string) {
	t.Helper()
	dir := t.TempDir()
	h := newFakeHost("b-id", dir)
	l := testLoop(t, h, LoopOptions{})
	s, err := ServeUnix(l, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h, l, dir
}

// deliveredTo answers the batches h was given, read on its loop.
func deliveredTo(t *testing.T, l *Loop, h *fakeHost) []Batch {
	t.Helper()
	var bs []Batch
	if err := l.Do(func() error { bs = append(bs, h.delivered...); return nil }); err != nil {
		t.Fatal(err)
	}
	return bs
}

var testBatch = Batch{From: "a-id", Ack: 3, Messages: []Message{
	{Seq: 4, Target: "gateway", Selector: "deposit:", Args: []byte{7}},
	{Seq: 5, Target: "gateway", Selector: "fail"},
}}

var testReplies = []Reply{{Seq: 4, OK: true, Value: []byte("deposit:")}, {Seq: 5, Error: "fail is not understood"}}

func TestUnixDelivery(t *testing.T) {
	h, l, dir := serveDir(t)
	fi, err := os.Stat(SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("%s: mode %v, want an owner-only socket", SocketPath(dir), fi.Mode())
	}
	deliverTestBatch(t, dir, l, h)
}

func TestUnixSocketWithLongPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	h := newFakeHost("b-id", dir)
	s, err := ServeUnix(testLoop(t, h, LoopOptions{}), dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Deliver(context.Background(), testBatch); err != nil {
		t.Fatalf("%d-byte socket path: %v", len(SocketPath(dir)), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(SocketPath(dir)); !os.IsNotExist(err) {
		t.Fatalf("the socket is still there after Close: %v", err)
	}
}

func TestStaleSocketIsReplacedLiveOneIsNot(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("unix", SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // as if its process were killed: the file stays
	h := newFakeHost("b-id", dir)
	l := testLoop(t, h, LoopOptions{})
	s, err := ServeUnix(l, dir)
	if err != nil {
		t.Fatalf("a stale socket was not replaced: %v", err)
	}
	defer s.Close()
	if _, err := ServeUnix(l, dir); err == nil || !strings.Contains(err.Error(), "another process already serves") {
		t.Fatalf("serving a served world: %v, want a refusal", err)
	}
}

func TestDialWhereNoVatListens(t *testing.T) {
	c, err := Dial(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Deliver(context.Background(), testBatch); err == nil || !strings.Contains(err.Error(), "no vat listens on") {
		t.Fatalf("Deliver: %v, want 'no vat listens on'", err)
	}
}

// serveTLS serves a fake host over TLS on a free local port.
func serveTLS(t *testing.T) (*fakeHost, *Loop, Addr) {
	t.Helper()
	dir := t.TempDir()
	creds, err := LoadOrMakeCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := newFakeHost("b-id", dir)
	l := testLoop(t, h, LoopOptions{})
	s, addr, err := ServeTLS(l, "127.0.0.1:0", creds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return h, l, addr
}

func TestTLSDelivery(t *testing.T) {
	h, l, addr := serveTLS(t)
	parsed, err := ParseAddr(addr.String())
	if err != nil || parsed != addr {
		t.Fatalf("the sturdy reference %s parses as %+v, %v", addr, parsed, err)
	}
	deliverTestBatch(t, addr.String(), l, h)
}

func TestCredentialsAreKeptOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrMakeCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrMakeCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint != first.Fingerprint || again.Secret != first.Secret {
		t.Fatal("the credentials changed when loaded again")
	}
	for _, f := range []string{tlsKeyFile, tlsCertFile, tlsSecretFile} {
		fi, err := os.Stat(filepath.Join(dir, TLSDirName, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

// rawPost posts body to the vat at a over pinned TLS with the secret
// header set to secret (none if ""), and answers the status and body.
func rawPost(t *testing.T, a Addr, secret string, body []byte) (int, string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS(a.Fingerprint)}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodPost, "https://"+a.TCP+deliverPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set(SecretHeader, secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(text)
}

func TestTLSRefusesWrongOrMissingSecret(t *testing.T) {
	h, l, addr := serveTLS(t)
	body, err := EncodeBatch(testBatch)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"", strings.Repeat("0", secretHexLen), addr.Secret + "0"} {
		status, text := rawPost(t, addr, secret, body)
		if status != http.StatusForbidden || !strings.Contains(text, "wrong or missing secret") {
			t.Errorf("secret %q: %d %q, want 403 wrong or missing secret", secret, status, text)
		}
	}
	wrong := addr
	wrong.Secret = strings.Repeat("1", secretHexLen)
	c, err := Dial(wrong.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Deliver(context.Background(), testBatch); err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), wrong.Secret) {
		t.Errorf("Deliver with a wrong secret: %v, want a 403 that does not show the secret", err)
	}
	if got := deliveredTo(t, l, h); len(got) != 0 {
		t.Fatalf("refused requests reached the host: %+v", got)
	}
}

func TestTLSRefusesAnotherCertificate(t *testing.T) {
	_, _, addr := serveTLS(t)
	addr.Fingerprint = strings.Repeat("a", fingerprintHexLen)
	c, err := Dial(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Deliver(context.Background(), testBatch); err == nil || !strings.Contains(err.Error(), "not the "+addr.Fingerprint) {
		t.Fatalf("Deliver to a vat whose certificate is not pinned: %v, want a refusal", err)
	}
}

func TestGarbageBodyRefused(t *testing.T) {
	h, l, addr := serveTLS(t)
	status, text := rawPost(t, addr, addr.Secret, []byte("\xff\x00 not cbor at all"))
	if status != http.StatusBadRequest || !strings.Contains(text, "not a valid vat batch") {
		t.Fatalf("garbage body: %d %q, want 400 not a valid vat batch", status, text)
	}
	if got := deliveredTo(t, l, h); len(got) != 0 {
		t.Fatalf("a garbage request reached the host: %+v", got)
	}
}

func TestUnixGarbageAndWrongPathRefused(t *testing.T) {
	h, l, dir := serveDir(t)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialUnix(ctx, SocketPath(dir))
	}}}
	defer client.CloseIdleConnections()
	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{http.MethodPost, deliverPath, "garbage", http.StatusBadRequest, "not a valid vat batch"},
		{http.MethodGet, deliverPath, "", http.StatusMethodNotAllowed, "POST /deliver only"},
		{http.MethodPost, "/other", "", http.StatusNotFound, "no such path"},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, "http://vat"+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		text, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status || !strings.Contains(string(text), c.want) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, resp.StatusCode, text, c.status, c.want)
		}
	}
	if got := deliveredTo(t, l, h); len(got) != 0 {
		t.Fatalf("refused requests reached the host: %+v", got)
	}
}

func TestPumpRetriesUntilPeerComesUpAndCarriesAck(t *testing.T) {
	bdir := t.TempDir()
	a := newFakeHost("a-id", t.TempDir())
	a.ack[bdir] = 7 // replies up to 7 were taken before
	a.send(bdir, 3)
	failures := make(chan error, 100)
	la := NewLoop(a, LoopOptions{RetryMin: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond,
		Report: func(_ string, err error) {
			select {
			case failures <- err:
			default:
			}
		}})
	sent, err := Pending(a)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		pending int
		err     error
	}
	done := make(chan result, 1)
	go func() {
		p, err := la.RunUntilReplied(context.Background(), sent)
		done <- result{p, err}
	}()
	// The peer is down: the pump fails, and says so, and tries again.
	for range 3 {
		select {
		case err := <-failures:
			if !strings.Contains(err.Error(), "no vat listens on") {
				t.Fatalf("failure reported: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the pump did not try again")
		}
	}
	b := newFakeHost("b-id", bdir)
	lb := testLoop(t, b, LoopOptions{})
	s, err := ServeUnix(lb, bdir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the messages were not delivered once the peer came up")
	}
	if r.err != nil || r.pending != 0 {
		t.Fatalf("RunUntilReplied: %d pending, %v", r.pending, r.err)
	}
	if len(a.outbox[bdir]) != 0 || len(a.accepted) != 3 || a.accepted[0].Seq != 8 {
		t.Fatalf("after the replies: outbox %+v, accepted %+v", a.outbox[bdir], a.accepted)
	}
	got := deliveredTo(t, lb, b)
	if len(got) != 1 || got[0].Ack != 7 || got[0].From != "a-id" || len(got[0].Messages) != 3 {
		t.Fatalf("the peer was given %+v, want one batch of 3 from a-id carrying Ack 7", got)
	}
}

func TestRunUntilRepliedGivesUpAtTheDeadline(t *testing.T) {
	a := newFakeHost("a-id", t.TempDir())
	a.send(t.TempDir(), 2)
	sent, err := Pending(a)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	pending, err := NewLoop(a, LoopOptions{}).RunUntilReplied(ctx, sent)
	if err != nil || pending != 2 {
		t.Fatalf("RunUntilReplied: %d pending, %v; want 2 pending", pending, err)
	}
}

func TestDoRunsOnTheLoopAndStopsWithIt(t *testing.T) {
	l := NewLoop(newFakeHost("a-id", t.TempDir()), LoopOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Run(ctx) }()
	want := io.ErrUnexpectedEOF
	if err := l.Do(func() error { return want }); err != want {
		t.Fatalf("Do answered %v, want f's error", err)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := l.Do(func() error { return nil }); err != ErrStopped {
		t.Fatalf("Do after the loop stopped: %v, want ErrStopped", err)
	}
}

// deliverTestBatch dials dest, delivers testBatch and checks that it
// answers testReplies and that the host behind loop l was given the batch.
func deliverTestBatch(t *testing.T, dest string, l *Loop, h *fakeHost) {
	t.Helper()
	c, err := Dial(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rs, err := c.Deliver(context.Background(), testBatch)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rs, testReplies) {
		t.Fatalf("replies %+v, want %+v", rs, testReplies)
	}
	if got := deliveredTo(t, l, h); !reflect.DeepEqual(got, []Batch{testBatch}) {
		t.Fatalf("host was given %+v, want the batch", got)
	}
}
