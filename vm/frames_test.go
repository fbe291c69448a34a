package vm_test

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"psyche/bootstrap"
	"psyche/heap"
	"psyche/vm"
)

// framesEval evaluates src in v and answers the result's print form, or the
// error it stopped with.
func framesEval(t *testing.T, v *vm.VM, src string) (string, error) {
	t.Helper()
	r, err := v.Eval("test", []byte(src), vm.Periods)
	if err != nil {
		return "", err
	}
	return v.Model().Describe(r), nil
}

func framesWant(t *testing.T, v *vm.VM, src, want string) {
	t.Helper()
	got, err := framesEval(t, v, src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if got != want {
		t.Fatalf("%s = %s, want %s", src, got, want)
	}
}

// TestFrameRecursionOverflow: a method that makes no block keeps its
// variables on the VM's stack; recursing in it without end stops cleanly at
// the depth limit, with the frames folded in the stack, and the VM runs
// the next evaluation from an empty stack.
func TestFrameRecursionOverflow(t *testing.T) {
	v := coreVM(t)
	framesWant(t, v, "lobby _AddSlots: (| down: n = ( | l | l: n. (down: n + 1) + l ) |)", "lobby")
	_, err := framesEval(t, v, "down: 0")
	var e *vm.Error
	if !errors.As(err, &e) || e.Msg != "stack overflow" {
		t.Fatalf("down: 0 answered %v, want a stack overflow", err)
	}
	trace := e.StackTrace()
	if !strings.Contains(trace, "down: (receiver: lobby) at test:1:") ||
		!strings.Contains(trace, "... the frame above repeats") {
		t.Fatalf("stack overflow's stack:\n%s", trace)
	}
	framesWant(t, v, "(| a <- 3. b = ( | x <- 4 | a + x ) |) b", "7")
}

// TestFrameErrorStack: an error inside methods without heap activations
// names each frame's receiver and the place of its send.
func TestFrameErrorStack(t *testing.T) {
	v := coreVM(t)
	framesWant(t, v, "lobby _AddSlots: (| inner: x = ( | l <- 5 | x zork: l ). outer = ( | y | y: 3. inner: y ) |)", "lobby")
	_, err := framesEval(t, v, "3 + 4.\nouter")
	var e *vm.Error
	if !errors.As(err, &e) || e.Msg != "undefinedSelector: zork: sent to 3" {
		t.Fatalf("outer answered %v", err)
	}
	want := []string{
		"inner: (receiver: lobby) at test:1:47",
		"outer (receiver: lobby) at test:1:80",
		"<top level> (receiver: lobby) at test:2:1",
	}
	if strings.Join(e.Stack, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stack:\n%s\nwant:\n%s", strings.Join(e.Stack, "\n"), strings.Join(want, "\n"))
	}
}

// TestFrameScavenge: scavenges while a method without a heap activation
// runs move the young objects its receiver, argument and locals hold, and
// the method goes on with the moved objects.
func TestFrameScavenge(t *testing.T) {
	h, err := heap.Create(filepath.Join(t.TempDir(), "heap"), heap.Options{Reserve: 4 << 30, YoungReserve: 1 << 30, YoungLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	v := vm.New(h, io.Discard)
	v.BuildSkeleton()
	if err := bootstrap.Build(v); err != nil {
		t.Fatal(err)
	}
	framesWant(t, v, `lobby _AddSlots: (| keeper = (| parent* = lobby. k <- 100. keep: a = ( | kept. junk |
		kept: (| x <- 0 |) _Clone.
		1 to: 20000 Do: [|:i| junk: (vector copySize: 50). kept x: kept x + 1].
		(a at: 0) + kept x + k ) |) |)`, "lobby")
	before := h.Stats.Scavenges
	framesWant(t, v, "(keeper _Clone k: 1000) keep: (vector copySize: 1 FillingWith: 1)", "21001")
	if h.Stats.Scavenges == before {
		t.Fatal("no scavenge ran while keep: ran")
	}
}

// TestFrameRealBlock: a method that makes a real block gets its heap
// activation then, with the variables as they are; the block shares them
// with the method, keeps them after it returns, and its ^ returns from the
// method while it runs and fails with nonLifoReturn after.
func TestFrameRealBlock(t *testing.T) {
	v := coreVM(t)
	framesWant(t, v, `lobby _AddSlots: (|
		shared = ( | l <- 2 | l: l + 1. [l: l * 10] value. l ).
		early = ( | l <- 2 | l: l + 1. [^ l * 10] value. 99 ).
		counter = ( | n <- 0 | [n: n + 1. n] ).
		escape: v = ( | l <- 1 | [|:x| l: l + x. ^ v + l] ) |)`, "lobby")
	framesWant(t, v, "shared", "30")
	framesWant(t, v, "early", "30")
	framesWant(t, v, "lobby _AddSlots: (| c |). c: counter. c value. c value", "2")
	_, err := framesEval(t, v, "(escape: 10) value: 5")
	var e *vm.Error
	if !errors.As(err, &e) || e.Msg != "nonLifoReturn: the method that made the block has returned" {
		t.Fatalf("a ^ after its method returned answered %v", err)
	}
}
