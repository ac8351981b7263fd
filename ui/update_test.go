package ui

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

func TestFilterNarrowsAsYouTypeAndEscClears(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 80, 24)
	all := poolNames(m)
	m = press(t, m, "/")
	if m.input.mode != inputFilter {
		t.Fatalf("after /: input mode %v, want filter", m.input.mode)
	}
	m = typeText(t, m, "W")
	if got := poolNames(m); len(got) >= len(all) {
		t.Fatalf("filter \"W\" shows %v, want fewer than %v", got, all)
	}
	m = typeText(t, m, "eb")
	if got := poolNames(m); !slices.Equal(got, []string{"web"}) {
		t.Fatalf("filter \"Web\" shows %v, want [web]", got)
	}
	m = press(t, m, "backspace", "backspace", "backspace")
	if got := poolNames(m); len(got) != len(all) {
		t.Fatalf("after erasing the filter: %v, want all %v", got, all)
	}
	// enter keeps the filter and leaves input mode; esc then clears it.
	m = press(t, typeText(t, m, "static-2"), "enter")
	if m.input.mode != inputNone || m.pools.query.Filter != "static-2" {
		t.Fatalf("after enter: input %v filter %q, want none and \"static-2\"", m.input.mode, m.pools.query.Filter)
	}
	if got := poolNames(m); !slices.Equal(got, []string{"static"}) {
		t.Fatalf("backend-name filter shows %v, want [static]", got)
	}
	m = press(t, m, "esc")
	if m.pools.query.Filter != "" || len(poolNames(m)) != len(all) {
		t.Fatalf("esc: filter %q, pools %v; want cleared", m.pools.query.Filter, poolNames(m))
	}
	// esc while typing clears and leaves input mode too.
	m = press(t, typeText(t, press(t, m, "/"), "api"), "esc")
	if m.input.mode != inputNone || m.pools.query.Filter != "" {
		t.Fatalf("esc while typing: input %v filter %q", m.input.mode, m.pools.query.Filter)
	}
}

func TestEnterOpensPoolAndEscGoesBack(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 80, 24)
	if got := poolNames(m)[:2]; !slices.Equal(got, []string{"api", "checkout"}) { // both down: by name
		t.Fatalf("top pools %v, want the pools with no healthy backend first", got)
	}
	m = openPoolNamed(t, m, "payments")
	if m.screen != screenBackends || m.backends.openKey != "envoy/payments" {
		t.Fatalf("enter opened %q (screen %v), want envoy/payments", m.backends.openKey, m.screen)
	}
	at := m.pools.list.cur
	m = press(t, m, "esc")
	if m.screen != screenPools || m.pools.curKey != "envoy/payments" || m.pools.list.cur != at {
		t.Fatalf("esc: screen %v cursor %d on %q; want pools, cursor kept on payments", m.screen, m.pools.list.cur, m.pools.curKey)
	}
	// A filter survives opening and leaving a pool; esc in pools clears it.
	m = press(t, typeText(t, press(t, m, "/"), "web"), "enter", "enter", "esc")
	if m.pools.query.Filter != "web" || m.screen != screenPools {
		t.Fatalf("filter %q screen %v; want the filter kept after esc from backends", m.pools.query.Filter, m.screen)
	}
}

func TestProblemsOnlyToggle(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 80, 24)
	all := poolNames(m)
	m = press(t, m, "p")
	// The four pools with a problem, in the default order.
	want := slices.DeleteFunc(all, func(n string) bool { return n == "static" || n == "cart" })
	if got := poolNames(m); !slices.Equal(got, want) || len(got) != 4 {
		t.Fatalf("problems only shows %v, want %v (checkout, api, payments, web in the default order)", got, want)
	}
	if !strings.Contains(view(m), "[problems only]") {
		t.Fatalf("header does not show the problems-only flag:\n%s", view(m))
	}
	m = openPoolNamed(t, m, "web")
	if got := backendNames(m); !slices.Equal(got, []string{"web-3", "web-2"}) {
		t.Fatalf("problems only in web shows %v, want web-3 (unhealthy) and web-2 (5xx)", got)
	}
	m = press(t, m, "p")
	if got := backendNames(m); len(got) != 3 {
		t.Fatalf("after p again: %v, want all three", got)
	}
}

func TestSortCycles(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 120, 40)
	want := []model.SortKey{model.SortErrRate, model.SortReqRate, model.SortActive, model.SortName,
		model.SortSource, model.SortHealthy, model.SortWeight, model.SortHealth}
	for _, w := range want {
		m = press(t, m, "s")
		if m.pools.query.Sort != w {
			t.Fatalf("sort %v, want %v", m.pools.query.Sort, w)
		}
		if !strings.Contains(view(m), "sort:"+w.String()) {
			t.Fatalf("header does not show sort %v", w)
		}
	}
	m = press(t, m, "s", "s", "s", "s") // name
	if got := poolNames(m); !slices.Equal(got, []string{"payments", "api", "static", "web", "cart", "checkout"}) {
		t.Fatalf("sort by name (key) gives %v", got)
	}
}

