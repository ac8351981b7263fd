package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/model"
)

// TestListViewMoveAndWindow: the cursor stays in the list, the window
// follows it, and an empty list keeps the cursor at 0.
func TestListViewMoveAndWindow(t *testing.T) {
	t.Parallel()
	var l listView
	steps := []struct{ d, cur, off int }{
		{-1, 0, 0}, {3, 3, 0}, {2, 5, 1}, {1 << 30, 9, 5}, {-3, 6, 5}, {-2, 4, 4}, {-1 << 30, 0, 0},
	}
	for _, s := range steps {
		l.move(s.d, 10, 5)
		if l.cur != s.cur || l.off != s.off {
			t.Fatalf("move %d: cursor %d offset %d, want %d %d", s.d, l.cur, l.off, s.cur, s.off)
		}
	}
	if start, end := (&listView{cur: 9}).window(10, 4); start != 6 || end != 10 {
		t.Fatalf("window of a cursor at the end: %d–%d, want 6–10", start, end)
	}
	l = listView{}
	l.move(1, 0, 5)
	if _, ok := l.item(); ok || l.cur != 0 {
		t.Fatalf("empty list: cursor %d, item %v", l.cur, ok)
	}
	l = listView{sel: []int32{7, 3, 5}}
	if !l.find(func(i int32) bool { return i == 5 }) || l.cur != 2 {
		t.Fatalf("find: cursor %d", l.cur)
	}
	if i, ok := l.item(); !ok || i != 5 {
		t.Fatalf("item %d %v, want 5", i, ok)
	}
	if l.find(func(i int32) bool { return i == 9 }) || l.cur != 2 {
		t.Fatal("a failed find moved the cursor")
	}
}

// fixtureFleet is the fixture after lb1's second poll.
func fixtureFleet() *model.Fleet { return newFixture().poll(model.Healthy, "UP", 10) }

// TestPoolsViewReselect: the cursor follows its pool across a new query
// unless it watches the top row; narrowing and recalling a filter give
// what a full Select gives.
func TestPoolsViewReselect(t *testing.T) {
	t.Parallel()
	f := fixtureFleet()
	var p poolsView
	p.reselect(f, false, 20)
	if len(p.list.sel) != len(f.Pools) || p.curKey != f.Pools[p.list.sel[0]].Key {
		t.Fatalf("all pools: %v, cursor on %q", p.list.sel, p.curKey)
	}
	if !p.toPool(f, 20, func(r *model.PoolRow) bool { return r.Name == "web" }) || p.cursor(f).Name != "web" {
		t.Fatalf("toPool web: cursor on %v", p.cursor(f))
	}
	p.query.Sort = model.SortName
	p.reselect(f, true, 20)
	if c := p.cursor(f); c == nil || c.Name != "web" || p.list.cur == 0 {
		t.Fatalf("keep: cursor on %v at %d, want web below the top", c, p.list.cur)
	}
	p.list.cur = 0
	p.reselect(f, true, 20)
	if p.list.cur != 0 {
		t.Fatalf("a cursor on the top row moved to %d", p.list.cur)
	}

	p.query.Filter = "w"
	p.reselect(f, false, 20)
	p.rememberFilter()
	p.query.Filter = "we"
	if !p.narrow(f, "w") || !slices.Equal(p.list.sel, f.Select(p.query)) {
		t.Fatalf("narrow to %q: %v, Select %v", p.query.Filter, p.list.sel, f.Select(p.query))
	}
	p.rememberFilter()
	p.query.Filter = "w"
	if !p.recall(f) || !slices.Equal(p.list.sel, f.Select(p.query)) || len(p.steps) != 1 {
		t.Fatalf("recall %q: %v (steps %d)", p.query.Filter, p.list.sel, len(p.steps))
	}
	p.query.Filter = "/re/"
	if p.narrow(f, "w") {
		t.Fatal("narrowed a regular expression")
	}
}

