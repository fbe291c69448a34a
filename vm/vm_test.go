package vm

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"psyche/heap"
)

// newTestVM makes a heap with just the skeleton (no core world).
func newTestVM(t testing.TB) (*VM, *bytes.Buffer) {
	t.Helper()
	h, err := heap.Create(filepath.Join(t.TempDir(), "heap"), heap.Options{Reserve: 4 << 30, YoungReserve: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	var out bytes.Buffer
	vm := New(h, &out)
	vm.BuildSkeleton()
	if err := h.Commit(); err != nil {
		t.Fatal(err)
	}
	vm.FlushCaches()
	return vm, &out
}

func evalDescribe(t *testing.T, vm *VM, src string) string {
	t.Helper()
	r, err := vm.Eval("test", []byte(src), Periods)
	if err != nil {
		return "error: " + err.Error()
	}
	return vm.m.Describe(r)
}

func TestSkeletonPrimitives(t *testing.T) {
	vm, out := newTestVM(t)
	cases := []struct{ src, want string }{
		{"3 _IntAdd: 4", "7"},
		{"(3 _IntMul: 1000000000000) _IntMul: 1000000000000", "3000000000000000000000000"},
		{"3 _IntAdd: 'a' IfFail: [|:e. :p| e]", "'badTypeError'"},
		{"3 _IntAdd: 'a' IfFail: [|:e. :p| p]", "'_IntAdd:'"},
		{"3 _IntAdd: 'a'", "error: primitive _IntAdd: failed: badTypeError"},
		{"'abc' _StringConcat: 'def'", "'abcdef'"},
		{"'abc' == 'abc'", "error: undefinedSelector: == sent to 'abc'"},
		{"'abc' _Eq: 'abc'", "true"},
		{"(| x <- 3 | x: x _IntAdd: 1. x)", "4"},
		{"[|:a| a _IntMul: 2] value: 21", "42"},
		{"(| a <- 5. double = ( a _IntMul: 2 ) |) double", "10"},
		{"lobby _AddSlots: (| p = (| x <- 3. y = 4. sum = ( x _IntAdd: y ) |) |). p sum", "7"},
		{"p x: 10. p sum", "14"},
		{"p x: 10", "(| x. y |)"},
		{"lobby _AddSlots: (| f: n = ( (n _IntLT: 2) _Eq: true ) |). f: 1", "true"},
		{"nil", "nil"},
		{"_Foo", "error: unknown primitive _Foo"},
		{"3 zork", "error: undefinedSelector: zork sent to 3"},
		{"(| a* = (| x = 1 |). b* = (| x = 2 |) |) x", "error: ambiguousSelector: x sent to (| a*. b* |)"},
		{"(| a* = (| x = 1 |). b* = (| y = 2 |) |) x", "1"},
		{"lobby _AddSlots: (| q = (| parent* = p. sum = ( resend.sum _IntAdd: 100 ) |) |). q sum", "114"},
		{"lobby _AddSlots: (| r = (| pp* = p. sum = ( pp.sum _IntAdd: 1000 ) |) |). r sum", "1014"},
		{"lobby _AddSlots: (| nl = ( [|:x| ^ x] value: 7. 99 ) |). nl", "7"},
		{"lobby _AddSlots: (| mk = ( [|:x| ^ x] ) |). mk value: 3", "error: nonLifoReturn: the method that made the block has returned"},
		{"lobby _AddSlots: (| deep: n = ( deep: n ) |). deep: 1", "error: stack overflow"},
		{"(| :x | x )", "error: test:1:4: expected no argument slot here: ':x' is only allowed in a block or in a method with arguments"},
		{"lobby _AddSlots: (| cnt <- 0. loop = ( cnt: cnt _IntAdd: 1. (cnt _IntLT: 100000) ifTrue: [ _Restart ]. cnt ) |). 0", "0"},
	}
	for _, c := range cases {
		if got := evalDescribe(t, vm, c.src); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.src, got, c.want)
		}
	}
	_ = out
	_ = strings.TrimSpace
}
