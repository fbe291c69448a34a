package heap

import (
	"fmt"
	"os"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Spilling where the heap file must not be written: a read-only heap, or a
// view of a checkpoint (BeginView), whose transactions are never
// committed. Beyond the dirty budget their dirty pages go to a scratch file
// (unlinked as soon as it is made, so nothing is left behind), page p at
// offset p*PageSize, and that range of the scratch file is mapped privately
// over the pages' place in the heap mapping (MAP_FIXED): reads see the
// pages' contents, the anonymous copies are freed, and the pages' memory is
// page cache the kernel can write back and reclaim. Consecutive pages map
// from consecutive offsets, so the kernel joins their mappings; a view of
// pages scattered one by one needs one mapping per page, and fails with a
// clear error past the system's limit on mappings. Abort maps the heap file
// back over them and empties the scratch file.

// scratchSpill writes the dirty pages to the scratch file and maps them
// from it.
func (h *Heap) scratchSpill() error {
	if h.scratch == nil {
		f, err := os.CreateTemp(h.scratchDir(), ".psyche-view-*")
		if err != nil {
			return fmt.Errorf("making a scratch file for the view's pages: %w", err)
		}
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return err
		}
		h.scratch = f
	}
	pages := h.dirtyList
	slices.Sort(pages)
	var err error
	forRuns(pages, func(_ int, first, n uint64) bool {
		if _, err = h.scratch.WriteAt(h.mem[first*PageSize:(first+n)*PageSize], int64(first*PageSize)); err != nil {
			err = fmt.Errorf("writing the view's pages to a scratch file: %w", err)
			return false
		}
		err = h.mapOver(int(h.scratch.Fd()), first, n)
		return err == nil
	})
	if err != nil {
		return err
	}
	for _, p := range pages {
		h.dirty[p>>6] &^= 1 << (p & 63)
	}
	h.scratchList = append(h.scratchList, pages...)
	h.dirtyList = h.dirtyList[:0]
	h.Stats.Spills++
	return nil
}

// mapOver maps pages [first, first+n) of fd privately over the same pages of
// the heap mapping.
func (h *Heap) mapOver(fd int, first, n uint64) error {
	_, err := unix.MmapPtr(fd, int64(first*PageSize), unsafe.Add(h.base, first*PageSize), uintptr(n*PageSize),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("mapping pages %d to %d of the view (see /proc/sys/vm/max_map_count if the pages are scattered): %w",
			first, first+n-1, err)
	}
	return nil
}

// extendView makes the heap look size bytes long to a transaction that
// never commits (a read-only heap, a view of a checkpoint) when the state it
// installs is larger than the file (the file shrank since the checkpoint):
// anonymous zero pages are mapped over the pages past the file's end, where
// the file mapping would fault, and count as verified, since nothing but
// what the view installs is read there. The file is not grown: a view
// writes nothing. dropScratch ends it.
func (h *Heap) extendView(size uint64) error {
	if size <= h.fileSize {
		return nil
	}
	if size > uint64(len(h.mem)) {
		return &oomError{msg: fmt.Sprintf("the heap's reserved range of %d bytes cannot hold %d", len(h.mem), size)}
	}
	first, end := h.fileSize/PageSize, size/PageSize
	_, err := unix.MmapPtr(-1, 0, unsafe.Add(h.base, first*PageSize), uintptr((end-first)*PageSize),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_FIXED|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("mapping pages %d to %d for the view: %w", first, end-1, err)
	}
	for p := first; p < end; p++ {
		h.verified[p>>6] |= 1 << (p & 63)
	}
	if h.viewFileSize == 0 {
		h.viewFileSize = h.fileSize
	}
	h.fileSize = size
	return nil
}

// dropScratch maps the heap file back over the pages the scratch file
// held, and over the pages a view added past the file's end (extendView),
// and empties the scratch file. A failure to map leaves the heap unusable
// (its mapping would show the view's pages), so it poisons the heap.
func (h *Heap) dropScratch() {
	if h.viewFileSize != 0 {
		first, end := h.viewFileSize/PageSize, h.fileSize/PageSize
		if err := h.mapOver(int(h.osFile.Fd()), first, end-first); err != nil {
			h.poison("restoring the heap mapping after a view", err)
		}
		for p := first; p < end; p++ {
			h.verified[p>>6] &^= 1 << (p & 63)
		}
		h.fileSize, h.viewFileSize = h.viewFileSize, 0
	}
	if len(h.scratchList) == 0 {
		return
	}
	slices.Sort(h.scratchList)
	h.scratchList = slices.Compact(h.scratchList)
	forRuns(h.scratchList, func(_ int, first, n uint64) bool {
		if err := h.mapOver(int(h.osFile.Fd()), first, n); err != nil {
			h.poison("restoring the heap mapping after a view", err)
			return false
		}
		return true
	})
	h.scratchList = h.scratchList[:0]
	if err := h.scratch.Truncate(0); err != nil {
		h.poison("emptying the view's scratch file", err)
	}
}
