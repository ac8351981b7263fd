package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

var (
	_ Actor     = (*sources.Hub)(nil)
	_ tea.Model = Model{}
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func fixedNow() time.Time { return t0 }

// fakeActor counts calls to Do and answers Supports from a table.
type fakeActor struct {
	calls   int
	done    []model.Action
	why     map[model.ActionKind]string // unsupported kinds and the reason
	err     error
	ignore  bool // Do succeeds but the system does not change
	support func(source string, k model.ActionKind) (bool, string)
}

func (f *fakeActor) Supports(source string, k model.ActionKind) (bool, string) {
	if f.support != nil {
		return f.support(source, k)
	}
	if why, ok := f.why[k]; ok {
		return false, why
	}
	return true, ""
}

func (f *fakeActor) Do(_ context.Context, a model.Action) error {
	f.calls++
	f.done = append(f.done, a)
	return f.err
}

// envoyActor behaves like the real sources: Envoy fails whole proxies
// only, NGINX OSS does nothing, HAProxy does backend actions.
func envoyActor() *fakeActor {
	return &fakeActor{support: func(source string, k model.ActionKind) (bool, string) {
		switch source {
		case "edge":
			if k.ProxyLevel() {
				return true, ""
			}
			return false, "Envoy's admin API cannot " + k.String() + " one host; change it in the control plane"
		case "lb1":
			if k.ProxyLevel() {
				return false, "haproxy source \"lb1\" cannot " + k.String()
			}
			return true, ""
		}
		return false, fmt.Sprintf("no source named %q", source)
	}}
}

func be(name, addr string, h model.Health, reason string, weight int, req, errs uint64) model.Backend {
	return model.Backend{Name: name, Address: addr, Health: h, Reason: reason, Weight: weight,
		Active: int64(weight), Requests: req, Errors: errs, Counters: true}
}

// lb1Pools is HAProxy "lb1": api is broken, web partly, static fine.
// scale multiplies counters so two polls give rates.
func lb1Pools(scale uint64, web2 model.Health, web2Reason string, web2Weight int) []model.Pool {
	return []model.Pool{
		{Name: "web", Backends: []model.Backend{
			be("web-1", "10.0.0.1:8080", model.Healthy, "UP", 10, 100*scale, 0),
			be("web-2", "10.0.0.2:8080", web2, web2Reason, web2Weight, 120*scale, 2*scale),
			be("web-3", "10.0.0.3:8080", model.Unhealthy, "L7STS 503", 10, 50*scale, 10*scale),
		}},
		{Name: "api", Backends: []model.Backend{
			be("api-1", "10.0.1.1:9000", model.Unhealthy, "L4CON Connection refused", 1, 0, 0),
			be("api-2", "10.0.1.2:9000", model.Down, "MAINT", 1, 0, 0),
		}},
		{Name: "static", Backends: []model.Backend{
			be("static-1", "10.0.2.1:80", model.Healthy, "UP", 1, 10*scale, 0),
			be("static-2", "10.0.2.2:80", model.Healthy, "UP", 1, 10*scale, 0),
		}},
	}
}

// fixture feeds a store like the engine does: HAProxy lb1 (two polls, so
// rates exist), Envoy edge (good, then failing: stale), NGINX OSS with
// stub_status figures only.
type fixture struct {
	store *model.Store
	at    time.Time // time of lb1's last poll
}

func newFixture() *fixture {
	f := &fixture{store: model.NewStore(fixedNow), at: t0.Add(-3 * time.Second)}
	f.store.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: f.at, Pools: lb1Pools(1, model.Healthy, "UP", 10)})
	f.store.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0.Add(-20 * time.Second), Pools: []model.Pool{
		{Name: "payments", Backends: []model.Backend{
			{Name: "10.1.0.1:443", Address: "10.1.0.1:443", Health: model.Healthy, Weight: 1},
			{Name: "10.1.0.2:443", Address: "10.1.0.2:443", Health: model.Unhealthy, Reason: "/failed_outlier_check", Weight: 1},
		}},
	}})
	f.store.Ingest(model.Snapshot{Source: "nginx-oss", Kind: model.KindNGINX, At: t0.Add(-4 * time.Second),
		Metrics: []model.Metric{{Name: "active", Value: 12}, {Name: "requests", Value: 1000, Counter: true}},
		Note:    "open-source NGINX exposes no per-upstream state"})
	f.store.Ingest(model.Snapshot{Source: "nginx-oss", Kind: model.KindNGINX, At: t0.Add(-2 * time.Second),
		Metrics: []model.Metric{{Name: "active", Value: 12}, {Name: "requests", Value: 1069, Counter: true}},
		Note:    "open-source NGINX exposes no per-upstream state"})
	f.store.Ingest(model.Snapshot{Source: "prom", Kind: model.KindPrometheus, At: t0.Add(-5 * time.Second), Pools: []model.Pool{
		{Name: "checkout", Note: "envoy cluster membership only: no per-host detail through Prometheus",
			Aggregate: &model.Aggregate{Instance: "envoy-3:9901", Healthy: 0, Total: 4, Active: 7, ReqRate: 0, ErrRate: 3.5, HasRates: true}},
		{Name: "cart", Backends: []model.Backend{
			{Name: "cart-1", Address: "10.2.0.1:80", Instance: "lb-a:8404", Health: model.Healthy, Reason: "UP", Weight: 1, ReqRate: 12.25, HasRates: true},
			{Name: "cart-1", Address: "10.2.0.1:80", Instance: "lb-b:8404", Health: model.Degraded, Reason: "backup in use", Weight: 1, ReqRate: 3, HasRates: true},
		}},
	}})
	f.store.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0.Add(-2 * time.Second),
		Err: errors.New("GET http://127.0.0.1:9901/clusters?format=json: connection refused")})
	return f
}

