package vat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Unix sockets. The kernel limits a socket's path to 107 bytes, less than
// a world directory may need; a longer path is reached through the
// directory's file descriptor (/proc/self/fd/N/vat.sock), which names the
// same file.

// maxSunPath is the longest path a Unix socket address holds.
const maxSunPath = len(unix.RawSockaddrUnix{}.Path) - 1

// viaShortPath calls f with a path, short enough for a socket address,
// that names the same file as path.
func viaShortPath(path string, f func(p string) error) error {
	if len(path) <= maxSunPath {
		return f(path)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return f(fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path)))
}

func dialUnix(ctx context.Context, sock string) (net.Conn, error) {
	var c net.Conn
	err := viaShortPath(sock, func(p string) error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, "unix", p)
		return err
	})
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("no vat listens on %s (is the world running? psyche serve runs it)", sock)
	}
	return c, err
}

// listenUnix listens on the socket sock, made owner-only. A socket left by
// a process that died is replaced; one that a live process answers on is
// not.
func listenUnix(sock string) (*net.UnixListener, error) {
	var ln *net.UnixListener
	err := viaShortPath(sock, func(p string) error {
		l, err := net.Listen("unix", p)
		if errors.Is(err, syscall.EADDRINUSE) {
			if c, derr := net.Dial("unix", p); derr == nil {
				c.Close()
				return fmt.Errorf("another process already serves this world on %s", sock)
			}
			if rerr := os.Remove(sock); rerr != nil {
				return fmt.Errorf("removing the stale socket %s: %w", sock, rerr)
			}
			l, err = net.Listen("unix", p)
		}
		if err != nil {
			return err
		}
		ln = l.(*net.UnixListener)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", sock, err)
	}
	// Closing the listener must not unlink by the short path, which names
	// a descriptor that is closed by then; Server.Close removes sock.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		os.Remove(sock)
		return nil, fmt.Errorf("making %s owner-only: %w", sock, err)
	}
	return ln, nil
}
