package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/lbtop/lbtop/model"
)

// longFleet has long pool, backend and instance names that differ only
// at their ends, and a long reason: what must stay readable and apart at
// every width.
func longFleet() *model.Fleet {
	st := model.NewStore(fixedNow)
	var f *model.Fleet
	for _, src := range []string{"haproxy:10.20.30.40:9999", "haproxy:10.20.30.41:9999"} {
		var bs []model.Backend
		for i := range 3 {
			b := model.Backend{Name: "ads-serving-deployment-7f9c4d-" + strconv.Itoa(i), Address: "10.1.0." + strconv.Itoa(i) + ":8080",
				Health: model.Healthy, Reason: "UP", Weight: 10, Fault: model.FaultNone}
			if i == 2 {
				b.Health, b.Reason, b.Fault = model.Unhealthy, "DOWN: L4CON (Connection refused at initial connection step of tcp-check)", model.FaultRefused
			}
			bs = append(bs, b)
		}
		f = st.Ingest(model.Snapshot{Source: src, Kind: model.KindHAProxy, At: t0.Add(-time.Second), Pools: []model.Pool{
			{Name: "checkout-service-production-eu-west-1-canary", Backends: bs},
		}})
	}
	return f
}

// TestGoldenLongNames keeps long names readable: at 80, 100 and 120
// columns the rows of the two instances stay apart (their INSTANCE ends
// differ) and the reason keeps as much as fits.
func TestGoldenLongNames(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 40}} {
		for _, screen := range []string{"pools", "backends"} {
			t.Run(screen+"_"+strconv.Itoa(size[0])+"x"+strconv.Itoa(size[1]), func(t *testing.T) {
				m := New(&fakeActor{}, Options{Now: fixedNow, NoColor: true})
				m = update(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				m = update(t, m, FleetMsg{Fleet: longFleet()})
				if screen == "backends" {
					m = press(t, m, "enter")
					v := ansi.Strip(view(m))
					if !strings.Contains(v, "0:9999 ") || !strings.Contains(v, "1:9999 ") {
						t.Errorf("the two instances are not told apart:\n%s", v)
					}
				}
				out := view(m)
				checkFrame(t, out, size[0], size[1])
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestFilterFormsInTheUI: each filter form typed after / narrows the
// list as the model's Filter says, and an invalid regex says why.
func TestFilterFormsInTheUI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"web", []string{"web"}},
		{"!web", []string{"api", "checkout", "payments", "static", "cart"}},
		{"/^ca/", []string{"cart"}},
		{"kind:prom", []string{"checkout", "cart"}}, // Envoy via Prometheus and the cart exporter
		{"state:ok", []string{"static", "cart"}},
	} {
		m, _ := newModel(t, envoyActor(), Options{}, 120, 40)
		m = press(t, typeText(t, press(t, m, "/"), tc.filter), "enter")
		got := poolNames(m)
		if strings.Join(sorted(got), ",") != strings.Join(sorted(tc.want), ",") {
			t.Errorf("filter %q: pools %v, want %v", tc.filter, got, tc.want)
		}
	}
	m, _ := newModel(t, envoyActor(), Options{}, 120, 40)
	m = typeText(t, press(t, m, "/"), "/[x/")
	if v := view(m); !strings.Contains(v, "matches nothing") {
		t.Errorf("an invalid regex says nothing:\n%s", v)
	}
}

func sorted(ss []string) []string {
	out := append([]string(nil), ss...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
