package syntax

import (
	"reflect"
	"strings"
	"testing"
)

func TestSelector(t *testing.T) {
	for _, c := range []struct {
		sel   Selector
		kind  SelectorKind
		arity int
		parts []string
		prim  bool
	}{
		{"foo", Unary, 0, []string{"foo"}, false},
		{"_Clone", Unary, 0, []string{"_Clone"}, true},
		{"+", Binary, 1, []string{"+"}, false},
		{"->", Binary, 1, []string{"->"}, false},
		{"at:", Keyword, 1, []string{"at:"}, false},
		{"at:Put:", Keyword, 2, []string{"at:", "Put:"}, false},
		{"_IntAdd:IfFail:", Keyword, 2, []string{"_IntAdd:", "IfFail:"}, true},
	} {
		if c.sel.Kind() != c.kind || c.sel.Arity() != c.arity || !reflect.DeepEqual(c.sel.Parts(), c.parts) || c.sel.IsPrimitive() != c.prim {
			t.Errorf("%q: kind %v arity %d parts %q primitive %v", c.sel, c.sel.Kind(), c.sel.Arity(), c.sel.Parts(), c.sel.IsPrimitive())
		}
	}
}

func TestPositions(t *testing.T) {
	src := "x foo: 3.\n  (| a <- 'b' |).\n\ty -1.\n'\xc3\xa9' z"
	code, err := ParseCode("", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s0 := code.Stmts[0].(*Send)
	obj := code.Stmts[1].(*Object)
	s2 := code.Stmts[2].(*Send)
	s3 := code.Stmts[3].(*Send)
	for _, c := range []struct {
		what string
		got  Pos
		want Pos
	}{
		{"receiver x", s0.Recv.Pos(), Pos{1, 1, 0}},
		{"selector foo:", s0.Pos(), Pos{1, 3, 2}},
		{"argument 3", s0.Args[0].Pos(), Pos{1, 8, 7}},
		{"object (", obj.Open, Pos{2, 3, 12}},
		{"object )", obj.Close, Pos{2, 16, 25}},
		{"slot a", obj.Slots[0].Pos(), Pos{2, 6, 15}},
		{"slot value", obj.Slots[0].Value.Pos(), Pos{2, 11, 20}},
		{"after a tab", s2.Recv.Pos(), Pos{3, 2, 29}},
		{"minus of -1", s2.Pos(), Pos{3, 4, 31}},
		{"1 of -1", s2.Args[0].Pos(), Pos{3, 5, 32}},
		{"after 2-byte rune", s3.Pos(), Pos{4, 6, 40}},
	} {
		if c.got != c.want {
			t.Errorf("%s: at %v (off %d), want %v (off %d)", c.what, c.got, c.got.Off, c.want, c.want.Off)
		}
	}
	if got := src[obj.Open.Off : obj.Close.Off+1]; got != "(| a <- 'b' |)" {
		t.Errorf("object source %q", got)
	}
}

func TestInspect(t *testing.T) {
	code, err := ParseCode("", []byte("a foo: [| :x | x + 1] Bar: (| s = 3. m = (^ s) |)"))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	Inspect(code, func(n Node) bool {
		switch n := n.(type) {
		case *Send:
			seen = append(seen, string(n.Sel))
		case *Slot:
			seen = append(seen, "slot "+string(n.Name))
		case *IntLit:
			seen = append(seen, n.String())
		case *Return:
			seen = append(seen, "^")
		}
		return true
	})
	want := "foo:Bar: a slot x + x 1 slot s 3 slot m ^ s"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("Inspect order: %s\nwant %s", got, want)
	}
	// Returning false prunes.
	n := 0
	Inspect(code, func(Node) bool { n++; return false })
	if n != 1 {
		t.Errorf("pruned walk visited %d nodes", n)
	}
}

func TestIntLitBigValue(t *testing.T) {
	x, _ := ParseExpr("", []byte("123"))
	y, _ := ParseExpr("", []byte("123456789012345678901234567890"))
	if x.(*IntLit).BigValue().String() != "123" || y.(*IntLit).BigValue().String() != "123456789012345678901234567890" {
		t.Error("BigValue")
	}
	if y.(*IntLit).Value != 0 {
		t.Error("Value of a big literal should be 0")
	}
}
