package world

import (
	"fmt"

	"psyche/heap"
)

// Collect collects the world's garbage; then, in a transaction of its own,
// the imports whose far references the collection found all gone are
// forgotten and their vats told, by messages in the outbox (vats
// collectImports), that they may drop them.
func (w *World) Collect() (heap.GCStats, error) { return w.CollectProgress(nil) }

// CollectProgress is Collect with a progress callback (bytes swept, bytes to sweep).
func (w *World) CollectProgress(progress func(done, total uint64)) (heap.GCStats, error) {
	st, err := w.h.CollectProgress(progress)
	if err != nil {
		return st, err
	}
	if err := w.collectImports(); err != nil {
		return st, fmt.Errorf("the garbage was collected (%d bytes freed), but %w", st.FreedBytes, err)
	}
	return st, nil
}

// collectImports runs vats collectImports in a crank of its own, in a
// world whose vats keeps imports (one made from an older image has none,
// and keeps every export as it always did) and has some (read directly).
// A failure of the core's method is undone and answered as a coreError.
func (w *World) collectImports() error {
	var n int
	err := w.look(func() error {
		if !w.vatsHas(vatsImports) {
			return nil
		}
		imports, err := w.vatsSlot(vatsImports)
		if err == nil {
			n, err = w.dictionarySizeOf(imports, "vats imports")
		}
		return err
	})
	if err != nil || n == 0 {
		return err
	}
	err = w.crank(func() error { _, err := w.sendVats("collectImports"); return err })
	return coreFailed("to forget the imports the collection freed (vats collectImports)", err)
}

// vatsHas reports whether globals vats has its own slot name: a world made
// from an older image lacks the newer ones.
func (w *World) vatsHas(name string) bool {
	v, err := w.global(&coreVats)
	if err != nil {
		return false
	}
	_, ok := w.ownSlot(v, name)
	return ok
}
