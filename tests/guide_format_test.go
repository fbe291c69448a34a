package tests

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestGuideSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`psyche eval 'alice balance'`, []string{"psyche", "eval", "alice balance"}},
		{`psyche eval "world checkpoint: 'x'"`, []string{"psyche", "eval", "world checkpoint: 'x'"}},
		{`psyche  new  a\ b --image x.img`, []string{"psyche", "new", "a b", "--image", "x.img"}},
		{`psyche eval 'it'\''s'`, []string{"psyche", "eval", "it's"}},
		{`psyche eval ""`, []string{"psyche", "eval", ""}},
	}
	for _, tc := range tests {
		got, err := guideSplit(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("guideSplit(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`psyche eval 'open`, `psyche eval "open`, `psyche \`} {
		if _, err := guideSplit(bad); err == nil {
			t.Errorf("guideSplit(%q): expected an error", bad)
		}
	}
}

func TestGuidePattern(t *testing.T) {
	tests := []struct {
		want  []string
		shown string
		ok    bool
	}{
		{[]string{"7"}, "7\n", true},
		{[]string{"7"}, "8\n", false},
		{nil, "", true},
		{nil, "x\n", false},
		{[]string{"day-1  made ..."}, "day-1  made 2025-01-31 14:02:07\n", true},
		{[]string{"a", "...", "z"}, "a\nb\nc\nz\n", true},
		{[]string{"a", "...", "z"}, "a\nz\n", true},
		{[]string{"a", "...", "z"}, "a\nb\n", false},
		{[]string{"x (y)"}, "x (y)\n", true},
		{[]string{"x (y)"}, "x y\n", false},
	}
	for _, tc := range tests {
		if got := guidePattern(tc.want).MatchString(tc.shown); got != tc.ok {
			t.Errorf("guidePattern(%q) on %q = %v, want %v", tc.want, tc.shown, got, tc.ok)
		}
	}
}

func TestGuideBlocks(t *testing.T) {
	doc := "# A page\n\n" +
		"```\n```psyche-cases\n> not a block: inside a plain fence\n=> 1\n```\n\n" +
		"```psyche-cases traits integer\n# +\n> 3 + 4\n=> 7\n```\n\n" +
		"````markdown\n```psyche-session\n````\n\n" +
		"```psyche-session\n$ psyche eval '3 + 4'\n7\n\n$ psyche\npsyche> :ls\n...\npsyche> (| a = 1\n   ...> |) a\n1\n```\n"
	path := filepath.Join(t.TempDir(), "page.md")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	blocks, err := guideBlocks(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].tag != guideCasesTag || blocks[0].object != "traits integer" || blocks[1].tag != guideSessionTag {
		t.Fatalf("blocks: %+v", blocks)
	}
	cs, err := blocks[0].cases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Line != 11 || !reflect.DeepEqual(cs[0].Note, []string{"+"}) || cs[0].Source != "3 + 4" {
		t.Errorf("cases: %+v", cs[0])
	}
	cmds, err := blocks[1].commands()
	if err != nil {
		t.Fatal(err)
	}
	want := []guideCommand{
		{line: 20, args: []string{"eval", "3 + 4"}, want: []string{"7"}},
		{line: 23, args: []string{}, stdin: ":ls\n(| a = 1\n|) a\n", want: []string{"...", "1"}},
	}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands:\n got %+v\nwant %+v", cmds, want)
	}
	if !guideWantsError([]string{"x", "error: bad"}) || guideWantsError([]string{"no error: here"}) {
		t.Error("guideWantsError")
	}
	if _, err := (guideBlock{doc: "p.md", line: 1, body: "ls -l\n"}).commands(); err == nil {
		t.Error("a session line that is not '$ psyche' should be an error")
	}
}
