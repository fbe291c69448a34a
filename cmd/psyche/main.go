// Command psyche is the command line of a Psyche world: the REPL, one-shot
// evaluation, scripts, and the tools that create, check and move worlds.
// LANGUAGE.md section 5 is its contract.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"psyche/heap"
	"psyche/images"
	"psyche/vm"
	"psyche/vm/syntax"
	"psyche/world"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type command struct {
	name, usage, help string
	run               func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"new", "psyche new DIR [--image IMG]", "Create a world in DIR from the stored base image, or from image IMG (which is\nchecked completely first: a damaged or hostile image is refused).\n\nExample:\n  psyche new ~/worlds/w1\n  psyche new ~/worlds/copy --image saved.img", cmdNew},
		{"export", "psyche export [-w DIR] IMG", "Write a portable, compressed image of the world's live objects to IMG.\n\nExample:\n  psyche export saved.img", cmdExport},
		{"eval", "psyche eval [-w DIR] [--at CHECKPOINT] [--timeout DUR] [--memory SIZE] EXPR", "Evaluate EXPR as one top-level evaluation and print the printString of its result.\nIts effects are durable when the result is printed; on an error none remain.\nIf it sent messages to other vats, wait (at most --timeout) for their replies.\nWith --at, evaluate against a checkpoint, read-only: nothing it does is kept.\n\nExample:\n  psyche eval '3 + 4'\n  psyche eval --at yesterday 'myCounter'", cmdEval},
		{"run", "psyche run [-w DIR] [--timeout DUR] [--memory SIZE] FILE|-", "Run the statements of FILE (separated by '.'; - reads standard input) one after\nanother, as one top-level evaluation: a statement may use what the ones before it\nmade, and an error anywhere leaves no trace. Only what the program prints is shown.\nIf it sent messages to other vats, wait (at most --timeout) for their replies.\n\nExample:\n  psyche run setup.self", cmdRun},
		{"serve", "psyche serve [-w DIR] [--listen HOST:PORT] [--memory SIZE]", "Run the world as a vat until SIGINT or SIGTERM: other worlds send messages to it,\neach delivered as one transaction. It listens on the Unix socket DIR/vat.sock (the\ndirectory's permissions guard it; `vats at: DIR` reaches it); with --listen, also\nover TLS on HOST:PORT, and prints the sturdy reference tcp://HOST:PORT/FINGERPRINT/SECRET\nthat reaches it from there (its key, certificate and secret are kept in DIR/vat-tls/).\n\nExample:\n  psyche serve -w ~/worlds/bank\n  psyche serve -w ~/worlds/bank --listen 127.0.0.1:7070", cmdServe},
		{"repl", "psyche repl [-w DIR] [--memory SIZE]", "Start the REPL on world DIR (the default world if -w is not given).\nEvery input is one transaction. :help inside lists the meta-commands.\n\nExample:\n  psyche repl -w ~/worlds/w1", cmdRepl},
		{"checkpoint", "psyche checkpoint [-w DIR] [--delete] NAME", "Name the world's current state (instant, whatever the world's size), or with --delete\nforget a checkpoint (the world does not change).\n\nExample:\n  psyche checkpoint before-refactoring", cmdCheckpoint},
		{"checkpoints", "psyche checkpoints [-w DIR]", "List the world's checkpoints, oldest first.\n\nExample:\n  psyche checkpoints", cmdCheckpoints},
		{"rollback", "psyche rollback [-w DIR] NAME", "Make the world what it was at checkpoint NAME. Its cost grows with what changed since.\nNothing is lost: the present state is first kept as a new checkpoint,\nbefore-rollback-to-NAME (or -2, -3, ... if taken), and rolling back to it undoes this\nrollback. No checkpoint is deleted (checkpoint --delete does that).\n\nExample:\n  psyche rollback before-refactoring", cmdRollback},
		{"check", "psyche check [-w DIR]", "Verify the world's files and heap: every page checksum, object, reference and\ncheckpoint; each checkpoint is installed, as eval --at would see it, and its heap\nchecked too. Says what is wrong and where, and exits 1 if anything is.\n\nExample:\n  psyche check -w ~/worlds/w1", cmdCheck},
		{"recover", "psyche recover DIR NEWDIR", recoverHelp, cmdRecover},
		{"gc", "psyche gc [-w DIR]", "Collect the world's garbage now.\n\nExample:\n  psyche gc -w ~/worlds/w1", cmdGC},
		{"info", "psyche info [-w DIR]", "Show the world's sizes, counts and format version.\n\nExample:\n  psyche info", cmdInfo},
		{"parse", "psyche parse FILE...", "Check the syntax of Self source files; report FILE:LINE:COL errors and exit 1 if any.\nIt takes Self's own layout, top-level expressions separated by line breaks, which\npsyche run does not take yet: run wants statements separated by periods, so a file\nthat parse accepts may still be refused by run (\"expected '.' ... after the statement\").\n\nExample:\n  psyche parse *.self", cmdParse},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return replOn(defaultWorld(), 0, os.Stdin, stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "--help":
		return help(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "-w":
		// psyche -w DIR is the REPL on DIR, as psyche alone is on the default world.
		return lookupCommand("repl").run(args, stdout, stderr)
	}
	if c := lookupCommand(args[0]); c != nil {
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "error: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

// help prints the command list, or one command's help (psyche help CMD).
func help(topics []string, stdout, stderr io.Writer) int {
	switch {
	case len(topics) == 0, len(topics) == 1 && topics[0] == "help":
		usage(stdout)
		return 0
	case len(topics) == 1:
		if c := lookupCommand(topics[0]); c != nil {
			return c.run([]string{"-h"}, stdout, stderr) // prints its help
		}
	}
	fmt.Fprintf(stderr, "error: psyche help takes one command's name; %q is none\n", strings.Join(topics, " "))
	usage(stderr)
	return exitUsage
}

// versionLine answers the program's version: the module version Go stamped
// into the binary (a tagged release), else the commit it was built from.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "psyche (version unknown)"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", with uncommitted changes"
			}
		}
	}
	switch {
	case v != "" && v != "(devel)": // a tagged release
	case rev != "":
		v = "commit " + rev[:min(12, len(rev))] + modified
	default:
		v = "development build" // built without version control information
	}
	return fmt.Sprintf("psyche %s (%s)", v, info.GoVersion)
}

