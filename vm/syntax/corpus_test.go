package syntax

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestSelfCorpus parses every .self file under $PSYCHE_SELF_SRC (an
// extracted tree of Self's sources) with ParseFile, and checks that
// printing and reparsing each gives the same tree. It is skipped when
// the variable is not set.
func TestSelfCorpus(t *testing.T) {
	root := os.Getenv("PSYCHE_SELF_SRC")
	if root == "" {
		t.Skip("PSYCHE_SELF_SRC is not set")
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".self") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var failed, expected, bytes int
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bytes += len(src)
		rel, _ := filepath.Rel(root, path)
		code, err := ParseFile(rel, src)
		why := expectedFailure(root, rel)
		if err != nil {
			failed++
			if why != "" {
				expected++
				t.Logf("expected failure (%s): %v", why, err)
				continue
			}
			t.Errorf("%v", err)
			continue
		}
		if why != "" {
			t.Logf("%s: accepted although Self rejects it (%s)", rel, why)
		}
		out := Format(code)
		code2, err := ParseFile(rel+" (printed)", []byte(out))
		if err != nil {
			t.Errorf("%s: reparsing the printed tree: %v", rel, err)
			continue
		}
		if d := diffTrees(code, code2); d != "" {
			t.Errorf("%s: round trip changed the tree: %s", rel, d)
		}
	}
	t.Logf("%d files, %d bytes: %d parsed, %d failed (%d of them as expected)", len(files), bytes, len(files)-failed, failed, expected)
}

// expectedFailure tells why the file rel is not valid Self source, or
// returns "". Self's tree holds two kinds of such files: the inputs of
// the tests of Self's Self-written parser, next to a results directory
// that holds either the parse tree or the expected error message; and
// the pages of a tutorial, which are prose read as text.
func expectedFailure(root, rel string) string {
	slash := filepath.ToSlash(rel)
	if strings.Contains(slash, "tutorial-4.0/textStrings/") {
		return "tutorial prose, not code"
	}
	if dir, file := filepath.Split(rel); strings.HasSuffix(filepath.ToSlash(dir), "selfParser/tests/") {
		res, err := os.ReadFile(filepath.Join(root, dir, "results", strings.TrimSuffix(file, ".self")))
		if err == nil && !strings.HasPrefix(strings.TrimSpace(string(res)), "expressionSeries") {
			msg, _, _ := strings.Cut(strings.TrimSpace(string(res)), "\n")
			return "a negative test of Self's parser: " + msg
		}
	}
	return ""
}
