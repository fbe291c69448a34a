package heap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Access is how Open opens a heap.
type Access int

const (
	// ReadWrite: the heap is locked for one process (flock LOCK_EX), its log
	// is replayed into the heap file, and commits change it.
	ReadWrite Access = iota
	// ReadOnly: the heap is looked at without writing any of its files, as
	// on a read-only file system. It takes a shared lock (LOCK_SH), so it
	// excludes a writer but not other readers; where the file system has no
	// locks it goes on without one, since nothing it does can damage the
	// heap. A log holding committed transactions the heap file lacks cannot
	// be replayed without writing, so Open refuses with ErrNeedsRecovery.
	// Transactions run in the private mapping and Commit refuses them.
	ReadOnly
)

// Options tune a heap. The zero value is good for use.
type Options struct {
	// Access is ReadWrite (the zero value) or ReadOnly.
	Access Access
	// Salvage, when set, opens a damaged heap to read what can still be
	// read (salvage.go): ReadOnly, and what opening would refuse is
	// recorded in it instead.
	Salvage *Salvage
	// Reserve is the address range mapped for the heap file, the most it can
	// grow to without a remap. Default 1 TiB: the mapping is MAP_NORESERVE,
	// so the reservation costs address space, not memory.
	Reserve uint64
	// YoungReserve is the address range of each of the two young semispaces.
	// Default 64 GiB.
	YoungReserve uint64
	// YoungLimit is how full the young space may get before ScavengeWanted
	// says so. Default 16 MiB.
	YoungLimit uint64
	// LogLimit is the log size past which a commit fsyncs the heap file and
	// trims the log. Default 16 MiB.
	LogLimit int64
	// DirtyBudget is how many bytes of dirty pages a transaction keeps in
	// memory; beyond it they are written ahead to the heap file, their old
	// contents saved first (spill.go), so a transaction of any size runs in
	// bounded memory. Default 32 MiB.
	DirtyBudget uint64
	// ObjectLimit is the largest object, in bytes, Alloc makes. Default: the
	// reserved range. Large objects live in the heap file, not in memory, so
	// the disk bounds them too: Alloc refuses one that would leave less than
	// 64 MiB free on the heap's file system.
	ObjectLimit uint64
	// MemoryLimit bounds the bytes one transaction may hold: its young
	// objects, those it tenured and its large objects still reachable at the
	// last scavenge (memlimit.go). 0: no limit.
	MemoryLimit uint64
	// GCMinGarbage and GCGrowth say when CollectSlice starts a cycle: once
	// the bytes promoted since the last cycle finished reach GCMinGarbage
	// or GCGrowth percent of the bytes that cycle found live, whichever is
	// larger. Defaults 16 MiB and 50.
	GCMinGarbage uint64
	GCGrowth     uint64
	// WrapFile, when set, wraps each file the heap opens (FileHeap, FileLog,
	// FileSums). Tests use it to inject failing writes and fsyncs.
	WrapFile func(which string, f File) File
}

func (o *Options) setDefaults() {
	if o.Reserve == 0 {
		o.Reserve = 1 << 40
	}
	if o.YoungReserve == 0 {
		o.YoungReserve = 64 << 30
	}
	if o.YoungLimit == 0 {
		o.YoungLimit = 16 << 20
	}
	if o.LogLimit == 0 {
		o.LogLimit = 16 << 20
	}
	if o.DirtyBudget == 0 {
		o.DirtyBudget = 32 << 20
	}
	if o.ObjectLimit == 0 {
		o.ObjectLimit = o.Reserve
	}
	if o.GCMinGarbage == 0 {
		o.GCMinGarbage = DefaultGCMinGarbage
	}
	if o.GCGrowth == 0 {
		o.GCGrowth = DefaultGCGrowth
	}
}

// DefaultGCMinGarbage and DefaultGCGrowth are Options.GCMinGarbage and
// Options.GCGrowth when they are not set.
const (
	DefaultGCMinGarbage = 16 << 20
	DefaultGCGrowth     = 50
)

