package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"psyche/heap"
	"psyche/world"
)

// A command's flags. Go's flag package parses them (it accepts -at and
// --at alike), but everything the user reads shows a flag the way the
// usage lines write it: one dash for a one-letter flag (-w), two for a
// longer one (--at). Help goes to standard output; a usage error goes to
// standard error with the command's usage line, and exits 2.

// cmdFlags is one command's flag set.
type cmdFlags struct {
	*flag.FlagSet
	cmd            *command
	stdout, stderr io.Writer
}

// exitUsage is the exit status of a command used wrongly.
const exitUsage = 2

// flags makes command name's flag set.
func flags(name string, stdout, stderr io.Writer) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by parse
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, cmd: lookupCommand(name), stdout: stdout, stderr: stderr}
}

// world defines -w DIR, the world to work on.
func (f *cmdFlags) world() *string {
	return f.String("w", defaultWorld(),
		"the world in `DIR`, which must exist (psyche new DIR makes one);\n"+
			"without -w, the default world ($PSYCHE_WORLD, else $XDG_DATA_HOME/psyche/default.world),\n"+
			"made on first use")
}

// memoryLimit is the memory limit --memory gives an evaluation, or 0 to
// leave the world's (world.MemoryEnv, else world.DefaultMemoryLimit).
type memoryLimit uint64

func (m *memoryLimit) String() string {
	if *m == 0 {
		return ""
	}
	return heap.Bytes(*m).String()
}

func (m *memoryLimit) Set(s string) error {
	n, err := world.ParseSize(s)
	if err == nil {
		err = world.CheckMemoryLimit(n)
	}
	if err != nil {
		return err
	}
	*m = memoryLimit(n)
	return nil
}

// apply gives w this limit, if one was given.
func (m memoryLimit) apply(w *world.World) {
	if m != 0 {
		w.SetMemoryLimit(uint64(m))
	}
}

// memory defines --memory SIZE, the memory limit of each evaluation.
func (f *cmdFlags) memory() *memoryLimit {
	m := new(memoryLimit)
	f.Var(m, "memory", "stop an evaluation that holds more than `SIZE` (512M, 2G) of objects with outOfMemoryError;\n"+
		"without --memory, $PSYCHE_MEMORY, else a quarter of this machine's memory")
	return m
}

// typed answers a flag as the user types it: -w, --at.
func typed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// parse parses args, whose flags may come before or after the positional
// arguments ("--" ends the flags: psyche eval -- '-7 / 2'), and answers the
// positional ones. When the command must stop instead, ok is false and
// status is its exit status: 0 after -h printed the help, 2 after a usage
// error was reported.
func (f *cmdFlags) parse(args []string) (pos []string, status int, ok bool) {
	for {
		if err := f.undefined(args); err != nil {
			return nil, f.usageError("%v", err), false
		}
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.help(f.stdout)
			return nil, 0, false
		}
		if err != nil {
			return nil, f.usageError("%s", f.retype(err.Error())), false
		}
		rest := f.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// undefined reports the first of args, up to the first positional one, that
// names no flag of the command, as the user typed it (Go's message would
// show it with one dash).
func (f *cmdFlags) undefined(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			return nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			return nil
		}
		fl := f.Lookup(name)
		switch {
		case fl == nil && !flagName.MatchString(name):
			return fmt.Errorf("unknown flag %s (to give an argument that starts with '-', put -- before it: psyche %s -- '%s')", a, f.Name(), a)
		case fl == nil:
			return fmt.Errorf("unknown flag %s", a)
		case !isBoolFlag(fl) && !hasValue:
			i++ // its value is the next argument, whatever it looks like
		}
	}
	return nil
}

func isBoolFlag(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagName is what a flag's name looks like; an argument like -7 or '- x'
// is more likely an expression that needs -- before it.
var flagName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// flagInMessage is a flag named in one of Go's flag errors.
var flagInMessage = regexp.MustCompile(`(^|\s)-([A-Za-z][A-Za-z0-9-]*)`)

// retype rewrites the flags named in a message of Go's flag package as the
// user types them.
func (f *cmdFlags) retype(msg string) string {
	return flagInMessage.ReplaceAllStringFunc(msg, func(m string) string {
		space := m[:len(m)-len(strings.TrimLeft(m, " \t\n"))]
		name := strings.TrimPrefix(m[len(space):], "-")
		if f.Lookup(name) == nil {
			return m
		}
		return space + typed(name)
	})
}

// usageError reports a wrong use of the command with its usage line, and
// answers the exit status.
func (f *cmdFlags) usageError(format string, a ...any) int {
	fmt.Fprintf(f.stderr, "error: %s\nusage: %s\n(psyche help %s explains it)\n", fmt.Sprintf(format, a...), f.cmd.usage, f.cmd.name)
	return exitUsage
}

// help prints the command's usage, its help and its flags.
func (f *cmdFlags) help(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", f.cmd.usage, f.cmd.help)
	type row struct{ flag, text string }
	var rows []row
	width := 0
	f.VisitAll(func(fl *flag.Flag) {
		arg, text := flag.UnquoteUsage(fl) // arg is "" for a boolean flag
		r := row{strings.TrimSpace(typed(fl.Name) + " " + arg), text}
		width = max(width, len(r.flag))
		rows = append(rows, r)
	})
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	for _, r := range rows {
		text := strings.ReplaceAll(r.text, "\n", "\n"+strings.Repeat(" ", width+4))
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.flag, text)
	}
}
