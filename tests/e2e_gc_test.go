package tests

// End-to-end tests of garbage collection through the binary: it runs by
// itself between evaluations, a chain of weakStore entries costs work
// linear in its entries, psyche info tells the truth after freeing, and the
// heap file shrinks when its tail is freed.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// gcInfo reads psyche info's numbers: "NAME: N bytes ...".
func gcInfo(t *testing.T, e *e2eEnv, w string) map[string]int {
	t.Helper()
	r := e.ok("info", "-w", w)
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z ]+):\s+(\d+) bytes`).FindAllStringSubmatch(r.stdout, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	return got
}

// gcNeed fails the test unless every name is in the numbers m.
func gcNeed(t *testing.T, m map[string]int, what string, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, ok := m[name]; !ok {
			t.Fatalf("%s does not say %q: %v", what, name, m)
		}
	}
}

// gcRun runs psyche gc and answers the numbers it printed, by name.
func gcRun(t *testing.T, e *e2eEnv, w string) map[string]int {
	t.Helper()
	r := e.ok("gc", "-w", w)
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`(\d+) (bytes freed|ephemeron pairs visited)|(heap|file) (\d+) bytes|live objects \((\d+) bytes\)`).FindAllStringSubmatch(r.stdout, -1) {
		switch {
		case m[2] != "":
			got[m[2]], _ = strconv.Atoi(m[1])
		case m[3] != "":
			got[m[3]], _ = strconv.Atoi(m[4])
		default:
			got["live bytes"], _ = strconv.Atoi(m[5])
		}
	}
	return got
}

// Garbage made by a run of evaluations is collected without psyche gc.
func TestE2EGCRunsByItself(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	var in strings.Builder
	in.WriteString("lobby _AddSlots: (| b <- nil |)\n")
	for i := 0; i < 40; i++ {
		in.WriteString("b: (byteVector copySize: 1000000). b size\n") // the last one's megabyte is garbage
	}
	if r := e.runInput(in.String(), "repl", "-w", w); r.code != 0 || r.err != nil {
		t.Fatalf("the REPL session failed:\n%s", r)
	}
	info := gcInfo(t, e, w)
	gcNeed(t, info, "psyche info", "heap in use")
	if info["heap in use"] > 8_000_000 {
		t.Fatalf("40 MB of garbage was made and nothing collected it:\n%v", info)
	}
	e.expectEval(w, "b size", "1000000")
	e.checkWorld(w)
}

// A weakStore whose values are the next entries' keys is collected with
// work linear in its entries: ten times the entries, about ten times the
// ephemeron pairs visited. Dropping the chain's head drops every entry.
func TestE2EGCWeakStoreChainIsLinear(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	perEntry := map[int]float64{}
	for _, n := range []int{1000, 10000} {
		w := e.newWorld(fmt.Sprintf("w%d", n))
		e.expectEval(w, fmt.Sprintf("lobby _AddSlots: (| ws <- nil. head <- nil |). ws: weakStore copyRemoveAll. "+
			"head: byteVector copySize: 1. (| p | p: head. 1 to: %d Do: [|:i. k| k: byteVector copySize: 1. ws init: p With: k. p: k]). ws size", n),
			strconv.Itoa(n))
		st := gcRun(t, e, w)
		gcNeed(t, st, "psyche gc", "ephemeron pairs visited")
		e.expectEval(w, "ws size", strconv.Itoa(n))
		perEntry[n] = float64(st["ephemeron pairs visited"]) / float64(n)
		e.expectEval(w, "head: nil. 0", "0")
		gcRun(t, e, w)
		e.expectEval(w, "ws size", "0")
		e.checkWorld(w)
	}
	if perEntry[10000] > 2*perEntry[1000] {
		t.Fatalf("ephemeron pairs visited per entry grow with the chain: %.1f at 1000 entries, %.1f at 10000", perEntry[1000], perEntry[10000])
	}
}

// psyche info's numbers are true after freeing: the bytes in use are what
// the collection found live, and what it freed is free.
func TestE2EGCInfoIsTrue(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	e.expectEval(w, "lobby _AddSlots: (| v <- nil. k <- nil |). v: vector copySize: 20000. 0 to: 19999 Do: [|:i| v at: i Put: (byteVector copySize: 100)]. v size", "20000")
	e.expectEval(w, "k: byteVector copySize: 100. k size", "100") // after v in the file: v's space is freed, not given back
	before := gcInfo(t, e, w)
	e.expectEval(w, "v: nil", "lobby")
	st := gcRun(t, e, w)
	after := gcInfo(t, e, w)
	gcNeed(t, after, "psyche info", "heap file", "heap in use", "heap free", "live at last gc")
	if after["heap in use"] != st["live bytes"] || after["live at last gc"] != st["live bytes"] {
		t.Errorf("after gc found %d bytes live, info says in use %d, live %d", st["live bytes"], after["heap in use"], after["live at last gc"])
	}
	if freed := before["heap in use"] - after["heap in use"]; freed < 2_000_000 || after["heap free"] < freed/2 {
		t.Errorf("2 MB were dropped; info before %v, after %v", before, after)
	}
	if after["heap in use"]+after["heap free"] > after["heap file"] {
		t.Errorf("info's numbers do not add up: %v", after)
	}
}

// Dropping a big object and collecting shrinks the heap file.
func TestE2EGCFileShrinks(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	w := e.newWorld("w")
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(w, "heap"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	small := size()
	e.expectEval(w, "lobby _AddSlots: (| big <- nil |). big: byteVector copySize: 30000000. big size", "30000000")
	if size() < 30_000_000 { // the object may start inside the old file
		t.Fatalf("the heap file did not grow with a 30 MB object: %d, then %d", small, size())
	}
	e.expectEval(w, "big: nil", "lobby")
	gcRun(t, e, w)
	if got := size(); got > small+4_000_000 {
		t.Fatalf("the heap file is %d bytes after the 30 MB object was dropped and collected (it was %d before)", got, small)
	}
	e.checkWorld(w)
	e.expectEval(w, "big: byteVector copySize: 1000. big size", "1000")
	e.checkWorld(w)
}