// bigModel shows n single-backend pools on one source.
func bigModel(t testing.TB, n, w, h int) Model {
	t.Helper()
	pools := make([]model.Pool, n)
	for i := range pools {
		pools[i].Name = "pool-" + strconv.Itoa(1000+i)
		pools[i].Backends = []model.Backend{{Name: "b", Health: model.Healthy, Weight: 1}}
	}
	st := model.NewStore(fixedNow)
	m := New(&fakeActor{}, Options{Now: fixedNow, NoColor: true})
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, FleetMsg{Fleet: st.Ingest(model.Snapshot{Source: "lb", Kind: model.KindHAProxy, At: t0, Pools: pools})})
}

func TestCursorBoundsAndScrolling(t *testing.T) {
	m := bigModel(t, 100, 80, 24)
	rows := m.bodyRows()
	if rows != 24-1-3 {
		t.Fatalf("body rows %d at 80×24, want 20", rows)
	}
	steps := []struct {
		key      string
		cur, off int
	}{
		{"k", 0, 0},
		{"up", 0, 0},
		{"j", 1, 0},
		{"down", 2, 0},
		{"pgdown", 2 + rows - 1, 2},
		{"G", 99, 100 - rows},
		{"j", 99, 100 - rows},
		{"pgup", 99 - rows + 1, 100 - rows},
		{"k", 99 - rows, 99 - rows},
		{"g", 0, 0},
	}
	for _, s := range steps {
		m = press(t, m, s.key)
		if m.pools.list.cur != s.cur || m.pools.list.off != s.off {
			t.Fatalf("after %s: cursor %d offset %d, want %d %d", s.key, m.pools.list.cur, m.pools.list.off, s.cur, s.off)
		}
	}
	m = press(t, m, "G")
	lines := strings.Split(view(m), "\n")
	if len(lines) != 24 {
		t.Fatalf("view has %d lines, want 24", len(lines))
	}
	if !strings.Contains(strings.Join(lines, "\n"), "pool-1099") || strings.Contains(view(m), "pool-1000 ") {
		t.Fatalf("bottom of the list not shown:\n%s", view(m))
	}
	// A shorter terminal keeps the cursor visible.
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 10})
	if m.pools.list.off != 100-m.bodyRows() {
		t.Fatalf("after resize offset %d, want %d", m.pools.list.off, 100-m.bodyRows())
	}
}

func TestWeightPromptValidation(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 80, 24)
	m = cursorTo(t, openPoolNamed(t, m, "web"), "web-2")
	m = press(t, m, "w")
	if m.input.mode != inputWeight {
		t.Fatalf("w: input %v, want the weight prompt", m.input.mode)
	}
	cases := []struct{ typed, want string }{
		{"abc", `weight "abc" is not a number`},
		{"-3", `weight "-3" is negative`},
		{"1.5", `weight "1.5" is not a number`},
		{"", "weight: type a number"},
	}
	for _, c := range cases {
		m = press(t, typeText(t, press(t, m, "ctrl+u"), c.typed), "enter")
		if !strings.Contains(m.msg.text, c.want) || m.msg.level != StatusError {
			t.Fatalf("weight %q: message %q (%v), want %q", c.typed, m.msg.text, m.msg.level, c.want)
		}
		// The prompt closes so the error is on screen, not under it.
		if m.input.mode != inputNone || m.dialog.open || !strings.Contains(view(m), c.want) {
			t.Fatalf("weight %q: prompt open %v, dialog %v, or the error is not shown:\n%s", c.typed, m.input.mode != inputNone, m.dialog.open, view(m))
		}
		m = press(t, m, "w")
	}
	m = press(t, typeText(t, press(t, m, "ctrl+u"), "5"), "enter")
	if !m.dialog.open || m.dialog.action != (model.Action{Kind: model.ActionWeight, Ref: model.BackendRef{Source: "lb1", Pool: "web", Backend: "web-2"}, Weight: 5}) {
		t.Fatalf("valid weight: dialog %+v", m.dialog)
	}
	if !strings.Contains(view(m), "weight 10 → 5") {
		t.Fatalf("dialog does not say weight 10 → 5:\n%s", view(m))
	}
	m = press(t, m, "esc")
	if m.dialog.open {
		t.Fatal("esc did not cancel the dialog")
	}
}

