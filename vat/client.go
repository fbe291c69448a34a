package vat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const (
	// deliverPath is the one path a vat serves.
	deliverPath = "/deliver"
	// cborType is the content type of batches and replies.
	cborType = "application/cbor"
	// requestTimeout bounds one delivery: a batch of MaxBatchMessages
	// cranks may take a while, and a timed-out batch is only sent again.
	requestTimeout = 2 * time.Minute
	// maxErrorText bounds what of a peer's error answer is shown.
	maxErrorText = 1024
)

// Client delivers batches to one vat.
type Client struct {
	addr   Addr
	url    string
	secret string
	http   *http.Client
}

// Dial answers a client of the vat at address dest (see ParseAddr). It
// does not connect yet: Deliver does.
func Dial(dest string) (*Client, error) {
	a, err := ParseAddr(dest)
	if err != nil {
		return nil, err
	}
	c := &Client{addr: a}
	tr := &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
	if a.Dir != "" {
		sock := SocketPath(a.Dir)
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialUnix(ctx, sock)
		}
		c.url = "http://vat" + deliverPath
	} else {
		tr.TLSClientConfig = clientTLS(a.Fingerprint)
		tr.ForceAttemptHTTP2 = true
		c.url = "https://" + a.TCP + deliverPath
		c.secret = a.Secret
	}
	c.http = &http.Client{Transport: tr, Timeout: requestTimeout}
	return c, nil
}

// Deliver sends b and answers the vat's replies.
func (c *Client) Deliver(ctx context.Context, b Batch) ([]Reply, error) {
	body, err := EncodeBatch(b)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", cborType)
	if c.secret != "" {
		req.Header.Set(SecretHeader, c.secret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("delivering to vat %s: %w", Redact(c.addr.String()), unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of vat %s: %w", Redact(c.addr.String()), err)
	}
	if resp.StatusCode != http.StatusOK {
		text := strings.TrimSpace(string(data[:min(len(data), maxErrorText)]))
		return nil, fmt.Errorf("vat %s refused the batch (%s): %s", Redact(c.addr.String()), resp.Status, text)
	}
	rs, err := DecodeReplies(data)
	if err != nil {
		return nil, fmt.Errorf("vat %s answered: %w", Redact(c.addr.String()), err)
	}
	return rs, nil
}

// Close drops the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// unwrapURLError drops net/http's "Post URL:" prefix, which repeats the
// address (and would show the secret).
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Post ") {
		return ue.Unwrap()
	}
	return err
}

// Redact answers the address dest with a sturdy reference's secret hidden,
// for messages that may be shown or logged.
func Redact(dest string) string {
	if !strings.HasPrefix(dest, tcpScheme) {
		return dest
	}
	if i := strings.LastIndexByte(dest, '/'); i >= len(tcpScheme) {
		return dest[:i+1] + "…"
	}
	return dest
}
