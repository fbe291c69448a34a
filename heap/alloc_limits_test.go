package heap

import (
	"errors"
	"strings"
	"testing"
)

// A request past the object limits or past the young space is refused
// before any memory is touched, with an error that names the limit; the
// heap goes on working.
func TestAllocLimits(t *testing.T) {
	h, _ := newHeap(t)
	cases := []struct {
		nptrs, nbytes int
		want          string
	}{
		{MaxObjectFields + 1, 0, "larger than the limit of 134217728 fields and 1073741824 bytes"},
		{0, MaxObjectBytes + 1, "larger than the limit of 134217728 fields and 1073741824 bytes"},
		{0, 12000000000, "larger than the limit"},
		{-1, 0, "larger than the limit"},
		{0, int(h.young.half), "young space of"},
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
	o := list(h, 3)
	h.SetRoot(0, o)
	mustCommit(t, h)
	if got := listValues(h, h.Root(0)); len(got) != 3 {
		t.Errorf("after refused allocations: %v", got)
	}
}
