package syntax

import (
	"fmt"
	"strings"
	"testing"
)

// A chain of sends as long as the source does not nest: it parses, prints
// and is walked without deep recursion, however long it is.
func TestLongChains(t *testing.T) {
	const n = 1000000
	for _, tc := range []struct{ name, src string }{
		{"binary", strings.Repeat("1 + ", n) + "1"},
		{"unary", "3" + strings.Repeat(" succ", n)},
		{"unary and binary", strings.Repeat("x y + ", n) + "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := ParseCode("", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			sends := 0
			Inspect(code, func(n Node) bool {
				if _, ok := n.(*Send); ok {
					sends++
				}
				return true
			})
			if sends < n {
				t.Errorf("Inspect saw %d sends, want at least %d", sends, n)
			}
			if got, want := Format(code), tc.src+".\n"; got != want {
				t.Errorf("Format gave %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// Every kind of nesting stops at MaxNesting levels with an error that
// names the limit, and code nested just within the limit parses and
// prints back.
func TestNestingAtTheLimit(t *testing.T) {
	limit := fmt.Sprintf("expression nested too deeply (limit %d)", MaxNesting)
	kinds := []struct {
		name string
		make func(depth int) string
	}{
		{"parentheses", func(d int) string { return strings.Repeat("(", d) + "3" + strings.Repeat(")", d) }},
		{"blocks", func(d int) string { return strings.Repeat("[", d) + "3" + strings.Repeat("]", d) }},
		{"objects", func(d int) string {
			return strings.Repeat("(| a = ", d-1) + "(| |)" + strings.Repeat(" |)", d-1)
		}},
		{"keyword arguments", func(d int) string { return strings.Repeat("x: ", d) + "3" }},
		{"binary and keyword arguments", func(d int) string { return strings.Repeat("3 + x: ", d/2) + "3" }},
		{"annotated objects", func(d int) string {
			return strings.Repeat("{ 'a' (", d/2) + "3" + strings.Repeat(") }", d/2)
		}},
		{"slot groups", func(d int) string {
			return "(|" + strings.Repeat(" { 'a'", d-1) + " b" + strings.Repeat(" }", d-1) + " |)"
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			code, err := ParseCode("", []byte(k.make(MaxNesting)))
			if err != nil {
				t.Fatalf("%d levels: %v", MaxNesting, err)
			}
			if _, err := ParseCode("", []byte(Format(code))); err != nil {
				t.Errorf("reparsing the formatted tree: %v", err)
			}
			_, err = ParseCode("", []byte(k.make(MaxNesting+2)))
			if err == nil || !strings.Contains(err.Error(), limit) {
				t.Errorf("%d levels: got %v, want %q", MaxNesting+2, err, limit)
			}
		})
	}
}

// An integer literal longer than MaxNumberDigits is refused before its
// (quadratic) conversion.
func TestNumberDigitsLimit(t *testing.T) {
	if _, err := ParseCode("", []byte(strings.Repeat("7", MaxNumberDigits))); err != nil {
		t.Errorf("%d digits: %v", MaxNumberDigits, err)
	}
	for _, src := range []string{
		strings.Repeat("7", MaxNumberDigits+1),
		"3 + 16r" + strings.Repeat("f", MaxNumberDigits+1),
	} {
		_, err := ParseCode("", []byte(src))
		want := fmt.Sprintf("expected a number of at most %d digits, found %d", MaxNumberDigits, MaxNumberDigits+1)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.10s...: got %v, want %q", src, err, want)
		}
	}
}