// Heap is an open persistent object heap: one file of pages mapped
// copy-on-write, a redo log beside it (path + ".log") and a table of page
// checksums (path + ".sums"). Only one Heap may have a file open at a time.
//
// A Heap is not safe for concurrent use: the interpreter that owns it runs one
// transaction at a time.
type Heap struct {
	path string
	opts Options

	osFile *os.File // the heap file itself, for flock and mmap
	file   File     // the same file, possibly wrapped
	log    File
	sums   File

	mem      []byte         // the reserved mapping of the heap file
	base     unsafe.Pointer // &mem[0]
	fileSize uint64         // bytes the heap file has now (>= committed.PageCount pages)

	state     state   // as this transaction sees it
	committed state   // as of the last commit
	superMark logMark // the log mark the superblocks on disk hold
	// superVersion is the oldest format version the superblocks on disk
	// claim; below formatVersion, markLogInUse rewrites them first.
	superVersion uint32

	bitmapMem  []byte   // the mapping behind verified, dirty, spilled and directBits
	verified   []uint64 // per page: checksum verified since open
	dirty      []uint64 // per page: written by this transaction (through the mapping)
	spilled    []uint64 // per page: spilled by this transaction (spill.go)
	directBits []uint64 // per page: a page of a large object made this transaction (large.go)
	dirtyList  []uint64 // the dirty pages that are not direct: the log record's pages

	spilledList []uint64 // the pages spilled by this transaction
	spillBuf    []uint64
	spillEnd    int64    // the log's end past this transaction's undo records
	budgetPages uint64   // Options.DirtyBudget in pages
	scratch     *os.File // where a read-only heap's transaction spills (viewspill.go)
	scratchList []uint64 // the pages mapped from scratch
	// viewFileSize is the file's real size while a view looks past its end
	// (extendView), else 0; fileSize then is the view's size.
	viewFileSize uint64
	clean        []uint64 // committed pages whose private copies are still mapped

	large        []largeRun // this transaction's large objects, sorted by first page
	held         heldMemory // what this transaction holds, for Options.MemoryLimit
	largeQueue   []uint64   // runs (first pages) reached and not yet traced (largefree.go)
	largeTracing bool       // a scavenge is looking for dead large objects
	// largeHolders: persistent objects that were given a reference to a
	// large object of this transaction (largefree.go).
	largeHolders  map[Oop]struct{}
	directPrivate []uint64 // their pages written through the mapping
	pendingFrom   uint64   // start of the direct pwrites not yet written back
	pendingBytes  uint64   // and their size

	young      youngSpace
	remembered []Oop // persistent objects holding young references

	gc      *collector // the collection cycle in progress, or nil
	gcScale gcScale    // the collector's unit sizes; zero: defaultGCScale

	rootScanner  func(visit func(*Oop))
	beforeCommit func(pages []uint64) error
	invalidate   func()
	readOnly     bool
	salvage      *Salvage // what a salvaging open found damaged, or nil

	logEnd     int64
	logMaxPage uint64   // the highest page a record in the log holds
	recBuf     []byte   // the log record being written, kept for reuse
	sumBuf     []uint64 // the dirty pages' checksums, in dirtyList order
	sumBytes   []byte
	pageBuf    []byte // a page read to verify it
	fatal      error
	closed     bool
	hash       uint32

	Stats Stats
}

