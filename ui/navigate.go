package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// handleKey gives a key to the overlay in front (overlayKey), else to
// the screen.
func (m Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m, tea.Quit
	}
	if out, cmd, handled := m.overlayKey(msg); handled {
		return out, cmd
	}
	return m.screenKey(msg)
}

// screenKey answers a key on the pools or backends list (the detail box
// included: j/k show the next backend, d/r/m/w act on the one shown).
func (m Model) screenKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	km := &m.keys
	switch {
	case key.Matches(msg, km.Quit) && m.acts.quit == quitWait:
		return m, tea.Quit // q again while waiting: quit anyway
	case key.Matches(msg, km.Quit):
		return m.askQuit()
	case key.Matches(msg, km.Help):
		m.over.help = true
	case key.Matches(msg, km.Up, km.Down, km.PgUp, km.PgDown, km.Top, km.Bottom):
		m.move(m.step(msg))
	case key.Matches(msg, km.Open):
		switch {
		case m.screen == screenPools:
			m.openPool()
		case m.backends.cursor() != nil:
			m.over.detail = true
		}
	case key.Matches(msg, km.Back):
		return m.back()
	case key.Matches(msg, km.Filter):
		m.input.start(inputFilter, m.pools.query.Filter)
	case key.Matches(msg, km.Problems):
		m.pools.query.ProblemsOnly = !m.pools.query.ProblemsOnly
		m.requery(true)
	case key.Matches(msg, km.Sort):
		m.pools.query.Sort, m.pools.query.Reverse = m.pools.query.Sort.Next(), false
		m.selectPools(true)
	case key.Matches(msg, km.SortBy) && m.screen == screenPools:
		return m.sortBy(sortLetters[msg.String()])
	case key.Matches(msg, km.Jump) && m.screen == screenPools:
		m.input.start(inputJump, "")
	case key.Matches(msg, km.Refresh):
		return m.refreshAll()
	case key.Matches(msg, km.Events):
		m.over.open(listEvents)
	case key.Matches(msg, km.Pause):
		return m.togglePause()
	case key.Matches(msg, km.Drain):
		return m.beginAction(model.ActionDrain)
	case key.Matches(msg, km.Ready):
		return m.beginAction(model.ActionReady)
	case key.Matches(msg, km.Maint):
		return m.beginAction(model.ActionMaint)
	case key.Matches(msg, km.Weight):
		return m.beginAction(model.ActionWeight)
	case key.Matches(msg, km.ProxyFail):
		return m.beginProxyAction()
	case key.Matches(msg, km.Undo):
		return m.beginUndo()
	case key.Matches(msg, km.Actions):
		m.openActions()
	case key.Matches(msg, km.OutList):
		m.over.open(listOut)
		m.refreshOuts()
	}
	return m, nil
}

// step is how far a movement key moves the cursor in a list of pages
// of bodyRows rows.
func (m *Model) step(msg tea.KeyPressMsg) int {
	return stepOf(&m.keys, msg, m.bodyRows())
}

// stepOf is how far a movement key moves a cursor in a window of rows
// lines: one row, a page, or to either end; 0 for any other key.
func stepOf(km *KeyMap, msg tea.KeyPressMsg, rows int) int {
	page := max(1, rows-1)
	switch {
	case key.Matches(msg, km.Up):
		return -1
	case key.Matches(msg, km.Down):
		return 1
	case key.Matches(msg, km.PgUp):
		return -page
	case key.Matches(msg, km.PgDown):
		return page
	case key.Matches(msg, km.Top):
		return -1 << 30
	case key.Matches(msg, km.Bottom):
		return 1 << 30
	}
	return 0
}

// back leaves the backends view, or clears the filter in the pools view.
func (m Model) back() (tea.Model, tea.Cmd) {
	if m.screen == screenBackends {
		m.screen, m.over.detail = screenPools, false
		m.backends.close()
		m.selectPools(true)
		return m, nil
	}
	if m.pools.query.Filter != "" {
		m.pools.query.Filter = ""
		m.requery(true)
	}
	return m, nil
}

// requery re-applies the query to the pools and the open pool.
func (m *Model) requery(keep bool) {
	m.selectPools(keep)
	if m.screen == screenBackends {
		m.selectBackends(keep)
	}
}

// list is the list on screen.
func (m *Model) list() *listView {
	if m.screen == screenBackends {
		return &m.backends.list
	}
	return &m.pools.list
}

// move shifts the cursor by d rows, clamped to the list.
func (m *Model) move(d int) {
	l := m.list()
	l.move(d, len(l.sel), m.bodyRows())
	m.rememberCursor()
	m.scrollIntoView()
}

// rememberCursor records the pool key or backend ref under the cursor.
func (m *Model) rememberCursor() {
	if m.screen == screenBackends {
		m.backends.remember()
		return
	}
	m.pools.remember(m.fleet)
}

// scrollIntoView moves the windows so the cursors are visible.
func (m *Model) scrollIntoView() {
	rows := m.bodyRows()
	m.pools.list.scrollTo(len(m.pools.list.sel), rows)
	m.backends.list.scrollTo(len(m.backends.list.sel), rows)
}

// selectPools re-runs the query over the fleet (poolsView.reselect).
func (m *Model) selectPools(keep bool) {
	m.pools.reselect(m.fleet, keep, m.bodyRowsFor(screenPools))
}

// selectBackends applies the query to the open pool (backendsView.reselect).
func (m *Model) selectBackends(keep bool) {
	m.backends.reselect(m.pools.query, keep, m.bodyRowsFor(screenBackends))
}

// openPool switches to the backends view of the pool under the cursor.
func (m *Model) openPool() {
	p := m.pools.cursor(m.fleet)
	if p == nil {
		return
	}
	m.screen = screenBackends
	m.backends.open(p)
	m.selectBackends(false)
}