// poll ingests one more lb1 poll, 2s after the previous, with web-2 in
// the given state.
func (f *fixture) poll(web2 model.Health, reason string, weight int) *model.Fleet {
	f.at = f.at.Add(2 * time.Second)
	return f.store.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: f.at,
		Pools: lb1Pools(2, web2, reason, weight)})
}

// newModel returns a model of w×h showing the fixture after lb1's second poll.
func newModel(t testing.TB, actor Actor, opts Options, w, h int) (Model, *fixture) {
	t.Helper()
	opts.Now = fixedNow
	opts.NoColor = true
	f := newFixture()
	if d, ok := actor.(doer); ok && opts.Executor == nil && !opts.ReadOnly {
		opts.Executor = lb1Runner(d)
	}
	m := New(actor, opts)
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = update(t, m, FleetMsg{Fleet: withDiagnoses(f.poll(model.Healthy, "UP", 10), fixtureDiagnoses, false)})
	return m, f
}

// doer is a test actor that also plays the system: it takes the writes.
type doer interface {
	Actor
	Do(ctx context.Context, a model.Action) error
}

// lb1Runner is the real actions.Runner over a test actor: writes go to
// its Do, and verifying polls read lb1 as the actor's writes left it
// (unless the actor ignores them), so the UI runs the production path.
func lb1Runner(d doer) *actions.Runner {
	return &actions.Runner{
		Do: d.Do,
		Poll: func(_ context.Context, src string) model.Snapshot {
			web2 := be("web-2", "10.0.0.2:8080", model.Healthy, "UP", 10, 240, 4)
			if f, ok := d.(*fakeActor); ok && !f.ignore {
				for _, a := range f.done {
					if a.Ref.Backend != "web-2" {
						continue
					}
					switch a.Kind {
					case model.ActionDrain:
						web2.Health, web2.Reason, web2.Admin = model.Draining, "DRAIN", model.AdminDrain
					case model.ActionMaint:
						web2.Health, web2.Reason, web2.Admin = model.Down, "MAINT", model.AdminMaint
					case model.ActionReady:
						web2.Health, web2.Reason, web2.Admin = model.Healthy, "UP", model.AdminReady
					case model.ActionWeight:
						web2.Weight = a.Weight
					}
				}
			}
			pools := lb1Pools(2, web2.Health, web2.Reason, web2.Weight)
			pools[0].Backends[1].Admin = web2.Admin
			return model.Snapshot{Source: src, Kind: model.KindHAProxy, At: time.Now(), Pools: pools}
		},
		VerifyTimeout: 300 * time.Millisecond,
		PollEvery:     20 * time.Millisecond,
	}
}

