// Command peer runs one benchmark program in a peer interpreter, chosen by the
// file's extension: .lua with gopher-lua, .js with goja. It is the peers' half
// of the comparison that cmd/compare times; psyche itself runs the .self files.
//
// Usage: peer FILE.lua|FILE.js
//
// A JavaScript program prints with print(value), as in the shells of JavaScript
// engines (goja itself defines no output). Errors name the file and exit 1.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dop251/goja"
	lua "github.com/yuin/gopher-lua"
)

// runners maps a program file's extension to the interpreter that runs it.
var runners = map[string]func(path string, src []byte, out *bufio.Writer) error{
	".lua": runLua,
	".js":  runJS,
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: peer FILE.lua|FILE.js")
		os.Exit(2)
	}
	path := os.Args[1]
	run, ok := runners[filepath.Ext(path)]
	if !ok {
		fmt.Fprintf(os.Stderr, "peer: %s: unknown extension %q (want .lua or .js)\n", path, filepath.Ext(path))
		os.Exit(1)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer: %v\n", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	runErr := run(path, src, out)
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		fmt.Fprintf(os.Stderr, "peer: %s: %v\n", path, runErr)
		os.Exit(1)
	}
}

// runLua runs src with gopher-lua. Lua's print writes to the process's
// standard output itself, so out stays unused and empty.
func runLua(path string, src []byte, _ *bufio.Writer) error {
	L := lua.NewState()
	defer L.Close()
	fn, err := L.Load(bytes.NewReader(src), path)
	if err != nil {
		return err
	}
	L.Push(fn)
	return L.PCall(0, lua.MultRet, nil)
}

// runJS runs src with goja, with a print function that writes its arguments
// separated by blanks and ends the line. A failed write is not lost: out keeps
// the first error and main's Flush returns it.
func runJS(path string, src []byte, out *bufio.Writer) error {
	vm := goja.New()
	err := vm.Set("print", func(call goja.FunctionCall) goja.Value {
		for i, a := range call.Arguments {
			if i > 0 {
				out.WriteByte(' ')
			}
			out.WriteString(a.String())
		}
		out.WriteByte('\n')
		return goja.Undefined()
	})
	if err != nil {
		return err
	}
	prog, err := goja.Compile(path, string(src), true)
	if err != nil {
		return err
	}
	_, err = vm.RunProgram(prog)
	return err
}
