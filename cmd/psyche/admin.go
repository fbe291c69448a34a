package main

import (
	"fmt"
	"io"

	"psyche/world"
)

// collect runs the garbage collector on the world and says what it freed.
func collect(w *world.World, out io.Writer) error {
	st, err := w.Collect()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "gc: %d live objects (%d bytes), %d bytes freed, heap %d bytes\n",
		st.LiveObjects, st.LiveBytes, st.FreedBytes, st.HeapBytes)
	return nil
}

// printInfo prints the world's sizes and counts.
func printInfo(w *world.World, out io.Writer) {
	for _, kv := range w.Info() {
		fmt.Fprintf(out, "%-18s %s\n", kv[0]+":", kv[1])
	}
}
