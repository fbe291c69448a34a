// Command compare times the benchmark programs in programs/ under psyche,
// gopher-lua and goja, side by side, and prints a table of ratios.
//
// Every program exists three times, NAME.self, NAME.lua and NAME.js, each
// following the same published algorithm step for step with the same sizes,
// and each printing the same result. compare builds ./cmd/psyche from the
// repository root and ./cmd/peer from this module, then runs the programs as
// whole processes, interleaved: for each round and each program, psyche, then
// gopher-lua, then goja, so that a change in the machine's load falls on all
// three alike. Each psyche run gets a fresh world (made before the clock
// starts). Every run's output must equal the others'; a difference, an error or
// a non-zero exit stops the comparison with exit status 1.
//
// The table gives the median wall-clock time of each program in each language,
// psyche's time divided by each peer's, and the same ratios of CPU time (user
// plus system), which a loaded machine moves less; the last row is the
// geometric mean of each ratio column.
//
// Usage (from tests/bench/peers):
//
//	go run ./cmd/compare [-rounds N] [-run REGEXP] [-check]
//
// PSYCHE_PEERS_ROUNDS sets the default number of rounds (3).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultRounds is the number of rounds when neither -rounds nor PSYCHE_PEERS_ROUNDS says.
const defaultRounds = 3

// roundsEnv names the environment variable that sets the default number of rounds.
const roundsEnv = "PSYCHE_PEERS_ROUNDS"

// language is one column of the comparison: the extension of its program
// files and how to run one.
type language struct {
	name string
	ext  string
	// command answers the command that runs program file prog; setup, if
	// not nil, prepares what the command needs before the clock starts.
	command func(tools *tools, prog string) (cmd *exec.Cmd, setup func() error)
}

// tools are the built binaries and the scratch directory runs use.
type tools struct {
	psyche, peer, scratch string
	worlds                int
}

// languages are the comparison's columns; psyche comes first and is the
// numerator of every ratio.
var languages = []language{
	{name: "psyche", ext: ".self", command: psycheCommand},
	{name: "gopher-lua", ext: ".lua", command: peerCommand},
	{name: "goja", ext: ".js", command: peerCommand},
}

// psycheCommand runs prog with psyche run in a world of its own, made by setup.
func psycheCommand(t *tools, prog string) (*exec.Cmd, func() error) {
	t.worlds++
	world := filepath.Join(t.scratch, "world"+strconv.Itoa(t.worlds))
	setup := func() error {
		out, err := exec.Command(t.psyche, "new", world).CombinedOutput()
		if err != nil {
			return fmt.Errorf("psyche new %s: %v: %s", world, err, out)
		}
		return nil
	}
	return exec.Command(t.psyche, "run", "-w", world, prog), setup
}

// peerCommand runs prog with the peer runner, which picks the interpreter by extension.
func peerCommand(t *tools, prog string) (*exec.Cmd, func() error) {
	return exec.Command(t.peer, prog), nil
}

// sample is one timed run.
type sample struct {
	wall, cpu time.Duration
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run() error {
	rounds := defaultRounds
	if s := os.Getenv(roundsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("%s=%q: want a positive number of rounds", roundsEnv, s)
		}
		rounds = n
	}
	flag.IntVar(&rounds, "rounds", rounds, "number of interleaved rounds (default from "+roundsEnv+")")
	filter := flag.String("run", "", "compare only the programs whose names match this regular expression")
	checkOnly := flag.Bool("check", false, "run each program once in each language and compare the outputs, without timing")
	flag.Parse()
	if rounds < 1 {
		return fmt.Errorf("-rounds %d: want at least 1", rounds)
	}
	if *checkOnly {
		rounds = 1
	}
	match, err := regexp.Compile(*filter)
	if err != nil {
		return fmt.Errorf("-run: %v", err)
	}

	progDir, err := filepath.Abs("programs")
	if err != nil {
		return err
	}
	names, err := programs(progDir, match)
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "psyche-peers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	t := &tools{psyche: filepath.Join(scratch, "psyche"), peer: filepath.Join(scratch, "peer"), scratch: scratch}
	if err := build(root, "./cmd/psyche", t.psyche); err != nil {
		return err
	}
	if err := build(".", "./cmd/peer", t.peer); err != nil {
		return err
	}

	// samples[program][language] holds one sample per round.
	samples := make([][][]sample, len(names))
	for i := range samples {
		samples[i] = make([][]sample, len(languages))
	}
	for r := 0; r < rounds; r++ {
		for i, name := range names {
			var want string
			for j, lang := range languages {
				prog := filepath.Join(progDir, name+lang.ext)
				s, out, err := timeRun(t, lang, prog)
				if err != nil {
					return err
				}
				if j == 0 {
					want = out
				} else if out != want {
					return fmt.Errorf("%s: %s printed %q but %s printed %q", name, lang.name, out, languages[0].name, want)
				}
				samples[i][j] = append(samples[i][j], s)
				fmt.Fprintf(os.Stderr, "round %d/%d  %-14s %-10s %8.3fs  %s", r+1, rounds, name, lang.name, s.wall.Seconds(), out)
			}
		}
	}
	if *checkOnly {
		fmt.Printf("%d programs print the same in %d languages\n", len(names), len(languages))
		return nil
	}
	printTable(names, samples, rounds)
	return nil
}

