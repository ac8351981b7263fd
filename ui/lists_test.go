package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// TestOutListReady: in o, j/k select a row and r readies that backend
// through the same confirmation and Executor as r in its pool.
func TestOutListReady(t *testing.T) {
	ex := &fakeExecutor{}
	m := twoModel(t, ex, Options{}, 120, 40)
	m = press(t, m, "o")
	if v := ansi.Strip(view(m)); !strings.Contains(v, "▸ web/web-3 @lb1") || !strings.Contains(v, "  web/web-3 @lb2") {
		t.Fatalf("cursor not on the first row:\n%s", v)
	}
	m = press(t, m, "j", "r")
	lb2 := model.BackendRef{Source: "lb2", Pool: "web", Backend: "web-3"}
	if !m.dialog.open || m.over.list != listNone || m.dialog.action != (model.Action{Kind: model.ActionReady, Ref: lb2}) {
		t.Fatalf("r on the second row: dialog %+v, list %v", m.dialog, m.over.list)
	}
	if v := ansi.Strip(view(m)); !strings.Contains(v, "Confirm ready") || !strings.Contains(v, "state down (MAINT) → ready") {
		t.Fatalf("dialog:\n%s", v)
	}
	m, cmd := updateCmd(t, m, keyMsg("y"))
	if len(ex.reqs) != 0 {
		t.Fatal("Update ran the Executor")
	}
	for _, msg := range runCmds(t, cmd) {
		m = update(t, m, msg)
	}
	if len(ex.reqs) != 1 || ex.reqs[0].Action != (model.Action{Kind: model.ActionReady, Ref: lb2}) || ex.reqs[0].Before.Admin != model.AdminMaint {
		t.Fatalf("requests %+v", ex.reqs)
	}
	if !strings.HasPrefix(m.msg.text, "confirmed: ready lb2:web/web-3") {
		t.Fatalf("message %q", m.msg.text)
	}
}

// TestOutListRefusals: r in o says why it cannot act, and the list stays.
func TestOutListRefusals(t *testing.T) {
	m := twoModel(t, &fakeExecutor{}, Options{ReadOnly: true}, 120, 40)
	if m = press(t, m, "o", "r"); m.dialog.open || m.msg.text != "read-only mode: actions disabled" || m.over.list != listOut {
		t.Fatalf("r in read-only: dialog %v, message %q, list %v", m.dialog.open, m.msg.text, m.over.list)
	}
	if v := view(m); strings.Contains(v, "r readies") {
		t.Fatalf("read-only o offers r:\n%s", v)
	}
	if v := view(press(t, m, "esc", "a")); strings.Contains(v, "u undoes") {
		t.Fatalf("read-only a offers u:\n%s", v)
	}
	m = twoModel(t, &fakeExecutor{}, Options{}, 120, 40)
	m = press(t, m, "o", "r", "y") // sent, not answered: pending
	m = press(t, m, "o", "r")
	if m.dialog.open || !strings.Contains(m.msg.text, "ready lb1:web/web-3 is still pending") || m.over.list != listOut {
		t.Fatalf("r on a pending row: dialog %v, message %q", m.dialog.open, m.msg.text)
	}
}

// TestOutListFollowsAcrossFleets: the o list is rebuilt per fleet while
// shown, its cursor kept on the same backend when rows come and go.
func TestOutListFollowsAcrossFleets(t *testing.T) {
	m := twoModel(t, &fakeExecutor{}, Options{}, 120, 40)
	m = press(t, m, "o", "j")
	lb2 := model.BackendRef{Source: "lb2", Pool: "web", Backend: "web-3"}
	st := model.NewStore(fixedNow)
	var f *model.Fleet
	for i, src := range []string{"lb2", "lb1", "lb1"} {
		web1 := model.Backend{Name: "web-1", Address: "10.0.0.1:80", Health: model.Healthy, Reason: "UP", Weight: 10, Admin: model.AdminReady}
		web3 := model.Backend{Name: "web-3", Address: "10.0.0.3:80", Health: model.Down, Reason: "MAINT", Weight: 10, Admin: model.AdminMaint}
		if i == 2 { // lb1: web-3 is back, web-1 drained
			web3.Health, web3.Reason, web3.Admin = model.Healthy, "UP", model.AdminReady
			web1.Health, web1.Reason, web1.Admin = model.Draining, "DRAIN", model.AdminDrain
		}
		f = st.Ingest(model.Snapshot{Source: src, Kind: model.KindHAProxy, At: t0, Pools: []model.Pool{{Name: "web", Backends: []model.Backend{web1, web3}}}})
	}
	if f.Gen <= m.fleet.Gen {
		t.Fatalf("fleet generation %d, shown %d: would be dropped", f.Gen, m.fleet.Gen)
	}
	m = update(t, m, FleetMsg{Fleet: f})
	cur := m.over.rows.cur
	if len(m.over.outs) != 2 || cur != 0 || m.over.outs[cur].Row.Ref() != lb2 {
		t.Fatalf("cursor on row %d of %+v, want row 0 (was 1), %v", cur, m.over.outs, lb2)
	}
	if v := ansi.Strip(view(m)); !strings.Contains(v, "▸ web/web-3 @lb2") || !strings.Contains(v, "  web/web-1 @lb1") {
		t.Fatalf("out list after the fleet:\n%s", v)
	}
}

