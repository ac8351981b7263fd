package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/lbtop/lbtop/model"
)

// histModel feeds a model the fleets of a store whose lb1/web backend b
// goes down at the third poll, with the store's history view, as the
// engine does.
func histModel(t *testing.T, w, h int, rules ...model.AlertRule) Model {
	t.Helper()
	now := t0
	s := model.NewStore(func() time.Time { return now })
	s.History().SetAlerts(rules)
	m := New(&fakeActor{}, Options{Now: func() time.Time { return now }, NoColor: true})
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	for i := range 6 {
		bh := model.Healthy
		if i >= 2 {
			bh = model.Unhealthy
		}
		f := s.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: now, Pools: []model.Pool{{Name: "web", Backends: []model.Backend{
			be("a", "10.0.0.1:80", model.Healthy, "UP", 1, 0, 0), be("b", "10.0.0.2:80", bh, "L4CON", 1, 0, 0),
		}}, {Name: "api", Backends: []model.Backend{be("x", "10.0.1.1:80", bh, "L4CON", 1, 0, 0)}}}})
		m = update(t, m, FleetMsg{Fleet: f, History: s.History().View(now, SparkPoints)})
		now = now.Add(2 * time.Second)
	}
	return m
}

// TestSparklineAndDownFor: the TREND column draws the healthy ratio over
// the last polls, and a pool with no healthy backend says for how long.
func TestSparklineAndDownFor(t *testing.T) {
	t.Parallel()
	v := ansi.Strip(view(histModel(t, 120, 30)))
	if !strings.Contains(v, "TREND") {
		t.Fatalf("no TREND column:\n%s", v)
	}
	var web, api string
	for _, l := range strings.Split(v, "\n") {
		switch {
		case strings.Contains(l, " web "):
			web = l
		case strings.Contains(l, " api "):
			api = l
		}
	}
	if !strings.Contains(web, "██▅▅▅▅") {
		t.Errorf("web's sparkline (2 of 2, then 1 of 2) not drawn: %q", web)
	}
	if !strings.Contains(api, "██▁▁▁▁") || !strings.Contains(api, "✘ 0/1 6s") {
		t.Errorf("api: want its sparkline and ✘ 6s down: %q", api)
	}
}

// TestBackendTimeInState: the FOR column says how long each backend has
// been in its state, from lbtop's own observation.
func TestBackendTimeInState(t *testing.T) {
	t.Parallel()
	m := openPoolNamed(t, histModel(t, 120, 30), "web")
	v := ansi.Strip(view(m))
	if !strings.Contains(v, "FOR") {
		t.Fatalf("no FOR column:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "10.0.0.2:80") && !strings.Contains(l, " 6s ") {
			t.Errorf("b down since the third poll, 6s before the last: %q", l)
		}
	}
}

// TestEventsView: e lists the transitions newest first; enter jumps to
// the event's pool; / narrows the list.
func TestEventsView(t *testing.T) {
	t.Parallel()
	m := press(t, histModel(t, 120, 30), "e")
	v := ansi.Strip(view(m))
	if !strings.Contains(v, "Events, newest first") || !strings.Contains(v, "web/b healthy → unhealthy") {
		t.Fatalf("events view:\n%s", v)
	}
	m = press(t, m, "enter")
	if p := m.pools.cursor(m.fleet); p == nil || (m.over.list == listEvents) {
		t.Fatalf("enter did not jump to a pool")
	}
}

// TestEventsFilterInPlace: / in e keeps the events in view, narrowed as
// the filter is typed; enter keeps the filter and the list.
func TestEventsFilterInPlace(t *testing.T) {
	t.Parallel()
	m := press(t, histModel(t, 120, 30), "e", "/")
	m = typeText(t, m, "api")
	v := ansi.Strip(view(m))
	if !strings.Contains(v, `Events, newest first`) || !strings.Contains(v, `matching "api"`) || strings.Contains(v, "web/b") || !strings.Contains(v, "/api") {
		t.Fatalf("typing / api in e:\n%s", v)
	}
	m = press(t, m, "enter")
	if v := ansi.Strip(view(m)); m.over.list != listEvents || !strings.Contains(v, `matching "api"`) {
		t.Fatalf("enter after the filter left the events:\n%s", v)
	}
}

// TestGoldenHistory keeps the sparkline column, the FOR column and the
// events view as frames (ui/testdata/TestGoldenHistory/*.golden).
func TestGoldenHistory(t *testing.T) {
	for name, setup := range map[string]func(m Model) Model{
		"pools":    func(m Model) Model { return m },
		"backends": func(m Model) Model { return openPoolNamed(t, m, "web") },
		"events":   func(m Model) Model { return press(t, m, "e") },
	} {
		t.Run(name, func(t *testing.T) {
			out := view(setup(histModel(t, 100, 30)))
			checkFrame(t, out, 100, 30)
			golden.RequireEqual(t, out)
		})
	}
}

// TestFiringAlertMarked: a rule firing on a pool is marked in its WHY
// cell with the rule's name.
func TestFiringAlertMarked(t *testing.T) {
	t.Parallel()
	rule, err := model.ParseAlertRule("api-capacity", "^api$", "healthy_ratio < 0.5", "2s")
	if err != nil {
		t.Fatal(err)
	}
	v := ansi.Strip(view(histModel(t, 120, 30, rule)))
	if !strings.Contains(v, "⚑ api-capacity") {
		t.Fatalf("firing rule not marked:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, " api ") && !strings.Contains(l, "⚑ api-capacity") {
			t.Fatalf("firing rule not marked on its pool: %q", l)
		}
		if strings.Contains(l, " web ") && strings.Contains(l, "⚑") {
			t.Fatalf("web marked: %q", l)
		}
	}
}
