package bench

import (
	"testing"

	"psyche/vm"
	"psyche/world"
)

// dictSource: the peer comparison's dictionary workload
// (peers/programs/dict.self): n string keys ('k' followed by i * 7919)
// inserted into a dictionary, each looked up 3 times in a scattered order,
// then n absent keys looked up with at:IfAbsent:.
const dictSource = `lobby _AddSlots: ( |
	dictKey: i = ( 'k', (i * 7919) printString ).
	dictLoop: n = ( | d. sum <- 0. misses <- 0 |
		d: dictionary copyRemoveAll.
		1 to: n Do: [|:i| d at: (dictKey: i) Put: i].
		1 to: 3 Do: [|:r|
			0 to: n - 1 Do: [|:i|
				sum: sum + (d at: (dictKey: ((((i * 31) + r) % n) + 1)))]].
		1 to: n Do: [|:i|
			((d at: (dictKey: i + n) IfAbsent: [0]) = 0) ifTrue: [misses: misses + 1]].
		sum printString, ' ', misses printString, ' ', d size printString ).
| )`

const (
	dictWorkload = "dictLoop: 20000"
	// 3 * (1 + ... + 20000) found, 20000 misses, 20000 keys
	dictResult = "'600030000 20000 20000'"
)

func dictWorld(tb testing.TB) *world.World {
	return worldWith(tb, "dict", vm.Periods, []byte(dictSource))
}

func TestDict(t *testing.T) {
	w := dictWorld(t)
	eval(t, w, "dictLoop: 10", "'165 10 10'")
	eval(t, w, dictWorkload, dictResult)
}

// BenchmarkDict: the dictionary workload of the peer comparison: 20,000
// insertions, 60,000 hits and 20,000 misses, each with a new string key.
func BenchmarkDict(b *testing.B) {
	w := dictWorld(b)
	run(b, w, dictWorkload, dictResult)
	b.ReportMetric(msPerOp(b), "ms/op")
}
