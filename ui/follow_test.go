package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// A cursor on the first row keeps watching the worst pool: when that pool
// recovers, the newly broken one takes its place under the cursor instead
// of the view following the old pool down and hiding the new outage. A
// cursor the user moved keeps following its pool.
func TestTopCursorStaysOnWorstPool(t *testing.T) {
	t.Parallel()
	store := model.NewStore(fixedNow)
	poll := func(broken string) *model.Fleet {
		var pools []model.Pool
		for _, name := range []string{"api", "cart", "web"} {
			h := model.Healthy
			if name == broken {
				h = model.Unhealthy
			}
			pools = append(pools, model.Pool{Name: name, Backends: []model.Backend{{Name: name + "-1", Health: h, Weight: 1}}})
		}
		return store.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: t0, Pools: pools})
	}
	m := New(&fakeActor{}, Options{Now: fixedNow, NoColor: true})
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = update(t, m, FleetMsg{Fleet: poll("web")})
	if got := poolNames(m)[m.pools.list.cur]; got != "web" {
		t.Fatalf("cursor on %q, want the broken pool web", got)
	}
	m = update(t, m, FleetMsg{Fleet: poll("cart")})
	if got := poolNames(m)[m.pools.list.cur]; m.pools.list.cur != 0 || got != "cart" {
		t.Fatalf("cursor on row %d (%q), want row 0 on the newly broken cart", m.pools.list.cur, got)
	}
	m = press(t, m, "j")
	followed := poolNames(m)[m.pools.list.cur]
	m = update(t, m, FleetMsg{Fleet: poll("api")})
	if got := poolNames(m)[m.pools.list.cur]; got != followed {
		t.Fatalf("a moved cursor should follow its pool %q, is on %q", followed, got)
	}
}
