package prims_test

import (
	"sync/atomic"
	"testing"
	"time"

	"psyche/heap"
	"psyche/prims"
)

// ints answers the elements of the vector v, which must be small integers.
func ints(t *testing.T, e *prims.Env, v heap.Oop) []int64 {
	t.Helper()
	var r []int64
	for i := 0; i < e.M.VectorSize(v); i++ {
		x := e.M.VectorAt(v, i)
		if !x.IsInt() {
			t.Fatalf("element %d is not a small integer", i)
		}
		r = append(r, x.Int())
	}
	return r
}

func TestDateTimeComponents(t *testing.T) {
	e := limitsEnv(t, new(atomic.Bool))
	// 2024-02-29T23:59:58.500Z, a Thursday, day 59 of a leap year.
	instant := time.Date(2024, 2, 29, 23, 59, 58, 500e6, time.UTC)
	ms := instant.UnixMilli()
	v, err := call(t, e, "_DateTime:", heap.FromInt(ms/prims.MsecPerDay), heap.FromInt(ms%prims.MsecPerDay))
	if err != nil {
		t.Fatal(err)
	}
	got := ints(t, e, v)
	local := instant.Local()
	dst := int64(0)
	if local.IsDST() {
		dst = 1
	}
	want := []int64{
		int64(local.Year()), int64(local.Month()), int64(local.Day()), int64(local.Weekday()),
		int64(local.Hour()), int64(local.Minute()), int64(local.Second()), int64(local.YearDay() - 1), dst,
		2024, 2, 29, 4, 23, 59, 58, 59,
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("component %d: got %v, want %v", i, got, want)
		}
	}
}

func TestDateTimeFailures(t *testing.T) {
	e := limitsEnv(t, new(atomic.Bool))
	_, err := call(t, e, "_DateTime:", heap.FromInt(0), heap.FromInt(prims.MsecPerDay))
	wantFailure(t, "msec of a whole day", err, "badIndexError")
	_, err = call(t, e, "_DateTime:", heap.FromInt(0), heap.FromInt(-1))
	wantFailure(t, "negative msec", err, "badIndexError")
	_, err = call(t, e, "_DateTime:", heap.FromInt(1<<40), heap.FromInt(0))
	wantFailure(t, "day far from 1970", err, "badIndexError")
	_, err = call(t, e, "_DateTime:", heap.Nil, heap.FromInt(0))
	wantFailure(t, "day not an integer", err, "badTypeError")
}

// TestTimeReal checks the clock's shape and that it reads the wall clock
// (between two readings of Go's); its value is not deterministic.
func TestTimeReal(t *testing.T) {
	e := limitsEnv(t, new(atomic.Bool))
	before := time.Now().UnixMilli()
	v, err := call(t, e, "_TimeReal", heap.Nil)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixMilli()
	got := ints(t, e, v)
	if len(got) != 2 || got[1] < 0 || got[1] >= prims.MsecPerDay {
		t.Fatalf("_TimeReal answered %v, want (day, msec) with msec in a day", got)
	}
	if ms := got[0]*prims.MsecPerDay + got[1]; ms < before || ms > after {
		t.Errorf("_TimeReal is %d ms since 1970, not between %d and %d", ms, before, after)
	}
}
