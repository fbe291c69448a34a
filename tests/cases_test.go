package tests

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseCases(t *testing.T) {
	src := "# a comment\n" +
		"> 3 + 4\n" +
		"=> 7\n" +
		"\n" +
		"> lobby _AddSlots: (| p = (| x <- 3 |) |).\n" +
		"> p x\n" +
		"=> 3\n" +
		"> 'a' printLine. ''\n" +
		"=> a\n" +
		"=>\n" +
		"=> ''\n" +
		"# errors\n" +
		"> 3 + 'a'\r\n" +
		"!! primitive _IntAdd: failed  \n" +
		">\n" +
		">  2\n" +
		"=>  two spaces\n"
	got, err := ParseCases("x.cases", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []*Case{
		{File: "x.cases", Line: 2, Source: "3 + 4", Want: []string{"7"}, Note: []string{"a comment"}},
		{File: "x.cases", Line: 5, Source: "lobby _AddSlots: (| p = (| x <- 3 |) |).\np x", Want: []string{"3"}},
		{File: "x.cases", Line: 8, Source: "'a' printLine. ''", Want: []string{"a", "", "''"}},
		{File: "x.cases", Line: 13, Source: "3 + 'a'", Fails: true, WantErr: "primitive _IntAdd: failed", Note: []string{"errors"}},
		{File: "x.cases", Line: 15, Source: "\n 2", Want: []string{" two spaces"}},
	}
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w *Case
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("case %d:\n got %+v\nwant %+v", i, g, w)
			}
		}
	}
	if n := got[1].Name(); n != "x.cases:5" {
		t.Errorf("Name() = %q", n)
	}
}

func TestParseCasesErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no expectation at end", "> 3\n", "bad.cases:1: case has no expectation"},
		{"no expectation before blank", "=> x\n", "bad.cases:1: '=>' line outside a case"},
		{"blank between source and result", "> 3\n\n=> 3\n", "bad.cases:1: case has no expectation"},
		{"comment between source and result", "> 1\n> 3\n# hm\n=> 3\n", "bad.cases:1: case has no expectation"},
		{"error outside a case", "# c\n!! boom\n", "bad.cases:2: '!!' line outside a case"},
		{"output then error", "> 3\n=> 3\n!! boom\n", "bad.cases:3: case at line 1 has both '=>' and '!!' lines"},
		{"error then output", "\n> 3\n!! boom\n=> 3\n", "bad.cases:4: case at line 2 has both '!!' and '=>' lines"},
		{"two errors", "> 3\n!! a\n!! b\n", "bad.cases:3: case at line 1 has more than one '!!' line"},
		{"empty error", "> 3\n!!\n", "bad.cases:2: expected the text of the error after '!!'"},
		{"blank error", "> 3\n!!   \n", "bad.cases:2: expected the text of the error after '!!'"},
		{"no space after >", ">3\n=> 3\n", "bad.cases:1: expected a space after '>'"},
		{"no space after =>", "> 3\n=>3\n", "bad.cases:2: expected a space after '=>'"},
		{"no space after !!", "> 3\n!!x\n", "bad.cases:2: expected a space after '!!'"},
		{"stray text", "> 3\n=> 3\n3 + 4\n", "bad.cases:3: expected '> ', '=> ', '!! ', '#' or a blank line, found \"3 + 4\""},
		{"indented marker", "  > 3\n", "bad.cases:1: expected '> ', '=> '"},
		{"empty source", ">\n>  \n=> 3\n", "bad.cases:1: case has an empty source"},
		{"leading minus", "\n\n> -7 / 2\n=> -3\n", "bad.cases:3: case source begins with '-'"},
	}
	for _, tc := range tests {
		_, err := ParseCases("bad.cases", []byte(tc.src))
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %q\nwant %q...", tc.name, err, tc.want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != "bad.cases" || pe.Line == 0 {
			t.Errorf("%s: error %#v does not name the file and line", tc.name, err)
		}
	}
}

func TestParseCasesEmpty(t *testing.T) {
	cs, err := ParseCases("e.cases", []byte("# nothing here\n\n"))
	if err != nil || len(cs) != 0 {
		t.Errorf("got %v, %v; want no cases, no error", cs, err)
	}
}

// TestCaseFiles checks that every case file in lang/ parses, that case
// names are unique, and that the suite has at least MinCases cases.
func TestCaseFiles(t *testing.T) {
	files, err := LoadDir("lang")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		t.Logf("%-32s %4d cases", f.Name, len(f.Cases))
		for _, c := range f.Cases {
			if seen[c.Name()] {
				t.Errorf("duplicate case name %s", c.Name())
			}
			seen[c.Name()] = true
		}
	}
	n := CountCases(files)
	t.Logf("%-32s %4d cases", "total", n)
	if n < MinCases {
		t.Errorf("found %d cases in lang/*.cases, want at least %d: has a case file gone missing?", n, MinCases)
	}
}