func TestConfirmationYesAndNo(t *testing.T) {
	actor := envoyActor()
	// Floor 0.3: draining web-2 leaves 1 of 3 serving, an ordinary
	// action here (the 50% default makes it risky: see actions_test.go).
	m, _ := newModel(t, actor, Options{Floor: 0.3}, 80, 24)
	m = cursorTo(t, openPoolNamed(t, m, "web"), "web-2")
	m = press(t, m, "d")
	v := view(m)
	for _, want := range []string{"Confirm drain", "system   haproxy", "source   lb1", "pool     web", "backend  web-2", "state healthy (UP) → drain"} {
		if !strings.Contains(v, want) {
			t.Fatalf("dialog lacks %q:\n%s", want, v)
		}
	}
	m, cmd := updateCmd(t, m, keyMsg("n"))
	if m.dialog.open || len(m.acts.pending) != 0 {
		t.Fatalf("n: dialog open %v, pending %v", m.dialog.open, m.acts.pending)
	}
	_ = cmd // the message-clearing tick; running it would wait for its TTL
	m, cmd = updateCmd(t, press(t, m, "d"), keyMsg("y"))
	if m.dialog.open || cmd == nil || m.pendingFor(model.BackendRef{Source: "lb1", Pool: "web", Backend: "web-2"}) == nil {
		t.Fatalf("y: dialog open %v, cmd %v, pending %v", m.dialog.open, cmd != nil, m.acts.pending)
	}
	if actor.calls != 0 {
		t.Fatalf("Do called %d times before the Cmd ran", actor.calls)
	}
	done, ok := cmd().(ActionResultMsg)
	if !ok || done.Result.Outcome != actions.Confirmed || done.Result.Action.Kind != model.ActionDrain || actor.calls != 1 {
		t.Fatalf("Cmd returned %+v; Do called %d times", done, actor.calls)
	}
}

func TestReadOnlyHidesActions(t *testing.T) {
	actor := &fakeActor{}
	m, _ := newModel(t, actor, Options{ReadOnly: true}, 120, 40)
	for _, d := range KeyHelp(true) {
		if d.Dangerous || d.Key == "d" || d.Key == "w" || d.Key == "F" {
			t.Fatalf("read-only help lists action key %+v", d)
		}
	}
	if h := view(press(t, m, "?")); strings.Contains(h, "drain") || !strings.Contains(h, "read-only mode") {
		t.Fatalf("read-only help overlay:\n%s", h)
	}
	m = openPoolNamed(t, m, "web")
	for _, k := range []string{"d", "r", "m", "w", "F"} {
		m = press(t, m, k)
		if m.dialog.open || m.input.mode != inputNone || m.msg.text != "read-only mode: actions disabled" {
			t.Fatalf("%s in read-only mode: dialog %v input %v message %q", k, m.dialog.open, m.input.mode, m.msg.text)
		}
	}
	if actor.calls != 0 {
		t.Fatalf("Do called %d times in read-only mode", actor.calls)
	}
}

func TestUnsupportedActionShowsWhy(t *testing.T) {
	m, f := newModel(t, envoyActor(), Options{}, 80, 24)
	m = press(t, openPoolNamed(t, m, "payments"), "d")
	if m.dialog.open || !strings.Contains(m.msg.text, "Envoy's admin API cannot drain one host") {
		t.Fatalf("unsupported drain: dialog %v message %q", m.dialog.open, m.msg.text)
	}
	m = press(t, m, "esc", "d")
	if !strings.HasPrefix(m.msg.text, "open a pool first") {
		t.Fatalf("d in the pools view: %q", m.msg.text)
	}
	// F on HAProxy is unsupported; on Envoy it warns about the whole proxy.
	m = press(t, openPoolNamed(t, m, "api"), "F")
	if m.dialog.open || !strings.Contains(m.msg.text, "cannot proxy-fail") {
		t.Fatalf("F on haproxy: dialog %v message %q", m.dialog.open, m.msg.text)
	}
	m = press(t, openPoolNamed(t, press(t, m, "esc"), "payments"), "esc", "F")
	if m.dialog.open || !strings.Contains(view(m), `source "edge" did not answer: its proxy state is unknown`) {
		t.Fatalf("F on a stale envoy: dialog %v\n%s", m.dialog.open, view(m))
	}
	m = update(t, m, FleetMsg{Fleet: f.store.Ingest(model.Snapshot{Source: "edge", Kind: model.KindEnvoy, At: t0, Pools: []model.Pool{{Name: "payments", Backends: []model.Backend{
		{Name: "10.1.0.1:443", Address: "10.1.0.1:443", Health: model.Healthy, Weight: 1}}}}})})
	m = press(t, m, "F")
	v := view(m)
	if !m.dialog.open || m.dialog.action.Kind != model.ActionProxyFail || !strings.Contains(v, "WHOLE proxy") || !strings.Contains(v, "EVERY pool") {
		t.Fatalf("F on envoy: dialog %+v\n%s", m.dialog, v)
	}
}

