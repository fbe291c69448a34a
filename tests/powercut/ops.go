package powercut

import (
	"syscall"
	"time"
)

// The operations of the model. Each takes the filesystem's lock (lock) and
// changes the current layer only, except fsync, which copies the current
// layer of one node to its durable layer. They answer the errno that Linux
// would.

// attr is what Getattr reports of a node.
type attr struct {
	ino   uint64
	mode  uint32
	size  int64
	nlink uint32
	mtime time.Time
}

func (f *FS) attr(n node) (attr, syscall.Errno) {
	if errno := f.lock(); errno != 0 {
		return attr{}, errno
	}
	defer f.mu.Unlock()
	return attrOf(n), 0
}

// attrOf is n's attr; the caller holds the lock.
func attrOf(n node) attr {
	a := attr{ino: n.ino(), mode: n.mode(), nlink: 1}
	switch n := n.(type) {
	case *file:
		a.size, a.mtime = n.cur.size, n.mtime
	case *dir:
		a.nlink, a.mtime = 2, n.mtime
	}
	return a
}

func (f *FS) lookup(d *dir, name string) (node, attr, syscall.Errno) {
	if errno := f.lock(); errno != 0 {
		return nil, attr{}, errno
	}
	defer f.mu.Unlock()
	n, ok := d.cur[name]
	if !ok {
		return nil, attr{}, syscall.ENOENT
	}
	return n, attrOf(n), 0
}

// entry is one name of a directory listing.
type entry struct {
	name string
	ino  uint64
	mode uint32
}

func (f *FS) list(d *dir) ([]entry, syscall.Errno) {
	if errno := f.lock(); errno != 0 {
		return nil, errno
	}
	defer f.mu.Unlock()
	var out []entry
	for _, name := range d.names() {
		n := d.cur[name]
		out = append(out, entry{name: name, ino: n.ino(), mode: n.mode()})
	}
	return out, 0
}

func (f *FS) create(d *dir, name string, perm uint32) (*file, attr, syscall.Errno) {
	if errno := f.lock(); errno != 0 {
		return nil, attr{}, errno
	}
	defer f.mu.Unlock()
	if _, ok := d.cur[name]; ok {
		return nil, attr{}, syscall.EEXIST
	}
	n := f.newFile(perm)
	d.cur[name] = n
	d.mtime = n.mtime
	return n, attrOf(n), 0
}

func (f *FS) mkdir(d *dir, name string, perm uint32) (*dir, attr, syscall.Errno) {
	if errno := f.lock(); errno != 0 {
		return nil, attr{}, errno
	}
	defer f.mu.Unlock()
	if _, ok := d.cur[name]; ok {
		return nil, attr{}, syscall.EEXIST
	}
	n := f.newDir(perm)
	d.cur[name] = n
	d.mtime = n.mtime
	return n, attrOf(n), 0
}

func (f *FS) unlink(d *dir, name string) syscall.Errno {
	if errno := f.lock(); errno != 0 {
		return errno
	}
	defer f.mu.Unlock()
	switch d.cur[name].(type) {
	case nil:
		return syscall.ENOENT
	case *dir:
		return syscall.EISDIR
	}
	delete(d.cur, name)
	d.mtime = time.Now()
	return 0
}

func (f *FS) rmdir(d *dir, name string) syscall.Errno {
	if errno := f.lock(); errno != 0 {
		return errno
	}
	defer f.mu.Unlock()
	switch n := d.cur[name].(type) {
	case nil:
		return syscall.ENOENT
	case *file:
		return syscall.ENOTDIR
	case *dir:
		if len(n.cur) > 0 {
			return syscall.ENOTEMPTY
		}
	}
	delete(d.cur, name)
	d.mtime = time.Now()
	return 0
}

// Flags of renameat2 (linux/fs.h).
const (
	renameNoReplace = 1
	renameExchange  = 2
)

func (f *FS) rename(from *dir, name string, to *dir, newName string, flags uint32) syscall.Errno {
	if errno := f.lock(); errno != 0 {
		return errno
	}
	defer f.mu.Unlock()
	if flags&renameExchange != 0 || flags&^(renameNoReplace|renameExchange) != 0 {
		return syscall.EINVAL
	}
	n, ok := from.cur[name]
	if !ok {
		return syscall.ENOENT
	}
	if old, ok := to.cur[newName]; ok {
		if flags&renameNoReplace != 0 {
			return syscall.EEXIST
		}
		if old == n {
			return 0
		}
		od, oldIsDir := old.(*dir)
		_, isDir := n.(*dir)
		switch {
		case isDir && !oldIsDir:
			return syscall.ENOTDIR
		case !isDir && oldIsDir:
			return syscall.EISDIR
		case oldIsDir && len(od.cur) > 0:
			return syscall.ENOTEMPTY
		}
	}
	delete(from.cur, name)
	to.cur[newName] = n
	now := time.Now()
	from.mtime, to.mtime = now, now
	return 0
}

func (f *FS) read(n *file, dest []byte, off int64) (int, syscall.Errno) {
	if errno := f.lock(); errno != 0 {
		return 0, errno
	}
	defer f.mu.Unlock()
	return n.cur.read(dest, off), 0
}

func (f *FS) write(n *file, data []byte, off int64) syscall.Errno {
	if errno := f.lock(); errno != 0 {
		return errno
	}
	defer f.mu.Unlock()
	n.cur.write(data, off)
	n.mtime = time.Now()
	return 0
}

func (f *FS) truncate(n *file, size int64) syscall.Errno {
	if errno := f.lock(); errno != 0 {
		return errno
	}
	defer f.mu.Unlock()
	n.cur.truncate(size)
	n.mtime = time.Now()
	return 0
}

// fallocKeepSize is fallocate's FALLOC_FL_KEEP_SIZE (linux/falloc.h).
const fallocKeepSize = 1

// allocate is fallocate: mode 0 grows the file to off+size (space is never
// short here); KEEP_SIZE changes nothing visible; the other modes (holes,
// ranges) are not supported.
func (f *FS) allocate(n *file, off, size uint64, mode uint32) syscall.Errno {
	if errno := f.lock(); errno != 0 {
		return errno
	}
	defer f.mu.Unlock()
	switch mode {
	case 0:
		n.cur.grow(int64(off + size))
		n.mtime = time.Now()
		return 0
	case fallocKeepSize:
		return 0
	}
	return syscall.EOPNOTSUPP
}

// fsync makes n's current layer durable: a file's contents and size, or a
// directory's entries.
func (f *FS) fsync(n node) syscall.Errno {
	if errno := f.lock(); errno != 0 {
		return errno
	}
	defer f.mu.Unlock()
	switch n := n.(type) {
	case *file:
		n.dur = n.cur.freeze()
	case *dir:
		n.dur = cloneEntries(n.cur)
	}
	if f.syncsLeft > 0 {
		if f.syncsLeft--; f.syncsLeft == 0 {
			f.powerCut()
			close(f.cutDone)
		}
	}
	return 0
}