// lookupCommand answers the command called name, or nil.
func lookupCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "psyche: a persistent Self world\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n", c.usage)
	}
	fmt.Fprintln(w, "  psyche version")
	fmt.Fprintln(w, "\npsyche alone (or psyche -w DIR) starts the REPL; psyche help CMD (or psyche CMD -h)\nexplains a command.")
}

// defaultWorld is $PSYCHE_WORLD, else $XDG_DATA_HOME/psyche/default.world.
func defaultWorld() string {
	if d := os.Getenv("PSYCHE_WORLD"); d != "" {
		return d
	}
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		home, _ := os.UserHomeDir()
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "psyche", "default.world")
}

// openOrCreate opens the world in dir. The default world alone is created
// from the core world when it is missing (if another process creates it
// first, its world is opened); any other missing world is an error that says
// how to make one, so that a mistyped -w never makes a new world.
func openOrCreate(dir string, limit memoryLimit, out io.Writer) (*world.World, error) {
	w, err := openOrMake(dir, out)
	if err == nil {
		limit.apply(w)
	}
	return w, err
}

func openOrMake(dir string, out io.Writer) (*world.World, error) {
	if world.Exists(dir) || dir != defaultWorld() {
		return world.Open(dir, out)
	}
	w, err := world.Create(dir, images.BaseBuilder(), out)
	if errors.Is(err, world.ErrExists) {
		return world.Open(dir, out)
	}
	return w, err
}

// openToRead opens the world in dir for a command that only looks at it,
// read-only, so that it works on a read-only file system. A world that needs
// recovery first (a log to replay after a crash) is opened read-write
// instead, which recovers it, as every command did before; on a read-only
// file system that is impossible, and the read-only open's reason is given.
func openToRead(dir string, out io.Writer) (*world.World, error) {
	w, err := world.OpenReadOnly(dir, out)
	if !errors.Is(err, heap.ErrNeedsRecovery) {
		return w, err
	}
	w, rwErr := world.Open(dir, out)
	if errors.Is(rwErr, heap.ErrReadOnly) {
		return nil, fmt.Errorf("%w; the world is on a read-only file system, so copy it to a writable one first", err)
	}
	return w, rwErr
}

