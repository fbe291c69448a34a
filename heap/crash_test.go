package heap

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The crash test: a child process runs a deterministic stream of
// transactions, some larger than its dirty budget (they spill), printing
// each one's number after Commit returns; the parent
// kills it with SIGKILL at a random moment, reopens the heap, checks it, and
// compares it with a simulation of exactly the transactions that committed.
// Every transaction the child reported must be there, and nothing half-done.

const crashSlots = 64

// crashTx describes what transaction k leaves in the world.
func crashTx(k uint64) (slot int, cells int, clearSlot int) {
	return int(k*13) % crashSlots, int(k%7) + 1, int(k*5+3) % crashSlots
}

// crashBallast is the number of one-page objects a big transaction rewrites:
// with the child's dirty budget of crashBudget pages, it spills several times.
const (
	crashBallast = 96
	crashBudget  = 16
)

// crashBig reports whether transaction k is a big one: it rewrites every
// ballast object, larger than the dirty budget, so it spills.
func crashBig(k uint64) bool { return k%9 == 4 }

// runCrashTx performs transaction k on the table object.
func runCrashTx(h *Heap, k uint64) {
	if crashBig(k) {
		fillBallast(h, byte(k))
	}
	table := h.Root(0)
	slot, cells, clr := crashTx(k)
	if k%10 == 0 {
		size := int(k%5000) + 1
		if k%20 == 0 { // large: placed in space a collection freed, once there is some
			size += largeObject // written directly, not logged
		}
		bv := h.Alloc(1, size, 2, FromInt(int64(k)))
		b := make([]byte, h.NumBytes(bv))
		for i := range b {
			b[i] = byte(k)
		}
		h.SetBytes(bv, 0, b)
		h.SetField(table, slot, bv)
	} else {
		l := list(h, cells)
		h.SetField(l, 0, FromInt(int64(k)))
		h.SetField(table, slot, l)
	}
	if clr != slot {
		h.SetField(table, clr, Nil)
	}
	h.SetAux(0, k)
}

// expectedSlots simulates transactions 1..n: slot -> transaction that set it (0: nil).
func expectedSlots(n uint64) [crashSlots]uint64 {
	var s [crashSlots]uint64
	for k := uint64(1); k <= n; k++ {
		slot, _, clr := crashTx(k)
		s[slot] = k
		if clr != slot {
			s[clr] = 0
		}
	}
	return s
}

func verifyCrashHeap(t *testing.T, h *Heap, n uint64) {
	t.Helper()
	lastBig := uint64(0)
	for k := uint64(1); k <= n; k++ {
		if crashBig(k) {
			lastBig = k
		}
	}
	if got := ballastByte(t, h); got != byte(lastBig) {
		t.Fatalf("after %d transactions the ballast holds %d, want %d (transaction %d)", n, got, byte(lastBig), lastBig)
	}
	want := expectedSlots(n)
	table := h.Root(0)
	for i, k := range want {
		v := h.Field(table, i)
		switch {
		case k == 0:
			if v != Nil {
				t.Fatalf("after %d transactions slot %d should be nil", n, i)
			}
		case k%10 == 0:
			size := int(k%5000) + 1
			if k%20 == 0 { // large: placed in space a collection freed, once there is some
				size += largeObject
			}
			if h.NumBytes(v) != size || h.Field(v, 0) != FromInt(int64(k)) || h.ByteAt(v, h.NumBytes(v)-1) != byte(k) || h.ByteAt(v, 0) != byte(k) {
				t.Fatalf("slot %d: byte object of transaction %d is wrong: at %#x (page %d), %d bytes (want %d), field %#x, first %d, last %d",
					i, k, uint64(v), uint64(v)>>pageShift, h.NumBytes(v), size, uint64(h.Field(v, 0)), h.ByteAt(v, 0), h.ByteAt(v, h.NumBytes(v)-1))
			}
		default:
			_, cells, _ := crashTx(k)
			vs := listValues(h, v)
			if len(vs) != cells || vs[0] != int64(k) {
				t.Fatalf("slot %d: list of transaction %d is %v", i, k, vs)
			}
		}
	}
}

// TestCrashChild is the child's body; it runs only when the parent asks.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("PSYCHE_CRASH_HEAP")
	if path == "" {
		t.Skip("run by TestCrash")
	}
	seed, _ := strconv.ParseUint(os.Getenv("PSYCHE_CRASH_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 1))
	opts := testOptions()
	opts.LogLimit = 256 << 10 // trim often, so kills land in trims too
	opts.DirtyBudget = crashBudget * PageSize
	h, err := Open(path, opts)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	if h.Root(0) == Nil {
		h.SetRoot(0, h.Alloc(crashSlots, 0, 1, Nil))
		makeBallast(t, h, crashBallast)
	}
	out := bufio.NewWriter(os.Stdout)
	for k := h.Aux(0) + 1; ; k++ {
		if rng.IntN(4) == 0 { // a doomed transaction first
			runCrashTx(h, k+1000000)
			h.SetRoot(3, list(h, 3))
			h.Abort()
		}
		runCrashTx(h, k)
		if err := h.Commit(); err != nil {
			fmt.Println("commit:", err)
			os.Exit(3)
		}
		fmt.Fprintln(out, k)
		out.Flush()
		// Collection in small slices between transactions (kills land in
		// the middle of cycles), and now and then a whole one.
		var err error
		if k%100 == 0 {
			_, err = h.Collect()
		} else {
			_, _, err = h.collect(&budget{units: 1 + rng.IntN(200)}, nil)
		}
		if err != nil {
			fmt.Println("gc:", err)
			os.Exit(3)
		}
	}
}

func TestCrash(t *testing.T) {
	rounds := 20
	if os.Getenv("PSYCHE_SOAK") != "" {
		rounds = 1000
	}
	if testing.Short() {
		rounds = 5
	}
	path := filepath.Join(t.TempDir(), "heap")
	h, err := Create(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	reported := uint64(0)
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PSYCHE_CRASH_HEAP="+path, fmt.Sprintf("PSYCHE_CRASH_SEED=%d", rng.Uint64()))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1<<16)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it get going, then kill it at a random moment.
		time.Sleep(time.Duration(20+rng.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		for l := range lines {
			n, err := strconv.ParseUint(l, 10, 64)
			if err != nil {
				t.Fatalf("round %d: child said %q", round, l)
			}
			reported = max(reported, n)
		}
		cmd.Wait()

		h, err := Open(path, testOptions())
		if err != nil {
			t.Fatalf("round %d: reopening after kill: %v", round, err)
		}
		if r := h.Check(nil); len(r.Problems) > 0 {
			h.Close()
			t.Fatalf("round %d: check after kill: %v", round, r.Problems)
		}
		got := h.Aux(0)
		if got < reported || got > reported+1 {
			h.Close()
			t.Fatalf("round %d: heap has %d transactions, child reported %d", round, got, reported)
		}
		if got > 0 {
			verifyCrashHeap(t, h, got)
		}
		reported = got
		h.Close()
	}
	t.Logf("%d kills, %d transactions", rounds, reported)
}
