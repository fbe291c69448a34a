package vm

import "testing"

// A receiver that understands the undefinedSelector hook gets it, with the
// selector and a vector of the arguments, in place of the error; every
// other receiver still raises undefinedSelector; a miss is not cached as a
// hit, at a send site that has seen the receiver's map before or not.
func TestUndefinedSelectorHook(t *testing.T) {
	vm, _ := newTestVM(t)
	setup := `lobby _AddSlots: (| catcher = (| sel <- nil. type <- nil. del <- 0. args <- nil.
	    undefinedSelector: s Type: t Delegatee: d MethodHolder: h Arguments: a = ( sel: s. type: t. del: d. args: a ) |).
	    plain = (| x = 1 |).
	    probe: o = ( o zork: 3 With: 4 ).
	    unary: o = ( o zork ) |). 0`
	if got := evalDescribe(t, vm, setup); got != "0" {
		t.Fatal(got)
	}
	cases := []struct{ src, want string }{
		{"(probe: catcher) sel", "'zork:With:'"},
		{"(probe: catcher) type", "'normal'"},
		{"(probe: catcher) del", "nil"},
		{"((probe: catcher) args) _VectorAt: 1", "4"},
		{"((unary: catcher) args) _VectorSize", "0"},
		{"probe: plain", "error: undefinedSelector: zork:With: sent to (| x |)"},
		{"unary: 3", "error: undefinedSelector: zork sent to 3"},
	}
	for i := 0; i < 2; i++ { // twice: cold and warm send sites
		for _, c := range cases {
			if got := evalDescribe(t, vm, c.src); got != c.want {
				t.Errorf("%s\n got %s\nwant %s", c.src, got, c.want)
			}
		}
	}
	// a slot added later is found at the warm site
	if got := evalDescribe(t, vm, "plain _AddSlots: (| zork = 7 |). unary: plain"); got != "7" {
		t.Errorf("after adding zork: got %s", got)
	}
}
