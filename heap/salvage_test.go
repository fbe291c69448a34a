package heap

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// salvageRoots is how many roots the salvage model uses.
const salvageRoots = 4

// salvageDamage is one kind of damage TestSalvage applies, and whether a
// salvaging open must still read every root exactly (else a root may be
// lost, or show a state it had before, when the log is what was damaged).
type salvageDamage struct {
	name  string
	exact bool
	// stateInLog: the state can be found only in the log's records, so a
	// heap closed cleanly (its log empty) cannot be salvaged.
	stateInLog bool
	// apply damages the heap at path, whose objects are on pages below pages.
	apply func(t *testing.T, rng *rand.Rand, path string, pages uint64)
}

var salvageDamages = []salvageDamage{
	{"checksum table zeroed", true, false, func(t *testing.T, _ *rand.Rand, path string, _ uint64) {
		fi, err := os.Stat(path + ".sums")
		if err != nil {
			t.Fatal(err)
		}
		salvagePatch(t, path+".sums", 0, make([]byte, fi.Size()))
	}},
	{"a byte of a checksum flipped", true, false, func(t *testing.T, rng *rand.Rand, path string, pages uint64) {
		p := superPages + rng.Uint64N(pages-superPages)
		salvageFlip(t, path+".sums", int64(p*8)+rng.Int64N(8), byte(1+rng.IntN(255)))
	}},
	{"a byte of a page flipped", true, false, func(t *testing.T, rng *rand.Rand, path string, pages uint64) {
		p := superPages + rng.Uint64N(pages-superPages)
		salvageFlip(t, path, int64(p*PageSize)+rng.Int64N(PageSize), byte(1+rng.IntN(255)))
	}},
	{"heap file truncated", false, false, func(t *testing.T, rng *rand.Rand, path string, pages uint64) {
		if err := os.Truncate(path, int64((superPages+rng.Uint64N(pages-superPages))*PageSize)); err != nil {
			t.Fatal(err)
		}
	}},
	{"a byte of the log flipped", false, false, func(t *testing.T, rng *rand.Rand, path string, _ uint64) {
		if fi, err := os.Stat(path + ".log"); err == nil && fi.Size() > 0 {
			salvageFlip(t, path+".log", rng.Int64N(fi.Size()), byte(1+rng.IntN(255)))
		}
	}},
	{"checksum table deleted", true, false, func(t *testing.T, _ *rand.Rand, path string, _ uint64) {
		if err := os.Remove(path + ".sums"); err != nil {
			t.Fatal(err)
		}
	}},
	{"log deleted", false, false, func(t *testing.T, _ *rand.Rand, path string, _ uint64) {
		if err := os.Remove(path + ".log"); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}},
	{"both superblocks zeroed", false, true, func(t *testing.T, _ *rand.Rand, path string, _ uint64) {
		salvagePatch(t, path, 0, make([]byte, superPages*PageSize))
	}},
	{"log truncated", false, false, func(t *testing.T, rng *rand.Rand, path string, _ uint64) {
		if fi, err := os.Stat(path + ".log"); err == nil && fi.Size() > 0 {
			if err := os.Truncate(path+".log", rng.Int64N(fi.Size())); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

func salvagePatch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func salvageFlip(t *testing.T, path string, off int64, x byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off < int64(len(b)) {
		salvagePatch(t, path, off, []byte{b[off] ^ x})
	}
}

// TestSalvage runs random histories of transactions against a model (each
// root's list length, and every length it ever had), ends them with a
// clean close or a crash, damages the files one way, and opens the heap
// salvaging: the open must succeed and every root must read as the model
// says (exactly, where only the checksum table or one byte of a page was
// damaged), as a length it had before (the log damaged), or fail with a
// *CorruptError (lost); whatever plain opening does, it does not panic.
func TestSalvage(t *testing.T) {
	rounds := 54
	if os.Getenv("PSYCHE_SOAK") != "" {
		rounds = 600
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := 0; round < rounds; round++ {
		damage := salvageDamages[round%len(salvageDamages)]
		crashed := rng.IntN(2) == 0
		t.Run(fmt.Sprintf("%d %s crashed=%v", round, damage.name, crashed), func(t *testing.T) {
			h, path := newHeap(t)
			var now [salvageRoots]int
			var history [salvageRoots][]int
			for i := range history {
				history[i] = []int{0}
			}
			for tx, n := 0, 3+rng.IntN(10); tx < n; tx++ {
				r, cells := rng.IntN(salvageRoots), 1+rng.IntN(300)
				h.SetRoot(r, list(h, cells))
				mustCommit(t, h)
				now[r] = cells
				history[r] = append(history[r], cells)
			}
			pages := (h.committed.Frontier + PageSize - 1) / PageSize // the pages that hold objects
			if crashed {
				h.crash()
			} else if err := h.Close(); err != nil {
				t.Fatal(err)
			}
			damage.apply(t, rng, path, pages)
			if plain, err := Open(path, testOptions()); err == nil {
				plain.Close()
			}
			s := &Salvage{}
			opts := testOptions()
			opts.Salvage = s
			sh, err := Open(path, opts)
			if damage.stateInLog && !crashed {
				if err == nil || !strings.Contains(err.Error(), "the roots cannot be found") {
					t.Fatalf("a heap with no state left opened salvaging (%v)", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("a salvaging open failed: %v", err)
			}
			defer sh.Close()
			lost := 0
			defer func() {
				t.Logf("%d problems, %d suspect, %d repaired, %d lost pages; %d roots lost",
					len(s.Problems), s.Suspect, len(s.Repaired), s.Lost, lost)
			}()
			for r := 0; r < salvageRoots; r++ {
				var got []int64
				err := Catch(func() error { got = listValues(sh, sh.Root(r)); return nil })
				switch {
				case err != nil && damage.exact:
					t.Errorf("root %d lost (%v), want %d cells; salvage found %+v", r, err, now[r], s)
				case err != nil:
					lost++
				case damage.exact && !salvageIsList(got, now[r]):
					t.Errorf("root %d holds %d cells, want %d", r, len(got), now[r])
				case !damage.exact && !slices.ContainsFunc(history[r], func(n int) bool { return salvageIsList(got, n) }):
					t.Errorf("root %d holds %d cells (%v...), no state it ever had (%v)", r, len(got), got[:min(3, len(got))], history[r])
				}
			}
		})
	}
}

// salvageIsList reports whether vs is the list list(h, n) made.
func salvageIsList(vs []int64, n int) bool {
	if len(vs) != n {
		return false
	}
	for i, v := range vs {
		if v != int64(i) {
			return false
		}
	}
	return true
}

// TestRepairByte: every one-byte change of a page is found and undone from
// the page's checksum alone; a repair answered for worse damage always makes
// the page match its checksum.
func TestRepairByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
	page := make([]byte, PageSize)
	for trial := 0; trial < 20; trial++ {
		for i := range page {
			page[i] = byte(rng.IntN(256))
		}
		p := rng.Uint64N(1 << 20)
		stored := pageSum(p, page)
		at, x := rng.IntN(PageSize), byte(1+rng.IntN(255))
		page[at] ^= x
		gotAt, gotX, ok := repairByte(p, stored, page)
		if !ok || gotAt != at || gotX != x {
			t.Fatalf("byte %d changed by %#x: repair answered byte %d by %#x (%v)", at, x, gotAt, gotX, ok)
		}
		page[at] ^= x
		// Two bytes changed: a repair, if any, must be one the checksum proves.
		page[rng.IntN(PageSize)] ^= 0x81
		page[rng.IntN(PageSize)] ^= 0x18
		if at, x, ok := repairByte(p, stored, page); ok {
			page[at] ^= x
			if pageSum(p, page) != stored {
				t.Fatalf("a repair that does not match the checksum")
			}
		}
	}
	if tableLooksDamaged(pageSum(3, page), pageSum(3, page)^0xff00) != true {
		t.Error("a checksum entry one byte off is not taken for a damaged entry")
	}
}
