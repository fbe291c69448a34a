package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"psyche/images"
	"psyche/world"
)

func TestCompletionReceiver(t *testing.T) {
	for _, c := range []struct {
		line     string
		receiver string // "" for none
	}{
		{"lobby fo", "lobby"},
		{"myAccount bal", "myAccount"},
		{"self pr", "self"},
		{"  acct de", "acct"},
		{"3 + acct de", "acct"},
		{"x at: acct de", "acct"},
		{"(acct de", "acct"},
		{"(acct) de", ""},   // the receiver is an expression
		{"x foo ba", ""},    // the receiver is x foo
		{"'s' acct de", ""}, // acct is a message to a string
		{"acct", ""},        // a word alone
		{"acct.  lobby fo", "lobby"},
		{"[|:a| acct de", "acct"},
		{"Acct de", ""}, // not a name: Self names begin in lower case
		{"at: de", ""},  // a keyword is not a receiver
	} {
		start := wordStart(c.line, len(c.line))
		got, ok := completionReceiver(c.line, start)
		if c.receiver == "" && ok {
			t.Errorf("%q: receiver %q, want none", c.line, got)
		}
		if c.receiver != "" && (!ok || got != c.receiver) {
			t.Errorf("%q: receiver %q (%v), want %q", c.line, got, ok, c.receiver)
		}
	}
}

// TestCompleteSlotNames: a word after a name completes to the slot names
// of the object the name holds, inherited ones included; a name that is a
// method is never run (pressing Tab must not do what it does), and its
// word completes to every selector.
func TestCompleteSlotNames(t *testing.T) {
	w, err := world.Create(filepath.Join(t.TempDir(), "w"), images.BaseBuilder(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r := &repl{w: w, out: io.Discard, errOut: io.Discard}
	if _, err := w.Eval("t", []byte(`lobby _AddSlots: (| n <- 0. acct = (| parent* = traits clonable. balance <- 10. bump = ( n: n + 1. self ) |) |)`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Eval("t", []byte(`lobby _AddSlots: (| counting = ( n: n + 1. acct ) |)`)); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(t.TempDir(), "written")
	if _, err := w.Eval("t", []byte(fmt.Sprintf(`lobby _AddSlots: (| writes = ( (file named: '%s') write: 'x' asByteVector. acct ) |)`, written))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line       string
		want, not  []string
		wantPrefix string
	}{
		{"acct bal", []string{"balance", "balance:"}, nil, "acct "},
		{"acct clo", []string{"clone"}, nil, "acct "},                                 // from traits defaults
		{"acct ", []string{"balance", "bump", "parent"}, []string{"traits"}, "acct "}, // not the lobby's
		{"lobby ac", []string{"acct"}, nil, "lobby "},
		{"self ac", []string{"acct"}, nil, "self "},
		{"lobby vec", []string{"vector"}, nil, "lobby "},        // through globals*
		{"counting bal", []string{"balance"}, nil, "counting "}, // every selector: counting is not run
		{"writes bal", []string{"balance"}, nil, "writes "},
		{":ins", []string{":inspect"}, nil, ""},
		{":c", []string{":checkpoint", ":checkpoints"}, []string{":inspect"}, ""},
		{"zorkName bal", []string{"balance"}, nil, "zorkName "}, // an unknown name: every selector
	} {
		head, got, tail := r.complete(c.line, len(c.line))
		if head != c.wantPrefix || tail != "" {
			t.Errorf("%q: completes around %q ... %q, want %q", c.line, head, tail, c.wantPrefix)
		}
		for _, s := range c.want {
			if !slices.Contains(got, s) {
				t.Errorf("%q: %v does not offer %s", c.line, got, s)
			}
		}
		for _, s := range c.not {
			if slices.Contains(got, s) {
				t.Errorf("%q: %v offers %s", c.line, got, s)
			}
		}
	}
	if got, err := w.Eval("t", []byte("n")); err != nil || got != "0" {
		t.Errorf("completing after counting ran it: n is %s (%v)", got, err)
	}
	if _, err := os.Stat(written); err == nil {
		t.Errorf("completing after writes ran it: it wrote %s", written)
	}
}
