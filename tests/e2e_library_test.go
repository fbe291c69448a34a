package tests

// End-to-end tests of the small library gaps of issue 7: syntax errors
// that explain the Self way to a user who writes Smalltalk habits, and a
// ledger that splits, pads and dates its entries with the core world's
// string, number and time messages.

import (
	"regexp"
	"strings"
	"testing"
)

// TestLibrarySyntaxHints writes block arguments without bars, a cascade
// and slots without the '.' between them with psyche eval: each exits 1
// with one error line that names LINE:COL and says what Self expects, and
// the evaluation changes nothing.
func TestLibrarySyntaxHints(t *testing.T) {
	e := newE2E(t)
	w := e.newWorld("w")
	for _, c := range []struct{ src, want string }{
		{"lobby _AddSlots: (| sq = [ :x | x * x ] |)",
			"<eval>:1:28: block arguments go inside bars: write [| :x | ... ]"},
		{"lobby _AddSlots: (| sq = 3 |).\n'abc' printString; printLine",
			"<eval>:2:18: Self has no cascades (;): send each message to the receiver in its own statement"},
		{"lobby _AddSlots: (| point = (| x <- 3\n    y <- 4 |) |)",
			"<eval>:2:5: expected '.' between slots (after slot 'x')"},
	} {
		r := e.fails(c.want, "eval", "-w", w, c.src)
		if first, _, _ := strings.Cut(r.stderr, "\n"); first != "error: "+c.want {
			t.Errorf("the error should be exactly %q:\n%s", "error: "+c.want, r)
		}
	}
	e.fails("undefinedSelector: sq", "eval", "-w", w, "sq")
	e.fails("undefinedSelector: point", "eval", "-w", w, "point")
}

// TestLibraryLedger keeps a dated ledger across processes: entries are
// parsed with splitOn: and shrinkwrapped, amounts printed padded with
// fixed decimals, each entry stamped with time current.
func TestLibraryLedger(t *testing.T) {
	e := newE2E(t)
	w := e.newWorld("w")
	e.eval(w, `lobby _AddSlots: (| ledger <- list copyRemoveAll |)`)
	e.eval(w, `lobby _AddSlots: (| record: line = ( | parts. entry |
    parts: line splitOn: ';'.
    entry: vector copySize: 3.
    entry at: 0 Put: time current.
    entry at: 1 Put: (parts at: 0) shrinkwrapped.
    entry at: 2 Put: (parts at: 1) shrinkwrapped asInteger.
    ledger add: entry.
    self ) |)`)
	e.eval(w, `lobby _AddSlots: (| show: entry = (
    ((entry at: 0) printString copyFrom: 0 UpTo: 10) , ' ' ,
    ((entry at: 1) padOnRight: 8) ,
    (((entry at: 2) / 100) printStringPadWith: ' ' ToSize: 5) , '.' ,
    (((entry at: 2) % 100) printStringPadWith0ToSize: 2) ) |)`)
	e.eval(w, `record: ' rent ; 120000 '`)
	e.eval(w, `record: 'coffee;350'`)
	out := e.eval(w, `ledger do: [|:x| (show: x) printLine]. ((ledger last at: 0) >= (ledger first at: 0))`)
	lines := strings.Split(out, "\n")
	row := regexp.MustCompile(`^\d{4}-\d\d-\d\d (rent    |coffee  )( 1200\.00|    3\.50)$`)
	if len(lines) != 3 || !row.MatchString(lines[0]) || !row.MatchString(lines[1]) || lines[2] != "true" {
		t.Fatalf("expected two dated, padded rows in order, then true; got:\n%s", out)
	}
	if !strings.Contains(lines[0], "rent") || !strings.Contains(lines[1], "coffee") {
		t.Errorf("rows out of order:\n%s", out)
	}
}
