package vat

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A vat served over TCP proves who it is with a self-signed ECDSA
// certificate, pinned by its fingerprint in the sturdy reference, and lets
// in only who sends its secret. Both are made once, the first time the
// world is served over TCP, and kept in DIR/vat-tls/ (owner-only), so that
// sturdy references handed out stay valid across restarts.

const (
	tlsKeyFile    = "key.pem"
	tlsCertFile   = "cert.pem"
	tlsSecretFile = "secret"
	// SecretHeader is the HTTP header a client sends the vat's secret in.
	SecretHeader = "Psyche-Vat-Secret"
	// certValidity is how long the self-signed certificate is valid: it is
	// pinned, not checked against a date that matters to anyone.
	certValidity = 100 * 365 * 24 * time.Hour
)

// Credentials are what a vat served over TCP proves itself and checks
// clients with.
type Credentials struct {
	Cert        tls.Certificate
	Fingerprint string // hex SHA-256 of the certificate
	Secret      string // hex; who sends it is let in
}

// LoadOrMakeCredentials answers the TCP credentials of the world in dir,
// making them (in dir/vat-tls/, files 0600) the first time.
func LoadOrMakeCredentials(dir string) (*Credentials, error) {
	tdir := filepath.Join(dir, TLSDirName)
	c, err := loadCredentials(tdir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := makeCredentials(tdir); err != nil {
			return nil, fmt.Errorf("making the vat's TLS credentials in %s: %w", tdir, err)
		}
		c, err = loadCredentials(tdir)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the vat's TLS credentials in %s: %w", tdir, err)
	}
	return c, nil
}

func loadCredentials(tdir string) (*Credentials, error) {
	secret, err := os.ReadFile(filepath.Join(tdir, tlsSecretFile))
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(secret))
	if !isHex(s, secretHexLen) {
		return nil, fmt.Errorf("%s: not %d hex digits", tlsSecretFile, secretHexLen)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(tdir, tlsCertFile), filepath.Join(tdir, tlsKeyFile))
	if err != nil {
		return nil, err
	}
	return &Credentials{Cert: cert, Fingerprint: Fingerprint(cert.Certificate[0]), Secret: s}, nil
}

// makeCredentials writes a new key, certificate and secret into tdir. The
// secret is written last: credentials count as made only once it exists,
// so a crash half-way makes them again.
func makeCredentials(tdir string) error {
	if err := os.MkdirAll(tdir, 0o700); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "psyche vat"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	secret, err := RandomHex(secretHexLen / 2)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{tlsKeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})},
		{tlsCertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})},
		{tlsSecretFile, []byte(secret + "\n")},
	}
	for _, f := range files {
		if err := writeSynced(filepath.Join(tdir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

// writeSynced writes data to a new owner-only file at path, durably.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// RandomHex answers n random bytes in hex.
func RandomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Fingerprint answers the hex SHA-256 of a DER certificate.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// serverTLS is the TLS configuration of a vat served over TCP.
func serverTLS(c *Credentials) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{c.Cert},
		MinVersion:   tls.VersionTLS13,
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// clientTLS is the TLS configuration of a client of the vat whose
// certificate has the hex SHA-256 fingerprint: that certificate, and no
// other, is accepted (it is self-signed, so no chain is checked).
func clientTLS(fingerprint string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			if len(rawCerts) == 0 {
				return errors.New("the vat presented no certificate")
			}
			if subtle.ConstantTimeCompare([]byte(Fingerprint(rawCerts[0])), []byte(fingerprint)) != 1 {
				return fmt.Errorf("the vat's certificate has fingerprint %s, not the %s its address names", Fingerprint(rawCerts[0]), fingerprint)
			}
			return nil
		},
	}
}

// secretMatches reports whether got is the secret, in time independent of
// where they differ.
func secretMatches(got, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(secret)) == 1
}
