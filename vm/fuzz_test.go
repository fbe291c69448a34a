package vm

import (
	"testing"
)

// FuzzEval compiles and runs arbitrary source in a skeleton world: every input
// must end in a result or an error (syntax, compile or Self), never a Go panic,
// and within the step budget, never a hang.
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		"3 _IntAdd: 4",
		"(| a <- 5. double = ( a _IntMul: 2 ) |) double",
		"[|:x| ^ x] value: 3",
		"lobby _AddSlots: (| f: n = ( f: n ) |). f: 1",
		"(| p* = (| x = 1 |). q* = (| x = 2 |) |) x",
		"'abc' _StringAt: 5",
		"(| x = ( _Restart ) |) x",
		"_Perform: 'foo'",
		"3 _Perform: '_IntAdd:' With: 4",
		"(| v = ( resend.v ) |) v",
		"[ [ :a | a ] ] value value: 1",
		"1 _Clone _AddSlots: 3",
		"vector _VectorCopySize: 3",
		"(vector _VectorCopySize: 3) _VectorAt: 7 IfFail: [|:e| e]",
		"lobby _AddSlots: (| b <- [|:x| x] |). b value: 4",
		"(| a <- 1 |) _RemoveSlot: 'a'",
		"weakStore _WeakStoreNew _WeakStorePut: 3 Value: 4",
		"(1 _IntDiv: 0) ",
		"(| , x = ( x ) |) , 'a' , 'b'",
		"'a' , 3 , 'c'",
		"[| s <- 2 | 1 to: 9 By: s Do: [|:i| i _IntAdd: 2147483648]] value",
		"[] || []",
		"[| b | b: byteVector copySize: 3. b at: 1 Put: 7. (b at: 1) + b size] value",
		"[| x | x: 1.5. x: x * 2 + 1. x / 2 < 3] value",
	} {
		f.Add(s)
	}
	vm, _ := newTestVM(f)
	vm.StepLimit = 20000
	f.Fuzz(func(t *testing.T, src string) {
		vm.Eval("fuzz", []byte(src), Periods)
		vm.h.Abort()
		vm.FlushCaches()
	})
}

// TestDeepRecursion: a million-level recursion is a Self error, and the VM
// (and the process) carries on.
func TestDeepRecursion(t *testing.T) {
	vm, _ := newTestVM(t)
	got := evalDescribe(t, vm, "lobby _AddSlots: (| down: n = ( (n _IntEQ: 0) _Eq: true. down: (n _IntSub: 1) ) |). down: 1000000")
	if got != "error: stack overflow" {
		t.Fatalf("got %s", got)
	}
	vm.h.Abort()
	vm.FlushCaches()
	if got := evalDescribe(t, vm, "3 _IntAdd: 4"); got != "7" {
		t.Fatalf("after overflow: %s", got)
	}
}
