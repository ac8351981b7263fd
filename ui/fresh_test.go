package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/model"
)

// freshFleet is lb1 healthy and edge failing since t0 (its last good
// poll), as of at.
func freshFleet(at time.Time) *model.Fleet {
	s := model.NewStore(func() time.Time { return at })
	s.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: at, Pools: lb1Pools(1, model.Healthy, "UP", 10)})
	s.Ingest(model.Snapshot{Source: "edge", Kind: model.KindNGINX, At: t0, Pools: []model.Pool{{Name: "pay", Backends: []model.Backend{be("p1", "10.9.0.1:80", model.Healthy, "up", 1, 0, 0)}}}})
	return s.Ingest(model.Snapshot{Source: "edge", Kind: model.KindNGINX, At: at, Err: errors.New("connection refused")})
}

// TestStaleAgeTicksWithoutPolls: with no new data, the one-second clock
// moves the stale age on the banner and the status bar.
func TestStaleAgeTicksWithoutPolls(t *testing.T) {
	t.Parallel()
	now := t0.Add(14 * time.Second)
	m := New(&fakeActor{}, Options{Now: func() time.Time { return now }, NoColor: true})
	if m.Init() == nil {
		t.Fatal("Init schedules no clock tick")
	}
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	m = update(t, m, FleetMsg{Fleet: freshFleet(now)})
	if v := view(m); !strings.Contains(v, "SOURCE FAILING: edge no data for 14s") || !strings.Contains(v, "stale 14s") {
		t.Fatalf("no stale banner at 14s:\n%s", v)
	}
	for _, want := range []string{"15s", "16s", "17s"} {
		now = now.Add(time.Second)
		var cmd tea.Cmd
		m, cmd = updateCmd(t, m, clockMsg(now))
		if cmd == nil {
			t.Fatal("the clock stopped ticking")
		}
		if v := view(m); !strings.Contains(v, "no data for "+want) || !strings.Contains(v, "stale "+want) {
			t.Fatalf("after a tick: want %s\n%s", want, v)
		}
	}
}

// TestClockOnWholeSeconds: the clock ticks on the wall clock's whole
// seconds, so every dashboard of a process ticks at the same instants.
func TestClockOnWholeSeconds(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, c := range []struct {
		after, want time.Duration
	}{{0, time.Second}, {300 * time.Millisecond, 700 * time.Millisecond}, {999 * time.Millisecond, time.Millisecond}} {
		if got := untilClock(base.Add(c.after)); got != c.want {
			t.Errorf("untilClock(%v past a second) = %v, want %v", c.after, got, c.want)
		}
	}
}

// TestRefreshKey: R asks every source to poll, from a Cmd, never from
// Update itself.
func TestRefreshKey(t *testing.T) {
	t.Parallel()
	called := make(chan struct{}, 4)
	m := New(&fakeActor{}, Options{Now: fixedNow, NoColor: true, Refresh: func() { called <- struct{}{} }})
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	m, cmd := updateCmd(t, m, keyMsg("R"))
	if len(called) != 0 {
		t.Fatal("Update called Refresh itself")
	}
	runCmd(cmd)
	select {
	case <-called:
	case <-time.After(5 * time.Second):
		t.Fatal("R's Cmd never called Refresh")
	}
	if !strings.Contains(view(m), "polling every source now") {
		t.Errorf("R says nothing:\n%s", view(m))
	}
	noRefresh := New(&fakeActor{}, Options{Now: fixedNow, NoColor: true})
	noRefresh = update(t, noRefresh, tea.WindowSizeMsg{Width: 100, Height: 24})
	if noRefresh = press(t, noRefresh, "R"); !strings.Contains(view(noRefresh), "not available") {
		t.Errorf("R without a refresher says nothing")
	}
}

// runCmd starts a Cmd and each Cmd of a batch it returns on its own
// goroutine (a tea.Tick among them only sleeps), discarding messages.
func runCmd(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	if b, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range b {
			if c != nil {
				go c()
			}
		}
	}
}