// Stats counts what the heap did; tests and benchmarks read it.
type Stats struct {
	Commits       uint64
	LogBytes      uint64 // bytes appended to the log
	HeapBytes     uint64 // bytes written to the heap file
	PagesWritten  uint64
	YoungBytes    uint64 // bytes allocated in the young space
	PromotedBytes uint64 // bytes copied from the young space into the heap
	LargeBytes    uint64 // bytes of large objects made in the heap file
	// LargeFreedBytes: bytes of large objects found dead during their
	// transaction; LargeReusedBytes: bytes of large objects placed where
	// such objects were.
	LargeFreedBytes  uint64
	LargeReusedBytes uint64
	ReusedPages      uint64 // pages of the committed heap that large objects were placed in
	Scavenges        uint64
	Spills           uint64 // times a transaction's dirty pages were written ahead
	Tenures          uint64 // times a scavenge moved its survivors into the persistent heap
	Collections      uint64 // collection cycles finished
}

func heapFiles(path string) (logPath, sumsPath string) { return path + ".log", path + ".sums" }

// Create makes a new, empty heap at path. It fails with ErrExists if a heap is there.
func Create(path string, opts Options) (*Heap, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	}
	logPath, sumsPath := heapFiles(path)
	f, err := openFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, err
	}
	st := state{PageCount: superPages + 14, Frontier: dataStart}
	err = func() error {
		if err := f.Truncate(int64(st.PageCount) * PageSize); err != nil {
			return err
		}
		sb := encodeSuperblock(&st, logEmpty)
		for i := int64(0); i < superPages; i++ {
			if _, err := f.WriteAt(sb, i*PageSize); err != nil {
				return err
			}
		}
		if err := f.Sync(); err != nil {
			return err
		}
		for _, p := range []string{logPath, sumsPath} {
			g, err := openFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
			if err != nil {
				return err
			}
			err = g.Sync()
			g.Close()
			if err != nil {
				return err
			}
		}
		return syncDir(filepath.Dir(path))
	}()
	f.Close()
	if err != nil {
		os.Remove(path)
		os.Remove(logPath)
		os.Remove(sumsPath)
		return nil, fmt.Errorf("creating heap %s: %w", path, err)
	}
	return Open(path, opts)
}

