// Package syntax is Psyche's lexer, parser and printer for Self source.
//
// It turns source text into a syntax tree (see ast.go) that the compiler
// turns into bytecodes. It follows LANGUAGE.md section 1 and, where that
// is silent, Self 4's own parser (vm/src/any/parser in Self's sources);
// it also accepts the older syntax still found in Self's world files.
// Every place where it resolves an ambiguity or goes beyond LANGUAGE.md
// is listed below under "Decisions".
//
// # Entry points
//
//   - ParseCode: a REPL input or a script (psyche eval/run): statements
//     separated by '.'; the last may be a '^' return.
//   - ParseExpr: exactly one expression, optionally followed by '.'.
//   - ParseFile: a Self world file (psyche parse, world building), read
//     as Self's file reader does: a top-level statement also ends at a
//     line break outside (), [] and {}. Self's "transporter" files rely
//     on that: their statements are not separated by periods.
//   - Incomplete: whether a REPL input should continue on another line.
//   - Format: prints a tree back as canonical source.
//   - Inspect: walks a tree.
//
// Errors are *Error values with the line and column of the problem and a
// message saying what was expected there, as in
// "3:14: expected ')' to close '(' opened at 2:5". Parsing stops at the
// first error. No input makes the parser panic (see FuzzParse), and
// nesting deeper than MaxNesting levels is an error, not a stack
// overflow; chains of sends as long as the source are fine.
//
// Positions: lines and columns are 1-based, and columns count bytes, not
// runes (a tab is one column). Pos.Off is the byte offset, so the source
// of a method is src[m.Open.Off : m.Close.Off+1].
//
// # Grammar
//
// As implemented; {x} is repetition, [x] an option. Tokens are described
// in "Lexical structure".
//
//	file     = { stmt ("." | line break) }                (ParseFile)
//	code     = { stmt "." } ["^" expr] ["."]              (ParseCode, bodies)
//	stmt     = expr
//	expr     = [binary] kw expr { Kw expr }              keyword send
//	         | binary
//	binary   = unary { op unary }                         same op throughout
//	         | op unary { op unary }                      implicit receiver
//	         | resend op unary { op unary }               binary resend
//	unary    = primary { name }
//	primary  = "self" | number | string | name
//	         | resend name                                unary resend
//	         | "(" body ")" | "[" body "]"
//	         | "{" string ( "(" body ")" | "[" body "]" ) "}"   annotated literal
//	kwsend   = resend kw expr { Kw expr }                 keyword resend (an expr)
//	resend   = ("resend" | name) "."                      no space before or after "."
//	body     = [ "|" slots "|" ] code
//	slots    = { item [ "." ] }                           see below for where "." is needed
//	item     = slot
//	         | "{" "}" "=" string                         object annotation
//	         | "{" string slots "}"                       annotation group
//	slot     = ":" name                                   argument
//	         | [privacy] name [stars] [ ("=" | "<-") expr ]   data, constant or unary method
//	         | [privacy] op [name] "=" "(" body ")"       binary method
//	         | [privacy] kw [name { Kw name }] "=" "(" body ")"   keyword method
//	         | [privacy] kw { Kw } "=" "(" body ")"       keyword method, args in body
//	stars    = "*" { "*" }
//	privacy  = "^" | "_" | "^_" | "_^"                    old Self only
//
// Precedence, from tightest: unary sends, then binary sends, then keyword
// sends. Unary and binary sends associate to the left; keyword sends to
// the right, and later parts of one keyword message are Capitalized:
//
//	a at: 1 Put: 2           one send at:Put:
//	a foo: b bar: c          a foo: (b bar: c)
//	a foo: b bar: c Baz: d   a foo: (b bar: c Baz: d)
//	a foo: 1 Bar: b baz      a foo:Bar: with arguments 1 and (b baz)
//	1 + 2 + 3                (1 + 2) + 3
//	3 + 4 * 5                error: binary operators have no precedence
//	x foo + y bar            (x foo) + (y bar)
//
// A keyword beginning with '_' (a primitive, _IntAdd:) starts a message
// as a lowercase one does; _IntAdd: 3 IfFail: [...] is one send.
//
// # Lexical structure
//
//   - White space: space, tab, line breaks (\n, \r\n, lone \r), \f, \v,
//     \b (as in Self). A backslash right before a line break joins the
//     two lines (it matters in ParseFile). Comments are "..." and may
//     span lines; inside a comment \" does not end it.
//   - Names: [A-Za-z_][A-Za-z0-9_]*. "self" is the receiver; "resend" is
//     reserved for resends. A capitalized name is only valid as part of
//     a keyword (Put:). A lone "_" is only valid as a privacy mark.
//   - Keywords: a name immediately followed by ':' (at:, Put:, _IntAdd:).
//     Arguments: ':' immediately followed by a name (:x).
//   - Operators: runs of ! @ # $ % ^ & * - + = ~ / ? < > , ; | \ and `
//     (the backquote is Self's). The longest run is taken: "+-3" is the
//     operator +- followed by 3; "p*=" is handled as p* = in slot lists.
//     A run that is exactly "|" delimits slot lists and exactly "^"
//     marks a return: neither is an operator. A run that is exactly ";"
//     may name a slot, as in Self, but a send of it is an error that
//     explains that Self has no cascades, so "x foo; bar" is not read as
//     (x foo) ; (self bar). "=" and "<-" are
//     operators in expressions (a = b) and delimiters in slot lists.
//   - Integers: digits, or radix "r" digits with a radix from 2 to 36 and
//     digits of either case (16r1F, 16r1f, 2r1010, 36rZZ; "R" also works).
//     Values of any size are exact (big.Int beyond int64). Leading zeros
//     (007) and C's 0x1F are errors that say how to write them.
//   - Floats: digits "." digits [exponent], or digits exponent, where the
//     exponent is e or E, an optional sign, and digits: 3.14, 1.5e10,
//     2e3, 2e-3. "3." is the integer 3 followed by a period. A number
//     immediately followed by a letter, digit or '_' is an error (3foo).
//   - Strings: '...' with the escapes \t \n \r \\ \' \" \0 \xHH of
//     LANGUAGE.md plus the rest of Self's: \f \v \b \a \? \oOOO \dDDD
//     (octal, decimal; at most 255), and a backslash before a line break,
//     which removes both. Any other escape is an error. A line break in a
//     string is kept as "\n" whatever its form (\r\n, \r). Strings hold
//     bytes; they need not be UTF-8.
//
// # Decisions
//
// Negative numbers. A '-' immediately followed by a digit begins a
// negative literal (unless the '-' ends a longer operator, as in "+-3").
// But where an operand has just ended, so that a binary operator could
// follow, such a literal is read as binary minus and a positive number,
// as Self does. So "3 - 4", "3 -4", "3-4", "x -1" and "x-1" all subtract;
// "3 - -4" subtracts -4; "3 + -4" adds -4; "x foo: -1" passes -1; "-3
// abs" is (-3) abs; "3 -4 abs" is 3 - (4 abs). "- 3" alone sends - 3 to
// self (an implicit-receiver binary send).
//
// Resends and periods. As in Self's scanner, a name immediately followed
// by '.' and immediately by a letter, '_' or an operator character is a
// resend prefix: "a.b" is the directed resend of b to parent a, and
// "resend.b" the undirected one. With a space or a line break after the
// '.' ("a. b"), or a digit ("x.3"), the '.' ends a statement. So
// "x foo.bar" is an error (the message says to put a space after '.'),
// and "self.foo" is an error. Inside a slot list, where a resend cannot
// occur, "a.|" and "a.b" are slot a, a period, and what follows.
//
// Parentheses. Self has no parenthesis node: (e) is an object with code.
// The parser gives it one, Paren, when the parentheses hold exactly one
// statement that is not a return, no slot list and no annotation;
// otherwise ( ... ) is a Method (with code) or an Object (without). In
// a slot, "foo = (e)" is always a method, while "foo = (e) + 1" and
// "x <- (e)" hold the value of an expression (Self rejects the last).
// **Psyche:** an object with code and slots in expression position is an
// inner method, evaluated at once (Self 4 rejects these "inner methods").
//
// Slots. A slot's kind follows from its form: ":x" argument; "x" and
// "x <- e" assignable data; "x = e" constant, or method if e is a
// parenthesized object literal with code; binary and keyword slots are
// always methods, and their body must be "( ... )" with code. Argument
// slots may only appear in blocks and in the bodies of binary and keyword
// methods; a method's arguments are either all named in its selector
// (at: i Put: v = (...); they become leading ArgSlots with InSelector)
// or all written as argument slots in its body (at:Put: = (| :i. :v |
// ...)), and their number must match the selector. A block without code
// cannot have arguments. A parent slot cannot be a method. Slot names
// cannot begin with '_' (primitives) or a capital letter. Slot lists
// need '.' between slots, except that it is optional after an
// annotation group or before one, and before or after an argument slot
// ([| :a :b t | ...], found in old code); a trailing '.' is allowed.
//
// Annotations. "{} = 'text'" annotates the object whose slot list holds
// it (at most once); "{ 'text' slots }" annotates a group of slots,
// which still come out as ordinary slots of the object, each pointing to
// its innermost group (groups nest). "{ 'text' ( ... ) }" in expression
// position annotates that literal, like "{} = 'text'" inside it; having
// both is an error. Annotation texts are kept verbatim (Self puts
// "\x7f"-separated "Key: value" pairs in them).
//
// Old Self syntax, accepted so that all of Self's world files parse:
// privacy marks before slots ("^ x", "_ x", "^_ x", "^_x"), kept in
// Slot.Privacy; several stars after a parent slot ("p** = ..."), kept in
// Slot.Priority. Psyche has neither privacy nor parent priorities: the
// compiler may ignore or reject them.
//
// The parser checks only what the grammar decides. Semantic rules are
// left to the compiler: for instance Self forbids methods in the local
// slots of methods and blocks, and Psyche gives no meaning to privacy or
// parent priorities.
//
// Statements. Empty statements ("3..4", a lone ".") are errors. In
// ParseCode a '^' return may end the top-level code (the compiler decides
// what it means); ParseFile rejects it. ParseFile requires '.' or a line
// break between statements (Self would also take "3 4" on one line as
// two statements).
//
// "3 + foo: 4" is 3 + (self foo: 4), as in Self: a binary operator whose
// operand begins with a keyword takes the whole keyword send as operand.
//
// Habits of other languages (hints.go). "[ :x | x ]" is an error that
// shows Self's "[| :x | ... ]". In a slot initializer, outside any
// bracket of its own, a unary message name followed by "=", "<-" or
// "*" and one of those, or a keyword followed by a name, "=" and "(",
// begins the next slot: "(| x <- 3 y <- 4 |)" is the error "expected
// '.' between slots (after slot 'x')" at y, not x <- ((3 y) <- 4). An
// initializer that means such a send is written in parentheses.
//
// Incomplete REPL input. Incomplete(src) is true while a string or comment
// is open at the end of src, while a '(', '[' or '{' is unclosed, or when
// the input ends with a backslash (Self's line continuation). A dangling
// operator or keyword ("3 +") is not incomplete: it is an error.
package syntax
