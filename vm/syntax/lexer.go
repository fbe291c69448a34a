package syntax

import (
	"fmt"
	"unicode/utf8"
)

// Character classes, one bit each, looked up in charClass.
const (
	cDigit   = 1 << iota // 0-9
	cLower               // a-z
	cUpper               // A-Z
	cUnder               // _
	cOp                  // operator characters
	cSpace               // white space (line breaks are handled apart)
	cIdStart = cLower | cUpper | cUnder
	cIdChar  = cIdStart | cDigit
)

// opChars are the characters operators are made of: LANGUAGE.md's list
// plus '`', which Self's scanner also treats as an operator character.
const opChars = "!@#$%^&*-+=~/?<>,;|\\`"

var charClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cUpper
	}
	t['_'] |= cUnder
	for i := 0; i < len(opChars); i++ {
		t[opChars[i]] |= cOp
	}
	// Self's scanner also skips \v and \b as white space.
	for _, c := range " \t\f\v\b" {
		t[c] |= cSpace
	}
	return
}()

func is(c byte, class uint8) bool { return charClass[c]&class != 0 }

// lexer turns source bytes into tokens, one scan call at a time. It does
// not allocate except for the text of names (interned: a name is
// allocated once per parse), decoded strings, and big integers.
type lexer struct {
	src       []byte
	off       int // offset of the next unread byte
	line      int32
	lineStart int // offset of the first byte of the current line
	names     map[string]string

	// atEOF is set when the last error token was caused by the end of
	// input inside a string or comment (see Incomplete).
	atEOF bool
}

func newLexer(src []byte) *lexer {
	return &lexer{src: src, line: 1, names: make(map[string]string)}
}

// pos returns the position of off, which must be on the current line.
func (lx *lexer) pos(off int) Pos {
	return Pos{Line: lx.line, Col: int32(off - lx.lineStart + 1), Off: int32(off)}
}

// newline records that src[off] ends a line.
func (lx *lexer) newline(off int) {
	lx.line++
	lx.lineStart = off + 1
}

func (lx *lexer) intern(b []byte) string {
	if s, ok := lx.names[string(b)]; ok {
		return s
	}
	s := string(b)
	lx.names[s] = s
	return s
}

// errorAt makes an error token at off (on the current line).
func (lx *lexer) errorAt(t *token, off int, format string, args ...any) {
	t.kind = tIllegal
	t.pos = lx.pos(off)
	t.text = fmt.Sprintf(format, args...)
	t.end = len(lx.src)
	lx.off = len(lx.src)
}

// reset moves the lexer back to off, which must be on the current line
// and not inside a token the lexer has yet to return. The parser uses it
// to split an operator such as "*=" after a parent slot name.
func (lx *lexer) reset(off int) { lx.off = off }

