package syntax

import (
	"errors"
	"strings"
	"testing"
)

const (
	barHint    = " (a lone '|' is not an operator; it delimits slot lists)"
	caretHint  = " (a '^' return can only begin a statement)"
	capKwHint  = " (a capitalized keyword continues a keyword message begun by a lowercase one)"
	resendHint = " (a name right before '.' and a message is a resend; put a space after '.' to end a statement)"
	capHint    = " (capitalized names only continue keyword messages, as in at: 1 Put: 2)"
)

// errorCases are malformed inputs to ParseCode with the exact error.
var errorCases = []struct {
	name, src, want string
}{
	// Brackets.
	{"unclosed paren", "(3 + 4", "1:7: expected ')' to close '(' opened at 1:1"},
	{"unclosed paren multi-line", "a.\nb: (1 +\n    2 3)", "3:7: expected ')' to close '(' opened at 2:4"},
	{"unclosed paren at end of line", "(\n  3 + 4", "2:8: expected ')' to close '(' opened at 1:1"},
	{"unclosed bracket", "[x", "1:3: expected ']' to close '[' opened at 1:1"},
	{"mismatched bracket", "(x]", "1:3: expected ')' to close '(' opened at 1:1"},
	{"nested unclosed", "[ (3) ", "1:7: expected ']' to close '[' opened at 1:1"},
	{"stray close paren", "x)", "1:2: expected '.' or end of input after the statement, found ')'"},
	{"stray close bracket", "]", "1:1: expected '.' or end of input after the statement, found ']'"},
	{"stray close brace", "}", "1:1: expected a statement, found '}'"},

	// Strings and comments.
	{"unclosed string", "'abc", `1:5: expected "'" to close the string opened at 1:1`},
	{"unclosed string multi-line", "x: 'ab\ncd", `2:3: expected "'" to close the string opened at 1:4`},
	{"unclosed string after backslash", `'ab\`, `1:5: expected "'" to close the string opened at 1:1`},
	{"escaped quote does not close", `'ab\'`, `1:6: expected "'" to close the string opened at 1:1`},
	{"unclosed comment", `3 "abc`, `1:7: expected '"' to close the comment opened at 1:3`},
	{"escaped quote in comment", `3 "ab\"`, `1:8: expected '"' to close the comment opened at 1:3`},
	{"unclosed comment multi-line", "\"a\nbc", `2:3: expected '"' to close the comment opened at 1:1`},
	{"bad escape", `'a\qb'`, `1:3: invalid escape sequence '\q' in string (expected one of \t \n \r \\ \' \" \0 \xHH)`},
	{"bad escape control", "'\\\x01'", `1:2: invalid escape sequence '\x01' in string (expected one of \t \n \r \\ \' \" \0 \xHH)`},
	{"bad hex escape", `'\xZZ'`, `1:2: expected two hexadecimal digits after \x in string`},
	{"short hex escape", `'\x4'`, `1:2: expected two hexadecimal digits after \x in string`},
	{"hex escape at end", `'\x`, `1:2: expected two hexadecimal digits after \x in string`},
	{"octal escape out of range", `'\o777'`, `1:2: character escape \o777 is out of range (more than 255)`},
	{"decimal escape out of range", `'\d256'`, `1:2: character escape \d256 is out of range (more than 255)`},
	{"bad escape on line 2", "'ok\n\\z'", `2:1: invalid escape sequence '\z' in string (expected one of \t \n \r \\ \' \" \0 \xHH)`},

	// Numbers.
	{"bad radix digit", "16rZZ", "1:4: expected a base-16 digit, found 'Z'"},
	{"bad binary digit", "2r102", "1:5: expected a base-2 digit, found '2'"},
	{"radix too large", "37r1", "1:1: expected a radix from 2 to 36 before 'r', found 37"},
	{"radix too small", "1r0", "1:1: expected a radix from 2 to 36 before 'r', found 1"},
	{"radix without digits", "16r", "1:3: expected base-16 digits after '16r'"},
	{"radix then underscore", "16r1F_", "1:6: expected a space between the number and '_'"},
	{"number then letter", "3foo", "1:2: expected a space between the number and 'f'"},
	{"number then e", "2e", "1:2: expected a space between the number and 'e'"},
	{"float then letter", "2.5x", "1:4: expected a space between the number and 'x'"},
	{"hex C style", "0x1F", "1:1: expected 16r1F style for a hexadecimal number, not 0x"},
	{"leading zeros", "007", "1:1: expected a number without leading zeros (octal is written 8r17)"},
	{"negative leading zeros", "x foo: -01", "1:9: expected a number without leading zeros (octal is written 8r17)"},
	{"float overflow", "1e999", "1:1: expected a float no larger than 1.8e308, found 1e999"},

	// Binary operators.
	{"mixed operators", "3 + 4 * 5", "1:7: expected parentheses to mix binary operators '+' and '*' (they have no precedence)"},
	{"mixed plus minus", "1 + 2 - 3", "1:7: expected parentheses to mix binary operators '+' and '-' (they have no precedence)"},
	{"mixed with negative literal", "1 + 2 -3", "1:7: expected parentheses to mix binary operators '+' and '-' (they have no precedence)"},
	{"mixed after implicit", "+ 1 * 2", "1:5: expected parentheses to mix binary operators '+' and '*' (they have no precedence)"},
	{"missing operand", "3 +", "1:4: expected an operand after '+', found end of input"},
	{"operator operand", "3 + + 4", "1:5: expected an operand after '+', found '+'"},
	{"bar operand", "3 + |", "1:5: expected an operand after '+', found '|'" + barHint},
	{"stray bar", "3 | 4", "1:3: expected '.' or end of input after the statement, found '|'" + barHint},
	{"bar statement", "| x |", "1:1: expected a statement, found '|'" + barHint},
	{"stray caret", "3 ^ 4", "1:3: expected '.' or end of input after the statement, found '^'" + caretHint},

	// Keywords.
	{"keyword without argument", "a at:", "1:6: expected an argument after 'at:', found end of input"},
	{"second keyword without argument", "a at: 1 Put:", "1:13: expected an argument after 'Put:', found end of input"},
	{"keyword then period", "a at: .", "1:7: expected an argument after 'at:', found '.'"},
	{"keyword then paren", "a at: )", "1:7: expected an argument after 'at:', found ')'"},
	{"keyword then capitalized", "a at: Put: 2", "1:7: expected an argument after 'at:', found 'Put:'" + capKwHint},
	{"capitalized keyword first", "Foo: 3", "1:1: expected a statement, found 'Foo:'" + capKwHint},
	{"capitalized keyword with receiver", "x Foo: 3", "1:3: expected '.' or end of input after the statement, found 'Foo:'" + capKwHint},

	// Names and resends.
	{"capitalized name", "Foo", "1:1: expected a name beginning with a lowercase letter or '_', found 'Foo'" + capHint},
	{"capitalized unary", "x Foo", "1:3: expected a name beginning with a lowercase letter or '_', found 'Foo'" + capHint},
	{"lone underscore", "_", "1:1: expected a primitive name after '_' (as in _Clone)"},
	{"resend after receiver", "x foo.bar", "1:3: expected '.' or end of input after the statement, found 'foo.'" + resendHint},
	{"self resend", "self.foo", "1:6: expected a space after 'self.' ('self' cannot be the parent name of a resend)"},
	{"resend alone", "resend", "1:1: expected '.' and a message right after 'resend' (as in resend.foo)"},
	{"resend digit", "resend.3", "1:1: expected '.' and a message right after 'resend' (as in resend.foo)"},
	{"resend capitalized", "resend.Foo", "1:8: expected a name beginning with a lowercase letter or '_', found 'Foo'" + capHint},
	{"resend keyword as operand", "3 + resend.foo: 4", "1:12: expected a message after 'resend.', found 'foo:'"},
	{"argument at top level", ":x", "1:1: expected a statement, found ':x'"},
	{"colon alone", ": x", "1:1: expected an argument name right after ':' (as in :x)"},
	{"non-ASCII", "3 é", "1:3: unexpected character U+00E9 'é'"},
	{"control character", "\x01", "1:1: unexpected character 0x01"},
	{"invalid UTF-8", "x \xff", "1:3: unexpected character 0xff"},

	// Statements.
	{"code after return", "^ 3. 4", "1:6: expected the end of the code after the '^' statement (a return must be the last statement), found number 4"},
	{"return in block not last", "[^ 3. 4]", "1:7: expected the end of the code after the '^' statement (a return must be the last statement), found number 4"},
	{"return without expression", "^", "1:2: expected an expression after '^', found end of input"},
	{"empty statement", "3. . 4", "1:4: expected a statement after '.', found another '.'"},
	{"leading period", ". 3", "1:1: expected a statement, found '.'"},
	{"juxtaposed statements", "3 4", "1:3: expected '.' or end of input after the statement, found number 4"},
	{"caret in expression", "x: ^ 3", "1:4: expected an argument after 'x:', found '^'" + caretHint},

	// Slot lists.
	{"missing slot period", "(| a b |)", "1:6: expected '.' between slots (after slot 'a')"},
	{"missing period before keyword slot", "(| a at: i = (i) |)", "1:6: expected '.' between slots (after slot 'a')"},
	{"unclosed slot list", "(| a", "1:5: expected '.' or '|' after slot 'a', found end of input"},
	{"unclosed slot list after period", "(| a. ", "1:7: expected a slot or '|' to close the slot list opened at 1:2, found end of input"},
	{"number as slot", "(| 3 |)", "1:4: expected a slot or '|' to close the slot list opened at 1:2, found number 3"},
	{"slot list closed by paren", "(| a )", "1:6: expected '.' or '|' after slot 'a', found ')'"},
	{"underscore slot", "(| _a |)", "1:4: expected a slot name not beginning with '_' (reserved for primitives), found '_a'"},
	{"underscore keyword slot", "(| _a: x = (x) |)", "1:4: expected a slot name not beginning with '_' (reserved for primitives), found '_a:'"},
	{"capitalized slot", "(| A |)", "1:4: expected a slot name beginning with a lowercase letter, found 'A'"},
	{"capitalized keyword slot", "(| Foo: x = (x) |)", "1:4: expected a slot name beginning with a lowercase letter, found 'Foo:'"},
	{"capitalized argument", "[| :X | 3]", "1:4: expected a slot name beginning with a lowercase letter, found 'X'"},
	{"argument in object", "(| :x | x)", "1:4: expected no argument slot here: ':x' is only allowed in a block or in a method with arguments"},
	{"argument in unary method", "(| foo = ( | :x | x) |)", "1:14: expected no argument slot here: ':x' is only allowed in a block or in a method with arguments"},
	{"argument in block without code", "[| :x |]", "1:4: expected code in a block with argument slots (':x' is unused)"},
	{"binary method without argument", "(| + = (3) |)", "1:8: expected 1 argument slot(s) in the body of method '+', found 0"},
	{"binary method without code", "(| + p = ( | | ) |)", "1:10: expected code in the body of method '+' (an object without code cannot take arguments)"},
	{"arguments in selector and body", "(| at: i Put: v = (| :z | z) |)", "1:22: expected no argument slot in method 'at:Put:', whose selector names its arguments, found ':z'"},
	{"too few body arguments", "(| at:Put: = (| :a | a) |)", "1:14: expected 2 argument slot(s) in the body of method 'at:Put:', found 1"},
	{"lowercase second keyword", "(| at: i put: v = (v) |)", "1:10: expected a capitalized keyword to continue selector 'at:', found 'put:'"},
	{"missing argument name", "(| at: i Put: = (i) |)", "1:15: expected an argument name after 'Put:' in the selector of a method slot, found '='"},
	{"keyword method not parenthesized", "(| at: i = 3 |)", "1:12: expected '(' to begin the body of method 'at:', found number 3"},
	{"keyword slot without body", "(| at: i |)", "1:10: expected '=' after method selector 'at:', found '|'" + barHint},
	{"binary slot without body", "(| + |)", "1:6: expected an argument name or '=' after binary slot '+', found '|'" + barHint},
	{"binary slot extra name", "(| + p 3 |)", "1:8: expected '=' after '+ p', found number 3"},
	{"missing value after equal", "(| x = |)", "1:8: expected an initial value after '=', found '|'" + barHint},
	{"missing value after arrow", "(| x <- |)", "1:9: expected an initial value after '<-', found '|'" + barHint},
	{"parent method", "(| p* = (3) |)", "1:9: expected an object without code for parent slot 'p*', found a method"},
	{"initialized argument", "[| :x <- 3 | x]", "1:7: expected '.' or '|' after argument slot ':x', found '<-' (arguments have no initial value)"},
	{"argument then operator", "[| :x + | x]", "1:7: expected '.' or '|' after slot 'x', found '+'"},
	{"resend as slot name", "(| resend.a |)", "1:4: expected a slot name, found 'resend' (a reserved word)"},
	{"privacy on argument", "[| ^ :x | x]", "1:6: expected a slot name after privacy mark '^', found ':x' (arguments have no privacy)"},
	{"privacy alone", "(| ^ |)", "1:6: expected a slot name after privacy mark '^', found '|'" + barHint},
	{"glued bars are an operator", "(||)", "1:4: expected an operand after '||', found ')'"},

	// Habits from other languages: each error says what Self expects.
	{"block argument without bars", "[ :x | x ]", "1:3: block arguments go inside bars: write [| :x | ... ]"},
	{"block arguments without bars", "[:a :b | a + b]", "1:2: block arguments go inside bars: write [| :a. :b | ... ]"},
	{"block argument without bars or body", "[ :x ]", "1:3: block arguments go inside bars: write [| :x | ... ]"},
	{"cascade", "x foo; bar", "1:6: Self has no cascades (;): send each message to the receiver in its own statement"},
	{"cascade of keyword sends", "v at: 0 Put: 1; at: 1 Put: 2", "1:15: Self has no cascades (;): send each message to the receiver in its own statement"},
	{"cascade with implicit receiver", "; foo", "1:1: Self has no cascades (;): send each message to the receiver in its own statement"},
	{"missing period after data slot", "(| x <- 3 y <- 4 |)", "1:11: expected '.' between slots (after slot 'x')"},
	{"missing period on next line", "(| x <- 3\n    y = 4 |)", "2:5: expected '.' between slots (after slot 'x')"},
	{"missing period after unary send", "(| x = a b\n   c = 4 |)", "2:4: expected '.' between slots (after slot 'x')"},
	{"missing period before parent", "(| x = 3 p* = lobby |)", "1:10: expected '.' between slots (after slot 'x')"},
	{"missing period before glued parent", "(| x = 3 p*= lobby |)", "1:10: expected '.' between slots (after slot 'x')"},
	{"missing period before method", "(| x <- 0 inc: n = (x: x + n) |)", "1:11: expected '.' between slots (after slot 'x')"},
	{"missing period in keyword argument", "(| x = a at: 1 y = 2 |)", "1:16: expected '.' between slots (after slot 'x')"},
	{"missing period in nested object", "(| o = (| a = 1 b = 2 |). c = 3 |)", "1:17: expected '.' between slots (after slot 'a')"},

	// Annotations.
	{"object annotation without equal", "(| {} 'x' |)", "1:7: expected '=' after '{}' (an object annotation is written {} = 'text'), found a string"},
	{"object annotation not string", "(| {} = 3 |)", "1:9: expected an annotation string after '{} =', found number 3"},
	{"two object annotations", "(| {} = 'a'. {} = 'b' |)", "1:14: expected one object annotation, found a second one (the first is at 1:9)"},
	{"group without string", "(| { a } |)", "1:6: expected an annotation string after '{', found 'a'"},
	{"unclosed group", "(| { 'x' a |)", "1:12: expected '.' or '}' after slot 'a', found '|'" + barHint},
	{"unclosed group after period", "(| { 'x' a. |)", "1:13: expected a slot or '}' to close the annotation group opened at 1:4, found '|'" + barHint},
	{"annotated expression without string", "{ 3 }", "1:3: expected an annotation string after '{', found number 3"},
	{"annotated expression without object", "{ 'x' 3 }", "1:7: expected '(' or '[' after the annotation string, found number 3"},
	{"annotated expression unclosed", "{ 'x' (3)", "1:10: expected '}' to close '{' opened at 1:1"},
	{"annotated twice", "{ 'x' (| {} = 'y' |) }", "1:15: expected one annotation for the object, found a second one ({} = ... inside { '...' ( ) })"},
}

func TestParseErrors(t *testing.T) {
	for _, c := range errorCases {
		_, err := ParseCode("", []byte(c.src))
		if err == nil {
			t.Errorf("%s: ParseCode(%q) succeeded, want error %s", c.name, c.src, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%s: ParseCode(%q)\n got %s\nwant %s", c.name, c.src, err, c.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error is %T, not *Error", c.name, err)
		}
	}
}

func TestErrorFilename(t *testing.T) {
	_, err := ParseCode("lib/x.self", []byte("a.\n(3"))
	want := "lib/x.self:2:3: expected ')' to close '(' opened at 2:1"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	e := err.(*Error)
	if e.Filename != "lib/x.self" || e.Line != 2 || e.Col != 3 || e.Msg != "expected ')' to close '(' opened at 2:1" {
		t.Errorf("fields: %+v", *e)
	}
}

func TestNestingLimit(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("(", 100000),
		strings.Repeat("[", 100000),
		strings.Repeat("x: ", 100000) + "3",
		"(|" + strings.Repeat("{ 'a' ", 100000) + "|)",
		strings.Repeat("{ 'a' (", 100000),
	} {
		_, err := ParseCode("", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "expression nested too deeply (limit 1000)") {
			t.Errorf("deep nesting of %q...: got %v", src[:10], err)
		}
	}
	// Reasonable nesting is fine.
	src := strings.Repeat("(", 500) + "3" + strings.Repeat(")", 500)
	if _, err := ParseCode("", []byte(src)); err != nil {
		t.Errorf("500 parentheses: %v", err)
	}
}
