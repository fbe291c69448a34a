package main

import (
	"fmt"
	"io"

	"psyche/world"
)

// recoverHelp is psyche help recover.
const recoverHelp = `Build a new world in NEWDIR from every object of the world in DIR that can still be
read and validated, as SQLite's .recover does, for a world whose files are damaged
(a refusal to open one names this step). DIR is only read, never written. Every
reference to an object that cannot be read, or that fails the checks an untrusted
image passes, becomes nil. The checkpoints that can still be installed are kept,
oldest first, under their names. The report (what was damaged, every reference cut:
which object, which slot, why; the checkpoints lost) is printed and written to
NEWDIR/recovery.txt. NEWDIR must not exist or be empty. A world that opens fine is
copied with nothing lost. Exits 1 when no world could be built.

Example:
  psyche recover ~/worlds/w1 ~/worlds/w1-recovered`

func cmdRecover(args []string, stdout, stderr io.Writer) int {
	fs := flags("recover", stdout, stderr)
	pos, status, ok := fs.parse(args)
	if !ok {
		return status
	}
	if len(pos) != 2 {
		return fs.usageError("recover takes the damaged world's directory and the new world's")
	}
	r, err := world.Recover(pos[0], pos[1], stdout)
	if err != nil {
		reportError(stderr, err)
		return 1
	}
	fmt.Fprint(stdout, r)
	return 0
}
