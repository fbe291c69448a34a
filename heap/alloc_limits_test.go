package heap

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A request past the object limits, the disk or the young space is
// refused before any memory or disk is touched, with an error that names
// the limit; the heap goes on working.
func TestAllocLimits(t *testing.T) {
	opts := testOptions()
	opts.Reserve, opts.ObjectLimit = 1<<44, 1<<43
	opts.YoungReserve = 1 << 20
	h, err := Create(filepath.Join(t.TempDir(), "heap"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var fs unix.Statfs_t
	if err := unix.Statfs(h.Path(), &fs); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		nptrs, nbytes int
		want          string
	}{
		{MaxObjectFields + 1, 0, "larger than the limit of 134217728 fields"},
		{-1, 0, "larger than the limit"},
		{0, 1<<43 + 1, "larger than the heap's object limit of 8796093022208 bytes"},
		{0, int(fs.Bavail * uint64(fs.Bsize)), "no space left on device: an object of"},
	}
	for len(cases) < 5 { // fill the young space with small objects until the next one does not fit
		if err := h.CheckAlloc(0, 100<<10); err != nil {
			cases = append(cases, struct {
				nptrs, nbytes int
				want          string
			}{0, 100 << 10, "young space of"})
			break
		}
		h.Alloc(0, 100<<10, 1, Nil)
	}
	for _, c := range cases {
		err := h.CheckAlloc(c.nptrs, c.nbytes)
		if !errors.Is(err, ErrOutOfMemory) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckAlloc(%d, %d) = %v, want out of memory: ...%s", c.nptrs, c.nbytes, err, c.want)
		}
		err = Catch(func() error {
			h.Alloc(c.nptrs, c.nbytes, 1, Nil)
			return nil
		})
		if !errors.Is(err, ErrOutOfMemory) {
			t.Errorf("Alloc(%d, %d) = %v, want out of memory", c.nptrs, c.nbytes, err)
		}
	}
	if err := h.CheckAlloc(3, 100); err != nil {
		t.Errorf("a small object: %v", err)
	}
	h.Abort()
	o := list(h, 3)
	h.SetRoot(0, o)
	mustCommit(t, h)
	if got := listValues(h, h.Root(0)); len(got) != 3 {
		t.Errorf("after refused allocations: %v", got)
	}
}
