package main

import (
	"bytes"
	"os"
	"regexp"
	"testing"
)

// TestRichardsIsTheBenchmarksRichards checks that the Self Richards of the
// comparison is tests/bench/richards.self, the one BenchmarkRichards times,
// followed only by the statement that runs it and prints its result.
func TestRichardsIsTheBenchmarksRichards(t *testing.T) {
	bench, err := os.ReadFile("../../../richards.self")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := os.ReadFile("../../programs/richards.self")
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := bytes.CutPrefix(peer, bench)
	if !ok {
		t.Fatal("programs/richards.self does not begin with tests/bench/richards.self; copy it again")
	}
	if got, want := string(bytes.TrimSpace(rest)), "richards run printLine."; got != want {
		t.Fatalf("programs/richards.self adds %q after tests/bench/richards.self, want %q", got, want)
	}
}

// TestProgramsComplete checks that every program of the comparison exists in
// every language, as the driver requires before it runs anything.
func TestProgramsComplete(t *testing.T) {
	names, err := programs("../../programs", regexp.MustCompile(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 10 {
		t.Fatalf("%d programs (%v), want at least the ten of issue 9", len(names), names)
	}
}
