package tests

// End-to-end tests of vats' transport: psyche serve on its Unix socket and
// over TLS, refusing who lacks the secret and what is not a batch.

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vatsSturdyRE matches the sturdy reference psyche serve --listen prints.
var vatsSturdyRE = regexp.MustCompile(`tcp://([0-9.]+:[0-9]+)/([0-9a-f]{64})/([0-9a-f]{32})`)

// vatsServe starts psyche serve on world w with --listen on a free local
// port and answers the command, its output and the sturdy reference's
// parts (host:port, fingerprint, secret) once it has printed them.
func vatsServe(t *testing.T, e *e2eEnv, w string) (*exec.Cmd, *e2eSyncBuffer, []string) {
	t.Helper()
	cmd := e.command("serve", "-w", w, "--listen", "127.0.0.1:0")
	out := &e2eSyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(e2eTimeout)
	for time.Now().Before(deadline) {
		if m := vatsSturdyRE.FindStringSubmatch(out.String()); m != nil {
			return cmd, out, m[1:]
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("psyche serve printed no sturdy reference:\n%s", out)
	return nil, nil, nil
}

// vatsRawPost sends a hand-written HTTP request over conn, as curl would,
// and answers the whole response.
func vatsRawPost(t *testing.T, conn net.Conn, secret, body string) string {
	t.Helper()
	defer conn.Close()
	req := "POST /deliver HTTP/1.1\r\nHost: vat\r\nContent-Type: application/cbor\r\nConnection: close\r\n"
	if secret != "" {
		req += "Psyche-Vat-Secret: " + secret + "\r\n"
	}
	req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	conn.SetDeadline(time.Now().Add(e2eTimeout))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := io.ReadAll(bufio.NewReader(conn))
	if err != nil {
		t.Fatal(err)
	}
	return string(resp)
}

func TestE2EVatsServeRefusesWrongSecretAndGarbage(t *testing.T) {
	e2eUnignoreSigint()
	e := newE2E(t)
	w := e.newWorld("bank")
	cmd, out, ref := vatsServe(t, e, w)
	hostPort, fingerprint, secret := ref[0], ref[1], ref[2]
	sock := filepath.Join(w, "vat.sock")
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v, want an owner-only socket", sock, fi, err)
	}

	dialTLS := func() *tls.Conn {
		c, err := tls.Dial("tcp", hostPort, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(c.ConnectionState().PeerCertificates[0].Raw)
		if got := hex.EncodeToString(sum[:]); got != fingerprint {
			t.Fatalf("the served certificate's fingerprint is %s; the sturdy reference says %s", got, fingerprint)
		}
		return c
	}
	for _, s := range []string{"", strings.Repeat("0", 32)} {
		resp := vatsRawPost(t, dialTLS(), s, "x")
		if !strings.HasPrefix(resp, "HTTP/1.1 403") || !strings.Contains(resp, "wrong or missing secret") {
			t.Errorf("secret %q: answered\n%s\nwant 403 wrong or missing secret", s, resp)
		}
	}
	resp := vatsRawPost(t, dialTLS(), secret, "garbage")
	if !strings.HasPrefix(resp, "HTTP/1.1 400") || !strings.Contains(resp, "not a valid vat batch") {
		t.Errorf("garbage with the right secret: answered\n%s\nwant 400 not a valid vat batch", resp)
	}
	uc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if resp := vatsRawPost(t, uc, "", "garbage"); !strings.HasPrefix(resp, "HTTP/1.1 400") {
		t.Errorf("garbage on the Unix socket: answered\n%s\nwant 400", resp)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _ := e2eWait(t, cmd, e2eTimeout, "psyche serve after SIGTERM"); code != 0 {
		t.Fatalf("psyche serve exited %d after SIGTERM:\n%s", code, out)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("%s is still there after serve stopped: %v", sock, err)
	}
	e.checkWorld(w)

	// Served again, the world keeps its certificate and secret: the sturdy
	// references handed out stay valid.
	cmd, _, again := vatsServe(t, e, w)
	if again[1] != fingerprint || again[2] != secret {
		t.Errorf("served again, the sturdy reference changed from %v to %v", ref, again)
	}
	cmd.Process.Signal(syscall.SIGINT)
	e2eWait(t, cmd, e2eTimeout, "psyche serve after SIGINT")
}

func TestE2EVatsServeReplacesAStaleSocket(t *testing.T) {
	e := newE2E(t)
	w := e.newWorld("bank")
	ln, err := net.Listen("unix", filepath.Join(w, "vat.sock"))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // as a killed process leaves it
	cmd, out, _ := vatsServe(t, e, w)
	cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := e2eWait(t, cmd, e2eTimeout, "psyche serve"); code != 0 {
		t.Fatalf("psyche serve over a stale socket exited %d:\n%s", code, out)
	}
}

func TestE2EVatsHelpServe(t *testing.T) {
	e := newE2E(t)
	r := e.ok("help", "serve")
	for _, want := range []string{"usage: psyche serve", "--listen HOST:PORT", "tcp://HOST:PORT/FINGERPRINT/SECRET"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("psyche help serve lacks %q:\n%s", want, r.stdout)
		}
	}
	// An evaluation that sends nothing does not wait.
	if got := e.ok("eval", "--timeout", "1s", "3 + 4").out(); got != "7" {
		t.Errorf("eval --timeout 1s '3 + 4' printed %q", got)
	}
}
