package syntax

import (
	"strings"
	"testing"
)

// transporterSample is written in the style of Self's world files
// (statements end at line breaks; slots sit in annotation groups).
const transporterSample = ` 'Demo-$Revision: 1.1 $'
 '
A made-up module for tests.
'


 '-- Module body'

 bootstrap addSlotsTo: bootstrap stub -> 'globals' -> () From: ( | {
         'ModuleInfo: Module: demo InitialContents: FollowSlot\x7fVisibility: public'
        
         counter = bootstrap define: bootstrap stub -> 'globals' -> 'counter' -> () ToBe: bootstrap addSlotsTo: (
             bootstrap remove: 'parent' From:
             globals clonable copy ) From: bootstrap setObjectAnnotationOf: bootstrap stub -> 'globals' -> 'counter' -> () From: ( |
             {} = 'ModuleInfo: Creator: globals counter.
'.
            | ) .
        } | ) 

 bootstrap addSlotsTo: bootstrap stub -> 'globals' -> 'counter' -> () From: ( | {
         'Category: state\x7fModuleInfo: Module: demo InitialContents: InitializeToExpression: (0)\x7fVisibility: public'
        
         count <- 0.
        } | ) 

 bootstrap addSlotsTo: bootstrap stub -> 'traits' -> 'counter' -> () From: ( | {
         'Category: counting\x7fModuleInfo: Module: demo InitialContents: FollowSlot\x7fVisibility: public'
        
         incrementBy: n = ( |
            | count: count + n. self).
        } {
         'Category: counting\x7fModuleInfo: Module: demo InitialContents: FollowSlot\x7fVisibility: public'
        
         + n = ( |
            | copy incrementBy: n).
        } | ) 

 '-- Side effects'

 globals modules demo postFileIn
`

func TestParseFileTransporter(t *testing.T) {
	code, err := ParseFile("demo.self", []byte(transporterSample))
	if err != nil {
		t.Fatal(err)
	}
	if len(code.Stmts) != 8 {
		t.Fatalf("got %d statements, want 8:\n%s", len(code.Stmts), dump(code))
	}
	for i := 0; i < 3; i++ {
		if _, ok := code.Stmts[i].(*StringLit); !ok {
			t.Errorf("statement %d is %T, want a string", i, code.Stmts[i])
		}
	}
	// The fourth statement: bootstrap addSlotsTo: X From: ( | { ... } | ).
	send := code.Stmts[3].(*Send)
	if send.Sel != "addSlotsTo:From:" || send.Pos().Line != 9 {
		t.Errorf("statement 3: %s at %s", send.Sel, send.Pos())
	}
	obj := send.Args[1].(*Object)
	if len(obj.Slots) != 1 || obj.Slots[0].Name != "counter" || obj.Slots[0].Kind != ConstSlot {
		t.Fatalf("slots: %s", dump(obj))
	}
	if a := obj.Slots[0].Annotation; a == nil || !strings.HasPrefix(a.Text, "ModuleInfo: Module: demo") || !strings.Contains(a.Text, "\x7f") {
		t.Errorf("annotation: %+v", a)
	}
	inner := code.Stmts[5].(*Send).Args[1].(*Object)
	if got := dump(inner); !strings.Contains(got, "incrementBy:=M(method :n(sel)") || !strings.Contains(got, "+=M(method :n(sel)") {
		t.Errorf("methods: %s", got)
	}
	roundTripFile(t, "transporter", transporterSample)
}

func roundTripFile(t *testing.T, name, src string) {
	t.Helper()
	code, err := ParseFile("", []byte(src))
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	out := Format(code)
	code2, err := ParseFile("", []byte(out))
	if err != nil {
		t.Errorf("%s: reparsing printed file: %v\n%s", name, err, out)
		return
	}
	if d := diffTrees(code, code2); d != "" {
		t.Errorf("%s: round trip differs: %s", name, d)
	}
}

