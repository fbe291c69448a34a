package world

import (
	"psyche/heap"
	"psyche/vm/object"
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
	return st, w.collectImports()
}

// collectImports runs vats collectImports in a crank of its own, in a
// world whose vats keeps imports: one made from an older image has none
// (nor even vats), and keeps every export as it always did.
func (w *World) collectImports() error {
	if !w.keepsImports() {
		return nil
	}
	return w.crank(func() error { _, err := w.sendVats("collectImports"); return err })
}

// keepsImports reports whether globals vats has its own slot imports.
func (w *World) keepsImports() bool { return w.vatsHas("imports") }

// vatsHas reports whether globals vats has its own slot name: a world made
// from an older image lacks the newer ones.
func (w *World) vatsHas(name string) bool {
	m := w.vm.Model()
	slot := func(o heap.Oop, name string) (object.Slot, bool) {
		sel := m.LookupInterned([]byte(name))
		if sel == heap.Nil || !o.IsPtr() {
			return object.Slot{}, false
		}
		i := m.FindSlot(m.MapOf(o), sel)
		if i < 0 {
			return object.Slot{}, false
		}
		return m.MapSlot(m.MapOf(o), i), true
	}
	v, ok := slot(m.Special(object.SpGlobals), "vats")
	if !ok || v.Kind != object.SlotConst {
		return false
	}
	_, ok = slot(v.Value, name)
	return ok
}