// TestOutListEnterOpensPool: enter in o opens the backend's pool with it
// selected, clearing a filter that hides it.
func TestOutListEnterOpensPool(t *testing.T) {
	m := twoModel(t, &fakeExecutor{}, Options{}, 120, 40)
	m = press(t, typeText(t, press(t, m, "/"), "nothing-matches"), "enter")
	m = press(t, m, "o", "j", "enter")
	want := model.BackendRef{Source: "lb2", Pool: "web", Backend: "web-3"}
	if m.over.list != listNone || m.screen != screenBackends || m.backends.openKey != "haproxy/web" {
		t.Fatalf("enter: list %v screen %v pool %q", m.over.list, m.screen, m.backends.openKey)
	}
	if b := m.backends.cursor(); b == nil || b.Ref() != want || m.pools.query.Filter != "" {
		t.Fatalf("cursor on %v (filter %q), want %v", b, m.pools.query.Filter, want)
	}
	if p := m.pools.cursor(m.fleet); p == nil || p.Key != "haproxy/web" {
		t.Fatalf("pools cursor on %v after enter", p)
	}
}

// TestActionsListUndoSelected: in a the cursor starts on the action u
// would undo; u on a failed one is refused with why, on a confirmed one
// it opens the undo; an undo and an undone action are refused.
func TestActionsListUndoSelected(t *testing.T) {
	ex := &fakeExecutor{outcome: map[string]actions.Outcome{"lb2": actions.Failed}}
	m := twoModel(t, ex, Options{}, 120, 40)
	m = cursorTo(t, openPoolNamed(t, m, "web"), "web-1")
	apply := func(m Model, keys ...string) Model {
		m, cmd := updateCmd(t, press(t, m, keys...), keyMsg("y"))
		for _, msg := range runCmds(t, cmd) {
			m = update(t, m, msg)
		}
		return m
	}
	m = apply(m, "d")                            // web-1 on lb1: confirmed
	m = apply(cursorTo(t, m, "web-2"), "j", "d") // web-2 on lb2: failed
	if len(ex.reqs) != 2 || ex.reqs[1].Action.Ref.Source != "lb2" {
		t.Fatalf("requests %+v", ex.reqs)
	}
	m = press(t, m, "a")
	if v := ansi.Strip(view(m)); !strings.Contains(v, "▸ 09:26:53  confirmed: drain lb1:web/web-1") || !strings.Contains(v, "  09:26:53  failed: drain lb2:web/web-2") {
		t.Fatalf("cursor not on the undoable action:\n%s", v)
	}
	m = press(t, m, "k", "u")
	if m.dialog.open || m.over.list != listActions || m.msg.text != "cannot undo failed drain lb2:web/web-2: nothing was changed, so there is nothing to revert" {
		t.Fatalf("u on the failed row: dialog %v, message %q", m.dialog.open, m.msg.text)
	}
	m = press(t, m, "j", "u")
	if !m.dialog.open || m.over.list != listNone || m.dialog.reqs[0].Action != (model.Action{Kind: model.ActionReady, Ref: model.BackendRef{Source: "lb1", Pool: "web", Backend: "web-1"}}) {
		t.Fatalf("u on the confirmed row: dialog %+v", m.dialog)
	}
	m = apply(m)
	if len(ex.reqs) != 3 || !ex.reqs[2].Reverts {
		t.Fatalf("undo request %+v", ex.reqs)
	}
	m = press(t, m, "a", "u") // nothing undoable: the cursor is on the newest, the undo
	if m.dialog.open || !strings.Contains(m.msg.text, "it is an undo itself") {
		t.Fatalf("u on an undo: %q", m.msg.text)
	}
	m = press(t, m, "G", "u")
	if m.dialog.open || !strings.Contains(m.msg.text, "cannot undo confirmed drain lb1:web/web-1: it is already undone") {
		t.Fatalf("u on an undone action: %q", m.msg.text)
	}
}

