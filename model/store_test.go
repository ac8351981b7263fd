package model

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

func clock() func() time.Time { return func() time.Time { return t0 } }

func be(name string, h Health, reqs, errs uint64) Backend {
	return Backend{Name: name, Address: name + ":80", Health: h, Weight: 1, Requests: reqs, Errors: errs, Counters: true}
}

func snap(source string, at time.Time, pools ...Pool) Snapshot {
	return Snapshot{Source: source, Kind: KindHAProxy, At: at, Pools: pools}
}

func TestRatesFromCounterDeltas(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	s.Ingest(snap("lb1", t0, Pool{Name: "web", Backends: []Backend{be("a", Healthy, 100, 10)}}))
	f := s.Ingest(snap("lb1", t0.Add(2*time.Second), Pool{Name: "web", Backends: []Backend{be("a", Healthy, 300, 14)}}))
	b := f.Pools[0].Backends[0]
	if !b.HasRates || b.ReqRate != 100 || b.ErrRate != 2 {
		t.Fatalf("rates = %v/%v (has %v), want 100/2", b.ReqRate, b.ErrRate, b.HasRates)
	}
	if p := f.Pools[0]; !p.HasRates || p.ReqRate != 100 || p.ErrRate != 2 {
		t.Fatalf("pool rates = %v/%v", p.ReqRate, p.ErrRate)
	}
	// A reload resets counters: no rate rather than a huge negative one.
	f = s.Ingest(snap("lb1", t0.Add(4*time.Second), Pool{Name: "web", Backends: []Backend{be("a", Healthy, 5, 0)}}))
	if b := f.Pools[0].Backends[0]; b.HasRates {
		t.Fatalf("counter reset produced rate %v", b.ReqRate)
	}
	f = s.Ingest(snap("lb1", t0.Add(5*time.Second), Pool{Name: "web", Backends: []Backend{be("a", Healthy, 15, 1)}}))
	if b := f.Pools[0].Backends[0]; !b.HasRates || b.ReqRate != 10 || b.ErrRate != 1 {
		t.Fatalf("after reset rates = %v/%v", b.ReqRate, b.ErrRate)
	}
}

func TestSourceRatesKept(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	b := Backend{Name: "a", Health: Healthy, ReqRate: 7, ErrRate: 1, HasRates: true}
	f := s.Ingest(Snapshot{Source: "prom", Kind: KindPrometheus, At: t0, Pools: []Pool{{Name: "web", Backends: []Backend{b}}}})
	if got := f.Pools[0].Backends[0]; got.ReqRate != 7 || got.ErrRate != 1 {
		t.Fatalf("source-provided rates changed: %+v", got)
	}
}

func TestFailedPollKeepsDataAndMarksStale(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	s.Ingest(snap("lb1", t0, Pool{Name: "web", Backends: []Backend{be("a", Healthy, 1, 0)}}))
	f := s.Ingest(Snapshot{Source: "lb1", Kind: KindHAProxy, At: t0.Add(time.Second), Err: errors.New("dial tcp 127.0.0.1:9999: connection refused")})
	if len(f.Pools) != 1 || !f.Pools[0].Stale || !f.Pools[0].Backends[0].Stale {
		t.Fatalf("stale data not kept: %+v", f.Pools)
	}
	st, _ := f.Source("lb1")
	if st.OK || st.Err != "dial tcp 127.0.0.1:9999: connection refused" || !st.LastOK.Equal(t0) {
		t.Fatalf("status = %+v", st)
	}
	if !f.Pools[0].Problem() {
		t.Error("stale pool is not flagged as a problem")
	}
}

func TestRegisteredSourceShowsBeforeFirstPoll(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	s.Register("edge", KindEnvoy)
	f := s.Fleet()
	if len(f.Sources) != 1 || f.Sources[0].Polled || f.Sources[0].Name != "edge" {
		t.Fatalf("sources = %+v", f.Sources)
	}
}

func TestMergeInstancesIntoOnePoolLine(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	s.Ingest(snap("lb1", t0, Pool{Name: "web", Backends: []Backend{be("a", Healthy, 0, 0), be("b", Draining, 0, 0)}}))
	f := s.Ingest(snap("lb2", t0, Pool{Name: "web", Backends: []Backend{be("a", Healthy, 0, 0), be("b", Healthy, 0, 0)}}))
	if len(f.Pools) != 1 {
		t.Fatalf("want one merged pool, got %d", len(f.Pools))
	}
	p := f.Pools[0]
	if !slices.Equal(p.Sources, []string{"lb1", "lb2"}) || p.Healthy != 3 || p.Total != 4 {
		t.Fatalf("merged pool = %+v", p)
	}
	if p.Backends[0].Name != "b" || p.Backends[0].Source != "lb1" || p.Backends[0].Health != Draining {
		t.Fatalf("the draining instance should sort first: %+v", p.Backends[0])
	}
	// A different kind with the same name stays a separate line.
	f = s.Ingest(Snapshot{Source: "edge", Kind: KindEnvoy, At: t0, Pools: []Pool{{Name: "web"}}})
	if len(f.Pools) != 2 {
		t.Fatalf("kinds must not merge: %d pools", len(f.Pools))
	}
}

