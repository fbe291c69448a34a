package syntax

import "fmt"

// Error is a syntax error. Line and Col (1-based, Col in bytes) locate
// the token or character where the problem was found; Msg says what was
// expected there.
type Error struct {
	Filename string // may be empty
	Line     int
	Col      int
	Msg      string
}

// Error formats the error as "FILE:LINE:COL: MSG", or "LINE:COL: MSG"
// when there is no file name.
func (e *Error) Error() string {
	if e.Filename != "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.Filename, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}