// update applies one message and returns the concrete model.
func update(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	out, _ := m.Update(msg)
	mm, ok := out.(Model)
	if !ok {
		t.Fatalf("Update returned %T, want ui.Model", out)
	}
	return mm
}

// updateCmd applies one message and returns the model and its Cmd.
func updateCmd(t testing.TB, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	out, cmd := m.Update(msg)
	return out.(Model), cmd
}

// keyMsg builds the KeyPressMsg a terminal sends for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	special := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "up": tea.KeyUp, "down": tea.KeyDown,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "backspace": tea.KeyBackspace,
		"home": tea.KeyHome, "end": tea.KeyEnd,
	}
	if c, ok := special[k]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	if strings.HasPrefix(k, "ctrl+") {
		return tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	if r >= 'A' && r <= 'Z' {
		return tea.KeyPressMsg{Code: r + 'a' - 'A', ShiftedCode: r, Mod: tea.ModShift, Text: k}
	}
	return tea.KeyPressMsg{Code: r, Text: k}
}

// press sends keys in order; a key of several characters that is not a
// key name is typed character by character.
func press(t testing.TB, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		m = update(t, m, keyMsg(k))
	}
	return m
}

// typeText types s one character at a time.
func typeText(t testing.TB, m Model, s string) Model {
	t.Helper()
	for _, r := range s {
		m = update(t, m, keyMsg(string(r)))
	}
	return m
}

// poolNames lists the pools shown, in order.
func poolNames(m Model) []string {
	var out []string
	for _, i := range m.pools.list.sel {
		out = append(out, m.fleet.Pools[i].Name)
	}
	return out
}

// backendNames lists the backends shown, in order.
func backendNames(m Model) []string {
	var out []string
	for _, i := range m.backends.list.sel {
		out = append(out, m.backends.pool.Backends[i].Name)
	}
	return out
}

// view renders the model's frame.
func view(m Model) string { return m.View().Content }

// openPoolNamed moves the cursor to the named pool and opens it.
func openPoolNamed(t testing.TB, m Model, name string) Model {
	t.Helper()
	m = press(t, m, "g")
	for i := range m.pools.list.sel {
		if m.fleet.Pools[m.pools.list.sel[i]].Name == name {
			return press(t, m, "enter")
		}
		m = press(t, m, "j")
	}
	t.Fatalf("pool %q not shown; shown: %v", name, poolNames(m))
	return m
}

// cursorTo moves the backends cursor to the named backend.
func cursorTo(t testing.TB, m Model, name string) Model {
	t.Helper()
	m = press(t, m, "g")
	for range m.backends.list.sel {
		if b := m.backends.cursor(); b != nil && b.Name == name {
			return m
		}
		m = press(t, m, "j")
	}
	t.Fatalf("backend %q not shown; shown: %v", name, backendNames(m))
	return m
}

// freshEdge delivers a fleet where Envoy "edge" answered its last poll
// (in the fixture it is stale), as proxy-level actions need.
func freshEdge(t testing.TB, m Model) Model {
	t.Helper()
	f := newFixture()
	f.poll(model.Healthy, "UP", 10)
	return update(t, m, FleetMsg{Fleet: f.store.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0, Pools: []model.Pool{{Name: "payments", Backends: []model.Backend{
		{Name: "10.1.0.1:443", Address: "10.1.0.1:443", Health: model.Healthy, Weight: 1},
		{Name: "10.1.0.2:443", Address: "10.1.0.2:443", Health: model.Unhealthy, Reason: "/failed_outlier_check", Weight: 1},
	}}}})})
}
