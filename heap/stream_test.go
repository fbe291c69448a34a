package heap

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// patternReader answers n bytes of a pattern, in reads of at most step.
type patternReader struct{ at, n, step int }

func (r *patternReader) read(p []byte) (int, error) {
	if r.at == r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.at, r.step)
	for i := range k {
		p[i] = byte((r.at + i) * 31)
	}
	r.at += k
	return k, nil
}

// TestAllocStreamed: a stream shorter than a large object is a young
// object; a longer one grows in the heap file, is committed whole and
// reads back after a reopen; one stopped by the memory limit leaves space
// that the commit turns into free chunks, and the heap checks clean.
func TestAllocStreamed(t *testing.T) {
	opts := testOptions()
	opts.MemoryLimit = 24 << 20
	h, _ := newHeapWith(t, opts)
	small, err := h.AllocStreamed(1, 5, Nil, (&patternReader{n: 1000, step: 100}).read)
	if err != nil || !small.IsYoung() || h.NumBytes(small) != 1000 {
		t.Fatalf("a 1000-byte stream: %v, young %v", err, small.IsYoung())
	}
	const n = 5<<20 + 123
	big, err := h.AllocStreamed(1, 5, Nil, (&patternReader{n: n, step: 64 << 10}).read)
	if err != nil {
		t.Fatal(err)
	}
	h.SetRoot(0, big)
	_, err = h.AllocStreamed(1, 5, Nil, (&patternReader{n: 1 << 40, step: 1 << 20}).read)
	if !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("an endless stream under a 24 MiB limit: %v", err)
	}
	mustCommit(t, h)
	h = reopen(t, h)
	if r := h.Check(nil); len(r.Problems) > 0 {
		t.Fatal(r.Problems)
	}
	want := make([]byte, n)
	(&patternReader{n: n, step: n}).read(want)
	if !bytes.Equal(h.Bytes(h.Root(0)), want) {
		t.Fatal("the streamed object reads back wrong")
	}
}
