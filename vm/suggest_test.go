package vm_test

import (
	"errors"
	"strings"
	"testing"

	"psyche/vm"
)

// TestUndefinedSelectorHints: a misspelt selector names the nearest one the
// receiver understands, of the same kind; a lowercase keyword that is a
// later part of a known message names that message; nothing near enough
// adds nothing.
func TestUndefinedSelectorHints(t *testing.T) {
	v := coreVM(t)
	framesWant(t, v, "lobby _AddSlots: (| add: a In: b = ( a ). acct = (| balance <- 3 |) |)", "lobby")
	for _, tc := range []struct{ src, want string }{
		{"3 factorail", "undefinedSelector: factorail sent to 3 (did you mean factorial?)"},
		{"3 factroial", "undefinedSelector: factroial sent to 3 (did you mean factorial?)"},
		{"acct balanse", "(did you mean balance?)"},
		{"acct balanse: 4", "(did you mean balance:?)"},
		{"add: 'x' in: 'home'", "undefinedSelector: in: sent to 'x' (did you mean In:, a later keyword of add:In:? a message's later keywords are capitalised)"},
		{"(vector copySize: 2) at: 1 put: 5", "a later keyword of at:Put:?"},
		{"3 zork", "undefinedSelector: zork sent to 3"},
		{"3 zork: 4", "undefinedSelector: zork: sent to 3"},
	} {
		_, err := framesEval(t, v, tc.src)
		var e *vm.Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
		if strings.HasSuffix(tc.want, "sent to 3") && e != nil && e.Msg != tc.want {
			t.Errorf("%s: %q, want no hint", tc.src, e.Msg)
		}
	}
}