func TestParseFileStatements(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"line breaks end statements", "a\nb", "a. b"},
		{"periods too", "a. b\nc", "a. b. c"},
		{"period and line break", "a.\nb.\n", "a. b"},
		{"blank lines", "\n\n a \n\n\n b \n\n", "a. b"},
		{"inside parentheses", "x foo: (3 +\n 4)", "{x foo: (paren {3 + 4})}"},
		{"inside brackets", "x do: [| :e |\n e ]", "{x do: [block :e | e]}"},
		{"inside annotated object", "{ 'a'\n ( | x |\n ) }", "(obj {}='a' x)"},
		{"backslash joins lines", "a foo: \\\n 3", "{a foo: 3}"},
		{"backslash CRLF", "a foo: \\\r\n 3", "{a foo: 3}"},
		{"CRLF", "a\r\nb\r\n", "a. b"},
		{"lone CR", "a\rb", "a. b"},
		{"comment spanning lines", "a \"x\ny\" b", "{a b}"},
		{"comment after line break", "a\n\"c\" b", "a. b"},
		{"string spanning lines", "'a\nb' size", `{"a\nb" size}`},
		{"empty", "", ""},
		{"only comments", "\"a\"\n\"b\"\n", ""},
	} {
		code, err := ParseFile("", []byte(c.src))
		if err != nil {
			t.Errorf("%s: ParseFile(%q): %v", c.name, c.src, err)
			continue
		}
		if got := dump(code); got != c.want {
			t.Errorf("%s: ParseFile(%q)\n got %s\nwant %s", c.name, c.src, got, c.want)
		}
		roundTripFile(t, c.name, c.src)
	}
	// The same inputs in ParseCode: line breaks are white space.
	code, err := ParseCode("", []byte("a\nb"))
	if err != nil || dump(code) != "{a b}" {
		t.Errorf("ParseCode(a NL b) = %s, %v", dump(code), err)
	}

	for _, c := range []struct{ name, src, want string }{
		{"keyword at end of line", "foo:\n3", "1:5: expected an argument after 'foo:', found end of line"},
		{"operator at end of line", "3 +\n4", "1:4: expected an operand after '+', found end of line"},
		{"two statements on a line", "3 4", "1:3: expected '.' or a line break after the statement, found number 4"},
		{"return", "^ 3", "1:1: expected a statement, found '^' (a return is only allowed in a method or block)"},
		{"unclosed paren", "(3\n\n", "3:1: expected ')' to close '(' opened at 1:1"},
		{"stray close", "a)", "1:2: expected '.' or a line break after the statement, found ')'"},
	} {
		_, err := ParseFile("f.self", []byte(c.src))
		if err == nil || err.Error() != "f.self:"+c.want {
			t.Errorf("%s: ParseFile(%q) error = %v, want f.self:%s", c.name, c.src, err, c.want)
		}
	}
}

func TestIncomplete(t *testing.T) {
	for _, c := range []struct {
		src  string
		want bool
	}{
		{"", false},
		{"3 + 4", false},
		{"x.", false},
		{"(3 +", true},
		{"(3 +\n", true},
		{"[:x | x", true},
		{"(| a. b", true},
		{"{ 'a'", true},
		{"( [ ]", true},
		{"'abc", true},
		{"'abc\\", true},
		{"x: 'it\\'s", true},
		{"\"a comment", true},
		{"3 \\", true},
		{"3 \\\n", true},
		{"3 +", false},  // complete, and wrong
		{"foo:", false}, // same
		{"(3))", false}, // a stray ')' is an error now
		{"(]", false},   // mismatched
		{")(", false},   // closing first
		{"16rZZ (", false},
		{"'a' 3", false},
		{"\"a\" 3", false},
		{"(3) \"done\"", false},
	} {
		if got := Incomplete([]byte(c.src)); got != c.want {
			t.Errorf("Incomplete(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}
