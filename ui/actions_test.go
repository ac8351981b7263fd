package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

var _ Executor = (*actions.Runner)(nil)

// fakeExecutor answers Run with a scripted outcome per source and
// records the requests.
type fakeExecutor struct {
	mu      sync.Mutex
	reqs    []actions.Request
	outcome map[string]actions.Outcome // by source; Confirmed when absent
}

func (f *fakeExecutor) Run(_ context.Context, req actions.Request) actions.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	out, ok := f.outcome[req.Action.Ref.Source]
	if !ok {
		out = actions.Confirmed
	}
	r := actions.Result{Request: req, Outcome: out, At: t0}
	switch out {
	case actions.Confirmed:
		r.After, r.HasAfter = req.Before, true
		r.After.Health, r.After.Admin, r.After.Reason = model.Draining, model.AdminDrain, "DRAIN"
	case actions.Failed:
		r.Err = errors.New("haproxy 127.0.0.1:1: connection refused")
	}
	return r
}

// twoInstances is a fleet where pool web (web-1, web-2) is on HAProxy
// lb1 and lb2, and web-3 is down on both.
func twoInstances() *model.Fleet {
	st := model.NewStore(fixedNow)
	var f *model.Fleet
	for _, src := range []string{"lb1", "lb2"} {
		f = st.Ingest(model.Snapshot{Source: src, Kind: model.KindHAProxy, At: t0.Add(-time.Second), Pools: []model.Pool{{Name: "web", Backends: []model.Backend{
			{Name: "web-1", Address: "10.0.0.1:80", Health: model.Healthy, Reason: "UP", Weight: 10, Admin: model.AdminReady},
			{Name: "web-2", Address: "10.0.0.2:80", Health: model.Healthy, Reason: "UP", Weight: 30, Admin: model.AdminReady},
			{Name: "web-3", Address: "10.0.0.3:80", Health: model.Down, Reason: "MAINT", Weight: 10, Admin: model.AdminMaint, Since: t0.Add(-40 * time.Minute)},
		}}}})
	}
	return f
}

func twoModel(t *testing.T, ex Executor, opts Options, w, h int) Model {
	t.Helper()
	opts.Now, opts.NoColor, opts.Executor = fixedNow, true, ex
	if opts.Floor == 0 {
		opts.Floor = 0.3 // draining one of web-1/web-2 is then ordinary (1 of 3 left)
	}
	m := New(&fakeActor{}, opts)
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, FleetMsg{Fleet: twoInstances()})
}

