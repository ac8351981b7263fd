package model

import (
	"slices"
	"testing"
)

// diagFleet builds a fleet by hand, as the store would after diagnosis,
// and sorts it.
func diagFleet(pools ...PoolRow) *Fleet {
	f := &Fleet{Pools: pools}
	for i := range f.Pools {
		f.Pools[i].Key = string(KindHAProxy) + "/" + f.Pools[i].Name
	}
	f.sort()
	return f
}

func names(f *Fleet, idx []int32) []string {
	var out []string
	for _, i := range idx {
		out = append(out, f.Pools[i].Name)
	}
	return out
}

func diagPool(name string, healthy, total int, st DiagState, c Cause) PoolRow {
	return PoolRow{Name: name, Healthy: healthy, Total: total, Diagnosis: Diagnosis{State: st, Cause: c}}
}

// TestSortByDiagnosis: the default order is down, degraded, warning,
// unknown, ok, whatever the healthy ratio; within a state, no healthy
// backend first, then the name: an order that holds still between polls.
func TestSortByDiagnosis(t *testing.T) {
	t.Parallel()
	f := diagFleet(
		diagPool("ok-a", 3, 3, DiagOK, CauseOK),
		diagPool("warn-skew", 3, 3, DiagWarning, CauseWeightSkew),
		diagPool("degraded-errors", 4, 4, DiagDegraded, CauseErrors),
		diagPool("down-refused", 0, 2, DiagDown, CauseRefused),
		diagPool("unknown-stale", 2, 2, DiagUnknown, CauseSourceUnreachable),
		diagPool("degraded-half", 1, 2, DiagDegraded, CauseTimeout),
		diagPool("down-empty", 0, 0, DiagDown, CauseNoEndpoints),
		diagPool("ok-b", 5, 5, DiagOK, CauseOK),
	)
	got := names(f, f.Select(Query{}))
	want := []string{"down-empty", "down-refused", "degraded-errors", "degraded-half", "warn-skew", "unknown-stale", "ok-a", "ok-b"}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
}

// TestSortUndiagnosedKeepsHealthOrder: with no diagnosis (all zero) the
// order is the one before diagnosis existed.
func TestSortUndiagnosedKeepsHealthOrder(t *testing.T) {
	t.Parallel()
	f := diagFleet(
		PoolRow{Name: "full", Healthy: 3, Total: 3},
		PoolRow{Name: "half", Healthy: 1, Total: 2},
		PoolRow{Name: "none", Healthy: 0, Total: 2},
	)
	if got, want := names(f, f.Select(Query{})), []string{"none", "half", "full"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// TestProblemUsesDiagnosis: a diagnosed pool is a problem when its state
// is not ok or its data is stale; an undiagnosed one falls back to counts.
func TestProblemUsesDiagnosis(t *testing.T) {
	t.Parallel()
	stale := diagPool("stale-ok", 2, 2, DiagOK, CauseOK)
	stale.Stale = true
	drainedOK := diagPool("one-drained-ok", 2, 3, DiagOK, CauseOK) // diagnosis says fine
	errs := diagPool("errors", 3, 3, DiagDegraded, CauseErrors)
	errs.ErrRate = 5
	cases := []struct {
		p    PoolRow
		want bool
	}{
		{diagPool("ok", 3, 3, DiagOK, CauseOK), false},
		{drainedOK, false},
		{stale, true},
		{diagPool("warning", 3, 3, DiagWarning, CauseImbalance), true},
		{errs, true},
		{diagPool("down", 0, 3, DiagDown, CauseDNS), true},
		{diagPool("unknown", 3, 3, DiagUnknown, CauseSourceUnreachable), true},
		{PoolRow{Name: "undiagnosed-partial", Healthy: 1, Total: 2}, true},
		{PoolRow{Name: "undiagnosed-empty"}, true},
		{PoolRow{Name: "undiagnosed-full", Healthy: 2, Total: 2}, false},
	}
	for _, c := range cases {
		if got := c.p.Problem(); got != c.want {
			t.Errorf("%s: Problem() = %v, want %v", c.p.Name, got, c.want)
		}
	}
	f := diagFleet(cases[0].p, cases[2].p, cases[3].p, cases[5].p)
	if got, want := names(f, f.Select(Query{ProblemsOnly: true})), []string{"down", "warning", "stale-ok"}; !slices.Equal(got, want) {
		t.Fatalf("problems only %v, want %v", got, want)
	}
}

// TestOrdersLazyAndInDemand: an order the UI used is built with the next
// fleets, one it never asked for is not, and an order built on first use
// is the one built with the fleet.
func TestOrdersLazyAndInDemand(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	var f *Fleet
	for _, sn := range bigSnapshots(2_000, 10) {
		f = s.Ingest(sn)
	}
	if f.orders.order[SortReqRate] != nil || f.orders.order[SortWeight] != nil {
		t.Fatal("orders nobody asked for were built with the fleet")
	}
	// No rates yet: ties everywhere, broken by name.
	if got, want := f.Select(Query{Sort: SortReqRate}), f.Select(Query{Sort: SortName}); !slices.Equal(got, want) {
		t.Error("equal rates are not in name order")
	}
	for k := range numSortKeys {
		f.Select(Query{Sort: k})
	}
	f = s.Ingest(bigSnapshots(2_000, 10)[0])
	lazy := &Fleet{Pools: f.Pools}
	lazy.sort()
	for k := range numSortKeys {
		if f.orders.order[k] == nil {
			t.Errorf("order %v in use was not built with the next fleet", k)
		}
		if got, want := lazy.Select(Query{Sort: k}), f.Select(Query{Sort: k}); !slices.Equal(got, want) || len(got) != len(f.Pools) {
			t.Errorf("order %v built on first use differs from the one built with the fleet", k)
		}
	}
}
