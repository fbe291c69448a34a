package vm

import (
	"fmt"
	"strings"

	"psyche/heap"
)

// Error is a Self error that aborted an evaluation: its message and the
// Self stack at the time, most recent activation first, one line each:
// `SELECTOR (receiver: PRINTFORM) at FILE:LINE:COL`, the place being that
// of the send the activation was making, where its method has source.
// Frames that repeat (a runaway recursion) are listed once, followed by a
// line that counts the repetitions.
type Error struct {
	Msg   string
	Stack []string
	// Cause is the heap error (corruption, out of memory) that stopped the
	// evaluation, if one did: errors.Is(err, heap.ErrCorrupt) sees it.
	Cause error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Cause }

// StackTrace answers the stack, one activation per line.
func (e *Error) StackTrace() string {
	var b strings.Builder
	for _, s := range e.Stack {
		b.WriteString("  ")
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

const (
	// maxStackLines bounds the lines of an error's stack; the frames past
	// it are counted on one more line.
	maxStackLines = 50
	// maxRepeatPeriod is the most frames a repeating group may have to be
	// folded (a recursion through that many methods and blocks).
	maxRepeatPeriod = 16
	// minRepeats is how many more times than once a group must occur in a
	// row to be folded.
	minRepeats = 2
)

// errorf makes a Self error carrying the current stack.
func (vm *VM) errorf(format string, args ...any) *Error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	i := len(vm.frames) - 1
	for i >= 0 && len(e.Stack) < maxStackLines {
		period, repeats := vm.repeatsAt(i)
		if repeats < minRepeats {
			e.Stack = append(e.Stack, vm.describeFrame(&vm.frames[i]))
			i--
			continue
		}
		for j := 0; j < period; j++ {
			e.Stack = append(e.Stack, vm.describeFrame(&vm.frames[i-j]))
		}
		if period == 1 {
			e.Stack = append(e.Stack, fmt.Sprintf("... the frame above repeats %d more times", repeats))
		} else {
			e.Stack = append(e.Stack, fmt.Sprintf("... the %d frames above repeat %d more times", period, repeats))
		}
		i -= period * (repeats + 1)
	}
	if i >= 0 {
		e.Stack = append(e.Stack, fmt.Sprintf("... %d more", i+1))
	}
	return e
}

// repeatsAt finds the shortest group of frames, ending at frame top, that
// the frames below it repeat (the same methods waiting at the same sends;
// receivers may differ), and answers its length and how many times the
// frames below repeat it whole.
func (vm *VM) repeatsAt(top int) (period, repeats int) {
	same := func(a, b int) bool {
		return vm.frames[a].method == vm.frames[b].method && vm.frames[a].pc == vm.frames[b].pc
	}
	for p := 1; p <= maxRepeatPeriod && top-p*(minRepeats+1)+1 >= 0; p++ {
		run := 0
		for top-run-p >= 0 && same(top-run, top-run-p) {
			run++
		}
		if run/p >= minRepeats {
			return p, run / p
		}
	}
	return 0, 0
}

func (vm *VM) describeFrame(f *frame) (s string) {
	defer func() {
		if recover() != nil {
			s = "(an activation that cannot be described)"
		}
	}()
	sel := vm.h.Field(f.method, methSelector)
	name := "<top level>"
	if sel != heap.Nil {
		name = vm.m.StringOf(sel)
	}
	info := vm.h.Field(f.method, methInfo).Int()
	if (info>>32)&methBlock != 0 {
		name = "[] in block " + name
	}
	s = fmt.Sprintf("%s (receiver: %s)", name, vm.m.Describe(f.self))
	if place := placeAt(vm.h.Bytes(f.method), f.pc); place != "" {
		s += " at " + place
	}
	return s
}
