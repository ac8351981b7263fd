package prometheus

import (
	"fmt"
	"math"
	"testing"

	pmodel "github.com/prometheus/common/model"

	"github.com/lbtop/lbtop/model"
)

// sample builds one vector element from alternating label names and
// values.
func sample(v float64, kv ...string) *pmodel.Sample {
	m := pmodel.Metric{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[pmodel.LabelName(kv[i])] = pmodel.LabelValue(kv[i+1])
	}
	return &pmodel.Sample{Metric: m, Value: pmodel.SampleValue(v)}
}

// vectors returns one vector per query of sp, filled from byFig.
func vectors(sp spec, byFig map[figure]pmodel.Vector) []pmodel.Vector {
	out := make([]pmodel.Vector, len(sp.queries))
	for i, q := range sp.queries {
		out[i] = byFig[q.fig]
	}
	return out
}

func mustPreset(t testing.TB, name string) spec {
	t.Helper()
	sp, ok := presetSpec(name, "1m")
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	return sp
}

func TestBuildPoolsHAProxy(t *testing.T) {
	sp := mustPreset(t, PresetHAProxy)
	hp := func(v float64, inst, srv string, extra ...string) *pmodel.Sample {
		return sample(v, append([]string{"instance", inst, "proxy", "web", "server", srv}, extra...)...)
	}
	vecs := vectors(sp, map[figure]pmodel.Vector{
		figState: {
			hp(1, "lb1:8404", "s1", "state", "UP"),
			hp(1, "lb2:8404", "s1", "state", "DOWN"),
			hp(1, "lb1:8404", "s2", "state", "MAINT"),
			hp(1, "lb1:8404", "s3", "state", "NOLB"),
			hp(1, "lb1:8404", "s4", "state", "SOMETHING_NEW"),
			sample(1, "instance", "lb1:8404", "server", "orphan", "state", "UP"), // no proxy label: skipped
		},
		figCheck: {
			hp(1, "lb1:8404", "s1", "state", "L7OK"),
			hp(1, "lb2:8404", "s1", "state", "L7STS"),
		},
		figWeight: {hp(3, "lb1:8404", "s1"), hp(0, "lb2:8404", "s1")},
		figActive: {hp(12, "lb1:8404", "s1"), hp(math.NaN(), "lb1:8404", "s2")},
		figBackup: {hp(1, "lb1:8404", "s3")},
		figReqRate: {
			hp(10.5, "lb1:8404", "s1"),
			hp(1, "lb1:8404", "s5"), // rates but no state: Unknown
		},
		figErrRate: {hp(0.5, "lb1:8404", "s1")},
	})
	pools := buildPools([]spec{sp}, [][]pmodel.Vector{vecs})
	if len(pools) != 1 || pools[0].Name != "web" {
		t.Fatalf("pools %+v, want one pool web", pools)
	}
	want := []model.Backend{
		{Name: "s1", Instance: "lb1:8404", Health: model.Healthy, Reason: "UP", Weight: 3, Active: 12, ReqRate: 10.5, ErrRate: 0.5, HasRates: true},
		{Name: "s1", Instance: "lb2:8404", Health: model.Unhealthy, Reason: "DOWN L7STS", Weight: 0},
		{Name: "s2", Instance: "lb1:8404", Health: model.Down, Reason: "MAINT", Weight: -1},
		{Name: "s3", Instance: "lb1:8404", Health: model.Draining, Reason: "NOLB", Weight: -1, Backup: true},
		{Name: "s4", Instance: "lb1:8404", Health: model.Unknown, Reason: "SOMETHING_NEW", Weight: -1},
		{Name: "s5", Instance: "lb1:8404", Health: model.Unknown, Reason: "no haproxy_server_status series", Weight: -1, ReqRate: 1, HasRates: true},
	}
	got := pools[0].Backends
	if len(got) != len(want) {
		t.Fatalf("got %d backends %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("backend %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestBuildPoolsNGINXPlus(t *testing.T) {
	sp := mustPreset(t, PresetNGINXPlus)
	var states pmodel.Vector
	for code := 0; code <= 7; code++ {
		states = append(states, sample(float64(code), "instance", "n1", "upstream", "app", "server", fmt.Sprintf("10.0.0.%d:80", code)))
	}
	pools := buildPools([]spec{sp}, [][]pmodel.Vector{vectors(sp, map[figure]pmodel.Vector{figStateCode: states})})
	want := []struct {
		health model.Health
		reason string
	}{
		{model.Unknown, "state 0"},
		{model.Healthy, "up"},
		{model.Draining, "draining"},
		{model.Down, "down"},
		{model.Unhealthy, "unavail"},
		{model.Unknown, "checking"},
		{model.Unhealthy, "unhealthy"},
		{model.Unknown, "state 7"},
	}
	if len(pools) != 1 || len(pools[0].Backends) != len(want) {
		t.Fatalf("pools %+v", pools)
	}
	for i, w := range want {
		b := pools[0].Backends[i]
		if b.Health != w.health || b.Reason != w.reason {
			t.Errorf("state %d: got %s %q, want %s %q", i, b.Health, b.Reason, w.health, w.reason)
		}
	}
}

func TestBuildPoolsEnvoy(t *testing.T) {
	sp := mustPreset(t, PresetEnvoy)
	c := func(v float64, inst, cluster string) *pmodel.Sample {
		return sample(v, "instance", inst, "envoy_cluster_name", cluster)
	}
	vecs := vectors(sp, map[figure]pmodel.Vector{
		figMemHealthy:  {c(2, "e1", "api"), c(0, "e2", "api"), c(1, "e1", "web")},
		figMemDegraded: {c(1, "e1", "api"), c(0, "e2", "api"), c(0, "e1", "web")},
		figMemTotal:    {c(4, "e1", "api"), c(4, "e2", "api"), c(1, "e1", "web")},
		figActive:      {c(7, "e1", "api")},
		figReqRate:     {c(20, "e1", "api")},
		figErrRate:     {c(2, "e1", "api")},
		figPanic:       {c(0.2, "e2", "api")},
		figNoneHealthy: {c(0.1, "e2", "api"), c(3, "e3", "gone")},
	})
	pools := buildPools([]spec{sp}, [][]pmodel.Vector{vecs})
	want := []struct {
		name string
		agg  model.Aggregate
		note string
	}{
		{"api", model.Aggregate{Instance: "e1", Healthy: 3, Total: 4, Active: 7, ReqRate: 20, ErrRate: 2, HasRates: true}, ""},
		{"api", model.Aggregate{Instance: "e2", Healthy: 0, Total: 4}, "e2: no healthy upstream (upstream_cx_none_healthy rising) and load balancer in panic mode (lb_healthy_panic rising)"},
		{"gone", model.Aggregate{Instance: "e3"}, "e3: no healthy upstream (upstream_cx_none_healthy rising)"},
		{"web", model.Aggregate{Instance: "e1", Healthy: 1, Total: 1}, ""},
	}
	if len(pools) != len(want) {
		t.Fatalf("got %d pools %+v, want %d", len(pools), pools, len(want))
	}
	for i, w := range want {
		p := pools[i]
		if p.Name != w.name || p.Aggregate == nil || *p.Aggregate != w.agg || p.Note != w.note || len(p.Backends) != 0 {
			t.Errorf("pool %d: got %s %+v %q, want %s %+v %q", i, p.Name, p.Aggregate, p.Note, w.name, w.agg, w.note)
		}
	}
}

func TestBuildPoolsMapping(t *testing.T) {
	m := Mapping{Name: "m", PoolLabel: "svc", BackendLabel: "pod", InstanceLabel: "-", Health: "h", Active: "a"}
	sp := m.spec()
	s := func(v float64, pod string) *pmodel.Sample {
		return sample(v, "svc", "cart", "pod", pod, "instance", "ignored")
	}
	vecs := vectors(sp, map[figure]pmodel.Vector{
		figHealth: {s(1, "p1"), s(0, "p2"), s(0.5, "p3")},
		figActive: {s(4, "p1"), s(9, "p4")},
	})
	pools := buildPools([]spec{sp}, [][]pmodel.Vector{vecs})
	want := []model.Backend{
		{Name: "p1", Health: model.Healthy, Weight: -1, Active: 4},
		{Name: "p2", Health: model.Unhealthy, Reason: "health query returned 0", Weight: -1},
		{Name: "p3", Health: model.Unknown, Reason: "health query returned 0.5", Weight: -1},
		{Name: "p4", Health: model.Unknown, Reason: "no health series", Weight: -1, Active: 9},
	}
	if len(pools) != 1 || len(pools[0].Backends) != len(want) {
		t.Fatalf("pools %+v", pools)
	}
	for i, w := range want {
		if got := pools[0].Backends[i]; got != w {
			t.Errorf("backend %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}

// haproxyVectors builds the HAProxy preset's results for pools × servers
// on one instance, shaped like a real PROMEX answer: every server has a
// state, a check status, weight, sessions and both rates.
func haproxyVectors(sp spec, pools, servers int) []pmodel.Vector {
	byFig := map[figure]pmodel.Vector{}
	states := []string{"UP", "UP", "UP", "DOWN", "MAINT", "DRAIN"}
	for p := range pools {
		proxy := fmt.Sprintf("backend-%04d", p)
		for s := range servers {
			srv := fmt.Sprintf("srv-%02d", s)
			lbl := []string{"instance", "10.0.0.1:8404", "proxy", proxy, "server", srv}
			st := states[(p+s)%len(states)]
			byFig[figState] = append(byFig[figState], sample(1, append(lbl, "state", st)...))
			byFig[figCheck] = append(byFig[figCheck], sample(1, append(lbl, "state", "L7OK")...))
			for _, f := range []figure{figWeight, figActive, figReqRate, figErrRate} {
				byFig[f] = append(byFig[f], sample(float64(s), lbl...))
			}
		}
	}
	return vectors(sp, byFig)
}

// BenchmarkBuildPools maps 1,000 pools × 10 servers (seven queries,
// 60,000 samples) into a snapshot's pools.
func BenchmarkBuildPools(b *testing.B) {
	sp := mustPreset(b, PresetHAProxy)
	vecs := haproxyVectors(sp, 1000, 10)
	b.ReportAllocs()
	for b.Loop() {
		pools := buildPools([]spec{sp}, [][]pmodel.Vector{vecs})
		if len(pools) != 1000 {
			b.Fatalf("%d pools", len(pools))
		}
	}
}
