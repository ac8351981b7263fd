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
