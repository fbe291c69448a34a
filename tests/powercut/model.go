// Package powercut is a filesystem for power-loss tests: it keeps every
// change in memory, makes a change durable only where fsync says so, and on a
// simulated power cut comes back with exactly its durable state.
//
// The model is the strict, POSIX-minimal one, stricter than ext4's ordered
// mode, so that a program that survives it relies on nothing but fsync:
//
//   - fsync (or fdatasync) of a file makes that file's contents and size
//     durable, and nothing else: not its name in any directory.
//   - fsync of a directory makes that directory's entries durable (the names
//     created, renamed in or out, and removed), and nothing else: not the
//     contents of the files they name, not the entries of subdirectories.
//   - Whatever was not made durable is gone after a cut. A file whose name
//     became durable before its data did comes back empty, or with the data
//     of its last fsync.
//
// Every file and directory has two layers, the current one (what the
// running system sees) and the durable one (what a cut leaves). Pages of
// file data are shared between the layers and copied before a write (see
// page), so an fsync costs one pointer per page.
package powercut

import (
	"sort"
	"sync"
	"syscall"
	"time"
)

// pageSize is the granularity at which the two layers of a file share data.
const pageSize = 4096

// page is one page of a file's data. A frozen page belongs (possibly) to a
// durable layer and is never written again; a write to it goes to a copy.
// Invariant: every page a durable layer refers to is frozen.
type page struct {
	data   [pageSize]byte
	frozen bool
}

// content is one layer of a file: its size and its pages (nil pages read as
// zeros; pages beyond the size may be absent).
type content struct {
	size  int64
	pages []*page
}

// freeze marks every page of c frozen and answers a layer that shares them.
func (c *content) freeze() content {
	for _, p := range c.pages {
		if p != nil {
			p.frozen = true
		}
	}
	return content{size: c.size, pages: append([]*page(nil), c.pages...)}
}

// read copies the bytes at off into dest and answers how many there were.
func (c *content) read(dest []byte, off int64) int {
	if off >= c.size {
		return 0
	}
	n := int(min(int64(len(dest)), c.size-off))
	for done := 0; done < n; {
		pi, po := (off+int64(done))/pageSize, int((off+int64(done))%pageSize)
		chunk := min(n-done, pageSize-po)
		if pi < int64(len(c.pages)) && c.pages[pi] != nil {
			copy(dest[done:done+chunk], c.pages[pi].data[po:po+chunk])
		} else {
			clear(dest[done : done+chunk])
		}
		done += chunk
	}
	return n
}

// write copies data into the layer at off, growing it as needed; frozen
// pages are copied first.
func (c *content) write(data []byte, off int64) {
	end := off + int64(len(data))
	c.grow(end)
	for done := 0; done < len(data); {
		pi, po := (off+int64(done))/pageSize, int((off+int64(done))%pageSize)
		chunk := min(len(data)-done, pageSize-po)
		p := c.writable(pi)
		copy(p.data[po:po+chunk], data[done:done+chunk])
		done += chunk
	}
}

// writable answers page pi of the layer, unshared.
func (c *content) writable(pi int64) *page {
	p := c.pages[pi]
	switch {
	case p == nil:
		p = &page{}
	case p.frozen:
		p = &page{data: p.data}
	default:
		return p
	}
	c.pages[pi] = p
	return p
}

// grow makes room for size bytes (without shrinking).
func (c *content) grow(size int64) {
	if size > c.size {
		c.size = size
	}
	if n := (c.size + pageSize - 1) / pageSize; n > int64(len(c.pages)) {
		c.pages = append(c.pages, make([]*page, n-int64(len(c.pages)))...)
	}
}

// truncate sets the size; bytes beyond a smaller size are forgotten, so a
// later growth reads zeros there.
func (c *content) truncate(size int64) {
	if size >= c.size {
		c.grow(size)
		return
	}
	n := (size + pageSize - 1) / pageSize
	clear(c.pages[n:])
	c.pages = c.pages[:n]
	if po := int(size % pageSize); po != 0 && c.pages[n-1] != nil {
		clear(c.writable(n - 1).data[po:])
	}
	c.size = size
}

// node is a file or a directory of the model.
type node interface {
	ino() uint64
	mode() uint32 // S_IFREG or S_IFDIR and the permission bits
	// revive answers the node as a power cut leaves it: its durable layer,
	// which is also its current one. copies maps the nodes already revived
	// to their copies, so that a node reachable by two durable names (a
	// rename made durable in only one of its directories) stays one node.
	revive(copies map[node]node) node
}