func TestCursorFollowsBackendAcrossFleets(t *testing.T) {
	m, f := newModel(t, envoyActor(), Options{}, 80, 24)
	m = cursorTo(t, openPoolNamed(t, m, "web"), "web-2")
	before := m.backends.list.cur
	// web-2 goes down: it sorts before web-1, so its position changes.
	m = update(t, m, FleetMsg{Fleet: f.poll(model.Down, "MAINT", 10)})
	if b := m.backends.cursor(); b == nil || b.Name != "web-2" || m.backends.list.cur == before {
		t.Fatalf("cursor on %v at %d (was %d), want web-2 at its new place", b, m.backends.list.cur, before)
	}
	// An older generation is ignored.
	old := m.fleet
	m = update(t, m, FleetMsg{Fleet: &model.Fleet{Gen: 1}})
	if m.fleet != old {
		t.Fatal("an older fleet generation replaced the newer one")
	}
	// The pool disappears: say so.
	gone := f.store.Ingest(model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: f.at.Add(2 * time.Second)})
	m = update(t, m, FleetMsg{Fleet: gone})
	if m.backends.pool != nil || !strings.Contains(view(m), "no longer reported") {
		t.Fatalf("gone pool:\n%s", view(m))
	}
}

// drainWeb2 confirms a drain of web-2 and delivers the Executor's answer
// (the real actions.Runner over the test actor).
func drainWeb2(t *testing.T, actor *fakeActor) (Model, *fixture) {
	t.Helper()
	m, f := newModel(t, actor, Options{Floor: 0.3}, 120, 40) // an ordinary drain, as above
	m = cursorTo(t, openPoolNamed(t, m, "web"), "web-2")
	m, cmd := updateCmd(t, press(t, m, "d"), keyMsg("y"))
	if !strings.Contains(view(m), "pending drain") {
		t.Fatalf("row not marked pending:\n%s", view(m))
	}
	return update(t, m, cmd()), f
}

func TestPendingConfirmed(t *testing.T) {
	m, _ := drainWeb2(t, envoyActor())
	if len(m.acts.pending) != 0 || !strings.HasPrefix(m.msg.text, "confirmed: drain lb1:web/web-2") || m.msg.level != StatusOK {
		t.Fatalf("after the drained poll: pending %v message %q", m.acts.pending, m.msg.text)
	}
}

func TestPendingNotApplied(t *testing.T) {
	actor := envoyActor()
	actor.ignore = true
	m, _ := drainWeb2(t, actor)
	want := "not applied: drain lb1:web/web-2 — haproxy reports healthy (UP), weight 10"
	if len(m.acts.pending) != 0 || m.msg.text != want || m.msg.level != StatusError {
		t.Fatalf("pending %v message %q, want %q", m.acts.pending, m.msg.text, want)
	}
}

func TestActionErrorShownVerbatim(t *testing.T) {
	actor := envoyActor()
	actor.err = errors.New("haproxy 127.0.0.1:9999: No such server.")
	m, _ := drainWeb2(t, actor)
	if len(m.acts.pending) != 0 || m.msg.level != StatusError || !strings.Contains(m.msg.text, "failed: drain lb1:web/web-2 — haproxy 127.0.0.1:9999: No such server.") {
		t.Fatalf("error: pending %v message %q", m.acts.pending, m.msg.text)
	}
}

func TestQuitKeys(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 80, 24)
	for _, k := range []string{"q", "ctrl+c"} {
		if _, cmd := updateCmd(t, m, keyMsg(k)); cmd == nil || cmd() != tea.Quit() {
			t.Fatalf("%s does not quit", k)
		}
	}
	// q while typing a filter is text, not quit.
	m = press(t, m, "/", "q")
	if m.pools.query.Filter != "q" {
		t.Fatalf("q in the filter prompt: filter %q", m.pools.query.Filter)
	}
}

// TestNarrowingMatchesSelect checks that narrowing the shown list gives
// exactly what a full Fleet.Select would.
func TestNarrowingMatchesSelect(t *testing.T) {
	m, _ := newModel(t, envoyActor(), Options{}, 80, 24)
	for _, probs := range []bool{false, true} {
		mm := m
		if probs {
			mm = press(t, mm, "p")
		}
		mm = press(t, mm, "/")
		for _, typed := range []string{"w", "e", "b", "-", "2", "backspace", "backspace", "backspace", "backspace", "1", "0", ".", "0"} {
			mm = press(t, mm, typed)
			want := mm.fleet.Select(mm.pools.query)
			if !slices.Equal(mm.pools.list.sel, want) {
				t.Fatalf("filter %q problems %v: shown %v, Select gives %v", mm.pools.query.Filter, probs, mm.pools.list.sel, want)
			}
		}
	}
}
