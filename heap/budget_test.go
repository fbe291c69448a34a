package heap

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"psyche/internal/memcg"
)

// The memory-bounded test: a child process changes four times its memory
// cgroup's limit of committed pages in one transaction and commits it. It
// must complete (not be killed), and the change must all be there.

// budgetSizes answers the cgroup limit and the size of the change: small in
// make test, larger in the soak.
func budgetSizes() (limit, change int64) {
	if os.Getenv("PSYCHE_SOAK") != "" {
		return 256 << 20, 1 << 30
	}
	return 64 << 20, 256 << 20
}

// budgetChunk is the size of each large object of the heap, and of each
// write the child makes.
const budgetChunk = 4 << 20

func budgetChildOptions() Options {
	o := testOptions()
	o.Reserve = 64 << 30
	o.DirtyBudget = 16 << 20
	return o
}

// TestBudgetChild is the child's body; it runs only when the parent asks.
func TestBudgetChild(t *testing.T) {
	path := os.Getenv("PSYCHE_BUDGET_HEAP")
	if path == "" {
		t.Skip("run by TestBudgetTransactionInMemoryCgroup")
	}
	fill, _ := strconv.Atoi(os.Getenv("PSYCHE_BUDGET_FILL"))
	h, err := Open(path, budgetChildOptions())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(fill)
	}
	for o := h.Root(0); o != Nil; o = h.Field(o, 0) {
		for at := 0; at < h.NumBytes(o); at += len(buf) {
			h.SetBytes(o, at, buf[:min(len(buf), h.NumBytes(o)-at)])
		}
	}
	if err := h.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("spills %d\n", h.Stats.Spills)
}

func TestBudgetTransactionInMemoryCgroup(t *testing.T) {
	limit, change := budgetSizes()
	path := filepath.Join(t.TempDir(), "heap")
	h, err := Create(path, budgetChildOptions())
	if err != nil {
		t.Fatal(err)
	}
	for done := int64(0); done < change; done += budgetChunk {
		h.SetRoot(0, h.Alloc(1, budgetChunk, 2, h.Root(0)))
		mustCommit(t, h)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBudgetChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "PSYCHE_BUDGET_HEAP="+path, "PSYCHE_BUDGET_FILL=77")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	r, err := memcg.Run(cmd, uint64(limit))
	if errors.Is(err, memcg.ErrUnavailable) {
		t.Skipf("cannot run under a memory limit here: %v", err)
	}
	if err != nil || r.OOMKills > 0 {
		t.Fatalf("a transaction of %d MiB under a %d MiB limit: %v, %d out-of-memory kills, peak %d MiB\n%s",
			change>>20, limit>>20, err, r.OOMKills, r.Peak>>20, out)
	}
	t.Logf("a transaction of %d MiB under a %d MiB limit: peak %d MiB", change>>20, limit>>20, r.Peak>>20)
	h, err = Open(path, budgetChildOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	n := int64(0)
	for o := h.Root(0); o != Nil; o = h.Field(o, 0) {
		for _, at := range []int{0, budgetChunk / 2, budgetChunk - 1} {
			if b := h.ByteAt(o, at); b != 77 {
				t.Fatalf("object %d byte %d is %d after the committed change, want 77", n, at, b)
			}
		}
		n++
	}
	if n*budgetChunk < change {
		t.Fatalf("%d objects, want %d", n, change/budgetChunk)
	}
}

// syncBuffer collects a child's output.
type syncBuffer struct{ b []byte }

func (s *syncBuffer) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *syncBuffer) String() string              { return string(s.b) }
