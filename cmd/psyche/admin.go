package main

import (
	"fmt"
	"io"
	"os"

	"psyche/world"
)

// collect runs the garbage collector on the world and says what it freed.
func collect(w *world.World, out io.Writer) error {
	var pf func(done, total uint64)
	if bar := progressBar(os.Stderr, "gc"); bar != nil {
		pf = func(done, total uint64) { bar(int(done>>20), int(total>>20)) }
	}
	st, err := w.CollectProgress(pf)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "gc: %d live objects (%d bytes), %d bytes freed, heap %d bytes, file %d bytes, %d ephemeron pairs visited\n",
		st.LiveObjects, st.LiveBytes, st.FreedBytes, st.HeapBytes, st.FileBytes, st.EphemeronVisits)
	return nil
}

// printInfo prints the world's sizes and counts.
func printInfo(w *world.World, out io.Writer) {
	for _, kv := range w.Info() {
		fmt.Fprintf(out, "%-18s %s\n", kv[0]+":", kv[1])
	}
}
