// Package tests is Psyche's language test suite: the case files in lang/
// (one per area of the language) and the harness that runs them against
// the psyche command (lang_test.go). README.md
// describes the case format and the decisions the cases rely on.
//
// This file is the case-file parser. It has no build tag, so that
// "go test ./tests/" checks that every case file parses and that none has
// gone missing, even before the interpreter exists.
package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MinCases is the least number of cases the suite may have. Fewer means
// that a case file went missing or was truncated.
const MinCases = 350

// Case is one top-level evaluation and what it must do.
type Case struct {
	File   string // base name of the case file, e.g. "integers.cases"
	Line   int    // line of the case's first "> " line
	Source string // the "> " lines, joined with "\n"

	// Fails is true for a "!!" case: the evaluation must fail (exit
	// status 1) and the first line of its standard error must contain
	// WantErr. Otherwise it must succeed and its standard output must
	// be exactly the lines of Want.
	Fails   bool
	Want    []string
	WantErr string

	// Note is the text of the comment lines right above the case's
	// first "> " line (no blank line between), without the "#" and one
	// space. The guide (docs/protocol.md) names there the messages a
	// case is the example of.
	Note []string
}

// Name is the case's subtest name: "integers.cases:12".
func (c *Case) Name() string { return fmt.Sprintf("%s:%d", c.File, c.Line) }

// CaseFile is a parsed case file.
type CaseFile struct {
	Name  string // base name, e.g. "integers.cases"
	Path  string
	Cases []*Case
}

// ParseError is a malformed case file: it names the file and the line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// line kinds
const (
	lBlank = iota // empty or white space only
	lComment
	lSource
	lOutput
	lError
)

// classify splits a line into its kind and its text (what follows the
// marker and one space).
func classify(s string) (kind int, text string, msg string) {
	switch {
	case strings.TrimSpace(s) == "":
		return lBlank, "", ""
	case strings.HasPrefix(s, "#"):
		return lComment, "", ""
	case strings.HasPrefix(s, "=>"):
		rest := s[2:]
		if rest != "" && rest[0] != ' ' {
			return 0, "", "expected a space after '=>'"
		}
		return lOutput, strings.TrimPrefix(rest, " "), ""
	case strings.HasPrefix(s, "!!"):
		rest := s[2:]
		if rest != "" && rest[0] != ' ' {
			return 0, "", "expected a space after '!!'"
		}
		text := strings.TrimSpace(rest)
		if text == "" {
			return 0, "", "expected the text of the error after '!!'"
		}
		return lError, text, ""
	case strings.HasPrefix(s, ">"):
		rest := s[1:]
		if rest != "" && rest[0] != ' ' {
			return 0, "", "expected a space after '>'"
		}
		return lSource, strings.TrimPrefix(rest, " "), ""
	}
	return 0, "", fmt.Sprintf("expected '> ', '=> ', '!! ', '#' or a blank line, found %q", clip(s))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// ParseCases parses the case file named file (used in errors and case
// names) with contents src. The format is described in README.md:
//
//	# a comment
//	> source line
//	> more source
//	=> expected output line
//	=> another
//
//	> source
//	!! text the first line of stderr contains
//
// A case is one or more "> " lines followed either by one or more "=> "
// lines or by exactly one "!! " line. A blank line, a comment or the next
// "> " line ends a case's expectations; nothing may come between a case's
// source and its expectations.
func ParseCases(file string, src []byte) ([]*Case, error) {
	var (
		cases []*Case
		cur   *Case
		srcLn []string
		note  []string // comment lines since the last blank line or case
		state = lBlank // lBlank: between cases; lSource, lOutput, lError: in a case
	)
	fail := func(line int, format string, args ...any) error {
		return &ParseError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	finish := func() {
		cases = append(cases, cur)
		cur, srcLn = nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for sc.Scan() {
		n++
		s := strings.TrimSuffix(sc.Text(), "\r")
		kind, text, msg := classify(s)
		if msg != "" {
			return nil, fail(n, "%s", msg)
		}
		switch kind {
		case lBlank, lComment:
			if kind == lComment && state != lSource {
				note = append(note, strings.TrimPrefix(strings.TrimPrefix(s, "#"), " "))
			} else {
				note = nil
			}
			switch state {
			case lSource:
				return nil, fail(cur.Line, "case has no expectation: its '> ' lines must be followed at once by '=> ' or '!! ' lines")
			case lOutput, lError:
				finish()
			}
			state = lBlank
		case lSource:
			switch state {
			case lOutput, lError:
				finish()
				fallthrough
			case lBlank:
				cur = &Case{File: file, Line: n, Note: note}
				note = nil
			}
			srcLn = append(srcLn, text)
			state = lSource
		case lOutput:
			switch state {
			case lBlank:
				return nil, fail(n, "'=>' line outside a case: an expectation must follow a case's '> ' lines")
			case lError:
				return nil, fail(n, "case at line %d has both '!!' and '=>' lines", cur.Line)
			case lSource:
				if err := setSource(cur, srcLn); err != nil {
					return nil, fail(cur.Line, "%s", err)
				}
			}
			cur.Want = append(cur.Want, text)
			state = lOutput
		case lError:
			switch state {
			case lBlank:
				return nil, fail(n, "'!!' line outside a case: an expectation must follow a case's '> ' lines")
			case lOutput:
				return nil, fail(n, "case at line %d has both '=>' and '!!' lines", cur.Line)
			case lError:
				return nil, fail(n, "case at line %d has more than one '!!' line", cur.Line)
			}
			if err := setSource(cur, srcLn); err != nil {
				return nil, fail(cur.Line, "%s", err)
			}
			cur.Fails = true
			cur.WantErr = text
			state = lError
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fail(n+1, "%v", err)
	}
	switch state {
	case lSource:
		return nil, fail(cur.Line, "case has no expectation: the file ends after its '> ' lines")
	case lOutput, lError:
		finish()
	}
	return cases, nil
}

// setSource joins a case's source lines and checks them.
func setSource(c *Case, lines []string) error {
	src := strings.Join(lines, "\n")
	if strings.TrimSpace(src) == "" {
		return fmt.Errorf("case has an empty source")
	}
	if strings.HasPrefix(src, "-") {
		// psyche eval would take it for an option.
		return fmt.Errorf("case source begins with '-', which the command line would take for an option; write (-7) / 2 instead of -7 / 2")
	}
	c.Source = src
	return nil
}

// LoadDir parses every *.cases file in dir, in name order. It is an error
// if there is none, or if a file has no cases.
func LoadDir(dir string) ([]*CaseFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.cases"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.cases files in %s", dir)
	}
	sort.Strings(paths)
	var files []*CaseFile
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(p)
		cs, err := ParseCases(name, src)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			return nil, &ParseError{File: name, Line: 1, Msg: "file has no cases"}
		}
		files = append(files, &CaseFile{Name: name, Path: p, Cases: cs})
	}
	return files, nil
}

// CountCases answers the total number of cases in files.
func CountCases(files []*CaseFile) int {
	n := 0
	for _, f := range files {
		n += len(f.Cases)
	}
	return n
}
