package syntax

// Incomplete reports whether src, a REPL input, is unfinished and the
// REPL should read another line and try again: a string or comment is
// still open at the end, or a '(', '[' or '{' is not closed yet, or the
// last line ends with a backslash (Self's line continuation).
//
// Any other problem is not "incomplete": an input with a stray closing
// bracket or a bad token is complete and wrong, so the REPL should parse
// it and show the error.
func Incomplete(src []byte) bool {
	lx := newLexer(src)
	var open []tokKind
	for {
		t := lx.scan()
		switch t.kind {
		case tEOF:
			return len(open) > 0 || endsWithBackslash(src)
		case tIllegal:
			return lx.atEOF
		case tLParen, tLBrack, tLBrace:
			open = append(open, t.kind)
		case tRParen, tRBrack, tRBrace:
			want := tLParen
			if t.kind == tRBrack {
				want = tLBrack
			} else if t.kind == tRBrace {
				want = tLBrace
			}
			if len(open) == 0 || open[len(open)-1] != want {
				return false
			}
			open = open[:len(open)-1]
		}
	}
}

// endsWithBackslash reports whether src ends with a backslash, possibly
// followed by a line break.
func endsWithBackslash(src []byte) bool {
	n := len(src)
	for n > 0 && (src[n-1] == '\n' || src[n-1] == '\r') {
		n--
	}
	return n > 0 && src[n-1] == '\\'
}

// Blank reports whether src holds no code at all: only white space and
// comments. Such an input has nothing to evaluate, so it has no result to
// show (an empty method would answer self, the lobby, which reads as if
// something had happened).
func Blank(src []byte) bool {
	t := newLexer(src).scan()
	return t.kind == tEOF
}
