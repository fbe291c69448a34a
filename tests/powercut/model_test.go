package powercut

import (
	"syscall"
	"testing"
	"time"
)

// An operation that arrives after the cut waits until Release, then fails,
// and leaves no trace in the filesystem the cut answered.
func TestPowerCutFreezes(t *testing.T) {
	fsys := New()
	f, _, errno := fsys.create(fsys.root, "f", 0o644)
	if errno != 0 {
		t.Fatal(errno)
	}
	if errno := fsys.fsync(fsys.root); errno != 0 {
		t.Fatal(errno)
	}
	after := fsys.PowerCut()
	done := make(chan syscall.Errno)
	go func() { done <- fsys.write(f, []byte("late"), 0) }()
	select {
	case errno := <-done:
		t.Fatalf("a write after the cut returned (%v) before Release", errno)
	case <-time.After(50 * time.Millisecond):
	}
	fsys.Release()
	if errno := <-done; errno != syscall.EIO {
		t.Errorf("a write after the cut answered %v, want EIO", errno)
	}
	n, a, errno := after.lookup(after.root, "f")
	if errno != 0 {
		t.Fatalf("the durable name f is gone after the cut: %v", errno)
	}
	if a.size != 0 {
		t.Errorf("f has %d bytes after the cut, want 0 (nothing was fsynced)", a.size)
	}
	if n == node(f) {
		t.Error("the filesystem after the cut shares a node with the one before")
	}
	if errno := fsys.fsync(f); errno != syscall.EIO {
		t.Errorf("fsync after Release answered %v, want EIO", errno)
	}
}

// Pages are shared between the layers and copied before a write: a write
// after an fsync leaves the durable layer as it was.
func TestPowerCutCopyOnWrite(t *testing.T) {
	var c content
	c.write([]byte("abc"), pageSize-1)
	dur := c.freeze()
	c.write([]byte("XY"), pageSize)
	c.truncate(pageSize + 1)
	buf := make([]byte, 3)
	if n := dur.read(buf, pageSize-1); n != 3 || string(buf) != "abc" {
		t.Errorf("the durable layer reads %q (%d bytes), want %q", buf[:n], n, "abc")
	}
	if n := c.read(buf, pageSize-1); n != 2 || string(buf[:n]) != "aX" {
		t.Errorf("the current layer reads %q, want %q", buf[:n], "aX")
	}
	c.truncate(pageSize + 3)
	if n := c.read(buf, pageSize); n != 3 || string(buf) != "X\x00\x00" {
		t.Errorf("after growing again the current layer reads %q, want %q", buf[:n], "X\x00\x00")
	}
}
