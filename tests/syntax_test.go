package tests

import (
	"regexp"
	"strings"
	"testing"

	"psyche/vm/syntax"
)

// syntaxErrorCase matches the "!!" text of a case that expects a syntax
// error: it names a position or says what was expected.
var syntaxErrorCase = regexp.MustCompile(`^\d+:\d+:|^expected`)

// TestCaseSyntax checks every case against the parser alone: a case that
// expects a syntax error must not parse (and the error must contain the
// case's text), and every other case must parse. It catches typos in the
// case files before they are blamed on the interpreter.
func TestCaseSyntax(t *testing.T) {
	files, err := LoadDir("lang")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, c := range f.Cases {
			_, err := syntax.ParseCode("", []byte(c.Source))
			wantSyntaxError := c.Fails && syntaxErrorCase.MatchString(c.WantErr)
			switch {
			case wantSyntaxError && err == nil:
				t.Errorf("%s: parses, but the case expects a syntax error %q\n%s", c.Name(), c.WantErr, c.Source)
			case wantSyntaxError && !strings.Contains(err.Error(), c.WantErr):
				t.Errorf("%s: syntax error %q does not contain %q", c.Name(), err, c.WantErr)
			case !wantSyntaxError && err != nil:
				t.Errorf("%s: %v\n%s", c.Name(), err, c.Source)
			}
		}
	}
}