// openToChange opens the world in dir for a command that changes it.
func openToChange(dir string, out io.Writer) (*world.World, error) { return world.Open(dir, out) }

func reportError(stderr io.Writer, err error) {
	fmt.Fprintf(stderr, "error: %v\n", err)
	var se *vm.Error
	if errors.As(err, &se) {
		fmt.Fprint(stderr, se.StackTrace())
	}
}

func cmdNew(args []string, stdout, stderr io.Writer) int {
	fs := flags("new", stdout, stderr)
	image := fs.String("image", "", "build the world from image `IMG` instead of the base image")
	pos, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return fs.usageError("new takes one directory")
	}
	build := images.BaseBuilder()
	if *image != "" {
		b, done, err := world.FromImageFileProgress(*image, progressBar(stderr, "import"))
		if err != nil {
			reportError(stderr, err)
			return 1
		}
		defer done()
		build = b
	}
	w, err := world.Create(pos[0], build, stdout)
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	if err := w.Close(); err != nil {
		reportError(stderr, err)
		return 1
	}
	return 0
}

func cmdEval(args []string, stdout, stderr io.Writer) int {
	fs := flags("eval", stdout, stderr)
	dir := fs.world()
	at := fs.String("at", "", "look at the world as it was at checkpoint `CHECKPOINT`, read-only: nothing is kept")
	timeout := replyTimeout(fs)
	limit := fs.memory()
	pos, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return fs.usageError("eval takes one expression (quote it)")
	}
	if *at != "" {
		w, err := openToRead(*dir, stdout)
		if err != nil {
			reportError(stderr, err)
			return 1
		}
		defer w.Close()
		limit.apply(w)
		result, err := w.EvalAt(*at, "<eval>", []byte(pos[0]))
		if err != nil {
			reportError(stderr, err)
			return 1
		}
		fmt.Fprintln(stdout, result)
		return 0
	}
	return evalIn(*dir, *limit, "<eval>", []byte(pos[0]), *timeout, stdout, stderr)
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flags("run", stdout, stderr)
	dir := fs.world()
	timeout := replyTimeout(fs)
	limit := fs.memory()
	pos, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return fs.usageError("run takes one file")
	}
	name, src, err := readProgram(pos[0])
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	return inWorld(*dir, *limit, *timeout, stdout, stderr, func(w *world.World) error {
		return w.Run(name, src, vm.Periods)
	})
}

// readProgram reads the program psyche run runs: file arg, or standard
// input for "-". It answers the name errors give it.
func readProgram(arg string) (name string, src []byte, err error) {
	if arg == "-" {
		src, err = io.ReadAll(os.Stdin)
		return "<stdin>", src, err
	}
	src, err = os.ReadFile(arg)
	return arg, src, err
}

func evalIn(dir string, limit memoryLimit, name string, src []byte, timeout time.Duration, stdout, stderr io.Writer) int {
	return inWorld(dir, limit, timeout, stdout, stderr, func(w *world.World) error {
		result, err := w.Eval(name, src)
		if err == nil && result != "" { // "": the input held no code
			fmt.Fprintln(stdout, result)
		}
		return err
	})
}

// inWorld runs one top-level evaluation, eval, in the world in dir, then
// waits at most timeout for the replies to the messages it sent.
func inWorld(dir string, limit memoryLimit, timeout time.Duration, stdout, stderr io.Writer, eval func(w *world.World) error) int {
	w, err := openOrCreate(dir, limit, stdout)
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	defer w.Close()
	w.SetWarnings(stderr)
	// Ctrl-C interrupts the evaluation, which then rolls back like any
	// failed one, instead of killing the process mid-way.
	err = evalSending(w, timeout, stderr, func() error {
		stop := interruptOn(w)
		defer stop()
		return eval(w)
	})
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	return 0
}

// interruptOn turns SIGINT into an interrupt of w's running evaluation until
// the answered function is called.
func interruptOn(w *world.World) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sigs:
				w.VM().Interrupt()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

func cmdParse(args []string, stdout, stderr io.Writer) int {
	fs := flags("parse", stdout, stderr)
	files, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(files) == 0 {
		return fs.usageError("parse takes one or more files")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			status = 1
			continue
		}
		if _, err := syntax.ParseFile(f, src); err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
		}
	}
	return status
}

