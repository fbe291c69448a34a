package syntax

import (
	"math"
	"math/big"
	"testing"
)

func TestFormatCanonical(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"(|a<-3.b=4|)", "( | a <- 3. b = 4 | )"},
		{"[|:x|x]", "[ | :x | x ]"},
		{"[ x ]", "[x]"},
		{"(  3+4 )", "(3 + 4)"},
		{"16r1F", "31"},
		{"2e3", "2000.0"},
		{"1e100", "1e+100"},
		{"-0.0", "-0.0"},
		{"0.1", "0.1"},
		{`'it\'s'`, `'it\'s'`},
		{"'a\nb\tc\\\\'", `'a\nb\tc\\'`},
		{`'\x00\x1f\x7f'`, `'\x00\x1f\x7f'`},
		{"'\xc3\xa9'", "'\xc3\xa9'"},
		{"a at:1 Put:2", "a at: 1 Put: 2"},
		{"resend.at:1 Put:2", "resend.at: 1 Put: 2"},
		{"p.+3", "p.+ 3"},
		{"(| + p = (p) |)", "( | + p = (p) | )"},
		{"(| + =(|:p|p) |)", "( | + = ( | :p | p ) | )"},
		{"(| at:i Put:v = (v) |)", "( | at: i Put: v = (v) | )"},
		{"(| at:Put: = (|:i. :v| v) |)", "( | at: Put: = ( | :i. :v | v ) | )"},
		{"(| p* = lobby. q** <- 3 |)", "( | p* = lobby. q** <- 3 | )"},
		{"(| ^_a. _ b = 1 |)", "( | ^_ a. _ b = 1 | )"},
		{"(|{}='m'. {'c' a. {'d' b}} e|)", "( | {} = 'm'. { 'c' a. { 'd' b } }. e | )"},
		{"{ 'x' [y] }", "[ | {} = 'x' | y ]"},
		{"a. ^b", "a.\n^ b"},
	} {
		code, err := ParseCode("", []byte(c.src))
		if err != nil {
			t.Errorf("ParseCode(%q): %v", c.src, err)
			continue
		}
		want := c.want + ".\n"
		if got := Format(code); got != want {
			t.Errorf("Format(%q) = %q, want %q", c.src, got, want)
		}
	}
}

func name(s string) *Send { return &Send{Sel: Selector(s)} }
func num(v int64) *IntLit { return &IntLit{Value: v} }
func send(r Expr, sel string, args ...Expr) *Send {
	return &Send{Recv: r, Sel: Selector(sel), Args: args}
}

// TestFormatHandMade checks that trees the parser cannot produce get the
// parentheses they need.
func TestFormatHandMade(t *testing.T) {
	for _, c := range []struct {
		x    Node
		want string
	}{
		{send(send(num(3), "+", num(4)), "*", num(5)), "(3 + 4) * 5"},
		{send(send(num(3), "+", num(4)), "+", num(5)), "3 + 4 + 5"},
		{send(num(1), "+", send(num(2), "+", num(3))), "1 + (2 + 3)"},
		{send(send(name("a"), "at:", num(1)), "foo"), "(a at: 1) foo"},
		{send(send(name("a"), "+", num(1)), "foo"), "(a + 1) foo"},
		{send(send(name("a"), "at:", num(1)), "+", num(2)), "(a at: 1) + 2"},
		{send(send(name("a"), "at:", num(1)), "at:", num(2)), "(a at: 1) at: 2"},
		{send(name("a"), "at:Put:", send(name("b"), "foo:", num(1)), num(2)), "a at: (b foo: 1) Put: 2"},
		{send(name("a"), "at:Put:", num(2), send(name("b"), "foo:", num(1))), "a at: 2 Put: b foo: 1"},
		{send(num(3), "+", send(nil, "foo:", num(4))), "3 + foo: 4"},
		{send(num(3), "+", send(name("x"), "foo:", num(4))), "3 + (x foo: 4)"},
		{send(send(num(3), "+", send(nil, "foo:", num(4))), "bar"), "(3 + foo: 4) bar"},
		{send(name("a"), "at:Put:", send(num(3), "+", send(nil, "foo:", num(4))), num(1)), "a at: (3 + foo: 4) Put: 1"},
		{send(nil, "+", num(3)), "+ 3"},
		{send(send(nil, "+", num(3)), "foo"), "(+ 3) foo"},
		{&Send{Sel: "+", Args: []Expr{num(1)}, Resend: "resend"}, "resend.+ 1"},
		{send(&Return{X: num(3)}, "foo"), "(^ 3) foo"},
		{&IntLit{Big: new(big.Int).Lsh(big.NewInt(1), 100)}, "1267650600228229401496703205376"},
		{&FloatLit{Value: math.Inf(1)}, "+Inf"},
		{&Slot{Kind: DataSlot, Name: "x", Value: num(3)}, "x <- 3"},
		{&Slot{Kind: ArgSlot, Name: "x"}, ":x"},
		{&Code{Stmts: []Expr{name("a"), name("b")}}, "a.\nb.\n"},
		{&Code{}, ""},
	} {
		if got := Format(c.x); got != c.want {
			t.Errorf("Format = %q, want %q", got, c.want)
		}
	}
	// Printing hand-made trees that need parentheses gives source that
	// parses to an equivalent tree (with Paren nodes).
	x := send(send(num(3), "+", num(4)), "*", num(5))
	if got, _ := ParseExpr("", []byte(Format(x))); dump(got) != "{(paren {3 + 4}) * 5}" {
		t.Errorf("reparse: %s", dump(got))
	}
}

func TestStringMethods(t *testing.T) {
	code, err := ParseCode("", []byte("(| a = 3 |) foo: 'x'"))
	if err != nil {
		t.Fatal(err)
	}
	s := code.Stmts[0].(*Send)
	if got := s.String(); got != "( | a = 3 | ) foo: 'x'" {
		t.Errorf("Send.String() = %q", got)
	}
	if got := s.Recv.(*Object).Slots[0].String(); got != "a = 3" {
		t.Errorf("Slot.String() = %q", got)
	}
}
