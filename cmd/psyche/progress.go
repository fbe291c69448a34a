package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progressBar answers a progress callback that draws on stderr when it is a
// terminal and the operation has run for more than half a second; otherwise
// it draws nothing, so scripts and tests see clean output.
func progressBar(w io.Writer, what string) func(done, total int) {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	start := time.Now()
	drawn := false
	return func(done, total int) {
		if time.Since(start) < 500*time.Millisecond && done < total {
			return
		}
		if total <= 0 {
			total = 1
		}
		fmt.Fprintf(f, "\r%s: %3d%%", what, done*100/total)
		drawn = true
		if done >= total && drawn {
			fmt.Fprintln(f)
		}
	}
}
