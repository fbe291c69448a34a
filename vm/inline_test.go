package vm_test

import (
	"strings"
	"testing"

	"psyche/vm"
)

// TestComputedStepLoopSteps: a to:By:Do: whose step is computed runs
// inline, one step per iteration (its backward jump) rather than the sends
// of the core world's method, and its backward jump enforces the step limit.
func TestComputedStepLoopSteps(t *testing.T) {
	v := coreVM(t)
	const loop = "[| n <- 0. st <- 3 | 1 to: 3000 By: st Do: [|:i| n: n + i]. n] value"
	r, err := v.Eval("test", []byte(loop), vm.Periods)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Model().Describe(r); got != "1499500" {
		t.Fatalf("the loop answered %s, want 1499500", got)
	}
	if steps := v.Steps(); steps < 999 || steps > 1100 {
		t.Fatalf("1000 iterations took %d steps; inlined, one each", steps)
	}
	v.StepLimit = 500 // Eval counts from 0
	_, err = v.Eval("test", []byte("[| st <- 1 | 1 to: 1000000000 By: st Do: [|:i| i]] value"), vm.Periods)
	if err == nil || !strings.Contains(err.Error(), "step limit exceeded") {
		t.Fatalf("an endless loop under a step limit ended with %v", err)
	}
}