// Open opens the heap at path: it locks the file, reads the superblocks,
// replays the log's complete records, and maps the file. It reads no object:
// its cost does not depend on the heap's size.
func Open(path string, opts Options) (_ *Heap, err error) {
	opts.setDefaults()
	if opts.Salvage != nil {
		opts.Access = ReadOnly
	}
	h := &Heap{path: path, opts: opts, hash: 0x9E3779B9, budgetPages: max(1, opts.DirtyBudget/PageSize), salvage: opts.Salvage}
	defer func() {
		if err != nil {
			h.release()
		}
	}()
	h.osFile, err = openFile(path, h.openFlag())
	if errors.Is(err, unix.EROFS) {
		return nil, fmt.Errorf("%w: %s is on a read-only file system", ErrReadOnly, path)
	}
	if err != nil {
		return nil, err
	}
	if err := h.lock(); err != nil {
		return nil, err
	}
	h.file = h.wrap(FileHeap, h.osFile)
	if err := h.readSuperblocks(); err != nil {
		if h.salvage == nil || !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotHeap) {
			return nil, err
		}
		h.salvage.noSuperblock(err) // the log's records may still carry the state
	}
	logPath, sumsPath := heapFiles(path)
	if err := h.openLog(logPath); err != nil {
		return nil, err
	}
	sf, err := openFile(sumsPath, h.openFlag())
	if err != nil && h.salvage != nil {
		h.salvage.note(fmt.Errorf("%s: the page checksum table is missing (%v): every page is read as suspect", sumsPath, err))
		sf, err = openFile(os.DevNull, os.O_RDONLY) // reads as an empty table
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: the page checksum table is missing (%v)", ErrCorrupt, sumsPath, err)
	}
	h.sums = h.wrap(FileSums, sf)

	// From here on the heap tracks the file's size itself: only it changes the file.
	fi, err := h.file.Stat()
	if err != nil {
		return nil, err
	}
	h.fileSize = uint64(fi.Size())
	if err := h.recover(); err != nil {
		return nil, err
	}
	if want := h.state.PageCount * PageSize; h.fileSize < want && h.salvage == nil {
		return nil, &CorruptError{File: path, Page: int64(h.fileSize / PageSize), Offset: int64(h.fileSize),
			Msg: fmt.Sprintf("heap file truncated: %d bytes, the heap needs %d", h.fileSize, want)}
	}
	// Past the committed heap the file holds nothing but what a large
	// object's transaction wrote before a crash cut it: give it back.
	if opts.Access == ReadWrite {
		h.releaseSpace()
		if err := h.Err(); err != nil {
			return nil, err
		}
	}
	if h.fileSize > opts.Reserve {
		return nil, fmt.Errorf("%w: heap file of %d bytes exceeds the reserved range of %d", ErrOutOfMemory, h.fileSize, opts.Reserve)
	}
	h.mem, err = unix.Mmap(int(h.osFile.Fd()), 0, int(opts.Reserve),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	h.base = unsafe.Pointer(&h.mem[0])
	if err := h.mapBitmaps(); err != nil {
		return nil, err
	}
	if err := h.young.init(opts.YoungReserve, opts.YoungLimit); err != nil {
		return nil, err
	}
	if h.salvage != nil {
		if err := h.installSalvaged(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// openLog opens the log. A missing log is made again only when the
// superblock says it held nothing the heap file lacks: otherwise the heap
// file may hold pages of transactions whose state only the log had, and
// going on would build on a broken heap.
func (h *Heap) openLog(logPath string) error {
	lf, err := openFile(logPath, h.openFlag())
	if errors.Is(err, os.ErrNotExist) {
		if h.salvage != nil && h.superMark != logEmpty {
			h.salvage.note(fmt.Errorf("%s: the log is missing: transactions it held that are not in the heap file are lost", logPath))
			return nil
		}
		if h.superMark != logEmpty {
			return &CorruptError{File: logPath, Page: -1, Offset: -1,
				Msg: "the log is missing, and the heap was not closed cleanly: the log may hold committed " +
					"transactions that are not in the heap file yet. Restore the log, or copy the files away " +
					"for salvage; opening without it would lose those transactions"}
		}
		if h.opts.Access == ReadOnly {
			return nil // an empty log; h.log stays nil
		}
		if lf, err = openFile(logPath, os.O_RDWR|os.O_CREATE); err == nil {
			err = syncDir(filepath.Dir(logPath))
		}
	}
	if err != nil {
		if lf != nil {
			lf.Close()
		}
		return err
	}
	h.log = h.wrap(FileLog, lf)
	return nil
}

// openFlag is how the heap's files are opened for its Access.
func (h *Heap) openFlag() int {
	if h.opts.Access == ReadOnly {
		return os.O_RDONLY
	}
	return os.O_RDWR
}

// lock takes the heap file's lock: exclusive for a writer, shared for a
// reader. A reader goes on without a lock where the file system has none.
func (h *Heap) lock() error {
	how := unix.LOCK_EX
	if h.opts.Access == ReadOnly {
		how = unix.LOCK_SH
	}
	err := unix.Flock(int(h.osFile.Fd()), how|unix.LOCK_NB)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EWOULDBLOCK):
		return fmt.Errorf("%w: %s", ErrLocked, h.path)
	case h.opts.Access == ReadOnly:
		return nil
	}
	return fmt.Errorf("locking %s: %w", h.path, err)
}

// Access answers how the heap was opened.
func (h *Heap) Access() Access { return h.opts.Access }

// scratchDir is where the heap puts temporary files (bitmaps too large for
// memory): beside the heap, unless the heap must not be written to.
func (h *Heap) scratchDir() string {
	if h.opts.Access == ReadOnly {
		return os.TempDir()
	}
	return filepath.Dir(h.path)
}

func (h *Heap) wrap(which string, f File) File {
	if h.opts.WrapFile != nil {
		return h.opts.WrapFile(which, f)
	}
	return f
}

// readSuperblocks picks the valid superblock with the higher sequence number;
// of two with the same, one that says the log may hold records (a crash can
// leave the copies' marks different, never their states).
func (h *Heap) readSuperblocks() error {
	var best *state
	var bestMark logMark
	oldest := uint32(formatVersion)
	var errs [superPages]error
	buf := make([]byte, PageSize)
	for i := 0; i < superPages; i++ {
		n, err := h.file.ReadAt(buf, int64(i)*PageSize)
		if err != nil && n < PageSize {
			errs[i] = fmt.Errorf("reading superblock: %v", err)
			continue
		}
		sb, err := decodeSuperblock(buf)
		if err != nil {
			errs[i] = err
			continue
		}
		oldest = min(oldest, sb.version)
		if best == nil || sb.state.Seq > best.Seq || (sb.state.Seq == best.Seq && bestMark == logEmpty) {
			best, bestMark = &sb.state, sb.mark
		}
	}
	if best == nil {
		if errors.Is(errs[0], ErrNotHeap) && errors.Is(errs[1], ErrNotHeap) {
			return fmt.Errorf("%w: %s", ErrNotHeap, h.path)
		}
		for _, e := range errs {
			if errors.Is(e, ErrVersion) {
				return fmt.Errorf("%s: %w", h.path, e)
			}
		}
		return &CorruptError{File: h.path, Page: 0, Offset: 0,
			Msg: fmt.Sprintf("both superblocks are damaged (%v; %v)", errs[0], errs[1])}
	}
	h.state = *best
	h.committed = *best
	h.superMark = bestMark
	h.superVersion = oldest
	return nil
}

// ensureFileSize grows the heap file to at least size bytes. Space is
// allocated (fallocate) so that a later pwrite of a committed page cannot
// fail for want of disk.
func (h *Heap) ensureFileSize(size uint64) error {
	cur := h.fileSize
	if cur >= size {
		return nil
	}
	if h.opts.Access == ReadOnly {
		return fmt.Errorf("%w: the heap file cannot grow to %d bytes", ErrReadOnly, size)
	}
	if err := unix.Fallocate(int(h.osFile.Fd()), 0, int64(cur), int64(size-cur)); err != nil {
		if errors.Is(err, unix.ENOSPC) {
			return h.diskFull(fmt.Sprintf("the heap file cannot grow to %s", Bytes(size)))
		}
		if !errors.Is(err, unix.EOPNOTSUPP) {
			return fmt.Errorf("growing heap file: %w", err)
		}
		if err := h.file.Truncate(int64(size)); err != nil {
			return fmt.Errorf("growing heap file: %w", err)
		}
	}
	h.fileSize = size
	return nil
}

// poison makes the heap unusable after a failed write or fsync.
func (h *Heap) poison(op string, err error) error {
	if h.fatal == nil {
		h.fatal = &fatalError{op: op, err: err}
	}
	return h.fatal
}

// Poison makes the heap unusable after a write or fsync of the layer above
// failed (a checkpoint delta, say): for the same reason as the heap's own,
// such an fsync is never retried. It answers the heap's fatal error.
func (h *Heap) Poison(op string, err error) error { return h.poison(op, err) }

// Err answers the error that made the heap unusable, or nil.
func (h *Heap) Err() error { return h.fatal }

// mapBitmaps makes the per-page bitmaps for the whole reserved range. They
// are anonymous NORESERVE mappings, zero until touched, so that opening costs
// the same whatever the heap's size and growth never reallocates them.
func (h *Heap) mapBitmaps() error {
	words := (h.opts.Reserve/PageSize + 63) / 64
	m, err := unix.Mmap(-1, 0, int(4*words*8), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("reserving page bitmaps: %w", err)
	}
	h.bitmapMem = m
	all := unsafe.Slice((*uint64)(unsafe.Pointer(&m[0])), 4*words)
	h.verified, h.dirty = all[:words:words], all[words:2*words:2*words]
	h.spilled, h.directBits = all[2*words:3*words:3*words], all[3*words:]
	return nil
}

// Close aborts any transaction in progress, makes the log's contents durable
// in the heap file, and releases the heap.
func (h *Heap) Close() error {
	if h.closed {
		return nil
	}
	var err error
	if h.fatal == nil {
		h.Abort()
		if h.opts.Access == ReadWrite && (h.logEnd > 0 || h.superMark != logEmpty) {
			err = h.checkpointLog(logEmpty)
		}
	} else {
		err = h.fatal
	}
	h.release()
	return err
}

func (h *Heap) release() {
	h.closed = true
	h.cancelCollection()
	if h.mem != nil {
		unix.Munmap(h.mem)
		h.mem, h.base = nil, nil
	}
	h.young.release()
	if h.bitmapMem != nil {
		unix.Munmap(h.bitmapMem)
		h.bitmapMem, h.verified, h.dirty, h.spilled, h.directBits = nil, nil, nil, nil, nil
	}
	for _, f := range []File{h.log, h.sums} {
		if f != nil {
			f.Close()
		}
	}
	if h.scratch != nil {
		h.scratch.Close()
	}
	if h.osFile != nil {
		h.osFile.Close() // also drops the flock
	}
}

// Path answers the heap file's path.
func (h *Heap) Path() string { return h.path }

// Moved tells the heap that its files are now at path: their directory was
// renamed while the heap was open (a new world is built beside its final
// name). The files stay open; path names them in errors and places the
// heap's scratch files.
func (h *Heap) Moved(path string) { h.path = path }

// HeapInfo is what Info reports.
type HeapInfo struct {
	FormatVersion int
	FileBytes     uint64
	Pages         uint64
	Frontier      uint64 // bytes from the start of the file to the end of the last object
	Seq           uint64 // committed transactions
	InUseBytes    uint64 // bytes of objects, live or not yet collected: up to the frontier, less the free chunks
	FreeBytes     uint64 // bytes in free chunks, ready for reuse
	LargestFree   uint64 // the largest free chunk (see largestFree)
	LiveBytes     uint64 // bytes the last finished collection found live
	Allocated     uint64 // bytes promoted since the last finished collection began
	Collections   uint64 // collections this process finished
	Collecting    bool   // a collection cycle is in progress in this process
}

// Info answers the heap's sizes. It reads counters the heap keeps, and
// never walks the heap. It must be called between transactions.
func (h *Heap) Info() HeapInfo {
	st := &h.committed
	return HeapInfo{FormatVersion: formatVersion, FileBytes: h.fileSize, Pages: st.PageCount,
		Frontier: st.Frontier, Seq: st.Seq,
		InUseBytes: st.Frontier - dataStart - st.Space.FreeBytes, FreeBytes: st.Space.FreeBytes,
		LargestFree: h.largestFree(), LiveBytes: st.Space.LiveBytes, Allocated: st.Space.Allocated,
		Collections: h.Stats.Collections, Collecting: h.gc != nil}
}

// largestFreeWalk bounds the chunks largestFree reads: a list holds chunks
// within a factor of two of each other, so the bound matters only for a
// heap broken into very many free chunks of one bin.
const largestFreeWalk = 4096

// largestFree answers the size of the largest chunk on the free lists: the
// head of the highest non-empty exact class, or the largest of the first
// largestFreeWalk chunks of the highest non-empty bin. Damage met on the way
// answers 0; Check reports it.
func (h *Heap) largestFree() uint64 {
	var largest uint64
	err := Catch(func() error {
		for c := numClasses - 1; c >= 0; c-- {
			a := h.committed.Free[c]
			for n := 0; a != 0 && n < largestFreeWalk; n++ {
				largest = max(largest, h.word(a+8))
				a = h.freeNext(a, c)
			}
			if largest > 0 {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return 0
	}
	return largest
}
