package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// clockMsg is the one-second tick that keeps every age on screen moving
// between polls: "stale 14s" counts up while a dead source sends nothing.
type clockMsg time.Time

// clockEvery is how often ages are redrawn without new data.
const clockEvery = time.Second

// clockTick schedules the next clockMsg, on the next whole second of the
// wall clock: the ticks of every dashboard in a process (lbtop serve's
// sessions) then fall at the same instants, one wake-up for them all.
func clockTick() tea.Cmd {
	return tea.Tick(untilClock(time.Now()), func(t time.Time) tea.Msg { return clockMsg(t) })
}

// untilClock is the wait from now to the next tick: the next multiple of
// clockEvery.
func untilClock(now time.Time) time.Duration {
	return now.Truncate(clockEvery).Add(clockEvery).Sub(now)
}

// clock advances the model's notion of now and schedules the next tick.
func (m Model) clock() (tea.Model, tea.Cmd) {
	m.times.now = m.opts.Now()
	return m, clockTick()
}

// refreshAll asks every source to poll now (R). The request runs in a
// Cmd: Options.Refresh only signals the pollers, but Update stays free of
// anything that is not a state change.
func (m Model) refreshAll() (tea.Model, tea.Cmd) {
	if m.opts.Refresh == nil {
		return m.setStatus(StatusWarn, "refresh now is not available here", 0)
	}
	refresh := m.opts.Refresh
	out, clear := m.setStatus(StatusInfo, "polling every source now…", 2*time.Second)
	return out, tea.Batch(func() tea.Msg { refresh(); return nil }, clear)
}

// timeState is the view's relation to time: its clock, the history
// view (sparklines, time in state, events), when lbtop first saw each
// backend out of rotation, and a pause that holds newer fleets back.
type timeState struct {
	now        time.Time
	hist       *model.HistoryView             // nil until the engine sends one
	seen       map[model.BackendRef]time.Time // when lbtop first saw a backend out of rotation
	paused     bool                           // space: the view holds still
	held       *model.Fleet                   // the newest fleet that arrived while paused
	heldCauses *CauseWatch
	behind     int // fleets held

	replay *replayState // replay mode's clock, banner and prompt (replay.go); nil when live
}

// hold keeps a fleet that arrived while paused.
func (t *timeState) hold(f *model.Fleet, causes *CauseWatch) {
	if f != nil && (t.held == nil || f.Gen == 0 || f.Gen > t.held.Gen) {
		t.held, t.heldCauses = f, causes
		t.behind++
	}
}

// resume ends a pause and returns the newest fleet held, if any.
func (t *timeState) resume() (*model.Fleet, *CauseWatch) {
	f, causes := t.held, t.heldCauses
	t.paused, t.held, t.heldCauses, t.behind = false, nil, nil, 0
	return f, causes
}

// togglePause freezes the view (space): fleets keep arriving and are
// kept, but the screen holds still until space again shows the newest.
func (m Model) togglePause() (tea.Model, tea.Cmd) {
	if !m.times.paused {
		m.times.paused, m.times.behind = true, 0
		return m, nil
	}
	latest, causes := m.times.resume()
	if latest == nil {
		return m, nil
	}
	return m.setFleet(latest, causes)
}

// pausedDesc is the header's mark while paused.
func (m *Model) pausedDesc() string {
	if !m.times.paused {
		return ""
	}
	s := " PAUSED"
	if m.times.behind > 0 {
		s += " (" + strconv.Itoa(m.times.behind) + " updates held; space resumes)"
	} else {
		s += " (space resumes)"
	}
	return m.st.CellWarn.Render(s)
}

// staleBanner is the lasting line under the header while any source's
// last poll failed: which ones, since when, and that their rows (marked
// ~) show old data. It is empty when every source answers.
func (m *Model) staleBanner(w int) string {
	if m.fleet == nil {
		return ""
	}
	var parts []string
	for _, s := range m.fleet.Sources {
		if !s.Polled || s.OK {
			continue
		}
		age := "never answered"
		if !s.LastOK.IsZero() {
			age = "no data for " + fmtAge(m.times.now.Sub(s.LastOK))
		}
		parts = append(parts, s.Name+" "+age)
	}
	if len(parts) == 0 {
		return ""
	}
	head := "✘ SOURCE FAILING: "
	if len(parts) > 1 {
		head = "✘ " + strconv.Itoa(len(parts)) + " SOURCES FAILING: "
	}
	hint := " — rows marked ~ show old data; R polls now"
	if m.opts.Replay != nil {
		hint = " — rows marked ~ show old data" // recorded: nothing to poll
	}
	return m.st.MsgError.Render(clip(head+strings.Join(parts, " · ")+hint, w))
}

// staleLines is 1 while the stale banner shows, else 0.
func (m *Model) staleLines() int {
	if m.fleet == nil {
		return 0
	}
	for _, s := range m.fleet.Sources {
		if s.Polled && !s.OK {
			return 1
		}
	}
	return 0
}

// sortLetters are the shift+letter sort keys of the pools view.
var sortLetters = map[string]model.SortKey{
	"N": model.SortName, "S": model.SortSource, "H": model.SortHealthy, "W": model.SortWeight,
	"A": model.SortActive, "Q": model.SortReqRate, "E": model.SortErrRate,
}

// sortBy sorts the pools by a column: a new column in its natural order
// (worst or largest first), the same column again reversed.
func (m Model) sortBy(k model.SortKey) (tea.Model, tea.Cmd) {
	if m.pools.query.Sort == k {
		m.pools.query.Reverse = !m.pools.query.Reverse
	} else {
		m.pools.query.Sort, m.pools.query.Reverse = k, false
	}
	m.selectPools(true)
	return m, nil
}

// sortDesc is the header's sort word with its direction.
func (m *Model) sortDesc() string {
	if m.pools.query.Reverse {
		return m.pools.query.Sort.String() + "↑"
	}
	return m.pools.query.Sort.String() + "↓"
}
