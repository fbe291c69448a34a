package world

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"psyche/heap"
)

// A spill file read behind its own end, as export's breadth-first queue
// is, answers every record in the order written, and reads back whole
// again after.
func TestSpillFileReadsBehindItsEnd(t *testing.T) {
	s, err := newSpillFile(t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	const total = 200_000 // several buffers' worth
	r, rec := s.reader(), []uint64{0}
	next := uint64(0)
	s.put(next)
	next++
	for read := uint64(0); ; read++ {
		ok, err := r.next(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if read != total {
				t.Fatalf("the queue ended after %d records, want %d", read, total)
			}
			break
		}
		if rec[0] != read {
			t.Fatalf("record %d reads %d", read, rec[0])
		}
		for k := 0; k < 2 && next < total; k++ { // each record queues up to two more
			if err := s.put(next); err != nil {
				t.Fatal(err)
			}
			next++
		}
	}
	want := uint64(0)
	if err := s.each(func(rec []uint64) error {
		if rec[0] != want {
			t.Fatalf("read again, record %d reads %d", want, rec[0])
		}
		want++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want != total {
		t.Fatalf("read again, %d records, want %d", want, total)
	}
}

// A number table gives every place an object can start its own entry,
// and refuses an oop that names no object of the heap file.
func TestNumberTablePlaces(t *testing.T) {
	const fileBytes = 1 << 20
	nt, err := newNumberTable(t.TempDir(), fileBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer nt.close()
	seen := map[*uint32]heap.Oop{}
	for a := uint64(heap.MinObjectBytes); a < fileBytes; a += heap.MinObjectBytes {
		for _, o := range []heap.Oop{heap.Oop(a), heap.Oop(a + 8)} { // objects start 8-aligned
			p, err := nt.place(o)
			if err != nil {
				t.Fatalf("%#x: %v", uint64(o), err)
			}
			if q, ok := seen[p]; ok && uint64(o)-uint64(q) >= heap.MinObjectBytes {
				t.Fatalf("%#x and %#x share an entry, though an object apart", uint64(q), uint64(o))
			}
			seen[p] = o
		}
	}
	for _, o := range []heap.Oop{heap.Oop(fileBytes), heap.FromInt(3), heap.Oop(1 << 40)} {
		if _, err := nt.place(o); err == nil {
			t.Errorf("%#x has a place in a table of a %d-byte heap", uint64(o), fileBytes)
		}
	}
}

// A table far larger than memory maps at once (its file is sparse), and no
// temporary file is left in the directory, used or not.
func TestTablesLeaveNoFiles(t *testing.T) {
	dir := t.TempDir()
	ot, err := newOopTable(dir, 1<<31) // 16 GB, sparse
	if err != nil {
		t.Fatal(err)
	}
	ot.oops[0], ot.oops[1<<31-1] = heap.FromInt(1), heap.FromInt(2)
	if ot.oops[0] != heap.FromInt(1) || ot.oops[1<<31-1] != heap.FromInt(2) || ot.oops[12345] != heap.Nil {
		t.Fatal("the table does not hold what was written, or is not zeroed")
	}
	s, err := newSpillFile(dir, pendingWidth)
	if err != nil {
		t.Fatal(err)
	}
	s.put(1, 2, 3)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the tables left %d files in their directory while in use", len(left))
	}
	if err := ot.close(); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
}

// An image larger than the young space, and one refused halfway through
// its objects, leave no temporary file in the world or beside it.
func TestImportLeavesNoFiles(t *testing.T) {
	src, srcDir := newWorld(t)
	dir := filepath.Dir(srcDir)
	if got := eval(t, src, "lobby _AddSlots: (| b <- nil |). b: (byteVector copySize: 40000000). b at: 39999999 Put: 7. b size"); got != "40000000" {
		t.Fatalf("got %s", got)
	}
	img := filepath.Join(dir, "big.img")
	if _, err := src.Export(img, nil); err != nil {
		t.Fatal(err)
	}
	build, done, err := FromImageFile(img)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	w, err := Create(filepath.Join(dir, "dst"), build, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := eval(t, w, "b at: 39999999"); got != "7" {
		t.Errorf("b at: 39999999 = %s, want 7", got)
	}
	body := baseBody(t)
	body = body[:len(body)*3/4]
	bad := wrapBody(body)
	if _, err := Create(filepath.Join(dir, "bad"), FromImage(bytes.NewReader(bad), int64(len(bad))), io.Discard); err == nil {
		t.Fatal("a body cut short was accepted")
	}
	for _, d := range []string{filepath.Join(dir, "dst"), dir} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".psyche-") {
				t.Errorf("%s: a temporary file is left: %s", d, e.Name())
			}
		}
	}
}