// runCmds runs a Cmd (or a batch) and returns its messages.
func runCmds(t *testing.T, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	if cmd == nil {
		t.Fatal("no Cmd")
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, runCmds(t, c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func TestRiskyActionNeedsPoolName(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 120, 40)
	m = press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-2"), "d")
	if !m.dialog.risky() || !strings.Contains(view(m), "RISK     1 of 3 serving after: below the 50% floor") {
		t.Fatalf("not shown as risky:\n%s", view(m))
	}
	m, cmd := updateCmd(t, m, keyMsg("y"))
	if !m.dialog.open || cmd != nil || m.dialog.typed != "y" {
		t.Fatalf("y applied a risky action: open %v typed %q", m.dialog.open, m.dialog.typed)
	}
	m = press(t, m, "enter")
	if !m.dialog.open || !strings.Contains(m.msg.text, "type the pool name exactly (web)") {
		t.Fatalf("wrong name: open %v message %q", m.dialog.open, m.msg.text)
	}
	m = typeText(t, press(t, m, "backspace"), "web")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	if m.dialog.open || cmd == nil || len(m.acts.pending) != 1 {
		t.Fatalf("pool name typed: open %v cmd %v", m.dialog.open, cmd != nil)
	}
}

func TestLastHealthyNeedsPoolName(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{Floor: 0.01}, 120, 40)
	m = press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-2"), "m")
	m = update(t, m, FleetMsg{Fleet: nil})
	// web-1 alone: take web-2 out first by data, then try web-1.
	if m.dialog.risky() {
		t.Fatalf("maint of web-2 with web-1 serving is risky at a 1%% floor")
	}
	m = press(t, m, "esc")
	d, err := m.backendDialog(model.Action{Kind: model.ActionDrain, Ref: m.backends.pool.Backends[0].Ref()}, target{row: onlyServing(m.backends.pool), kind: model.KindHAProxy})
	if err != nil {
		t.Fatal(err)
	}
	m.dialog = d
	if !m.dialog.risky() || !strings.Contains(view(m), "the last healthy backend") {
		t.Fatalf("last healthy not guarded:\n%s", view(m))
	}
}

// onlyServing returns web-1 with every other backend of the pool shown as
// down, for the last-healthy case.
func onlyServing(p *model.PoolRow) model.BackendRow {
	for i := range p.Backends {
		if p.Backends[i].Name != "web-1" {
			p.Backends[i].Health = model.Down
		}
	}
	for _, b := range p.Backends {
		if b.Name == "web-1" {
			return b
		}
	}
	return model.BackendRow{}
}

func TestExecutorResultReasonAndUndo(t *testing.T) {
	ex := &fakeExecutor{}
	m := twoModel(t, ex, Options{User: "alice"}, 120, 40)
	m = cursorTo(t, openPoolNamed(t, m, "web"), "web-2")
	m = press(t, m, "d", "tab")
	m = typeText(t, m, "deploy 42 yes")
	m = press(t, m, "enter")
	if m.dialog.reason != "deploy 42 yes" || !m.dialog.open {
		t.Fatalf("reason %q, open %v", m.dialog.reason, m.dialog.open)
	}
	m, cmd := updateCmd(t, m, keyMsg("y"))
	if len(ex.reqs) != 0 {
		t.Fatal("Update ran the Executor; only the Cmd may")
	}
	if !strings.Contains(view(m), "pending drain") {
		t.Fatalf("row not pending:\n%s", view(m))
	}
	for _, msg := range runCmds(t, cmd) {
		m = update(t, m, msg)
	}
	if len(ex.reqs) != 1 || ex.reqs[0].Reason != "deploy 42 yes" || ex.reqs[0].Before.Weight != 30 || ex.reqs[0].Action.Ref.Source != "lb1" {
		t.Fatalf("requests %+v", ex.reqs)
	}
	if len(m.acts.pending) != 0 || !strings.HasPrefix(m.msg.text, "confirmed: drain lb1:web/web-2") {
		t.Fatalf("pending %v message %q", m.acts.pending, m.msg.text)
	}
	if v := view(m); !strings.Contains(v, "confirmed · UP") {
		t.Fatalf("row lacks the outcome mark:\n%s", v)
	}
	if v := view(press(t, m, "a")); !strings.Contains(v, "confirmed: drain lb1:web/web-2") || !strings.Contains(v, "deploy 42 yes") {
		t.Fatalf("actions view:\n%s", v)
	}
	// Undo goes through the same confirmation and restores ready.
	m = press(t, m, "u")
	if !m.dialog.open || m.dialog.undo == 0 || m.dialog.reqs[0].Action.Kind != model.ActionReady {
		t.Fatalf("undo dialog: %+v", m.dialog)
	}
	if v := view(m); !strings.Contains(v, "Undo drain lb1:web/web-2") || !strings.Contains(v, "changed since") {
		// the fleet still shows web-2 UP: lbtop says so before undoing
		t.Fatalf("undo dialog:\n%s", v)
	}
	m, cmd = updateCmd(t, m, keyMsg("y"))
	for _, msg := range runCmds(t, cmd) {
		m = update(t, m, msg)
	}
	if len(ex.reqs) != 2 || !ex.reqs[1].Reverts || ex.reqs[1].Action.Kind != model.ActionReady {
		t.Fatalf("undo request %+v", ex.reqs[1])
	}
	if m = press(t, m, "u"); m.dialog.open || !strings.Contains(m.msg.text, "nothing to undo") {
		t.Fatalf("second undo: open %v message %q", m.dialog.open, m.msg.text)
	}
}

func TestFanOutScopeAndPartialFailure(t *testing.T) {
	ex := &fakeExecutor{outcome: map[string]actions.Outcome{"lb2": actions.Failed}}
	m := twoModel(t, ex, Options{}, 120, 40)
	m = press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-1"), "d")
	if len(m.dialog.reqs) != 2 || m.dialog.all || !strings.Contains(view(m), "[this instance]  all 2 instances") {
		t.Fatalf("fan-out not offered:\n%s", view(m))
	}
	m = press(t, m, "right")
	if !m.dialog.all {
		t.Fatal("→ did not choose all instances")
	}
	m, cmd := updateCmd(t, m, keyMsg("y"))
	msgs := runCmds(t, cmd)
	if len(msgs) != 2 {
		t.Fatalf("%d results, want 2", len(msgs))
	}
	for _, msg := range msgs {
		m = update(t, m, msg)
	}
	if !strings.HasPrefix(m.msg.text, "PARTIAL: changed on lb1; NOT on lb2 (failed)") || m.msg.level != StatusError {
		t.Fatalf("message %q", m.msg.text)
	}
}

func TestDrainedByNoteAndOutList(t *testing.T) {
	audit := []actions.Entry{{Time: t0.Add(-12 * time.Minute), User: actions.Who{Login: "bob"}, Source: "lb2", Pool: "web", Backend: "web-3", Action: "maint", Result: actions.Confirmed}}
	m := twoModel(t, &fakeExecutor{}, Options{Audit: audit}, 160, 40)
	if v := view(press(t, m, "o")); !strings.Contains(v, "web/web-3 @lb2  down (MAINT), weight 10  · maint 12m ago by bob") ||
		!strings.Contains(v, "web/web-3 @lb1  down (MAINT), weight 10  · out 40m") {
		t.Fatalf("out list:\n%s", v)
	}
	if v := view(openPoolNamed(t, m, "web")); !strings.Contains(v, "MAINT · maint 12m ago by bob") {
		t.Fatalf("row note:\n%s", v)
	}
}

func TestReadOnlyRefusesUndo(t *testing.T) {
	m := twoModel(t, &fakeExecutor{}, Options{ReadOnly: true}, 80, 24)
	if m = press(t, m, "u"); m.dialog.open || m.msg.text != "read-only mode: actions disabled" {
		t.Fatalf("u in read-only: %q", m.msg.text)
	}
}

// TestGoldenActions: the fan-out dialog, a row after a confirmed action,
// and the actions view.
func TestGoldenActions(t *testing.T) {
	for _, s := range []struct {
		name  string
		setup func(t *testing.T, m Model) Model
	}{
		{"fanout_all", func(t *testing.T, m Model) Model {
			return press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-1"), "d", "right")
		}},
		{"after_confirmed", func(t *testing.T, m Model) Model {
			m, cmd := updateCmd(t, press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-1"), "d"), keyMsg("y"))
			for _, msg := range runCmds(t, cmd) {
				m = update(t, m, msg)
			}
			return m
		}},
		{"actions_view", func(t *testing.T, m Model) Model {
			m, cmd := updateCmd(t, press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-1"), "d"), keyMsg("y"))
			for _, msg := range runCmds(t, cmd) {
				m = update(t, m, msg)
			}
			return press(t, m, "a")
		}},
	} {
		t.Run(s.name, func(t *testing.T) {
			m := s.setup(t, twoModel(t, &fakeExecutor{}, Options{}, 100, 30))
			out := view(m)
			checkFrame(t, out, 100, 30)
			golden.RequireEqual(t, out)
		})
	}
}

// TestSeenFromFleetMsg: the engine's "first seen out of rotation" times
// date the note of a backend whose system does not say since when.
func TestSeenFromFleetMsg(t *testing.T) {
	m, f := newModel(t, envoyActor(), Options{}, 160, 40)
	ref := model.BackendRef{Source: "lb1", Pool: "api", Backend: "api-2"}
	m = update(t, m, FleetMsg{Fleet: f.poll(model.Healthy, "UP", 10), Seen: map[model.BackendRef]time.Time{ref: t0.Add(-3 * time.Hour)}})
	if v := view(openPoolNamed(t, m, "api")); !strings.Contains(v, "MAINT · out 3h (seen by lbtop)") {
		t.Fatalf("row note:\n%s", v)
	}
}
