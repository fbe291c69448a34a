package tests

// The user guide's examples (docs/*.md) are tests, so that the guide
// cannot drift from what psyche does. Two kinds of fenced block are run;
// every other block is prose:
//
//	```psyche-cases                     language cases, the format of lang/*.cases
//	> 3 + 4
//	=> 7
//	```
//
//	```psyche-session                   commands as typed in a shell, with their output
//	$ psyche checkpoint day-1
//	$ psyche eval 'acct balance'
//	130
//	$ psyche
//	psyche> :ls
//	...
//	```
//
// The blocks of one document run in order against one world, made fresh
// for the document with psyche new: the default world of a private
// environment (e2eEnv, with TZ=UTC), so that a session's commands need
// no -w. Cases
// run as psyche eval, checked as TestLanguage checks them (check). In a
// session, "$ psyche ARGS" runs the binary (ARGS split as a shell would,
// with '...' and "..." quoting); the lines after it are what it prints,
// standard output then standard error; "psyche> " and "   ...> " lines
// are what is typed into a REPL, given to it as its standard input (a
// pipe: the REPL then prints neither prompts nor banner). A command must
// exit 0, or 1 when one of its lines starts with "error: ". A command
// that ends in " &" runs in the background (a vat: psyche serve): the
// session goes on once what it has printed matches the lines after it,
// and it is stopped with SIGTERM when the block ends. In the
// expected output, a line "..." stands for any number of lines and
// "..." inside a line for any text, for what varies: times, sizes.
//
// docs/protocol.md is also checked for completeness (TestGuideProtocol):
// a psyche-cases block whose tag names an object ("```psyche-cases
// traits integer") is that object's protocol, and the first comment
// line above each of its cases names the messages the case is the
// example of.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tags of the fenced blocks the guide test runs.
const (
	guideCasesTag   = "psyche-cases"
	guideSessionTag = "psyche-session"
)

// guideDocs is where the guide lives, relative to this directory.
const guideDocs = "../docs"

// guideBlock is one fenced block of a document.
type guideBlock struct {
	doc    string // base name of the document
	line   int    // line of the opening fence
	tag    string // guideCasesTag or guideSessionTag
	object string // what follows the tag: the object a protocol block documents
	body   string
}

// guideFence matches a fence line: three or more backticks and the info string.
var guideFence = regexp.MustCompile("^(`{3,})\\s*(.*)$")

// guideBlocks answers the psyche-cases and psyche-session blocks of the
// Markdown document path, in order.
func guideBlocks(path string) ([]guideBlock, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc := filepath.Base(path)
	var (
		blocks []guideBlock
		open   string // the fence of the block we are in, or ""
		cur    *guideBlock
		body   []string
	)
	for i, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSuffix(l, "\r")
		m := guideFence.FindStringSubmatch(l)
		switch {
		case open == "" && m != nil:
			open = m[1]
			tag, object, _ := strings.Cut(m[2], " ")
			if tag == guideCasesTag || tag == guideSessionTag {
				cur = &guideBlock{doc: doc, line: i + 1, tag: tag, object: strings.TrimSpace(object)}
				body = nil
			}
		case open != "" && m != nil && m[1] == open && m[2] == "":
			if cur != nil {
				cur.body = strings.Join(body, "\n")
				blocks = append(blocks, *cur)
			}
			open, cur = "", nil
		case cur != nil:
			body = append(body, l)
		}
	}
	if open != "" {
		return nil, fmt.Errorf("%s: a fenced block is not closed", doc)
	}
	return blocks, nil
}

// cases parses a psyche-cases block; case lines are the document's.
func (b guideBlock) cases() ([]*Case, error) {
	cs, err := ParseCases(b.doc, []byte(b.body))
	if pe, ok := err.(*ParseError); ok {
		pe.Line += b.line
		return nil, pe
	}
	for _, c := range cs {
		c.Line += b.line
	}
	return cs, err
}

// guideCommand is one "$ psyche ..." of a session.
type guideCommand struct {
	line  int
	args  []string
	stdin string   // the REPL input lines, each ended by a newline
	want  []string // expected output lines, with "..." wildcards
	// background: the command runs on while the session goes on
	background bool
}

// guideBackground is the last word of a command that runs in the background.
const guideBackground = "&"

// The prompts of a REPL input line in a session.
var guideREPLPrompt = regexp.MustCompile(`^(psyche> |\s*\.\.\.> )`)

