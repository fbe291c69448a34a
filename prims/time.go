package prims

import (
	"time"

	"psyche/heap"
)

// Time primitives, Self's: a time is a day (days since 1970-01-01 UTC)
// and a msec (milliseconds since that day's midnight, UTC). The wall
// clock is read here only; everything else about times is Self code
// (bootstrap's traits time).

// MsecPerDay is the number of milliseconds in a day; a time's msec is
// in [0, MsecPerDay).
const MsecPerDay = 24 * 60 * 60 * 1000

// maxDay bounds the day _DateTime: accepts (about 270,000 years either
// side of 1970), so that every component is a small integer.
const maxDay = 100_000_000

// dateTimeFields are the components _DateTime: answers, in Self's order:
// first in local time, then in UTC. Months count from 1, weekdays from 0
// (Sunday), days of the year from 0 (January 1st).
var dateTimeFields = []func(t time.Time) int64{
	func(t time.Time) int64 { return int64(t.Year()) },
	func(t time.Time) int64 { return int64(t.Month()) },
	func(t time.Time) int64 { return int64(t.Day()) },
	func(t time.Time) int64 { return int64(t.Weekday()) },
	func(t time.Time) int64 { return int64(t.Hour()) },
	func(t time.Time) int64 { return int64(t.Minute()) },
	func(t time.Time) int64 { return int64(t.Second()) },
	func(t time.Time) int64 { return int64(t.YearDay() - 1) },
}

// dateTime answers the components of the instant day, msec: the local
// ones, whether daylight saving time is in effect (1 or 0), then the UTC
// ones (see dateTimeFields).
func dateTime(day, msec int64) []int64 {
	utc := time.UnixMilli(day*MsecPerDay + msec).UTC()
	local := utc.Local()
	r := make([]int64, 0, 2*len(dateTimeFields)+1)
	for _, f := range dateTimeFields {
		r = append(r, f(local))
	}
	dst := int64(0)
	if local.IsDST() {
		dst = 1
	}
	r = append(r, dst)
	for _, f := range dateTimeFields {
		r = append(r, f(utc))
	}
	return r
}

func (e *Env) intVector(xs []int64) heap.Oop {
	v := e.M.NewVector(len(xs), heap.Nil)
	for i, x := range xs {
		e.M.VectorAtPut(v, i, heap.FromInt(x))
	}
	return v
}

func init() {
	register("_TimeReal", func(e *Env, _ heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		ms := time.Now().UnixMilli()
		return e.intVector([]int64{ms / MsecPerDay, ms % MsecPerDay}), nil
	})
	register("_DateTime:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		if !rcv.IsInt() || !args[0].IsInt() {
			return 0, errBadType
		}
		day, msec := rcv.Int(), args[0].Int()
		if day < -maxDay || day > maxDay || msec < 0 || msec >= MsecPerDay {
			return 0, errBadIndex
		}
		return e.intVector(dateTime(day, msec)), nil
	})
}