// scan returns the next token.
func (lx *lexer) scan() token {
	var t token
	src := lx.src
	n := len(src)
	// Skip white space, comments and escaped line breaks.
	for lx.off < n {
		c := src[lx.off]
		if is(c, cSpace) {
			lx.off++
			continue
		}
		switch c {
		case '\n', '\r':
			if !t.nl {
				t.nl = true
				t.nlPos = lx.pos(lx.off)
			}
			lx.skipLineBreak()
			continue
		case '"':
			if !lx.skipComment(&t) {
				return t
			}
			continue
		case '\\':
			// A backslash right before a line break joins the lines, as in Self.
			if lx.off+1 < n && (src[lx.off+1] == '\n' || src[lx.off+1] == '\r') {
				lx.off++
				lx.skipLineBreak()
				continue
			}
		}
		break
	}
	if lx.off >= n {
		t.kind = tEOF
		t.pos = lx.pos(n)
		t.end = n
		return t
	}
	start := lx.off
	t.pos = lx.pos(start)
	c := src[start]
	switch {
	case is(c, cIdStart):
		lx.scanName(&t)
	case is(c, cDigit) || c == '-' && start+1 < n && is(src[start+1], cDigit):
		lx.scanNumber(&t)
	case is(c, cOp):
		lx.scanOp(&t)
	case c == '\'':
		lx.scanString(&t)
	case c == ':':
		if start+1 < n && is(src[start+1], cIdStart) {
			i := start + 2
			for i < n && is(src[i], cIdChar) {
				i++
			}
			t.kind = tArg
			t.text = lx.intern(src[start+1 : i])
			lx.off = i
		} else {
			lx.errorAt(&t, start, "expected an argument name right after ':' (as in :x)")
		}
	default:
		lx.off++
		switch c {
		case '(':
			t.kind = tLParen
		case ')':
			t.kind = tRParen
		case '[':
			t.kind = tLBrack
		case ']':
			t.kind = tRBrack
		case '{':
			t.kind = tLBrace
		case '}':
			t.kind = tRBrace
		case '.':
			t.kind = tDot
		default:
			r, _ := utf8.DecodeRune(src[start:])
			if r == utf8.RuneError || r < ' ' || r == 0x7f {
				lx.errorAt(&t, start, "unexpected character %#02x", c)
			} else {
				lx.errorAt(&t, start, "unexpected character %U %q", r, r)
			}
		}
	}
	if t.kind != tIllegal {
		t.end = lx.off
	}
	return t
}

// skipLineBreak consumes "\n", "\r\n" or a lone "\r" at lx.off.
func (lx *lexer) skipLineBreak() {
	if lx.src[lx.off] == '\r' && lx.off+1 < len(lx.src) && lx.src[lx.off+1] == '\n' {
		lx.off++
	}
	lx.newline(lx.off)
	lx.off++
}

// skipComment skips the comment starting at lx.off. Inside a comment a
// backslash escapes the next character, so \" does not end it (Self).
// It reports false, with an error in t, if the comment is not closed.
func (lx *lexer) skipComment(t *token) bool {
	src := lx.src
	open := lx.pos(lx.off)
	escaped := false
	for i := lx.off + 1; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			if !escaped {
				lx.off = i + 1
				return true
			}
		case '\n':
			lx.newline(i)
		case '\r':
			if i+1 >= len(src) || src[i+1] != '\n' {
				lx.newline(i)
			}
		}
		escaped = src[i] == '\\' && !escaped
	}
	lx.errorAt(t, len(src), "expected '\"' to close the comment opened at %s", open)
	lx.atEOF = true
	return false
}

// scanName scans a name, keyword, 'self', or the 'name.' prefix of a resend.
func (lx *lexer) scanName(t *token) {
	src := lx.src
	n := len(src)
	start := lx.off
	i := start + 1
	for i < n && is(src[i], cIdChar) {
		i++
	}
	if i < n && src[i] == ':' {
		i++
		t.text = lx.intern(src[start:i])
		if is(src[start], cUpper) {
			t.kind = tCapKeyword
		} else {
			t.kind = tKeyword
		}
		lx.off = i
		return
	}
	name := src[start:i]
	// A name immediately followed by '.' and then by a letter, '_' or an
	// operator character is a resend prefix (Self's lexical rule).
	if i+1 < n && src[i] == '.' && is(src[i+1], cIdStart|cOp) {
		if string(name) == "self" {
			lx.errorAt(t, i+1, "expected a space after 'self.' ('self' cannot be the parent name of a resend)")
			return
		}
		t.kind = tResend
		t.text = lx.intern(name)
		lx.off = i + 1
		return
	}
	lx.off = i
	switch string(name) {
	case "self":
		t.kind = tSelf
		t.text = "self"
	case "resend":
		lx.errorAt(t, start, "expected '.' and a message right after 'resend' (as in resend.foo)")
	default:
		t.kind = tName
		t.text = lx.intern(name)
	}
}