// meta is what every node has besides its contents. The times are kept in
// the current layer only: no test depends on them after a cut.
type meta struct {
	id    uint64
	perm  uint32
	mtime time.Time
}

func (m *meta) ino() uint64 { return m.id }

// file is a regular file: its current and durable contents.
type file struct {
	meta
	cur, dur content
}

func (f *file) mode() uint32 { return syscall.S_IFREG | f.perm }

func (f *file) revive(copies map[node]node) node {
	if c, ok := copies[f]; ok {
		return c
	}
	c := &file{meta: f.meta, dur: f.dur.freeze()}
	c.cur = c.dur.freeze()
	copies[f] = c
	return c
}

// dir is a directory: its current and durable entries.
type dir struct {
	meta
	cur, dur map[string]node
}

func (d *dir) mode() uint32 { return syscall.S_IFDIR | d.perm }

func (d *dir) revive(copies map[node]node) node {
	if c, ok := copies[d]; ok {
		return c
	}
	c := &dir{meta: d.meta, cur: map[string]node{}, dur: map[string]node{}}
	copies[d] = c
	for name, child := range d.dur {
		c.dur[name] = child.revive(copies)
	}
	c.cur = cloneEntries(c.dur)
	return c
}

// names answers the current entries' names, sorted.
func (d *dir) names() []string {
	names := make([]string, 0, len(d.cur))
	for name := range d.cur {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func cloneEntries(m map[string]node) map[string]node {
	c := make(map[string]node, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// FS is the filesystem's state. One mutex serializes every operation: the
// tests are about durability, not speed, and a power cut must see no
// operation half done.
type FS struct {
	mu      sync.Mutex
	root    *dir
	lastIno uint64
	// cut is non-nil once the power is off: every operation then waits until
	// it is closed (Release) and fails with EIO. Waiting rather than failing
	// at once keeps a process that is about to be killed from seeing I/O
	// errors (a failed page fault is a SIGBUS) in the instant between the
	// cut and its SIGKILL.
	cut chan struct{}
	// after is the filesystem as the cut leaves it; set with cut.
	after *FS
	// syncsLeft counts down the fsyncs before a cut that CutAtSync arranged
	// (0: none arranged); cutDone is closed when that cut happens.
	syncsLeft int
	cutDone   chan struct{}
}

// New answers an empty filesystem (its root directory is durable).
func New() *FS {
	f := &FS{}
	f.root = f.newDir(0o755)
	return f
}

func (f *FS) nextIno() uint64 {
	f.lastIno++
	return f.lastIno + 1 // 1 is the root's, by FUSE convention
}

func (f *FS) newDir(perm uint32) *dir {
	d := &dir{meta: meta{perm: perm, mtime: time.Now()}, cur: map[string]node{}, dur: map[string]node{}}
	if f.root == nil {
		d.id = 1
	} else {
		d.id = f.nextIno()
	}
	return d
}

func (f *FS) newFile(perm uint32) *file {
	return &file{meta: meta{id: f.nextIno(), perm: perm, mtime: time.Now()}}
}

// lock takes the filesystem's mutex, or, after a power cut, waits for
// Release and answers EIO without it.
func (f *FS) lock() syscall.Errno {
	f.mu.Lock()
	if f.cut == nil {
		return 0
	}
	cut := f.cut
	f.mu.Unlock()
	<-cut
	return syscall.EIO
}

// PowerCut turns the power off: from now on every operation waits, then
// fails (see Release). It answers the filesystem as it comes back after the
// reboot: the durable state of every file and directory reachable from the
// root through durable entries, which is also its current state.
// Cutting twice answers the same filesystem.
func (f *FS) PowerCut() *FS {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.powerCut()
	return f.after
}

// powerCut is PowerCut with the lock held.
func (f *FS) powerCut() {
	if f.cut != nil {
		return
	}
	f.cut = make(chan struct{})
	f.after = &FS{lastIno: f.lastIno}
	f.after.root = f.root.revive(map[node]node{}).(*dir)
}

// CutAtSync arranges for the power to go off the instant the nth fsync
// from now (n >= 1) has made its data durable, before the process that
// called it is told so. The channel answered is closed when that happens;
// then kill the processes and bring the mount back (Mount.PowerCut).
func (f *FS) CutAtSync(n int) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncsLeft = n
	f.cutDone = make(chan struct{})
	return f.cutDone
}

// Release ends the waits of a filesystem whose power is off: every
// operation on it fails with EIO from now on. Call it once the processes
// that used it were sent SIGKILL, before waiting for them to end.
func (f *FS) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cut != nil {
		select {
		case <-f.cut:
		default:
			close(f.cut)
		}
	}
}
