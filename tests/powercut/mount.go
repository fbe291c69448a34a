package powercut

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// ErrNoFUSE says that this machine cannot mount the filesystem: no
// /dev/fuse, or no permission to mount (mounting directly needs root, or
// CAP_SYS_ADMIN). Tests skip on it.
var ErrNoFUSE = errors.New("FUSE is not available")

// cacheTimeout is how long the kernel may keep names and attributes. Every
// change goes through the one mount, so the kernel's caches cannot go
// stale; a power cut replaces the mount (and so the caches) entirely.
const cacheTimeout = time.Second

// Mount is fsys mounted at a directory.
type Mount struct {
	Dir    string
	FS     *FS
	server *fuse.Server
}

// MountAt mounts fsys at dir (an existing directory) by calling mount(2)
// itself (there may be no fusermount). It answers an error wrapping
// ErrNoFUSE where FUSE is missing or mounting is not permitted.
func MountAt(dir string, fsys *FS) (*Mount, error) {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFUSE, err)
	}
	timeout := cacheTimeout
	opts := &fs.Options{
		EntryTimeout: &timeout,
		AttrTimeout:  &timeout,
		MountOptions: fuse.MountOptions{
			DirectMountStrict: true,
			FsName:            "powercut",
			Name:              "powercut",
		},
	}
	server, err := fs.Mount(dir, &dirNode{fsys: fsys, d: fsys.root}, opts)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("%w: mounting at %s: %v", ErrNoFUSE, dir, err)
		}
		return nil, fmt.Errorf("mounting at %s: %w", dir, err)
	}
	return &Mount{Dir: dir, FS: fsys, server: server}, nil
}

// Unmount unmounts the filesystem. Every process that used it must have
// ended: then nothing holds it, and the kernel lets it go. If the kernel
// still says it is busy, it is detached (it goes once its last user does).
func (m *Mount) Unmount() error {
	if err := m.server.Unmount(); err != nil {
		if derr := syscall.Unmount(m.Dir, syscall.MNT_DETACH); derr != nil {
			return fmt.Errorf("unmounting %s: %v; detaching it: %v", m.Dir, err, derr)
		}
	}
	return nil
}

// PowerCut cuts the power under the processes using the mount and brings
// the mount back as after a reboot, with only the durable state. kill must
// send SIGKILL to every such process (and not wait for them); wait must
// then wait until they have all ended. Operations that arrive between the
// cut and the kill wait, and fail once the processes are dead, so nothing
// a process does after the cut instant survives it, and none of them sees
// an I/O error before it dies.
func (m *Mount) PowerCut(kill, wait func()) error {
	after := m.FS.PowerCut()
	kill()
	m.FS.Release()
	wait()
	if err := m.Unmount(); err != nil {
		return err
	}
	next, err := MountAt(m.Dir, after)
	if err != nil {
		return err
	}
	*m = *next
	return nil
}
