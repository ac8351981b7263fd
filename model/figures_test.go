package model

import (
	"math"
	"strings"
	"testing"
)

func TestSaturatingInt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want int64
	}{
		{0, 0}, {2.9, 2}, {-2.9, -2}, {1e308, math.MaxInt64}, {-1e308, math.MinInt64},
		{math.Inf(1), math.MaxInt64}, {math.Inf(-1), math.MinInt64}, {math.NaN(), 0},
		{9223372036854775807, math.MaxInt64}, {-9223372036854775808, math.MinInt64},
		{9.2e18, 9200000000000000000},
	} {
		if got := SaturatingInt(tc.in); got != tc.want {
			t.Errorf("SaturatingInt(%g) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCheckFigures(t *testing.T) {
	t.Parallel()
	r := Range{Min: 0, Max: 256}
	for _, tc := range []struct {
		name         string
		in           Backend
		health       Health
		reason       string
		weight       int
		active       int64
		reasonPrefix bool
	}{
		{"in range", Backend{Weight: 256, Active: 3, Health: Healthy, Reason: "UP"}, Healthy, "UP", 256, 3, false},
		{"not reported", Backend{Weight: -1, Health: Healthy, Reason: "UP"}, Healthy, "UP", -1, 0, false},
		{"negative weight", Backend{Weight: -5, Health: Healthy, Reason: "UP"}, Unknown, "invalid weight -5 from source; UP", -1, 0, false},
		{"huge weight", Backend{Weight: math.MaxInt64, Health: Healthy}, Unknown, "invalid weight 9223372036854775807 from source", -1, 0, false},
		{"negative active", Backend{Weight: 1, Active: -3, Health: Unhealthy, Reason: "DOWN"}, Unknown, "invalid active -3 from source; DOWN", 1, 0, false},
		{"both", Backend{Weight: 300, Active: -1, Health: Healthy}, Unknown, "invalid active -1 from source; invalid weight 300 from source", -1, 0, false},
	} {
		b := tc.in
		CheckFigures(&b, r)
		if b.Health != tc.health || b.Reason != tc.reason || b.Weight != tc.weight || b.Active != tc.active {
			t.Errorf("%s: got %v %q weight %d active %d, want %v %q %d %d", tc.name, b.Health, b.Reason, b.Weight, b.Active, tc.health, tc.reason, tc.weight, tc.active)
		}
	}
}

func TestCheckAggregate(t *testing.T) {
	t.Parallel()
	a := Aggregate{Healthy: -1, Total: 3, Active: -9}
	why := CheckAggregate(&a)
	if a.Healthy != 0 || a.Total != 3 || a.Active != 0 || !strings.Contains(why, "invalid healthy -1 from source") || !strings.Contains(why, "invalid active -9") {
		t.Errorf("got %+v %q", a, why)
	}
	if why := CheckAggregate(&Aggregate{Healthy: 1, Total: 2}); why != "" {
		t.Errorf("valid aggregate rejected: %q", why)
	}
}