func TestHealthSortBrokenPoolsFirst(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	f := s.Ingest(snap("lb1", t0,
		Pool{Name: "fine", Backends: []Backend{be("a", Healthy, 0, 0), be("b", Healthy, 0, 0)}},
		Pool{Name: "half", Backends: []Backend{be("a", Healthy, 0, 0), be("b", Unhealthy, 0, 0)}},
		Pool{Name: "dead", Backends: []Backend{be("a", Down, 0, 0), be("b", Unhealthy, 0, 0)}},
		Pool{Name: "empty", Note: "selector app=x matches no pods"},
		Pool{Name: "degraded", Backends: []Backend{be("a", Degraded, 0, 0)}},
	))
	var got []string
	for _, i := range f.Select(Query{}) {
		got = append(got, f.Pools[i].Name)
	}
	want := []string{"dead", "empty", "half", "degraded", "fine"}
	if !slices.Equal(got, want) {
		t.Fatalf("health order = %v, want %v", got, want)
	}
	if f.Unhealthy() != 2 {
		t.Errorf("Unhealthy() = %d, want 2", f.Unhealthy())
	}
	got = got[:0]
	for _, i := range f.Select(Query{Sort: SortName}) {
		got = append(got, f.Pools[i].Name)
	}
	if !slices.Equal(got, []string{"dead", "degraded", "empty", "fine", "half"}) {
		t.Fatalf("name order = %v", got)
	}
}

