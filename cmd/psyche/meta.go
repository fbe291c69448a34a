package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"psyche/heap"
	"psyche/vm"
	"psyche/world"
)

// The REPL's colon commands: one table, which :help lists, Tab completes
// and the REPL dispatches on.

type metaCommand struct {
	name    string
	aliases []string
	args    string // what follows the name, as :help shows it ("" for nothing)
	help    string
	run     func(r *repl, arg string) error
}

// errQuit is what :quit answers to end the REPL.
var errQuit = errors.New("quit")

var metaCommands []metaCommand

func init() {
	metaCommands = []metaCommand{
		{":inspect", nil, "EXPR", "show EXPR's slots (kinds, short values), a method's source; nothing is kept", (*repl).inspect},
		{":ls", nil, "", "show the lobby's slots", func(r *repl, _ string) error { return r.listLobby() }},
		{":load", nil, "FILE", "run FILE as one transaction", (*repl).load},
		{":checkpoint", nil, "NAME", "name the current state", func(r *repl, name string) error { return r.w.Checkpoint(name) }},
		{":checkpoints", nil, "", "list the checkpoints, oldest first, with when each was made", func(r *repl, _ string) error { return r.listCheckpoints() }},
		{":rollback", nil, "NAME", "go back to checkpoint NAME (the present is kept as a checkpoint)", func(r *repl, name string) error {
			kept, err := r.w.Rollback(name, progressBar(r.errOut, "rollback"))
			if kept != "" {
				fmt.Fprintln(r.out, keptMessage(kept))
			}
			return err
		}},
		{":delete", nil, "NAME", "delete checkpoint NAME (the world does not change)", func(r *repl, name string) error { return r.w.DeleteCheckpoint(name) }},
		{":export", nil, "IMG", "write an image of the world to the file IMG", func(r *repl, path string) error {
			return exportImage(r.w, unquotePath(path), r.out, r.errOut)
		}},
		{":gc", nil, "", "collect garbage now", func(r *repl, _ string) error { return collect(r.w, r.out) }},
		{":info", nil, "", "sizes and counts", func(r *repl, _ string) error { printInfo(r.w, r.out); return nil }},
		{":help", []string{":h"}, "", "this text", func(r *repl, _ string) error { r.help(); return nil }},
		{":quit", []string{":q"}, "", "leave", func(*repl, string) error { return errQuit }},
	}
}

// findMeta answers the command named name (or one of its aliases).
func findMeta(name string) (*metaCommand, bool) {
	for i := range metaCommands {
		c := &metaCommands[i]
		if c.name == name || contains(c.aliases, name) {
			return c, true
		}
	}
	return nil, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// meta runs a colon command; it reports whether the REPL should end.
func (r *repl) meta(text string) bool {
	name, arg, _ := strings.Cut(text, " ")
	arg = strings.TrimSpace(arg)
	c, ok := findMeta(name)
	if !ok {
		fmt.Fprintf(r.errOut, "error: unknown command %s (:help lists them)\n", name)
		return false
	}
	if (c.args == "") != (arg == "") {
		fmt.Fprintf(r.errOut, "error: usage: %s\n", strings.TrimSpace(c.name+" "+c.args))
		return false
	}
	err := c.run(r, arg)
	if err == errQuit {
		return true
	}
	if err != nil {
		reportError(r.errOut, err)
	}
	return false
}

const replIntro = `Type Self expressions; each input is one transaction, kept when its result
is printed and undone if it fails. An input goes on while a bracket, paren,
string or comment is open. Tab completes the slot names of the receiver
(a name or self), other selectors, and these commands.
Ctrl-C at the prompt clears the line; during an evaluation it interrupts it
(and rolls it back). Ctrl-D leaves.`

func (r *repl) help() {
	fmt.Fprintf(r.out, "%s\n\n", replIntro)
	for _, c := range metaCommands {
		fmt.Fprintf(r.out, "  %-18s  %s\n", strings.TrimSpace(c.name+" "+c.args), c.help)
	}
}

// inspect evaluates src without keeping anything and shows the result.
func (r *repl) inspect(src string) error {
	v := r.w.VM()
	return r.w.Peek("<inspect>", []byte(src), 0, func(o heap.Oop) error {
		writeInspection(r.out, v, o)
		return nil
	})
}

// listLobby shows the lobby's slots. It peeks at self, the top level's
// receiver, not at lobby: a user may redefine that slot.
func (r *repl) listLobby() error {
	v := r.w.VM()
	return r.w.Peek("<ls>", []byte("self"), 0, func(o heap.Oop) error {
		writeSlots(r.out, v, o)
		return nil
	})
}

// load runs the file at path as one top-level evaluation, as psyche run does.
func (r *repl) load(path string) error {
	path = unquotePath(path)
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := r.w.Run(path, src, vm.Periods); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "loaded %s\n", path)
	return nil
}

// checkpointTimeLayout is how :checkpoints shows when a checkpoint was made.
const checkpointTimeLayout = "2006-01-02 15:04:05"

func (r *repl) listCheckpoints() error {
	list := r.w.CheckpointList()
	if len(list) == 0 {
		fmt.Fprintln(r.out, "(no checkpoints)")
	}
	width := 0
	for _, c := range list {
		width = max(width, len(c.Name))
	}
	for _, c := range list {
		fmt.Fprintf(r.out, "%-*s  made %s\n", width, c.Name, c.Created.Local().Format(checkpointTimeLayout))
	}
	return nil
}

// exportImage writes an image of w to path and says what it wrote.
func exportImage(w *world.World, path string, out, errOut io.Writer) error {
	st, err := w.Export(path, progressBar(errOut, "export"))
	if err == nil {
		fmt.Fprintf(out, "%s: %d objects, %d bytes (%d before compression)\n", path, st.Objects, st.FileBytes, st.BodyBytes)
	}
	return err
}

// unquotePath answers a meta-command's file argument without the quotes a
// user may put around it, as a shell or Self would ('my file.self',
// "my file.self"); the rest of the line is the path, spaces included.
func unquotePath(arg string) string {
	if len(arg) >= 2 && (arg[0] == '\'' || arg[0] == '"') && arg[len(arg)-1] == arg[0] {
		return arg[1 : len(arg)-1]
	}
	return arg
}
