package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// pending is an action confirmed by the user and not yet seen in the data.
type pending struct {
	id       int
	action   model.Action
	sent     bool      // Do returned without error
	sentAt   time.Time // when Do returned
	lastPoll time.Time // the source's LastPoll when counting started
	fleets   int       // polls of the source seen since sent
	batch    int       // the confirmation it came from (fan-out: one per instance)
	exec     bool      // performed by the Executor, which verifies it itself
}

// describe is the pending mark in the reason column: "drain", "weight 5".
func (p *pending) describe() string {
	if p.action.Kind == model.ActionWeight {
		return "weight " + strconv.Itoa(p.action.Weight)
	}
	return p.action.Kind.String()
}

// pendingFor returns the pending action on ref, or nil.
func (m *Model) pendingFor(ref model.BackendRef) *pending {
	for i := range m.pending {
		if m.pending[i].action.Ref == ref {
			return &m.pending[i]
		}
	}
	return nil
}

// withoutPending returns a copy of ps without index i.
func withoutPending(ps []pending, i int) []pending {
	out := make([]pending, 0, len(ps)-1)
	out = append(out, ps[:i]...)
	return append(out, ps[i+1:]...)
}

// actionDone records the Actor's answer.
func (m Model) actionDone(msg ActionDoneMsg) (tea.Model, tea.Cmd) {
	a := msg.Action
	idx := -1
	for i := range m.pending {
		if m.pending[i].action == a && !m.pending[i].sent {
			idx = i
			break
		}
	}
	if msg.Err != nil {
		if idx >= 0 {
			m.pending = withoutPending(m.pending, idx)
		}
		return m.setStatus(StatusError, a.String()+" failed: "+model.SafeError(msg.Err.Error()), 0)
	}
	if a.Kind.ProxyLevel() {
		if a.Kind == model.ActionProxyFail {
			if !containsString(m.proxyFailed, a.Ref.Source) {
				m.proxyFailed = append(append([]string(nil), m.proxyFailed...), a.Ref.Source)
			}
			return m.setStatus(StatusWarn, "proxy-fail sent to "+a.Ref.Source+": the WHOLE proxy now fails its health check (F again restores it)", errorStatusTTL)
		}
		var rest []string
		for _, s := range m.proxyFailed {
			if s != a.Ref.Source {
				rest = append(rest, s)
			}
		}
		m.proxyFailed = rest
		return m.setStatus(StatusOK, "proxy-ok sent to "+a.Ref.Source+": its health check passes again", 0)
	}
	m.now = m.opts.Now()
	var timeout tea.Cmd
	if idx >= 0 {
		m.pending = append([]pending(nil), m.pending...)
		p := &m.pending[idx]
		p.sent, p.sentAt = true, m.now
		if st, ok := m.fleet.Source(a.Ref.Source); ok {
			p.lastPoll = st.LastPoll
		}
		id := p.id
		timeout = tea.Tick(pendingTimeout, func(time.Time) tea.Msg { return pendingTimeoutMsg{id: id} })
	}
	m, clearCmd := m.setStatus(StatusInfo, a.Kind.String()+" sent to "+a.Ref.String()+"; waiting for the next poll", 0)
	return m, tea.Batch(clearCmd, timeout)
}

// settlePending decides pending actions from the new fleet: confirmed
// when the backend shows the new state, not applied after pendingFleets
// polls of its source or pendingTimeout.
func (m Model) settlePending() (tea.Model, tea.Cmd) {
	if len(m.pending) == 0 {
		return m, nil
	}
	var kept []pending
	var msgs []string
	level := StatusOK
	for _, p := range m.pending {
		if !p.sent {
			kept = append(kept, p)
			continue
		}
		st, _ := m.fleet.Source(p.action.Ref.Source)
		if st.LastPoll.After(p.lastPoll) {
			p.fleets++
			p.lastPoll = st.LastPoll
		}
		b := findBackend(m.fleet, p.action.Ref)
		switch {
		case p.fleets > 0 && b != nil && reached(p.action, b):
			msgs = append(msgs, "confirmed: "+p.action.String()+" — now "+stateWithWeight(b))
		case p.fleets >= pendingFleets || m.now.Sub(p.sentAt) >= pendingTimeout:
			msgs = append(msgs, notApplied(p.action, st.Kind, b))
			level = StatusError
		default:
			kept = append(kept, p)
		}
	}
	m.pending = kept
	if len(msgs) == 0 {
		return m, nil
	}
	return m.setStatus(level, strings.Join(msgs, "; "), 0)
}

// pendingTimeout ends a wait that no fleet decided.
func (m Model) pendingTimeout(id int) (tea.Model, tea.Cmd) {
	for i, p := range m.pending {
		if p.id != id || !p.sent {
			continue
		}
		m.pending = withoutPending(m.pending, i)
		st, _ := m.fleet.Source(p.action.Ref.Source)
		b := findBackend(m.fleet, p.action.Ref)
		if b != nil && reached(p.action, b) {
			return m.setStatus(StatusOK, "confirmed: "+p.action.String()+" — now "+stateWithWeight(b), 0)
		}
		return m.setStatus(StatusError, notApplied(p.action, st.Kind, b), 0)
	}
	return m, nil
}

func notApplied(a model.Action, kind model.Kind, b *model.BackendRow) string {
	if b == nil {
		return "not applied: " + a.String() + " — the backend is no longer reported"
	}
	return "not applied: " + a.String() + " — " + string(kind) + " reports " + stateWithWeight(b)
}

// stateWithWeight is what the system reports: "healthy (UP), weight 10".
func stateWithWeight(b *model.BackendRow) string {
	return stateText(b) + ", weight " + fmtWeight(b.Weight)
}

// reached reports whether a backend shows the effect of an action.
func reached(a model.Action, b *model.BackendRow) bool {
	switch a.Kind {
	case model.ActionDrain:
		return b.Health == model.Draining
	case model.ActionMaint:
		return b.Health == model.Down
	case model.ActionReady:
		return b.Health.Serving()
	case model.ActionWeight:
		return b.Weight == a.Weight
	}
	return false
}

// findBackend locates the action's target in a fleet.
func findBackend(f *model.Fleet, ref model.BackendRef) *model.BackendRow {
	_, b := f.Locate(ref)
	return b
}
