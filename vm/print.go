package vm

import (
	"errors"
	"fmt"
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// Printing a result. The caller runs PrintResult in a transaction of its
// own and aborts it after (world.World.Eval): printing is not part of the
// evaluation, so whatever it changes is thrown away, and nothing it does
// can undo the evaluation, which committed before.
//
// The result's own printString runs first, within PrintStepLimit sends. If
// it is not understood, fails (an error, a stack overflow, the step limit,
// an interrupt) or answers something other than a string, the result is
// shown in the built-in form (object.PrintForm) followed by a note in
// Self's comment quotes that says why:
//
//	(| x <- 3 |)  "printString not understood"
//	(| parent* = traits clonable |)  "printString failed: stack overflow"
//	(| parent* = traits clonable |)  "printString answered 3, not a string"
//
// Either way the text is cut at object.PrintLimit characters.

// PrintStepLimit is how many sends printing one result may make.
const PrintStepLimit = 2_000_000

// PrintResult answers the text that shows o. Its error is only ever a heap
// error (a damaged world): a failing printString is shown, not returned.
func (vm *VM) PrintResult(o heap.Oop) (string, error) {
	steps, limit := vm.steps, vm.StepLimit
	defer func() { vm.steps, vm.StepLimit = steps, limit }()
	vm.steps = 0
	if limit == 0 || limit > PrintStepLimit {
		vm.StepLimit = PrintStepLimit
	}
	vm.printing.Reset()
	defer vm.printing.Reset()
	// o may be young, and printString may scavenge: keep it where the root
	// scanner updates it, and read it from there.
	vm.printee = o
	defer func() { vm.printee = heap.Nil }()

	var note string
	var text string
	err := heap.Catch(func() error {
		if _, st := vm.lookup(vm.printee, vm.m.Intern("printString")); st == notFound {
			note = "printString not understood"
			return nil
		}
		r, err := vm.Send(vm.printee, "printString")
		var se *Error
		switch {
		case errors.As(err, &se) && se.Cause == nil && vm.steps > vm.StepLimit:
			note = fmt.Sprintf("printString failed: it made more than %d sends", vm.StepLimit)
		case errors.As(err, &se) && se.Cause == nil:
			note = "printString failed: " + firstLine(se.Msg)
		case err != nil:
			return err
		case !vm.m.IsString(r):
			note = fmt.Sprintf("printString answered %s, not a string", vm.m.Describe(r))
		default:
			text = object.CutText(vm.h.Bytes(r))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if note == "" {
		return text, nil
	}
	return vm.m.PrintForm(vm.printee) + `  "` + strings.ReplaceAll(note, `"`, `'`) + `"`, nil
}

// maxNote is the most characters of an error message a note quotes.
const maxNote = 200

// firstLine answers s up to its first newline, at most maxNote bytes of it.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > maxNote {
		line = line[:maxNote] + "…"
	}
	return line
}
