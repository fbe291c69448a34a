package object

import "testing"

// QuotedLen, with which printString checks the size of its result before
// making it, agrees with Quote for every byte.
func TestQuotedLen(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, s := range [][]byte{nil, []byte("abc"), []byte("it's\n"), all} {
		if got, want := QuotedLen(s), len(Quote(string(s))); got != want {
			t.Errorf("QuotedLen(%q) = %d, len(Quote) = %d", s, got, want)
		}
	}
	if got := Quote("a'b\\c\n\t\r\x00\x01\x7f"); got != `'a\'b\\c\n\t\r\0\x01\x7f'` {
		t.Errorf("Quote = %s", got)
	}
}
