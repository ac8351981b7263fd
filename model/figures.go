package model

import (
	"math"
	"strconv"
)

// SaturatingInt converts f to an int64, rounding toward zero. Values
// beyond the int64 range become math.MaxInt64 or math.MinInt64 instead of
// wrapping (Go's conversion is undefined there: a Prometheus 1e308 was
// shown as weight −9223372036854775808), and NaN becomes 0.
func SaturatingInt(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64: // float64(MaxInt64) is 2^63, already out of range
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// Range is the documented range of a figure a system reports.
type Range struct{ Min, Max int64 }

// Contains reports whether v lies within r, bounds included.
func (r Range) Contains(v int64) bool { return v >= r.Min && v <= r.Max }

// CheckFigures rejects a backend's figures that lie outside what its
// system documents: a weight outside weight (unless -1, "not reported")
// or a negative connection count. A rejected figure is not shown (weight
// -1, active 0) and the backend's health becomes Unknown, its reason
// naming the value ("invalid weight -5 from source"), ahead of what the
// system said: lbtop does not know what such a backend does.
func CheckFigures(b *Backend, weight Range) {
	if b.Weight != -1 && !weight.Contains(int64(b.Weight)) {
		rejectFigure(b, "weight", int64(b.Weight))
		b.Weight = -1
	}
	if b.Active < 0 {
		rejectFigure(b, "active", b.Active)
		b.Active = 0
	}
}

// rejectFigure marks b Unknown with the invalid figure as its reason.
func rejectFigure(b *Backend, field string, v int64) {
	why := "invalid " + field + " " + strconv.FormatInt(v, 10) + " from source"
	if b.Reason != "" {
		why += "; " + b.Reason
	}
	b.Health, b.Reason = Unknown, why
}

// CheckAggregate clamps an aggregate's negative counts to 0 and returns
// why ("invalid total -3 from source"), or "" when every count is valid.
func CheckAggregate(a *Aggregate) string {
	why := ""
	check := func(field string, v int64) bool {
		if v >= 0 {
			return true
		}
		if why != "" {
			why += "; "
		}
		why += "invalid " + field + " " + strconv.FormatInt(v, 10) + " from source"
		return false
	}
	if !check("healthy", int64(a.Healthy)) {
		a.Healthy = 0
	}
	if !check("total", int64(a.Total)) {
		a.Total = 0
	}
	if !check("active", a.Active) {
		a.Active = 0
	}
	return why
}
