package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/lbtop/lbtop/model"
)

// TestGolden compares whole frames with ui/testdata/TestGolden/*.golden
// (regenerate with `go test ./ui -update`). The fixture has a pool with no
// healthy backend, a partly unhealthy one, a stale Envoy source and an
// NGINX OSS source with stub_status figures only.
func TestGolden(t *testing.T) {
	screens := []struct {
		name  string
		setup func(t *testing.T, m Model) Model
	}{
		{"pools", func(_ *testing.T, m Model) Model { return m }},
		{"pools_filtered", func(t *testing.T, m Model) Model {
			return press(t, typeText(t, press(t, m, "/"), "web"), "enter")
		}},
		{"backends", func(t *testing.T, m Model) Model { return openPoolNamed(t, m, "web") }},
		{"backends_stale", func(t *testing.T, m Model) Model { return openPoolNamed(t, m, "payments") }},
		{"backends_aggregate", func(t *testing.T, m Model) Model { return openPoolNamed(t, m, "checkout") }},
		{"backends_instances", func(t *testing.T, m Model) Model { return openPoolNamed(t, m, "cart") }},
		{"confirm_drain", func(t *testing.T, m Model) Model {
			return press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-2"), "d")
		}},
		{"confirm_proxy_fail", func(t *testing.T, m Model) Model {
			return press(t, openPoolNamed(t, freshEdge(t, m), "payments"), "F")
		}},
		{"pending", func(t *testing.T, m Model) Model {
			// Draining web-2 leaves 1 of 3 serving: below the floor, so
			// the pool name is typed and enter applies.
			m = typeText(t, press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-2"), "d"), "web")
			m, _ = updateCmd(t, m, keyMsg("enter")) // the Executor's Cmd is not run: still pending
			return m
		}},
		{"confirm_drain_ordinary", func(t *testing.T, m Model) Model {
			return press(t, cursorTo(t, openPoolNamed(t, m, "static"), "static-1"), "d")
		}},
		{"actions_empty", func(t *testing.T, m Model) Model { return press(t, m, "a") }},
		{"out_of_rotation", func(t *testing.T, m Model) Model { return press(t, m, "o") }},
		{"out_of_rotation_proxy", func(t *testing.T, m Model) Model { // the count includes the failing proxy's row
			f := newFixture()
			f.poll(model.Healthy, "UP", 10)
			m = update(t, m, FleetMsg{Fleet: f.store.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0, ProxyFailing: true, Pools: []model.Pool{{Name: "payments", Backends: []model.Backend{
				{Name: "10.1.0.1:443", Address: "10.1.0.1:443", Health: model.Healthy, Weight: 1},
			}}}})})
			return press(t, m, "o")
		}},
		{"help", func(t *testing.T, m Model) Model { return press(t, m, "?") }},
		{"detail", func(t *testing.T, m Model) Model {
			return press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-3"), "enter")
		}},
		{"paused", func(t *testing.T, m Model) Model { return press(t, m, "space") }},
	}
	for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 40}} {
		w, h := size[0], size[1]
		for _, s := range screens {
			t.Run(s.name+"_"+strconv.Itoa(w)+"x"+strconv.Itoa(h), func(t *testing.T) {
				m, _ := newModel(t, envoyActor(), Options{}, w, h)
				m = s.setup(t, m)
				out := view(m)
				checkFrame(t, out, w, h)
				if again := view(m); again != out {
					t.Fatal("View is not deterministic: two calls differ")
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestGoldenReadOnlyHelp shows the help without action keys.
func TestGoldenReadOnlyHelp(t *testing.T) {
	m, _ := newModel(t, &fakeActor{}, Options{ReadOnly: true}, 80, 24)
	out := view(press(t, m, "?"))
	checkFrame(t, out, 80, 24)
	golden.RequireEqual(t, out)
}

// checkFrame asserts the frame fills the terminal and no line overflows.
func checkFrame(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Fatalf("line %d is %d cells wide, terminal is %d: %q", i, lw, w, l)
		}
	}
}

// TestNarrowTerminals renders every screen at awkward sizes.
func TestNarrowTerminals(t *testing.T) {
	for _, size := range [][2]int{{20, 4}, {40, 10}, {60, 15}, {200, 60}} {
		m, _ := newModel(t, envoyActor(), Options{}, size[0], size[1])
		for _, k := range []string{"", "?", "?", "enter", "d", "n", "F", "esc", "esc"} {
			if k != "" {
				m = press(t, m, k)
			}
			checkFrame(t, view(m), size[0], size[1])
		}
	}
}
