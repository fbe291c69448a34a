package vm

import (
	"fmt"
	"strings"
	"testing"

	"psyche/vm/object"
	"psyche/vm/syntax"
)

// evalCommitted evaluates src and commits it.
func evalCommitted(t *testing.T, vm *VM, src string) {
	t.Helper()
	if _, err := vm.Eval("test", []byte(src), Periods); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if err := vm.h.Commit(); err != nil {
		t.Fatal(err)
	}
	vm.FlushCaches()
}

// evalAborted evaluates src and aborts its transaction, so that each case
// starts from the same heap.
func evalAborted(t *testing.T, vm *VM, src string) string {
	t.Helper()
	got := evalDescribe(t, vm, src)
	vm.h.Abort()
	vm.FlushCaches()
	return got
}

// Chains of sends as long as the source are compiled in a loop, not in a
// Go recursion as deep as the chain: a million-term sum gives its answer.
func TestCompileLongChains(t *testing.T) {
	vm, _ := newTestVM(t)
	evalCommitted(t, vm, "traits integer _AddSlots: (| + n = ( _IntAdd: n ). succ = ( _IntAdd: 1 ) |)")
	const n = 1000000
	var distinct strings.Builder
	for i := 1; i < maxLits-1; i++ { // with 0 and the selector +: maxLits literals
		fmt.Fprintf(&distinct, " + %d", i)
	}
	cases := []struct{ name, src, want string }{
		{"binary", strings.Repeat("1 + ", n-1) + "1", fmt.Sprint(n)},
		{"unary", "0" + strings.Repeat(" succ", n), fmt.Sprint(n)},
		{"unary and binary", strings.Repeat("0 succ + ", n-1) + "1", fmt.Sprint(n)},
		{"distinct literals", "0" + distinct.String(), fmt.Sprint((maxLits - 2) * (maxLits - 1) / 2)},
	}
	for _, c := range cases {
		if got := evalAborted(t, vm, c.src); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// What the instruction set cannot encode is a compile error that names the
// limit, never a wrong operand.
func TestCompileOperandLimits(t *testing.T) {
	vm, _ := newTestVM(t)
	args := make([]string, maxArgs)
	for i := range args {
		args[i] = fmt.Sprintf("A%d: 1", i)
	}
	locals := make([]string, maxVars+1)
	for i := range locals {
		locals[i] = fmt.Sprintf("a%d", i)
	}
	lits := make([]string, maxLits+1)
	for i := range lits {
		lits[i] = fmt.Sprintf("'%d'", i)
	}
	cases := []struct{ src, want string }{
		{"lobby foo: 1 " + strings.Join(args, " "), fmt.Sprintf("too many arguments in one send (limit %d)", maxArgs)},
		{"(| x <- 7 | " + strings.Repeat("[", maxLexDepth+1) + "x" + strings.Repeat("] _Eq: 1", maxLexDepth+1) + ")",
			fmt.Sprintf("x is defined %d blocks or methods out (limit %d)", maxLexDepth+1, maxLexDepth)},
		{"(| x <- 7 | " + strings.Repeat("[", maxLexDepth) + "x" + strings.Repeat("] _Eq: 1", maxLexDepth) + ")", "false"},
		{"(| " + strings.Join(locals, ". ") + " | 1)", fmt.Sprintf("too many arguments and locals in one method or block (limit %d)", maxVars)},
		{"(" + strings.Join(lits, ". ") + ")", fmt.Sprintf("too many literals in one method (limit %d)", maxLits)},
		{"3 + 16r1" + strings.Repeat("0", object.MaxIntegerBits/4), fmt.Sprintf("integer literal too large (limit %d bits)", object.MaxIntegerBits)},
		{"16r" + strings.Repeat("f", object.MaxIntegerBits/4) + " _IntEQ: 0", "false"},
	}
	for _, c := range cases {
		if got := evalAborted(t, vm, c.src); !strings.Contains(got, c.want) {
			t.Errorf("%.60s...\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

// Code nested as deeply as the parser allows compiles and runs: the
// compiler's recursion per level of nesting is bounded by the parser's.
func TestCompileDeepNesting(t *testing.T) {
	vm, _ := newTestVM(t)
	d := syntax.MaxNesting
	cases := []struct{ name, src, want string }{
		{"parentheses", strings.Repeat("(", d) + "3" + strings.Repeat(")", d), "3"},
		{"blocks", strings.Repeat("[", d) + "3" + strings.Repeat("]", d), "a block"},
		{"objects", strings.Repeat("(| a = ", d-1) + "(| b = 4 |)" + strings.Repeat(" |)", d-1), "(| a |)"},
		{"keyword arguments", strings.Repeat("3 _IntAdd: ", d) + "3", fmt.Sprint(3 * (d + 1))},
	}
	for _, c := range cases {
		got := evalAborted(t, vm, c.src)
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}
