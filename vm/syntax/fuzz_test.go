package syntax

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to every entry point. It checks that
// none panics; that errors are *Error values whose position is inside the
// input (the end of input included); and that whatever parses survives
// Format and reparsing unchanged. The seeds (every test input of this
// package, plus testdata/fuzz/FuzzParse) run in a normal "go test".
func FuzzParse(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c.src))
	}
	for _, c := range errorCases {
		f.Add([]byte(c.src))
	}
	f.Add([]byte(transporterSample))
	f.Add([]byte("a foo: \\\n 3\r\nb\rc \"x\ny\" d"))
	f.Add([]byte("(| ^_a <- 3. _ b** = 4. { 'x' c. :d } |)"))
	f.Fuzz(func(t *testing.T, src []byte) {
		Incomplete(src)
		code, err := ParseCode("f", src)
		checkResult(t, "ParseCode", src, code, err, ParseCode)
		file, err := ParseFile("f", src)
		checkResult(t, "ParseFile", src, file, err, ParseFile)
		if x, err := ParseExpr("f", src); err != nil {
			checkError(t, "ParseExpr", src, err)
		} else if _, err := ParseExpr("f", []byte(Format(x))); err != nil {
			t.Errorf("ParseExpr: reparsing %q (from %q): %v", Format(x), src, err)
		}
	})
}

func checkResult(t *testing.T, entry string, src []byte, code *Code, err error, parse func(string, []byte) (*Code, error)) {
	if err != nil {
		checkError(t, entry, src, err)
		return
	}
	out := Format(code)
	code2, err := parse("printed", []byte(out))
	if err != nil {
		t.Fatalf("%s: reparsing %q (from %q): %v", entry, out, src, err)
	}
	if d := diffTrees(code, code2); d != "" {
		t.Fatalf("%s: %q printed as %q reparses differently: %s", entry, src, out, d)
	}
}

func checkError(t *testing.T, entry string, src []byte, err error) {
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s(%q): error %T is not *Error: %v", entry, src, err, err)
	}
	if e.Filename != "f" || e.Msg == "" {
		t.Fatalf("%s(%q): bad error %+v", entry, src, *e)
	}
	if !validPos(src, e.Line, e.Col) {
		t.Fatalf("%s(%q): error position %d:%d is outside the input: %v", entry, src, e.Line, e.Col, err)
	}
}

// validPos reports whether line:col names a byte of src or its end, with
// lines broken at \n, \r\n and a lone \r as the lexer does.
func validPos(src []byte, line, col int) bool {
	if line < 1 || col < 1 {
		return false
	}
	start, n := 0, 1
	for i := 0; i < len(src) && n < line; i++ {
		if src[i] == '\n' || src[i] == '\r' && (i+1 >= len(src) || src[i+1] != '\n') {
			n++
			start = i + 1
		}
	}
	if n != line {
		return false
	}
	end := start
	for end < len(src) && src[end] != '\n' && src[end] != '\r' {
		end++
	}
	if end < len(src) && src[end] == '\r' && end+1 < len(src) && src[end+1] == '\n' {
		end++ // the \r of \r\n is a column of its line
	}
	return start+col-1 <= end
}