// TestBackendsViewFollowsBackend: the cursor stays on its backend across
// a new query and a new fleet; a pool that goes away is noticed.
func TestBackendsViewFollowsBackend(t *testing.T) {
	t.Parallel()
	f := fixtureFleet()
	pool := f.Pool("haproxy/web")
	if pool == nil {
		t.Fatalf("no pool haproxy/web in %v", f.Pools)
	}
	var b backendsView
	b.open(pool)
	b.reselect(model.Query{}, false, 10)
	web3 := model.BackendRef{Source: "lb1", Pool: "web", Backend: "web-3"}
	if !b.selectRef(web3, 10) || b.cursor().Ref() != web3 || b.curRef != web3 {
		t.Fatalf("selectRef: cursor on %v", b.cursor())
	}
	b.reselect(model.Query{Filter: "web-3"}, true, 10)
	if len(b.list.sel) != 1 || b.cursor().Ref() != web3 {
		t.Fatalf("filter: %v, cursor on %v", b.list.sel, b.cursor())
	}
	b.reopen(fixtureFleet(), model.Query{}, 10)
	if b.cursor() == nil || b.cursor().Ref() != web3 || b.goneSeen {
		t.Fatalf("new fleet: cursor on %v", b.cursor())
	}
	b.reopen(&model.Fleet{}, model.Query{}, 10)
	if !b.goneSeen || b.pool != nil || b.cursor() != nil || b.openKey != "haproxy/web" {
		t.Fatalf("pool gone: %+v", b)
	}
}

// TestInputStateEditing: printable runes only, backspace removes one
// rune (not one byte), close empties.
func TestInputStateEditing(t *testing.T) {
	t.Parallel()
	var in inputState
	in.start(inputFilter, "we")
	in.add("b\x1b[2J\x7fé")
	if in.text != "web[2Jé" {
		t.Fatalf("typed %q", in.text)
	}
	in.backspace()
	if in.text != "web[2J" {
		t.Fatalf("backspace left %q", in.text)
	}
	in.close()
	if in.mode != inputNone || in.text != "" {
		t.Fatalf("closed: %+v", in)
	}
}

// TestTimeStateHold: a pause keeps the newest fleet and counts them;
// resume hands it back once.
func TestTimeStateHold(t *testing.T) {
	t.Parallel()
	ts := timeState{paused: true}
	newer, older := &model.Fleet{Gen: 5}, &model.Fleet{Gen: 3}
	ts.hold(newer, nil)
	ts.hold(older, nil)
	ts.hold(nil, nil)
	if ts.held != newer || ts.behind != 1 {
		t.Fatalf("held gen %d, behind %d; want 5 and 1", ts.held.Gen, ts.behind)
	}
	f, _ := ts.resume()
	if f != newer || ts.paused || ts.held != nil || ts.behind != 0 {
		t.Fatalf("resume: %v %+v", f, ts)
	}
	if f, _ := ts.resume(); f != nil {
		t.Fatal("a second resume returned a fleet")
	}
}

// TestOverlayPriority: overlay() alone decides which overlay is in
// front; the keys go to it and it is the one drawn.
func TestOverlayPriority(t *testing.T) {
	t.Parallel()
	m, _ := newModel(t, envoyActor(), Options{}, 100, 30)
	m = press(t, cursorTo(t, openPoolNamed(t, m, "web"), "web-2"), "enter", "?")
	if m.overlay() != overlayHelp || !m.over.detail {
		t.Fatalf("help over the detail: overlay %v", m.overlay())
	}
	if v := view(m); !strings.Contains(v, "lbtop keys") || strings.Contains(ansi.Strip(v), "┌─ web/web-2") {
		t.Fatalf("help not drawn in front:\n%s", v)
	}
	m = press(t, m, "j", "esc") // help takes j: the detail still shows web-2
	if m.overlay() != overlayDetail || !strings.Contains(ansi.Strip(view(m)), "┌─ web/web-2") {
		t.Fatalf("after help: overlay %v\n%s", m.overlay(), view(m))
	}
	m = press(t, m, "o", "j") // the list takes j
	if m.overlay() != overlayOut || m.backends.cursor().Name != "web-2" || !strings.Contains(view(m), "Out of rotation") {
		t.Fatalf("out list over the detail: overlay %v, backend %v", m.overlay(), m.backends.cursor())
	}
	m = press(t, m, "esc")
	if m.overlay() != overlayDetail || !strings.Contains(ansi.Strip(view(m)), "┌─ web/web-2") {
		t.Fatalf("after the list: overlay %v\n%s", m.overlay(), view(m))
	}
	m = press(t, m, "esc")
	if m.overlay() != overlayNone || m.screen != screenBackends {
		t.Fatalf("after the detail: overlay %v screen %v", m.overlay(), m.screen)
	}
}
