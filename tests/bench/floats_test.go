package bench

import (
	"testing"

	"psyche/vm"
	"psyche/world"
)

// floatsSource: the peer comparison's float loop (peers/programs/floats.self):
// the Leibniz series for pi / 4, summed in floating point.
const floatsSource = `lobby _AddSlots: ( |
	leibniz: n = ( | sum <- 0.0. sign <- 1.0 |
		0 to: n - 1 Do: [|:i|
			sum: sum + (sign / ((2 * i) + 1)).
			sign: 0.0 - sign].
		sum ).
| )`

const (
	floatsWorkload = "((leibniz: 600000) * 1000000000.0) truncate"
	floatsResult   = "785397746" // pi / 4 to nine places, less the series' error of about 4e-7
)

func floatsWorld(tb testing.TB) *world.World {
	return worldWith(tb, "floats", vm.Periods, []byte(floatsSource))
}

func TestFloats(t *testing.T) {
	w := floatsWorld(t)
	eval(t, w, "leibniz: 1", "1.0")
	eval(t, w, "leibniz: 2", "0.6666666666666667")
	eval(t, w, "((leibniz: 1000) * 1000000.0) truncate", "785148")
}

// BenchmarkFloats: 600,000 terms of the Leibniz series, each a float
// division by an integer, an addition and a subtraction.
func BenchmarkFloats(b *testing.B) {
	w := floatsWorld(b)
	run(b, w, floatsWorkload, floatsResult)
	b.ReportMetric(msPerOp(b), "ms/op")
}
