package powercut

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The FUSE side: one go-fuse node per file or directory of the model, each
// a thin adapter to the operations in ops.go. Files are opened without
// direct I/O, so the kernel's page cache holds their data and mmap works;
// it stays coherent because every change goes through this one mount and
// the kernel updates its cache on the way (writes go through the cache,
// truncation and fallocate adjust it). Locks (flock) are not answered here:
// without FUSE lock support the kernel keeps them itself, per mount, which
// is what psyche's single-writer lock needs.

type fileNode struct {
	fs.Inode
	fsys *FS
	f    *file
}

type dirNode struct {
	fs.Inode
	fsys *FS
	d    *dir
}

var (
	_ fs.NodeGetattrer = (*fileNode)(nil)
	_ fs.NodeSetattrer = (*fileNode)(nil)
	_ fs.NodeOpener    = (*fileNode)(nil)
	_ fs.NodeReader    = (*fileNode)(nil)
	_ fs.NodeWriter    = (*fileNode)(nil)
	_ fs.NodeFsyncer   = (*fileNode)(nil)
	_ fs.NodeFlusher   = (*fileNode)(nil)
	_ fs.NodeAllocater = (*fileNode)(nil)
	_ fs.NodeStatfser  = (*fileNode)(nil)
	_ fs.NodeGetattrer = (*dirNode)(nil)
	_ fs.NodeSetattrer = (*dirNode)(nil)
	_ fs.NodeLookuper  = (*dirNode)(nil)
	_ fs.NodeReaddirer = (*dirNode)(nil)
	_ fs.NodeCreater   = (*dirNode)(nil)
	_ fs.NodeMkdirer   = (*dirNode)(nil)
	_ fs.NodeUnlinker  = (*dirNode)(nil)
	_ fs.NodeRmdirer   = (*dirNode)(nil)
	_ fs.NodeRenamer   = (*dirNode)(nil)
	_ fs.NodeFsyncer   = (*dirNode)(nil)
	_ fs.NodeStatfser  = (*dirNode)(nil)
)

// fillAttr copies a into out.
func fillAttr(a attr, out *fuse.Attr) {
	out.Ino = a.ino
	out.Mode = a.mode
	out.Size = uint64(a.size)
	out.Blocks = (uint64(a.size) + 511) / 512
	out.Blksize = pageSize
	out.Nlink = a.nlink
	out.SetTimes(nil, &a.mtime, &a.mtime)
}

// inode answers the go-fuse inode for model node n under parent.
func (p *dirNode) inode(ctx context.Context, n node) *fs.Inode {
	stable := fs.StableAttr{Mode: n.mode() & syscall.S_IFMT, Ino: n.ino()}
	switch n := n.(type) {
	case *file:
		return p.NewInode(ctx, &fileNode{fsys: p.fsys, f: n}, stable)
	case *dir:
		return p.NewInode(ctx, &dirNode{fsys: p.fsys, d: n}, stable)
	}
	return nil
}

func (n *fileNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	a, errno := n.fsys.attr(n.f)
	fillAttr(a, &out.Attr)
	return errno
}

// Setattr changes the size (truncate); modes, owners and times are accepted
// and ignored: nothing here depends on them.
func (n *fileNode) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if size, ok := in.GetSize(); ok {
		if errno := n.fsys.truncate(n.f, int64(size)); errno != 0 {
			return errno
		}
	}
	return n.Getattr(ctx, fh, out)
}

// Open keeps no state: reads and writes go to the node. Not asking for
// FOPEN_KEEP_CACHE makes the kernel drop the file's cached pages at each
// open, which costs little and can only help coherence.
func (n *fileNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if _, errno := n.fsys.attr(n.f); errno != 0 {
		return nil, 0, errno
	}
	return nil, 0, 0
}

func (n *fileNode) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	got, errno := n.fsys.read(n.f, dest, off)
	if errno != 0 {
		return nil, errno
	}
	return fuse.ReadResultData(dest[:got]), 0
}

func (n *fileNode) Write(ctx context.Context, fh fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	if errno := n.fsys.write(n.f, data, off); errno != 0 {
		return 0, errno
	}
	return uint32(len(data)), 0
}

func (n *fileNode) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	return n.fsys.fsync(n.f)
}

// Flush (each close) makes nothing durable: close is not fsync.
func (n *fileNode) Flush(ctx context.Context, fh fs.FileHandle) syscall.Errno { return 0 }

func (n *fileNode) Allocate(ctx context.Context, fh fs.FileHandle, off, size uint64, mode uint32) syscall.Errno {
	return n.fsys.allocate(n.f, off, size, mode)
}

func (n *dirNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	a, errno := n.fsys.attr(n.d)
	fillAttr(a, &out.Attr)
	return errno
}

// Setattr on a directory (chmod, utimes) is accepted and ignored.
func (n *dirNode) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return n.Getattr(ctx, fh, out)
}

func (n *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	c, a, errno := n.fsys.lookup(n.d, name)
	if errno != 0 {
		return nil, errno
	}
	fillAttr(a, &out.Attr)
	return n.inode(ctx, c), 0
}

func (n *dirNode) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	es, errno := n.fsys.list(n.d)
	if errno != 0 {
		return nil, errno
	}
	out := make([]fuse.DirEntry, len(es))
	for i, e := range es {
		out[i] = fuse.DirEntry{Name: e.name, Ino: e.ino, Mode: e.mode}
	}
	return fs.NewListDirStream(out), 0
}

func (n *dirNode) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	c, a, errno := n.fsys.create(n.d, name, mode&0o7777)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	fillAttr(a, &out.Attr)
	return n.inode(ctx, c), nil, 0, 0
}

func (n *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	c, a, errno := n.fsys.mkdir(n.d, name, mode&0o7777)
	if errno != 0 {
		return nil, errno
	}
	fillAttr(a, &out.Attr)
	return n.inode(ctx, c), 0
}

func (n *dirNode) Unlink(ctx context.Context, name string) syscall.Errno {
	return n.fsys.unlink(n.d, name)
}

func (n *dirNode) Rmdir(ctx context.Context, name string) syscall.Errno {
	return n.fsys.rmdir(n.d, name)
}

func (n *dirNode) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	to, ok := newParent.(*dirNode)
	if !ok {
		return syscall.EXDEV
	}
	return n.fsys.rename(n.d, name, to.d, newName, flags)
}

// Fsync of a directory (FUSE's FSYNCDIR comes here too) makes its entries
// durable.
func (n *dirNode) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	return n.fsys.fsync(n.d)
}

// statfsBlocks is the size the file system reports, in pages: it lives in
// memory and has no size of its own, but a program that checks for free
// space before it writes (psyche does, for a large object) must find it.
const statfsBlocks = 1 << 24 // 64 GiB

// fillStatfs reports an empty file system of statfsBlocks pages.
func fillStatfs(out *fuse.StatfsOut) {
	out.Blocks, out.Bfree, out.Bavail = statfsBlocks, statfsBlocks, statfsBlocks
	out.Bsize, out.Frsize = pageSize, pageSize
	out.NameLen = 255
}

func (n *fileNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	fillStatfs(out)
	return 0
}

func (n *dirNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	fillStatfs(out)
	return 0
}
