package vm_test

import (
	"testing"

	"psyche/vm"
)

// TestConcatChain: x , y , 'literal' on strings makes no send while the
// core world's , is in place, answers what the two sends answer, and makes
// the sends (with their errors) otherwise.
func TestConcatChain(t *testing.T) {
	v := coreVM(t)
	eval := func(src string) (string, int, error) {
		t.Helper()
		r, err := v.Eval("test", []byte(src), vm.Periods)
		if err != nil {
			return "", v.Steps(), err
		}
		return v.Model().Describe(r), v.Steps(), nil
	}
	cases := []struct {
		src, want string
		steps     int // sends made
	}{
		{"'ab' , 'cd' , 'e'", "'abcde'", 0},
		{"'ab' copyMutable , 'c' , 'd'", "'abcd'", 1}, // copyMutable
		{"'ab' , 'cd' , 'e' , 'f'", "'abcdef'", 1},    // (x , y , 'e') , 'f': the last , is a send
		{"'ab' , 3 printString , ' '", "'ab3 '", 1},   // printString
	}
	for _, c := range cases {
		got, steps, err := eval(c.src)
		if err != nil || got != c.want || steps != c.steps {
			t.Errorf("%s: %s in %d sends (err %v), want %s in %d", c.src, got, steps, err, c.want, c.steps)
		}
	}
	// a non-string argument: the first send is made, and fails as alone
	_, _, err := eval("'ab' , 3 , 'c'")
	_, _, alone := eval("'ab' , 3")
	if err == nil || alone == nil || err.Error() != alone.Error() {
		t.Errorf("'ab' , 3 , 'c' failed with %v, want %v", err, alone)
	}
	// a user's , in traits string: both sends are made
	if _, _, err := eval("traits string _AddSlots: (| , s = ( (_StringConcat: s) _StringConcat: '.' ) |)"); err != nil {
		t.Fatal(err)
	}
	if got, steps, err := eval("'a' , 'b' , 'c'"); err != nil || got != "'ab.c.'" || steps < 2 {
		t.Errorf("under a user's ,: %s in %d sends (err %v), want 'ab.c.' in at least 2", got, steps, err)
	}
}