func TestSelectFilterAndProblems(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	f := s.Ingest(snap("lb1", t0,
		Pool{Name: "Checkout-API", Backends: []Backend{be("web-1", Healthy, 0, 0)}},
		Pool{Name: "search", Backends: []Backend{be("es-7", Unhealthy, 0, 0), be("es-8", Healthy, 0, 0)}},
		Pool{Name: "auth", Backends: []Backend{be("CHECKOUT-sidecar", Healthy, 0, 0)}},
	))
	names := func(q Query) []string {
		var out []string
		for _, i := range f.Select(q) {
			out = append(out, f.Pools[i].Name)
		}
		slices.Sort(out)
		return out
	}
	cases := []struct {
		q    Query
		want []string
	}{
		{Query{Filter: "checkout"}, []string{"Checkout-API", "auth"}},
		{Query{Filter: "ES-7"}, []string{"search"}},
		{Query{Filter: "es-8:80"}, []string{"search"}},
		{Query{Filter: "nothing"}, nil},
		{Query{ProblemsOnly: true}, []string{"search"}},
		{Query{ProblemsOnly: true, Filter: "checkout"}, nil},
	}
	for _, tc := range cases {
		if got := names(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("Select(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	search := f.Pool("haproxy/search")
	if got := search.SelectBackends("es-8", false); len(got) != 1 || search.Backends[got[0]].Name != "es-8" {
		t.Errorf("SelectBackends(es-8) = %v", got)
	}
	if got := search.SelectBackends("SEARCH", false); len(got) != 2 {
		t.Errorf("a filter matching the pool name should keep all backends, got %v", got)
	}
	if got := search.SelectBackends("", true); len(got) != 1 || search.Backends[got[0]].Name != "es-7" {
		t.Errorf("problems-only backends = %v", got)
	}
}

func TestAggregatesAndMetrics(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	agg := &Aggregate{Instance: "envoy-1:9901", Healthy: 2, Total: 5, Active: 9, ReqRate: 3, HasRates: true}
	m1 := []Metric{{Name: "active", Value: 4}, {Name: "requests", Value: 100, Counter: true}}
	s.Ingest(Snapshot{Source: "p", Kind: KindPrometheus, At: t0, Pools: []Pool{{Name: "c", Aggregate: agg}}, Metrics: m1})
	m2 := []Metric{{Name: "active", Value: 5}, {Name: "requests", Value: 160, Counter: true}}
	f := s.Ingest(Snapshot{Source: "p", Kind: KindPrometheus, At: t0.Add(3 * time.Second), Pools: []Pool{{Name: "c", Aggregate: agg}}, Metrics: m2, Note: "n"})
	p := f.Pools[0]
	if p.Healthy != 2 || p.Total != 5 || p.Active != 9 || p.ReqRate != 3 || len(p.Aggregates) != 1 {
		t.Fatalf("aggregate pool = %+v", p)
	}
	st := f.Sources[0]
	if st.Note != "n" || st.Metrics[1].Rate != 20 || !st.Metrics[1].HasRate || st.Metrics[0].HasRate {
		t.Fatalf("metrics = %+v", st.Metrics)
	}
}

func TestHealthWords(t *testing.T) {
	t.Parallel()
	for h := Unknown; h <= Down; h++ {
		got, err := ParseHealth(h.String())
		if err != nil || got != h {
			t.Errorf("ParseHealth(%q) = %v, %v", h, got, err)
		}
	}
	if _, err := ParseHealth("up"); err == nil {
		t.Error("ParseHealth(up) should fail")
	}
	if Health(0).String() != "unknown" {
		t.Error("zero Health must be unknown")
	}
}

// bigSnapshots builds n backends spread over pools of per backends on 4
// sources, with names shaped like real ones.
func bigSnapshots(n, per int) []Snapshot {
	const sources = 4
	out := make([]Snapshot, sources)
	for s := range out {
		out[s] = Snapshot{Source: fmt.Sprintf("lb%d", s), Kind: KindHAProxy, At: t0}
	}
	for p := 0; p < n/per; p++ {
		pool := Pool{Name: fmt.Sprintf("svc-%05d-backend", p)}
		for b := 0; b < per; b++ {
			h := Healthy
			if (p*7+b)%13 == 0 {
				h = Unhealthy
			}
			pool.Backends = append(pool.Backends, Backend{Name: fmt.Sprintf("srv-%05d-%02d", p, b), Address: fmt.Sprintf("10.%d.%d.%d:8080", p/256%256, p%256, b), Health: h, Weight: 10, Active: int64(b), Requests: uint64(p * b), Counters: true})
		}
		s := p % sources
		out[s].Pools = append(out[s].Pools, pool)
	}
	return out
}

// BenchmarkIngest100k measures merging, rating, summarising and sorting
// 100,000 backends in 10,000 pools: the work done off the UI goroutine
// after each poll.
func BenchmarkIngest100k(b *testing.B) {
	snaps := bigSnapshots(100_000, 10)
	s := NewStore(clock())
	for _, sn := range snaps {
		s.Ingest(sn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Ingest(snaps[i%len(snaps)])
	}
}

// BenchmarkFilterKeystroke100k measures one filter keystroke over 100,000
// backends in 10,000 pools, which runs on the UI goroutine.
func BenchmarkFilterKeystroke100k(b *testing.B) {
	s := NewStore(clock())
	var f *Fleet
	for _, sn := range bigSnapshots(100_000, 10) {
		f = s.Ingest(sn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = f.Select(Query{Filter: "srv-0421"})
	}
}

func TestMergeAsJoinsKinds(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	s.Register("prom", KindPrometheus)
	s.MergeAs("prom", KindHAProxy)
	s.Ingest(snap("lb1", t0, Pool{Name: "web", Backends: []Backend{be("a", Healthy, 0, 0)}}))
	b := be("a", Unhealthy, 0, 0)
	b.Instance = "lb9:8404"
	f := s.Ingest(Snapshot{Source: "prom", Kind: KindPrometheus, At: t0, Pools: []Pool{{Name: "web", Backends: []Backend{b}}}})
	if len(f.Pools) != 1 || f.Pools[0].Key != "haproxy/web" || f.Pools[0].Total != 2 || len(f.Pools[0].Sources) != 2 {
		t.Fatalf("merge_as did not join the pools: %+v", f.Pools)
	}
	if f.Pools[0].Backends[0].InstanceName() != "lb9:8404" {
		t.Errorf("instance lost: %+v", f.Pools[0].Backends[0])
	}
	// Actions find their target whatever line its pool merged into.
	p, row := f.Locate(BackendRef{Source: "prom", Pool: "web", Backend: "a"})
	if p == nil || row == nil || p.Key != "haproxy/web" || row.Source != "prom" || row.Health != Unhealthy {
		t.Errorf("Locate(prom web/a) = %v, %+v", p, row)
	}
	if _, row := f.Locate(BackendRef{Source: "lb1", Pool: "web", Backend: "nope"}); row != nil {
		t.Errorf("Locate found a backend that is not there: %+v", row)
	}
	if p, _ := f.Locate(BackendRef{Source: "lb2", Pool: "web", Backend: "a"}); p != nil {
		t.Errorf("Locate on an unknown source found %v", p.Key)
	}
}
