package ui

import (
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// The lists shown over the screen: this session's actions (a), what is
// out of rotation (o) and the events (e). Each has a cursor (the
// overlays' listView) and keys that act on the row under it.

// listRoom is how many rows of a list fit in its box.
func (m *Model) listRoom() int {
	_, h := m.size()
	return max(1, h-8)
}

// listLen is the number of rows the cursor of the list shown moves over.
func (m *Model) listLen() int {
	switch m.over.list {
	case listActions:
		return len(m.acts.history.rows())
	case listOut:
		return len(m.failingProxies()) + len(m.over.outs)
	case listEvents:
		return len(m.shownEvents())
	}
	return 0
}

// listKey answers a key in the list shown: movement, closing, and the
// keys that act on the row under the cursor.
func (m Model) listKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	km := &m.keys
	kind := m.over.list
	closers := []key.Binding{km.Back, km.Quit, km.Actions, km.OutList}
	if kind == listEvents {
		closers = []key.Binding{km.Back, km.Quit, km.Events}
	}
	if key.Matches(msg, closers...) {
		m.over.list = listNone
		return m, nil
	}
	if d := stepOf(km, msg, m.listRoom()); d != 0 {
		m.over.rows.move(d, m.listLen(), m.listRoom())
		return m, nil
	}
	cur := m.over.rows.cur
	switch kind {
	case listEvents:
		evs := m.shownEvents()
		switch {
		case key.Matches(msg, km.Filter): // the list stays, filtered as typed
			m.over.rows = listView{}
			m.input.start(inputFilter, m.pools.query.Filter)
		case key.Matches(msg, km.Open) && cur < len(evs):
			m.over.list = listNone
			if m.screen == screenBackends {
				m.screen, m.over.detail = screenPools, false
			}
			return m.jumpTo(evs[cur].Pool)
		}
	case listActions:
		if rows := m.acts.history.rows(); key.Matches(msg, km.Undo) {
			if cur >= len(rows) {
				return m.beginUndo() // says there is nothing to undo
			}
			return m.leaveListIfDialog(m.undoSelected(rows[cur].id))
		}
	case listOut:
		proxies := m.failingProxies()
		switch {
		case key.Matches(msg, km.Ready) && cur < len(proxies):
			if m.actionsOff() {
				return m.setStatus(StatusWarn, m.readOnlyText(), 0)
			}
			return m.leaveListIfDialog(m.openProxyDialog(model.ActionProxyOK, proxies[cur].Name, 0))
		case key.Matches(msg, km.Ready) && cur-len(proxies) < len(m.over.outs):
			return m.leaveListIfDialog(m.readyOut(m.over.outs[cur-len(proxies)]))
		case key.Matches(msg, km.Open) && cur < len(proxies):
			return m.setStatus(StatusWarn, "a proxy is not a pool: r restores it", 0)
		case key.Matches(msg, km.Open) && cur-len(proxies) < len(m.over.outs):
			return m.openOut(m.over.outs[cur-len(proxies)])
		}
	}
	return m, nil
}

// leaveListIfDialog closes the list when the key opened a confirmation
// (the list would show again behind it once answered); a refusal keeps
// it open, its reason on the message line.
func (m Model) leaveListIfDialog(out Model, cmd tea.Cmd) (tea.Model, tea.Cmd) {
	if out.dialog.open {
		out.over.list = listNone
	}
	return out, cmd
}

// openActions shows this session's actions with the cursor on the one u
// would undo (the newest confirmed, not yet undone), else the newest.
func (m *Model) openActions() {
	m.over.open(listActions)
	last, _ := m.acts.history.undoable()
	if last == nil {
		return
	}
	rows := m.acts.history.rows()
	for i, r := range rows {
		if r.id == last.id {
			m.over.rows.move(i, len(rows), m.listRoom())
			return
		}
	}
}

