package ui

import (
	"strconv"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// benchFleet is 10,000 pools of 10 backends (100,000 in all) on one
// source, every 50th pool broken and every 7th partly unhealthy.
func benchFleet(b *testing.B) *model.Fleet {
	b.Helper()
	pools := make([]model.Pool, 10_000)
	for i := range pools {
		p := &pools[i]
		p.Name = "svc-" + strconv.Itoa(i) + "-pool"
		p.Backends = make([]model.Backend, 10)
		for j := range p.Backends {
			h := model.Healthy
			switch {
			case i%50 == 0:
				h = model.Unhealthy
			case i%7 == 0 && j == 0:
				h = model.Draining
			}
			p.Backends[j] = model.Backend{
				Name: "svc-" + strconv.Itoa(i) + "-be-" + strconv.Itoa(j), Address: "10.0." + strconv.Itoa(i%250) + "." + strconv.Itoa(j) + ":8080",
				Health: h, Reason: "L7OK", Weight: 10, Active: int64(j), ReqRate: float64(i % 100), ErrRate: float64(i % 3), HasRates: true,
			}
		}
	}
	st := model.NewStore(fixedNow)
	return st.Ingest(model.Snapshot{Source: "prom", Kind: model.KindPrometheus, At: t0, Pools: pools})
}

func benchModel(b *testing.B, color bool) Model {
	b.Helper()
	m := New(&fakeActor{}, Options{Now: fixedNow, NoColor: !color})
	m = update(b, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	return update(b, m, FleetMsg{Fleet: benchFleet(b)})
}

// BenchmarkViewPools120x40 renders one pools frame of the 100k fleet.
// Target ≤ 2 ms/op.
func BenchmarkViewPools120x40(b *testing.B) {
	m := benchModel(b, true)
	m = press(b, m, "pgdown", "pgdown", "j")
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkViewBackends120x40 renders one backends frame.
func BenchmarkViewBackends120x40(b *testing.B) {
	m := press(b, benchModel(b, true), "enter")
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkFilterKeystroke is one filter keystroke through Update over
// 10k pools / 100k backends. Target ≤ 3 ms/op. "first" types the first
// character (a full Fleet.Select over every pool); "narrow" types one
// more character onto "svc-12" (the shown list is narrowed); "erase" is
// backspace (a full Select again).
func BenchmarkFilterKeystroke(b *testing.B) {
	base := press(b, benchModel(b, true), "/")
	typed := typeText(b, base, "svc-12")
	cases := []struct {
		name string
		m    Model
		key  string
	}{
		{"first", base, "s"},
		{"narrow", typed, "3"},
		{"erase", typed, "backspace"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			key := keyMsg(c.key)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.m.Update(key)
			}
		})
	}
}

// BenchmarkFleetUpdate is a new fleet arriving while a pool is open,
// without a filter and with the filter "svc-12" (a full Fleet.Select over
// haystacks that all share the prefix "svc-": the worst case).
func BenchmarkFleetUpdate(b *testing.B) {
	base := benchModel(b, true)
	cases := []struct {
		name string
		m    Model
	}{
		{"nofilter", press(b, base, "j", "enter")},
		{"filtered", press(b, typeText(b, press(b, base, "/"), "svc-12"), "enter", "enter")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := FleetMsg{Fleet: benchFleet(b)}
			b.ReportAllocs()
			for b.Loop() {
				f.Fleet.Gen++
				_, _ = c.m.Update(f)
			}
		})
	}
}

// diagnose gives benchFleet's pools verdicts as the store would: every
// 50th down (refused, or timeout when flip), every 7th degraded, the rest
// ok.
func diagnose(f *model.Fleet, flip bool) *model.Fleet {
	for i := range f.Pools {
		p := &f.Pools[i]
		d := model.Diagnosis{State: model.DiagOK, Cause: model.CauseOK, Summary: "10 of 10 healthy"}
		switch n := p.Healthy; {
		case n == 0 && flip:
			d = model.Diagnosis{State: model.DiagDown, Cause: model.CauseTimeout, Short: "L4TOUT", Summary: "every member times out"}
		case n == 0:
			d = model.Diagnosis{State: model.DiagDown, Cause: model.CauseRefused, Short: "L4CON", Summary: "every member refuses"}
		case n < p.Total:
			d = model.Diagnosis{State: model.DiagDegraded, Cause: model.CauseAdminDown, Short: "drained", Summary: "1 of 10 drained"}
		}
		p.Diagnosis = d
	}
	return f
}

// BenchmarkFleetUpdateDiagnosed is a new fleet of 10k diagnosed pools
// arriving, alternating between two fleets in which the 200 pools that
// are down change cause: the Δ bookkeeping at its busiest. "ui" observes
// in Update; "engine" receives the CauseWatch the engine computed.
func BenchmarkFleetUpdateDiagnosed(b *testing.B) {
	fleets := [2]*model.Fleet{diagnose(benchFleet(b), false), diagnose(benchFleet(b), true)}
	var watches [2]CauseWatch
	watches[1] = watches[1].Observe(fleets[0], t0).Observe(fleets[1], t0)
	watches[0] = watches[1].Observe(fleets[0], t0)
	for _, engine := range []bool{false, true} {
		name := "ui"
		if engine {
			name = "engine"
		}
		b.Run(name, func(b *testing.B) {
			m := update(b, press(b, benchModel(b, true), "j"), FleetMsg{Fleet: fleets[1]})
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				msg := FleetMsg{Fleet: fleets[i%2]}
				if engine {
					msg.Causes = &watches[i%2]
				}
				msg.Fleet.Gen = uint64(i + 10)
				i++
				out, _ := m.Update(msg)
				m = out.(Model)
			}
		})
	}
}

// BenchmarkCauseWatchObserve is the engine's per-fleet pass over 10k
// diagnosed pools.
func BenchmarkCauseWatchObserve(b *testing.B) {
	fleets := [2]*model.Fleet{diagnose(benchFleet(b), false), diagnose(benchFleet(b), true)}
	var cw CauseWatch
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		cw = cw.Observe(fleets[i%2], t0)
		i++
	}
}