// scanOp scans an operator. A lone '|' or '^' and the operators '=' and
// '<-' get kinds of their own because slot lists and returns use them.
func (lx *lexer) scanOp(t *token) {
	src := lx.src
	start := lx.off
	i := start + 1
	for i < len(src) && is(src[i], cOp) {
		i++
	}
	lx.off = i
	op := src[start:i]
	switch string(op) {
	case "=":
		t.kind = tEq
	case "<-":
		t.kind = tArrow
	case "|":
		t.kind = tBar
	case "^":
		t.kind = tCaret
	default:
		t.kind = tOp
	}
	t.text = lx.intern(op)
}

// scanString scans a string literal and decodes its escapes. A line break
// in a string (\n, \r\n or a lone \r) is kept as "\n"; a backslash before
// a line break removes both (Self).
func (lx *lexer) scanString(t *token) {
	src := lx.src
	n := len(src)
	open := lx.pos(lx.off)
	var buf []byte
	cooked := false // buf, not src, holds the value
	seg := lx.off + 1
	for j := seg; ; {
		if j >= n {
			lx.errorAt(t, n, "expected \"'\" to close the string opened at %s", open)
			lx.atEOF = true
			return
		}
		switch src[j] {
		case '\'':
			t.kind = tString
			if cooked {
				buf = append(buf, src[seg:j]...)
				t.text = string(buf)
			} else {
				t.text = string(src[seg:j])
			}
			lx.off = j + 1
			return
		case '\n':
			lx.newline(j)
			j++
		case '\r':
			buf = append(buf, src[seg:j]...)
			buf = append(buf, '\n')
			cooked = true
			if j+1 < n && src[j+1] == '\n' {
				j++
			}
			lx.newline(j)
			j++
			seg = j
		case '\\':
			if j+1 >= n {
				lx.errorAt(t, n, "expected \"'\" to close the string opened at %s", open)
				lx.atEOF = true
				return
			}
			buf = append(buf, src[seg:j]...)
			cooked = true
			var ok bool
			if buf, j, ok = lx.escape(t, buf, j); !ok {
				return
			}
			seg = j
		default:
			j++
		}
	}
}

// escape decodes the escape sequence at src[j] (a backslash), appends its
// value to buf, and returns the offset after it. On error it reports
// false with an error token in t. src[j+1] must exist.
func (lx *lexer) escape(t *token, buf []byte, j int) ([]byte, int, bool) {
	src := lx.src
	n := len(src)
	var c byte
	switch e := src[j+1]; e {
	case 't':
		c = '\t'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 'f':
		c = '\f'
	case 'v':
		c = '\v'
	case 'b':
		c = '\b'
	case 'a':
		c = '\a'
	case '0':
		c = 0
	case '\\', '\'', '"', '?':
		c = e
	case '\n', '\r':
		// An escaped line break is removed.
		lx.off = j + 1
		lx.skipLineBreak()
		return buf, lx.off, true
	case 'x', 'o', 'd':
		base, count, name := 16, 2, "two hexadecimal"
		if e == 'o' {
			base, count, name = 8, 3, "three octal"
		} else if e == 'd' {
			base, count, name = 10, 3, "three decimal"
		}
		v := 0
		for k := 0; k < count; k++ {
			d := -1
			if j+2+k < n {
				d = digitValue(src[j+2+k])
			}
			if d < 0 || d >= base {
				lx.errorAt(t, j, "expected %s digits after \\%c in string", name, e)
				return buf, j, false
			}
			v = v*base + d
		}
		if v > 255 {
			lx.errorAt(t, j, "character escape \\%c%s is out of range (more than 255)", e, src[j+2:j+2+count])
			return buf, j, false
		}
		return append(buf, byte(v)), j + 2 + count, true
	default:
		shown := string(rune(e))
		if e < ' ' || e >= 0x7f {
			shown = fmt.Sprintf("x%02x", e)
		}
		lx.errorAt(t, j, "invalid escape sequence '\\%s' in string (expected one of \\t \\n \\r \\\\ \\' \\\" \\0 \\xHH)", shown)
		return buf, j, false
	}
	return append(buf, c), j + 2, true
}

// digitValue returns the value of c as a digit in bases up to 36, or -1.
func digitValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}
