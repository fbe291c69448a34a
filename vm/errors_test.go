package vm

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// evalError evaluates src and answers the Self error it must end in.
func evalError(t *testing.T, vm *VM, src string) *Error {
	t.Helper()
	_, err := vm.Eval("test", []byte(src), Periods)
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("%s: expected a Self error, got %v", src, err)
	}
	return se
}

// TestEvalRunsStatementsInTurn: a statement's object literals are built
// when it is reached, so it may use what the statement before it made.
func TestEvalRunsStatementsInTurn(t *testing.T) {
	vm, _ := newTestVM(t)
	src := "lobby _AddSlots: (| p = (| x = 3 |) |).\nlobby _AddSlots: (| q = (| y = p x |) |).\nq y"
	if got := evalDescribe(t, vm, src); got != "3" {
		t.Errorf("got %s, want 3", got)
	}
}

// TestErrorNamesPlaces: each frame names the place of the send it waits on.
func TestErrorNamesPlaces(t *testing.T) {
	vm, _ := newTestVM(t)
	e := evalError(t, vm, "lobby _AddSlots: (| f: n = ( [ n zork ] value ) |).\nf: 3")
	want := []string{
		"[] in block value (receiver: lobby) at test:1:34",
		"f: (receiver: lobby) at test:1:41",
		"<top level> (receiver: lobby) at test:2:1",
	}
	if e.Msg != "undefinedSelector: zork sent to 3" || !reflect.DeepEqual(e.Stack, want) {
		t.Errorf("got %q %q, want the zork error with stack %q", e.Msg, e.Stack, want)
	}
}

// TestErrorFoldsRepeatingFrames: a runaway recursion shows its frame once.
func TestErrorFoldsRepeatingFrames(t *testing.T) {
	vm, _ := newTestVM(t)
	e := evalError(t, vm, "lobby _AddSlots: (| deep: n = ( deep: n ) |).\ndeep: 1")
	want := []string{
		"deep: (receiver: lobby) at test:1:33",
		fmt.Sprintf("... the frame above repeats %d more times", MaxDepth-2),
		"<top level> (receiver: lobby) at test:2:1",
	}
	if e.Msg != "stack overflow" || !reflect.DeepEqual(e.Stack, want) {
		t.Errorf("got %q %q, want a stack overflow with stack %q", e.Msg, e.Stack, want)
	}
}
