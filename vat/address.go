package vat

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Addresses. A vat is reached at one of two kinds of address:
//
//   - a world directory, absolute: its vat listens on the Unix socket
//     DIR/vat.sock, which the directory's permissions guard;
//   - a sturdy reference tcp://HOST:PORT/FINGERPRINT/SECRET: a vat served
//     over TLS, whose certificate has the SHA-256 FINGERPRINT (hex) and
//     which lets in only who sends SECRET.
//
// ParseAddr reads both; String writes an Addr back in the one canonical
// form, which is what outboxes and far references keep.

const (
	// SocketName is the name of a vat's Unix socket in its world directory.
	SocketName = "vat.sock"
	// TLSDirName is the directory, in a world directory, that keeps the
	// vat's TLS key, certificate and secret.
	TLSDirName = "vat-tls"
	// tcpScheme starts a sturdy reference.
	tcpScheme = "tcp://"
	// fingerprintHexLen is the length of a certificate's SHA-256, in hex.
	fingerprintHexLen = 64
	// secretHexLen is the length of a vat's secret, in hex: 128 random bits.
	secretHexLen = 32
)

// Addr is a parsed vat address: Dir for a world on this machine, or TCP,
// Fingerprint and Secret for a sturdy reference.
type Addr struct {
	Dir         string // absolute world directory; empty for a sturdy reference
	TCP         string // HOST:PORT
	Fingerprint string // hex SHA-256 of the vat's certificate
	Secret      string // hex secret the vat lets in
}

// SocketPath answers the path of the Unix socket of the world in dir.
func SocketPath(dir string) string { return filepath.Join(dir, SocketName) }

// ParseAddr parses a vat address: a world directory (a relative one, or
// one starting with ~/, is made absolute) or a sturdy reference
// tcp://HOST:PORT/FINGERPRINT/SECRET.
func ParseAddr(s string) (Addr, error) {
	if rest, ok := strings.CutPrefix(s, tcpScheme); ok {
		return parseSturdy(s, rest)
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		return Addr{}, fmt.Errorf("vat address %q: unknown scheme %q (a vat address is a world directory or tcp://HOST:PORT/FINGERPRINT/SECRET)", s, scheme)
	}
	if s == "" {
		return Addr{}, fmt.Errorf("empty vat address (a vat address is a world directory or tcp://HOST:PORT/FINGERPRINT/SECRET)")
	}
	dir := s
	if dir == "~" || strings.HasPrefix(dir, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return Addr{}, fmt.Errorf("vat address %q: cannot find the home directory: %w", s, err)
		}
		dir = filepath.Join(home, dir[1:])
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Addr{}, fmt.Errorf("vat address %q: %w", s, err)
	}
	return Addr{Dir: abs}, nil
}

func parseSturdy(s, rest string) (Addr, error) {
	bad := func(format string, a ...any) (Addr, error) {
		return Addr{}, fmt.Errorf("vat address %q: %s (a sturdy reference is tcp://HOST:PORT/FINGERPRINT/SECRET, as psyche serve --listen prints it)", s, fmt.Sprintf(format, a...))
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return bad("it has %d parts after tcp://, not 3", len(parts))
	}
	hostPort, fp, secret := parts[0], parts[1], parts[2]
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return bad("%q is not HOST:PORT", hostPort)
	}
	if host == "" {
		return bad("%q names no host", hostPort)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return bad("port %q is not a number from 1 to 65535", port)
	}
	if !isHex(fp, fingerprintHexLen) {
		return bad("the fingerprint %q is not %d hex digits", fp, fingerprintHexLen)
	}
	if !isHex(secret, secretHexLen) {
		return bad("the secret is not %d hex digits", secretHexLen)
	}
	return Addr{TCP: hostPort, Fingerprint: strings.ToLower(fp), Secret: strings.ToLower(secret)}, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// String answers a in its canonical form.
func (a Addr) String() string {
	if a.Dir != "" {
		return a.Dir
	}
	return tcpScheme + a.TCP + "/" + a.Fingerprint + "/" + a.Secret
}

// ResolveAddress answers the canonical form of the vat address s (what
// `vats at:` keeps), or why s is not one.
func ResolveAddress(s string) (string, error) {
	a, err := ParseAddr(s)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}