// refreshOuts rebuilds the out-of-rotation list, keeping the cursor on
// the same backend when it is still out.
func (m *Model) refreshOuts() {
	np := len(m.failingProxies())
	var ref model.BackendRef
	had := false
	if i := m.over.rows.cur - np; i >= 0 && i < len(m.over.outs) {
		ref, had = m.over.outs[i].Row.Ref(), true
	}
	m.over.outs, _ = actions.OutOfRotation(m.fleet, m.times.seen, m.acts.drainedBy, m.times.now)
	for i := range m.over.outs {
		if had && m.over.outs[i].Row.Ref() == ref {
			m.over.rows.cur = np + i
			break
		}
	}
	m.over.rows.move(0, np+len(m.over.outs), m.listRoom())
}

// readyOut opens the confirmation of r on a row of the out list, as r
// on the backend in its pool would.
func (m Model) readyOut(o actions.Out) (Model, tea.Cmd) {
	if m.actionsOff() {
		return m.setStatus(StatusWarn, m.readOnlyText(), 0)
	}
	pool, row := m.fleet.Locate(o.Row.Ref())
	if row == nil {
		return m.setStatus(StatusError, "cannot ready "+o.Row.Ref().String()+": the backend is no longer reported", 0)
	}
	return m.actOn(model.ActionReady, row, pool)
}

// openOut opens the pool of a row of the out list with the cursor on
// its backend, clearing a filter that hides either.
func (m Model) openOut(o actions.Out) (tea.Model, tea.Cmd) {
	m.over.list, m.over.detail = listNone, false
	if m.fleet.Pool(o.PoolKey) == nil {
		return m.setStatus(StatusWarn, "pool "+o.Row.Pool+" is no longer reported", 0)
	}
	ref := o.Row.Ref()
	isPool := func(p *model.PoolRow) bool { return p.Key == o.PoolKey }
	show := func(m *Model) bool {
		m.screen = screenPools
		if !m.pools.toPool(m.fleet, m.bodyRowsFor(screenPools), isPool) {
			return false
		}
		m.openPool()
		return m.backends.selectRef(ref, m.bodyRowsFor(screenBackends))
	}
	if !show(&m) {
		m.pools.query.Filter, m.pools.query.ProblemsOnly = "", false
		m.screen = screenPools
		m.selectPools(false)
		if !show(&m) {
			return m.setStatus(StatusWarn, ref.String()+" is no longer reported", 0)
		}
	}
	return m, nil
}

// eventsBox renders the events overlay: one line per event, newest
// first, the cursor's line marked.
func (m *Model) eventsBox(w, h int) []string {
	evs := m.shownEvents()
	lines := make([]string, 0, m.listRoom()+1)
	start, end := m.over.rows.window(len(evs), m.listRoom())
	for i := start; i < end; i++ {
		lines = append(lines, m.rowMark(i)+evs[i].Text())
	}
	if len(evs) == 0 {
		lines = append(lines, "no events yet: state changes, alerts and actions appear here as they happen")
	}
	title := "Events, newest first (" + strconv.Itoa(len(evs)) + ")"
	if m.pools.query.Filter != "" {
		title += " matching " + strconv.Quote(m.pools.query.Filter)
	}
	return m.listBox(title, lines, "j/k move · enter jumps to the pool · / filters · e or esc closes", w, h)
}

// rowMark is the cursor mark of row i of the list shown.
func (m *Model) rowMark(i int) string {
	if i == m.over.rows.cur {
		return "▸ "
	}
	return "  "
}

// actionsBox lists this session's actions, newest first.
func (m *Model) actionsBox(w, h int) []string {
	rows := m.acts.history.rows()
	var lines []string
	start, end := m.over.rows.window(len(rows), m.listRoom())
	for i := start; i < end; i++ {
		lines = append(lines, m.rowMark(i)+rows[i].text)
	}
	lines = m.peerLines(lines) // others' actions (lbtop serve): shown, not selectable
	if len(lines) == 0 {
		lines = append(lines, "no actions in this session yet")
	}
	hint := "j/k move · u undoes the selected action · esc closes"
	if m.opts.ReadOnly {
		hint = "j/k move · esc closes (read-only: no undo)"
	}
	return m.listBox("Actions this session", lines, hint, w, h)
}