func cmdGC(args []string, stdout, stderr io.Writer) int {
	return worldCommand("gc", args, 0, nil, openToChange, stdout, stderr, func(w *world.World, _ []string) error {
		return collect(w, stdout)
	})
}

func cmdInfo(args []string, stdout, stderr io.Writer) int {
	return worldCommand("info", args, 0, nil, openToRead, stdout, stderr, func(w *world.World, _ []string) error {
		printInfo(w, stdout)
		return nil
	})
}

func cmdCheckpoint(args []string, stdout, stderr io.Writer) int {
	var del *bool
	setup := func(fs *cmdFlags) { del = fs.Bool("delete", false, "delete the checkpoint instead of making it") }
	return worldCommand("checkpoint", args, 1, setup, openToChange, stdout, stderr, func(w *world.World, pos []string) error {
		if *del {
			return w.DeleteCheckpoint(pos[0])
		}
		return w.Checkpoint(pos[0])
	})
}

func cmdCheckpoints(args []string, stdout, stderr io.Writer) int {
	return worldCommand("checkpoints", args, 0, nil, openToRead, stdout, stderr, func(w *world.World, _ []string) error {
		for _, n := range w.Checkpoints() {
			fmt.Fprintln(stdout, n)
		}
		return nil
	})
}

func cmdRollback(args []string, stdout, stderr io.Writer) int {
	return worldCommand("rollback", args, 1, nil, openToChange, stdout, stderr, func(w *world.World, pos []string) error {
		kept, err := w.Rollback(pos[0], progressBar(stderr, "rollback"))
		if kept != "" {
			fmt.Fprintln(stdout, keptMessage(kept))
		}
		return err
	})
}

// keptMessage tells the user where a rollback kept the state it replaced.
func keptMessage(kept string) string {
	return fmt.Sprintf("the present state is kept as checkpoint %s: rolling back to it undoes this rollback", kept)
}

func cmdExport(args []string, stdout, stderr io.Writer) int {
	return worldCommand("export", args, 1, nil, openToRead, stdout, stderr, func(w *world.World, pos []string) error {
		return exportImage(w, pos[0], stdout, stderr)
	})
}

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	return worldCommand("check", args, 0, nil, openToRead, stdout, stderr, func(w *world.World, _ []string) error {
		bar := progressBar(stderr, "check")
		var pf func(done, total uint64)
		if bar != nil {
			pf = func(done, total uint64) { bar(int(done>>10), int(total>>10)) }
		}
		problems := w.Check(pf)
		for _, p := range problems {
			fmt.Fprintln(stderr, "error: "+p)
		}
		if len(problems) > 0 {
			fmt.Fprintf(stderr, "%s: %s\n", w.Dir(), plural(len(problems), "problem"))
			fmt.Fprintf(stderr, "psyche recover %s NEWDIR builds a new world from every object that can still be read, and reports what was lost\n", w.Dir())
			return errReported
		}
		fmt.Fprintf(stdout, "%s: ok\n", w.Dir())
		return nil
	})
}

// errReported is an error already shown to the user: exit 1, say no more.
var errReported = errors.New("reported")

// worldCommand is the shape of every command that works on an existing
// world: -w DIR, the command's own flags (setup), nargs positional arguments
// (flags may come after them), then f on the world as open answers it
// (openToRead or openToChange).
func worldCommand(name string, args []string, nargs int, setup func(*cmdFlags),
	open func(dir string, out io.Writer) (*world.World, error), stdout, stderr io.Writer,
	f func(w *world.World, pos []string) error) int {
	fs := flags(name, stdout, stderr)
	dir := fs.world()
	if setup != nil {
		setup(fs)
	}
	pos, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(pos) != nargs {
		return fs.usageError("%s takes %s", name, argumentCount(nargs))
	}
	w, err := open(*dir, stdout)
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	defer w.Close()
	if err := f(w, pos); err != nil {
		if err != errReported {
			reportError(stderr, err)
		}
		return 1
	}
	return 0
}

// argumentCount answers "no arguments", "one argument", "2 arguments".
func argumentCount(n int) string {
	switch n {
	case 0:
		return "no arguments"
	case 1:
		return "one argument"
	}
	return plural(n, "argument")
}

// plural answers "1 problem", "2 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
