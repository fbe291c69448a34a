package main

import "testing"

// A multi-line input goes into the history as one line that means the same:
// line breaks in strings become escapes, others spaces; a quote in a
// comment or an escaped quote does not confuse the two.
func TestHistoryLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"3 +\n4", "3 + 4"},
		{"'a\nb' size", `'a\nb' size`},
		{"'it\\'s\n' , \"don't\nmind\" 'x\r\n'", `'it\'s\n' , "don't mind" 'x\r\n'`},
		{"(| a = 1.\n b = 2 |)", "(| a = 1.  b = 2 |)"},
	} {
		if got := historyLine(tc.in); got != tc.want {
			t.Errorf("historyLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// :load and :export take a path as typed, with or without quotes.
func TestUnquotePath(t *testing.T) {
	for in, want := range map[string]string{
		"a.self": "a.self", "'my file.self'": "my file.self", `"my file.self"`: "my file.self",
		`'half"`: `'half"`, "'": "'", "it's.self": "it's.self",
	} {
		if got := unquotePath(in); got != want {
			t.Errorf("unquotePath(%q) = %q, want %q", in, got, want)
		}
	}
}
