// Package heap is Psyche's object memory: a persistent, paged object space in
// one file, mapped into memory, with transactions, a redo log, crash recovery,
// garbage collection and weak references. It knows objects only as headers,
// pointer fields and bytes; the VM gives them meaning (the Blue Book split).
// It imports nothing of Psyche's.
//
// # Using it
//
//	h, err := heap.Open(path, heap.Options{})   // or heap.Create
//	o := h.Alloc(2, 0, kind, heap.Nil)          // a young object: 2 fields, no bytes
//	h.SetField(o, 0, heap.FromInt(42))          // every store goes through the barrier
//	h.SetRoot(0, o)                             // persistent things hang from the roots
//	err = h.Commit()                            // durable when this returns nil
//	h.Abort()                                   // or: as if nothing had happened
//
// Object accessors (Field, Bytes, Kind, ...) panic with a *CorruptError when
// they meet a damaged page, and allocation panics with ErrOutOfMemory; the
// caller recovers them with Catch once per evaluation instead of checking an
// error on every field read.
//
// Go code that holds young oops across a Scavenge must keep them where the
// root scanner (SetRootScanner) visits them: a scavenge moves young objects.
// The heap never scavenges on its own; the VM calls Scavenge at safe points
// when ScavengeWanted says so.
//
// # Reading the source
//
//   - oop.go: the tagged reference word. object.go: the object header layout.
//   - superblock.go: the two superblocks, the state every transaction
//     commits (roots, allocator, size) and the log mark; page checksums.
//   - heap.go: opening (read-write or read-only; lock, superblocks,
//     mapping), growth, closing.
//   - log.go: the redo log's record format, and telling a torn tail from damage.
//   - recovery.go: replaying the log on open, and trimming it (the only
//     time the superblocks are written); the commit mark that makes a cut
//     log an error instead of a silent return to an older state.
//   - access.go: reading objects (with lazy page verification) and the write barrier.
//   - young.go: the young space, scavenging, and promotion at commit.
//   - alloc.go: the persistent heap's free lists and frontier.
//   - large.go: large objects, made and filled directly in the heap file;
//     largeplace.go: where one goes.
//   - largefree.go: large objects that die during their transaction, found
//     by a scavenge, their pages given to the next ones.
//   - stream.go: byte objects read from a stream, grown in the heap file.
//   - memlimit.go: what a transaction holds, and its limit
//     (Options.MemoryLimit).
//   - commit.go: Commit and Abort.
//   - spill.go: transactions larger than the dirty budget, written ahead
//     to the heap file with their old contents in undo records.
//   - viewspill.go: the same for heaps that never commit (read-only, views).
//   - gc.go: incremental mark-sweep collection in slices between
//     transactions, paced by promotion, weak objects and ephemerons, giving
//     the file's free tail back. markstack.go: the mark stack that spills;
//     bitmap.go: the mark bits, in memory or in a file.
//   - check.go: the full consistency check, of the committed heap or of
//     one a view installed (a checkpoint).
//   - salvage.go: opening a damaged heap to read what can still be read
//     (psyche recover): what opening refuses is recorded, pages whose
//     checksum table looks damaged are read as suspect, a page one byte
//     damaged is repaired.
//
// # Files
//
// A heap at path is three files: path (superblocks, then object pages),
// path.log (the redo log, empty when the heap is closed cleanly) and
// path.sums (one 8-byte checksum per page; the entries of the two
// superblock pages hold the commit mark). The heap file is little-endian
// and native-layout; images, not heap files, are the portable format.
//
// # Transactions larger than memory
//
// A transaction keeps at most Options.DirtyBudget bytes of dirty pages in
// memory. Beyond it the write barrier spills them: their committed contents
// go first to the BeforeCommit hook and to an fsynced undo record in the
// log, then their new contents are written in place to the heap file and
// the private copies dropped, so the mapping shows the file and reads need
// no indirection. Commit fsyncs the spilled pages before its redo record;
// Abort and recovery write the undo records back. The log holds the undo
// records of at most the one transaction in progress (the first spill trims
// the log, so no older record can be replayed over a spilled page). Log
// records are written and read through bounded buffers.
//
// # Invariants
//
//   - The heap file always holds the last committed state except for
//     transactions whose records are still in the log (recovery replays
//     those) and the pages the transaction in progress spilled, whose
//     committed contents an fsynced undo record holds (recovery and Abort
//     put them back).
//   - The BeforeCommit hook sees each page a transaction overwrites once,
//     before its committed contents leave the heap file.
//   - The commit mark never names a transaction the log may not hold (it
//     is written after the log's fsync), and opening refuses a log that
//     ends before it.
//   - While the superblocks' log mark says the log is empty, it holds no
//     record newer than them: the mark is set to "in use" before the first
//     append, so a log missing where it may have held records is noticed.
//   - No young oop is ever in the heap file: commit promotes or drops every
//     young object first.
//   - Every page in the heap file matches its checksum in path.sums (or is
//     all zeros with a zero checksum); a page is verified before its first use
//     in a process, so damage is reported, never used.
//   - The heap is parseable from its first object to the frontier: every
//     object and free chunk states its size in its header.
//   - A write or fsync error poisons the open heap (ErrFatal): an fsync that
//     failed once may report success later for data that never reached disk.
//   - A direct page (a page of a large object made in this transaction,
//     written to the file before the commit record: large.go) holds
//     nothing that the last committed state, any log record, or any
//     checkpoint still needs: it is past the committed heap, or it lies
//     inside a free chunk of the committed state, no record in the log holds
//     it (the log is trimmed first), its committed contents are in the
//     newest checkpoint's delta (saved and committed before the first direct
//     write), and its checksum reads "undefined" until the commit writes the
//     real one. A run's pages hold only its object and free space after it
//     (its tail), so those of an object that died in the transaction can
//     be given to another one of it: they are direct pages still, and
//     become free chunks at commit if nothing takes them.
//   - A large object of this transaction is freed in it only if the last
//     scavenge reached it from no root, no oop of the VM's, no young object
//     it kept, no holder (a persistent object that was given a reference
//     to one: by a store, or by tenuring) and no large object it reached.
//   - When a collection cycle's marking ends, every object reachable from the
//     roots is marked: while it marks, SetField shades every persistent value
//     it stores, objects promoted by a successful commit are shaded, and
//     marking ends only in a slice that finds the roots marked and nothing
//     queued. The sweep frees only what a finished mark left unmarked, and
//     an object promoted while it sweeps is marked; a sliced sweep leaves
//     listed free chunks as they are, and only a whole collection, with no
//     allocation before its end, empties the lists to rebuild them.
//   - A collection's mark stack holds at most two segments in memory and an
//     object is scanned at most markChunk references at a time, so a slice's
//     memory and a marking step's time do not grow with an object's fan-out.
//   - The state's space counters are true: FreeBytes is the bytes on the
//     free lists, so Info never walks the heap.
package heap