// TestActionsListPending: u on an action still being sent says to wait.
func TestActionsListPending(t *testing.T) {
	m := twoModel(t, &fakeExecutor{}, Options{}, 120, 40)
	if m = press(t, m, "a", "u"); m.dialog.open || !strings.HasPrefix(m.msg.text, "nothing to undo") {
		t.Fatalf("u in an empty a list: %q", m.msg.text)
	}
	m = press(t, m, "esc")
	m = press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-1"), "d", "y", "a")
	if v := ansi.Strip(view(m)); !strings.Contains(v, "▸ 09:26:53  sending… (1 instance)") {
		t.Fatalf("pending row:\n%s", v)
	}
	if m = press(t, m, "u"); m.dialog.open || !strings.Contains(m.msg.text, "still pending") {
		t.Fatalf("u on a pending action: %q", m.msg.text)
	}
}

// TestListActionsNeverCallDo: acting from the o and a lists runs the
// real Executor only in the confirmation's Cmd, never in Update or View.
func TestListActionsNeverCallDo(t *testing.T) {
	counting := &countingActor{inner: envoyActor()}
	m, _ := newModel(t, counting, Options{Executor: lb1Runner(counting)}, 120, 40)
	m = press(t, m, "o")
	_ = view(m)
	m, cmd := updateCmd(t, press(t, m, "r"), keyMsg("y")) // api-2, MAINT on lb1
	_ = view(m)
	if counting.calls != 0 || cmd == nil {
		t.Fatalf("after r, y in o: Do called %d times, cmd %v; message %q", counting.calls, cmd != nil, m.msg.text)
	}
	res, ok := cmd().(ActionResultMsg)
	if counting.calls != 1 || !ok || res.Result.Action != (model.Action{Kind: model.ActionReady, Ref: model.BackendRef{Source: "lb1", Pool: "api", Backend: "api-2"}}) {
		t.Fatalf("the Cmd called Do %d times and returned %+v", counting.calls, res)
	}
	m = update(t, m, res)
	m = press(t, m, "a", "u")
	_ = view(m)
	if counting.calls != 1 {
		t.Fatalf("u in a called Do (%d calls): %q", counting.calls, m.msg.text)
	}
}

// TestOutListBothSectionsFit: at 80×24 with more drained backends than
// fit and many failing ones, o scrolls the first section and still shows
// the failing section's header with its count, and its "… N more" counts
// failing backends only.
func TestOutListBothSectionsFit(t *testing.T) {
	var bs []model.Backend
	for i := range 30 {
		bs = append(bs, model.Backend{Name: fmt.Sprintf("drained-%02d", i), Address: "10.0.0.1:80", Health: model.Draining, Reason: "DRAIN", Weight: 10, Admin: model.AdminDrain})
	}
	for i := range 40 {
		bs = append(bs, model.Backend{Name: fmt.Sprintf("failing-%02d", i), Address: "10.0.1.1:80", Health: model.Unhealthy, Reason: "L4CON", Weight: 10, Admin: model.AdminReady})
	}
	f := model.NewStore(fixedNow).Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: t0, Pools: []model.Pool{{Name: "web", Backends: bs}}})
	m := New(&fakeActor{}, Options{Now: fixedNow, NoColor: true})
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = update(t, m, FleetMsg{Fleet: f})
	m = press(t, m, "o")
	v := ansi.Strip(view(m))
	if !strings.Contains(v, "(30)") || !strings.Contains(v, "Failing their checks (not serving, not taken out by anyone): 40") {
		t.Fatalf("o at 80×24 lacks the count or the failing header:\n%s", v)
	}
	shown := strings.Count(v, "failing-")
	if want := fmt.Sprintf("… %d more (p shows problems only)", 40-shown); !strings.Contains(v, want) {
		t.Fatalf("%d failing rows shown, want a line %q:\n%s", shown, want, v)
	}
	if strings.Count(v, "\n") >= 24 {
		t.Fatalf("view taller than the terminal:\n%s", v)
	}
}