// commands parses a psyche-session block.
func (b guideBlock) commands() ([]guideCommand, error) {
	var cmds []guideCommand
	for i, l := range strings.Split(b.body, "\n") {
		n := b.line + 1 + i
		if rest, ok := strings.CutPrefix(l, "$ "); ok {
			words, err := guideSplit(rest)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", b.doc, n, err)
			}
			if len(words) == 0 || words[0] != "psyche" {
				return nil, fmt.Errorf("%s:%d: a session runs only psyche commands: %q", b.doc, n, l)
			}
			c := guideCommand{line: n, args: words[1:]}
			if last := len(c.args) - 1; last >= 0 && c.args[last] == guideBackground {
				c.args, c.background = c.args[:last], true
			}
			cmds = append(cmds, c)
			continue
		}
		if len(cmds) == 0 {
			if strings.TrimSpace(l) == "" {
				continue
			}
			return nil, fmt.Errorf("%s:%d: a session starts with a '$ psyche' line", b.doc, n)
		}
		c := &cmds[len(cmds)-1]
		if m := guideREPLPrompt.FindString(l); m != "" {
			c.stdin += l[len(m):] + "\n"
			continue
		}
		c.want = append(c.want, l)
	}
	for i := range cmds {
		// A blank line before the next command or the fence is layout.
		for len(cmds[i].want) > 0 && strings.TrimSpace(cmds[i].want[len(cmds[i].want)-1]) == "" {
			cmds[i].want = cmds[i].want[:len(cmds[i].want)-1]
		}
	}
	return cmds, nil
}

// guideSplit splits a command line into words as a POSIX shell does for
// the quoting the guide uses: blanks separate words, '...' quotes
// anything, "..." quotes anything but \" and \\, a backslash outside
// quotes quotes the next character.
func guideSplit(s string) ([]string, error) {
	var (
		words []string
		w     strings.Builder
		in    bool // a word has begun
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				w.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, fmt.Errorf("unclosed \" in %q", s)
			}
			in = true
		case '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("a line ends in \\: %q", s)
			}
			i++
			w.WriteByte(s[i])
			in = true
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}

// guidePattern is the regular expression that output must match for
// the expected lines want.
func guidePattern(want []string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for _, l := range want {
		if l == "..." {
			b.WriteString(`(?:[^\n]*\n)*`)
			continue
		}
		parts := strings.Split(l, "...")
		for i, p := range parts {
			if i > 0 {
				b.WriteString(`[^\n]*`)
			}
			b.WriteString(regexp.QuoteMeta(p))
		}
		b.WriteString(`\n`)
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// guideShown is what a command showed: standard output, then standard
// error, each ending with a newline unless empty.
func guideShown(r e2eResult) string {
	s := ""
	for _, part := range []string{r.stdout, r.stderr} {
		if part != "" && !strings.HasSuffix(part, "\n") {
			part += "\n"
		}
		s += part
	}
	return s
}

// guideWantsError: a command is expected to fail when a line of its
// output is an error.
func guideWantsError(want []string) bool {
	for _, l := range want {
		if strings.HasPrefix(l, "error: ") {
			return true
		}
	}
	return false
}

// guideDocuments answers the documents with runnable blocks and their blocks.
func guideDocuments(t *testing.T) map[string][]guideBlock {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(guideDocs, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]guideBlock{}
	for _, p := range paths {
		bs, err := guideBlocks(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) > 0 {
			docs[filepath.Base(p)] = bs
		}
	}
	for _, need := range []string{"tutorial.md", "protocol.md"} {
		if len(docs[need]) == 0 {
			t.Fatalf("docs/%s has no psyche-cases or psyche-session block: has the guide gone missing?", need)
		}
	}
	return docs
}

// TestGuide runs every example of the guide: each document's blocks in
// order, in a fresh world of its own; the documents in parallel.
//
//	go test -run 'TestGuide/tutorial.md' ./tests/
func TestGuide(t *testing.T) {
	docs := guideDocuments(t)
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		blocks := docs[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Local times (a time's hour, date...) are the same everywhere.
			e := newE2E(t).withEnv(map[string]string{"TZ": "UTC"})
			e.ok("new", e.path("default-world"))
			for _, b := range blocks {
				switch b.tag {
				case guideCasesTag:
					guideRunCases(t, e, b)
				case guideSessionTag:
					guideRunSession(t, e, b)
				}
				if t.Failed() {
					// Later blocks build on this one's world.
					return
				}
			}
		})
	}
}

// guideRunCases runs the cases of a block, each as psyche eval.
func guideRunCases(t *testing.T, e *e2eEnv, b guideBlock) {
	t.Helper()
	cs, err := b.cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		r := e.run("eval", c.Source)
		if msg := check(c, result{stdout: r.stdout, stderr: r.stderr, code: r.code, err: r.err}); msg != "" {
			t.Error(msg)
		}
	}
}

// guideRunSession runs the commands of a session block.
func guideRunSession(t *testing.T, e *e2eEnv, b guideBlock) {
	t.Helper()
	cmds, err := b.commands()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if c.background {
			stop := guideStart(t, e, b, c)
			defer stop()
			continue
		}
		r := e.runInput(c.stdin, c.args...)
		wantCode := 0
		if guideWantsError(c.want) {
			wantCode = 1
		}
		shown := guideShown(r)
		if r.err != nil || r.code != wantCode || !guidePattern(c.want).MatchString(shown) {
			t.Errorf("%s:%d: $ psyche %s\nexpected exit status %d and output:\n%s\n%s",
				b.doc, c.line, e2eQuote(c.args), wantCode, e2eIndent(strings.Join(c.want, "\n")), r)
		}
	}
}