// programs answers the names of the programs in dir matching match, sorted,
// after checking that each exists in every language.
func programs(dir string, match *regexp.Regexp) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"+languages[0].ext))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), languages[0].ext)
		if !match.MatchString(name) {
			continue
		}
		for _, lang := range languages[1:] {
			if _, err := os.Stat(filepath.Join(dir, name+lang.ext)); err != nil {
				return nil, fmt.Errorf("program %s has no %s version: %v", name, lang.name, err)
			}
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no programs in %s match %q", dir, match)
	}
	slices.Sort(names)
	return names, nil
}

// repoRoot answers the root of the psyche module, the nearest directory above
// this one whose go.mod declares module psyche.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		dir = filepath.Dir(dir)
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte("module psyche\n")) {
			return dir, nil
		}
		if !errors.Is(err, os.ErrNotExist) && err != nil {
			return "", err
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("no directory above this one holds the psyche module's go.mod")
		}
	}
}

// build builds package pkg of the module in dir into binary out.
func build(dir, pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %v\n%s", pkg, dir, err, msg)
	}
	return nil
}

// timeRun runs prog in lang as a process and answers its times and output.
func timeRun(t *tools, lang language, prog string) (sample, string, error) {
	cmd, setup := lang.command(t, prog)
	if setup != nil {
		if err := setup(); err != nil {
			return sample{}, "", err
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, "", fmt.Errorf("%s %s: %v\n%s%s", lang.name, prog, err, stdout.String(), stderr.String())
	}
	if stdout.Len() == 0 {
		return sample{}, "", fmt.Errorf("%s %s printed nothing; every program prints its result", lang.name, prog)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return sample{wall: wall, cpu: cpu}, stdout.String(), nil
}

// median answers the median of the durations picked from ss by f.
func median(ss []sample, f func(sample) time.Duration) time.Duration {
	ds := make([]time.Duration, len(ss))
	for i, s := range ss {
		ds[i] = f(s)
	}
	slices.Sort(ds)
	if n := len(ds); n%2 == 0 {
		return (ds[n/2-1] + ds[n/2]) / 2
	}
	return ds[len(ds)/2]
}

func wallOf(s sample) time.Duration { return s.wall }
func cpuOf(s sample) time.Duration  { return s.cpu }

// printTable prints the medians and ratios as a Markdown table.
func printTable(names []string, samples [][][]sample, rounds int) {
	fmt.Printf("\nMedians of %d interleaved rounds (wall clock; CPU = user + system).\n\n", rounds)
	header := "| program |"
	rule := "| --- |"
	for _, lang := range languages {
		header += " " + lang.name + " |"
		rule += " ---: |"
	}
	for _, kind := range []string{"", "cpu "} {
		for _, lang := range languages[1:] {
			header += " " + kind + "÷ " + lang.name + " |"
			rule += " ---: |"
		}
	}
	fmt.Println(header)
	fmt.Println(rule)
	ratioCols := 2 * (len(languages) - 1)
	logSums := make([]float64, ratioCols)
	for i, name := range names {
		row := "| " + name + " |"
		for j := range languages {
			row += fmt.Sprintf(" %.3f s |", median(samples[i][j], wallOf).Seconds())
		}
		col := 0
		for _, f := range []func(sample) time.Duration{wallOf, cpuOf} {
			self := median(samples[i][0], f)
			for j := 1; j < len(languages); j++ {
				ratio := float64(self) / float64(median(samples[i][j], f))
				logSums[col] += math.Log(ratio)
				col++
				row += fmt.Sprintf(" %.2f |", ratio)
			}
		}
		fmt.Println(row)
	}
	row := "| geometric mean |" + strings.Repeat(" |", len(languages))
	for _, s := range logSums {
		row += fmt.Sprintf(" %.2f |", math.Exp(s/float64(len(names))))
	}
	fmt.Println(row)
}