// maxFailingListed bounds the second section of the out list.
const maxFailingListed = 50

// outBox lists every backend out of rotation across pools (taken out on
// purpose: drained, down, maint, weight 0), then, in a second section,
// those out because they fail their checks, so "nothing is out" never
// reads as "everything serves".
func (m *Model) outBox(w, h int) []string {
	outs, proxies := m.over.outs, m.failingProxies()
	rows := make([]string, 0, len(proxies)+len(outs))
	for _, p := range proxies {
		rows = append(rows, m.proxyText(p)+": no traffic from the load balancers in front of it (r or F restores)")
	}
	for _, o := range outs {
		b := &o.Row
		s := b.Pool + "/" + b.Name + " @" + b.InstanceName() + "  " + stateWithWeight(b)
		if n := model.SafeText(o.Note(m.times.now)); n != "" {
			s += "  · " + n
		}
		rows = append(rows, s)
	}
	// The box holds listRoom()+2 lines (listBox's room): the rows scroll
	// in what the failing section's blank line, header and first line
	// leave, so that section and its count always show and listBox never
	// cuts (its "… N more" would count lines of both sections).
	failing, n := m.failingBackends(maxFailingListed)
	outRoom := m.listRoom()
	if n > 0 {
		outRoom = max(1, outRoom-1)
	}
	lines := make([]string, 0, m.listRoom()+2)
	start, end := m.over.rows.window(len(rows), outRoom)
	for i := start; i < end; i++ {
		lines = append(lines, m.rowMark(i)+rows[i])
	}
	if len(rows) == 0 {
		lines = append(lines, "none taken out on purpose: no backend drained, down, in maintenance or at weight 0")
	}
	lines = append(lines, "", "Failing their checks (not serving, not taken out by anyone): "+strconv.Itoa(n))
	if left := m.listRoom() + 2 - len(lines); n > left {
		failing = failing[:max(0, left-1)]
		lines = append(lines, failing...)
		lines = append(lines, "… "+strconv.Itoa(n-len(failing))+" more (p shows problems only)")
	} else {
		lines = append(lines, failing...)
	}
	hint := "j/k move · r readies the selected · enter opens its pool · esc closes"
	if m.opts.ReadOnly {
		hint = "j/k move · enter opens its pool · esc closes (read-only)"
	}
	// the count is of the rows listed: failing proxies' included
	return m.listBox("Out of rotation: drained, down, maint, weight 0 ("+strconv.Itoa(len(rows))+")", lines, hint, w, h)
}

// failingBackends lists up to max backends that do not serve for a
// failure (unhealthy, not drained or down by an operator), and how many
// there are in all.
func (m *Model) failingBackends(max int) ([]string, int) {
	if m.fleet == nil {
		return nil, 0
	}
	var lines []string
	n := 0
	for i := range m.fleet.Pools {
		p := &m.fleet.Pools[i]
		for j := range p.Backends {
			b := &p.Backends[j]
			if b.Health != model.Unhealthy || actions.IsOut(b.Backend) {
				continue
			}
			n++
			if len(lines) < max {
				lines = append(lines, b.Pool+"/"+b.Name+" @"+b.InstanceName()+"  "+stateWithWeight(b))
			}
		}
	}
	return lines, n
}

// listBox frames lines under a title, keeping as many as fit in h.
func (m *Model) listBox(title string, lines []string, hint string, w, h int) []string {
	room := max(1, h-6)
	if len(lines) > room {
		extra := len(lines) - room + 1
		lines = append(lines[:room-1:room-1], "… "+strconv.Itoa(extra)+" more")
	}
	lines = append(lines, "", hint)
	return boxWidth(title, lines, min(w-2, 110), m.st.Box, m.st.Title)
}