// guideStart starts a background command and waits until its output
// matches c.want; it answers how to stop it (SIGTERM, then its end).
func guideStart(t *testing.T, e *e2eEnv, b guideBlock, c guideCommand) (stop func()) {
	t.Helper()
	cmd := e.command(c.args...)
	out := &e2eSyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s:%d: $ psyche %s: %v", b.doc, c.line, e2eQuote(c.args), err)
	}
	stop = func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("%s:%d: stopping $ psyche %s: %v", b.doc, c.line, e2eQuote(c.args), err)
		}
		e2eWait(t, cmd, e2eTimeout, "the background command of "+b.doc)
	}
	want := guidePattern(c.want)
	for deadline := time.Now().Add(e2eTimeout); !want.MatchString(out.String()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("%s:%d: $ psyche %s &\nexpected output:\n%s\nbut it printed:\n%s",
				b.doc, c.line, e2eQuote(c.args), e2eIndent(strings.Join(c.want, "\n")), e2eIndent(out.String()))
		}
	}
	return stop
}

// The section of docs/protocol.md that lists, per object, the slots
// that are the implementation's helpers rather than messages for users.
const guideHelpersHeading = "## Helpers"

// guideHelpers reads the helpers table of protocol.md: rows
// "| `OBJECT` | `sel` `sel` ... | why |".
func guideHelpers(path string) (map[string][]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, section, ok := strings.Cut(string(src), "\n"+guideHelpersHeading+"\n")
	if !ok {
		return nil, fmt.Errorf("%s: no %q section", path, guideHelpersHeading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	quoted := regexp.MustCompile("`([^`]+)`")
	helpers := map[string][]string{}
	for _, l := range strings.Split(section, "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "| "), " | ")
		if len(cells) < 2 {
			return nil, fmt.Errorf("%s: a helpers row needs an object and its helpers: %q", path, l)
		}
		object := strings.Trim(cells[0], "`")
		for _, m := range quoted.FindAllStringSubmatch(cells[1], -1) {
			helpers[object] = append(helpers[object], m[1])
		}
	}
	return helpers, nil
}

// guideSlots answers the names of the slots of the object that expr
// names in world w, its parent slots left out.
func guideSlots(e *e2eEnv, w, expr string) []string {
	e.t.Helper()
	out := e.eval(w, fmt.Sprintf(
		"' ' join: ((reflect: %s) names asList copyFilteredBy: [|:n| ((reflect: %s) slotAt: n) isParent not]) asVector",
		expr, expr))
	return strings.Fields(strings.Trim(out, "'"))
}

// TestGuideProtocol checks that docs/protocol.md has an example for
// every message of the core world: every slot of every traits object
// and of the world object is either the message of an example (the
// first comment line above a case in the block tagged with the object)
// or listed under Helpers; and that it names no slot that is not there.
func TestGuideProtocol(t *testing.T) {
	path := filepath.Join(guideDocs, "protocol.md")
	blocks, err := guideBlocks(path)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]map[string]string{} // object -> selector -> where
	for _, b := range blocks {
		if b.tag != guideCasesTag || b.object == "" {
			continue
		}
		cs, err := b.cases()
		if err != nil {
			t.Fatal(err)
		}
		if documented[b.object] == nil {
			documented[b.object] = map[string]string{}
		}
		for _, c := range cs {
			if len(c.Note) == 0 || len(strings.Fields(c.Note[0])) == 0 {
				t.Errorf("%s: a case of the protocol of %s must follow a comment naming the messages it shows", c.Name(), b.object)
				continue
			}
			for _, sel := range strings.Fields(c.Note[0]) {
				documented[b.object][sel] = c.Name()
			}
		}
	}
	helpers, err := guideHelpers(path)
	if err != nil {
		t.Fatal(err)
	}

	e := newE2E(t)
	w := e.newWorld("w")
	objects := []string{"world"}
	for _, n := range guideSlots(e, w, "traits") {
		objects = append(objects, "traits "+n)
	}
	known := map[string]bool{}
	for _, obj := range objects {
		known[obj] = true
		slots := map[string]bool{}
		for _, s := range guideSlots(e, w, obj) {
			slots[s] = true
		}
		for s := range slots {
			if _, ok := documented[obj][s]; !ok && !slices.Contains(helpers[obj], s) {
				t.Errorf("protocol.md: %s's message %s has no example (a case after '# %s' in the block tagged %q) and is not listed under %s",
					obj, s, s, guideCasesTag+" "+obj, guideHelpersHeading)
			}
		}
		for s, where := range documented[obj] {
			if !slots[s] {
				t.Errorf("%s: %s has no slot %s", where, obj, s)
			}
		}
		for _, s := range helpers[obj] {
			if !slots[s] {
				t.Errorf("protocol.md, %s: %s has no slot %s", guideHelpersHeading, obj, s)
			}
		}
	}
	for obj := range documented {
		if !known[obj] {
			t.Errorf("protocol.md: a block is tagged with %q, which is neither a traits object nor world", obj)
		}
	}
	for obj := range helpers {
		if !known[obj] {
			t.Errorf("protocol.md, %s: %q is neither a traits object nor world", guideHelpersHeading, obj)
		}
	}
}
