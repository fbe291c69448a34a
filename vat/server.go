package vat

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

// The servers: POST /deliver takes a Batch and answers its []Reply. A
// request is checked before anything reaches the world: the secret (over
// TCP), the size, the batch's form; then the loop's owning goroutine
// delivers it.

// readHeaderTimeout bounds how long a peer may take to send its headers.
const readHeaderTimeout = 10 * time.Second

// Server serves one listener for a Loop.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	sock string // the Unix socket to remove on Close; "" over TCP
	errc chan error
}

// ServeUnix serves loop on the Unix socket of the world in dir
// (dir/vat.sock, owner-only), replacing a stale one a dead process left.
func ServeUnix(loop *Loop, dir string) (*Server, error) {
	sock := SocketPath(dir)
	ln, err := listenUnix(sock)
	if err != nil {
		return nil, err
	}
	s := newServer(loop, ln, sock, "")
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// ServeTLS serves loop over TLS on hostPort (PORT 0 picks a free port)
// with the credentials c, and answers the sturdy reference that reaches it.
func ServeTLS(loop *Loop, hostPort string, c *Credentials) (*Server, Addr, error) {
	ln, err := net.Listen("tcp", hostPort)
	if err != nil {
		return nil, Addr{}, fmt.Errorf("listening on %s: %w", hostPort, err)
	}
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		ln.Close()
		return nil, Addr{}, err
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, Addr{}, err
	}
	s := newServer(loop, ln, "", c.Secret)
	s.srv.TLSConfig = serverTLS(c)
	go func() { s.errc <- s.srv.ServeTLS(ln, "", "") }()
	return s, Addr{TCP: net.JoinHostPort(host, port), Fingerprint: c.Fingerprint, Secret: c.Secret}, nil
}

func newServer(loop *Loop, ln net.Listener, sock, secret string) *Server {
	return &Server{
		srv: &http.Server{
			Handler:           &handler{loop: loop, secret: secret},
			ReadHeaderTimeout: readHeaderTimeout,
			ErrorLog:          discardLog,
		},
		ln:   ln,
		sock: sock,
		errc: make(chan error, 1),
	}
}

// Close stops serving (requests under way are cut off: their senders
// send again) and removes the Unix socket.
func (s *Server) Close() error {
	err := s.srv.Close()
	if serr := <-s.errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if s.sock != "" {
		if rerr := os.Remove(s.sock); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	return err
}

type handler struct {
	loop   *Loop
	secret string // "" on a Unix socket, which the directory guards
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.secret != "" && !secretMatches(r.Header.Get(SecretHeader), h.secret) {
		refuse(w, http.StatusForbidden, "wrong or missing secret (header %s): this vat lets in only who holds its sturdy reference", SecretHeader)
		return
	}
	if r.URL.Path != deliverPath {
		refuse(w, http.StatusNotFound, "no such path %q: a vat answers POST %s", r.URL.Path, deliverPath)
		return
	}
	if r.Method != http.MethodPost {
		refuse(w, http.StatusMethodNotAllowed, "%s %s: a vat answers POST %s only", r.Method, r.URL.Path, deliverPath)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		refuse(w, http.StatusRequestEntityTooLarge, "the batch is over %d bytes", MaxBodyBytes)
		return
	}
	if err != nil {
		refuse(w, http.StatusBadRequest, "reading the batch: %v", err)
		return
	}
	b, err := DecodeBatch(body)
	if err != nil {
		refuse(w, http.StatusBadRequest, "%v", err)
		return
	}
	replies, err := h.loop.deliverBatch(r.Context(), b)
	if err != nil {
		refuse(w, http.StatusServiceUnavailable, "the world could not take the batch: %v", err)
		return
	}
	data, err := EncodeReplies(replies)
	if err != nil {
		refuse(w, http.StatusInternalServerError, "%v", err)
		return
	}
	w.Header().Set("Content-Type", cborType)
	w.Write(data) // a peer that went away sends again
}

// refuse answers an error status with a message that says what was wrong.
func refuse(w http.ResponseWriter, status int, format string, a ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "vat: "+format+"\n", a...)
}

// discardLog silences net/http's own log of failed TLS handshakes and
// the like: a hostile peer must not fill the world's terminal.
var discardLog = log.New(io.Discard, "", 0)