// TestPauseHoldsTheView: space freezes the list while fleets keep
// arriving; the header says PAUSED and how many updates are held; space
// again shows the newest.
func TestPauseHoldsTheView(t *testing.T) {
	t.Parallel()
	m, f := newModel(t, &fakeActor{}, Options{}, 100, 24)
	m = press(t, m, "space")
	if !strings.Contains(view(m), "PAUSED") {
		t.Fatalf("no PAUSED mark:\n%s", view(m))
	}
	gen := m.fleet.Gen
	m = update(t, m, FleetMsg{Fleet: f.poll(model.Unhealthy, "L4CON", 10)})
	m = update(t, m, FleetMsg{Fleet: f.poll(model.Unhealthy, "L4CON", 10)})
	if m.fleet.Gen != gen {
		t.Fatal("the view changed while paused")
	}
	if !strings.Contains(view(m), "2 updates held") {
		t.Fatalf("held count not shown:\n%s", view(m))
	}
	m = press(t, m, "space")
	if m.fleet.Gen <= gen || strings.Contains(view(m), "PAUSED") {
		t.Fatalf("resume did not show the newest fleet (gen %d, was %d)", m.fleet.Gen, gen)
	}
}

// TestDetailView: enter on a backend opens its detail; j shows the next
// backend with the box open; esc closes it and stays on the list.
func TestDetailView(t *testing.T) {
	t.Parallel()
	m, _ := newModel(t, envoyActor(), Options{}, 100, 30)
	m = press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-3"), "enter")
	v := view(m)
	for _, want := range []string{"web/web-3", "unhealthy: L7STS 503", "instance", "actions: d drain"} {
		if !strings.Contains(v, want) {
			t.Fatalf("detail lacks %q:\n%s", want, v)
		}
	}
	if m = press(t, m, "j"); !strings.Contains(ansi.Strip(view(m)), "┌─ web/web-1") {
		t.Fatalf("j did not show the next backend:\n%s", view(m))
	}
	if m = press(t, m, "esc"); strings.Contains(ansi.Strip(view(m)), "┌─ web/") || m.screen != screenBackends {
		t.Fatalf("esc did not close the detail only:\n%s", view(m))
	}
}

// TestSortLetters: shift+letter sorts by a column, the same letter again
// reverses, and the header shows the direction.
func TestSortLetters(t *testing.T) {
	t.Parallel()
	m, _ := newModel(t, envoyActor(), Options{}, 120, 40)
	m = press(t, m, "N")
	if got := poolNames(m); m.pools.query.Sort != model.SortName || got[0] != "payments" || !strings.Contains(view(m), "sort:name↓") {
		t.Fatalf("N: sort %v, pools %v", m.pools.query.Sort, got)
	}
	m = press(t, m, "N")
	if got := poolNames(m); got[0] != "checkout" || !strings.Contains(view(m), "sort:name↑") {
		t.Fatalf("N again: pools %v, want reversed", got)
	}
	m = press(t, m, "Q")
	if got := poolNames(m); m.pools.query.Sort != model.SortReqRate || m.pools.query.Reverse || got[0] != "web" {
		t.Fatalf("Q: sort %v reverse %v pools %v", m.pools.query.Sort, m.pools.query.Reverse, got)
	}
	m = press(t, m, "H")
	if got := poolNames(m); got[0] != "checkout" && got[0] != "api" {
		t.Fatalf("H: worst healthy ratio first, got %v", got)
	}
}

// TestJumpToPool: `:` and a prefix, tab completes, enter puts the cursor
// on the pool, clearing a filter that hid it; an unknown name says so.
func TestJumpToPool(t *testing.T) {
	t.Parallel()
	m, _ := newModel(t, envoyActor(), Options{}, 120, 40)
	m = press(t, typeText(t, press(t, m, "/"), "web"), "enter") // a filter that hides "static"
	m = typeText(t, press(t, m, ":"), "sta")
	if !strings.Contains(view(m), "enter jumps to static") {
		t.Fatalf("no completion hint:\n%s", view(m))
	}
	m = press(t, m, "tab")
	if m.input.text != "static" {
		t.Fatalf("tab completed to %q", m.input.text)
	}
	m = press(t, m, "enter")
	if p := m.pools.cursor(m.fleet); p == nil || p.Name != "static" || m.pools.query.Filter != "" {
		t.Fatalf("cursor on %v, filter %q", p, m.pools.query.Filter)
	}
	m = press(t, typeText(t, press(t, m, ":"), "nosuch"), "enter")
	if !strings.Contains(view(m), "no pool named nosuch") {
		t.Fatalf("unknown pool says nothing:\n%s", view(m))
	}
}
