package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// IsClock reports whether msg is the dashboard's one-second clock tick.
// lbtop serve hands each session its next fleet right after the tick, so
// the two changes make one frame instead of two.
func IsClock(msg tea.Msg) bool {
	_, ok := msg.(clockMsg)
	return ok
}

// IsExpiry reports whether msg is a timer that only ends a mark (a Δ
// on a pool whose cause changed): lbtop serve lets it wait for the next
// frame instead of drawing one for it.
func IsExpiry(msg tea.Msg) bool {
	_, ok := msg.(causeExpiredMsg)
	return ok
}

// PeerActionMsg tells a shared dashboard (lbtop serve) about an action
// another session takes: sent once when it starts, with Result nil (its
// row shows "pending drain by bob"), and once when it ends, with the
// result (a transient notice, the outcome on its row, a line in the
// actions list a, and "drained by bob" on the backend).
type PeerActionMsg struct {
	User   string          // who acts: the SSH key's name
	Action model.Action    // what
	Result *actions.Result // nil while it runs
}

// MaxPeerResults bounds the other sessions' actions a dashboard keeps
// for its actions list, and those lbtop serve keeps for a session that
// joins later (PeerHistoryMsg).
const MaxPeerResults = 200

// PeerHistoryMsg hands a session that joins a shared dashboard (lbtop
// serve) the actions every session took before it joined, oldest first,
// the newest MaxPeerResults of them, and those still running (Result
// nil): its actions list a then shows what everyone else's shows.
type PeerHistoryMsg struct {
	Actions []PeerActionMsg
}

// peerActions are the other sessions' actions: those running and those
// ended, oldest first. Like actionState, its slices are replaced, never
// changed in place.
type peerActions struct {
	pending []pending // each with its user
	done    []peerResult
}

// peerResult is one ended action of another session.
type peerResult struct {
	user string
	res  actions.Result
}

// peerAction applies a PeerActionMsg.
func (m Model) peerAction(msg PeerActionMsg) (tea.Model, tea.Cmd) {
	m.times.now = m.opts.Now()
	p := &m.acts.peers
	ps := make([]pending, 0, len(p.pending)+1)
	for _, x := range p.pending {
		if x.user != msg.User || x.action.Ref != msg.Action.Ref {
			ps = append(ps, x)
		}
	}
	if msg.Result == nil {
		p.pending = append(ps, pending{action: msg.Action, user: msg.User})
		return m, nil
	}
	p.pending = ps
	r := *msg.Result
	done := p.done
	if len(done) >= MaxPeerResults {
		done = done[len(done)-MaxPeerResults+1:]
	}
	p.done = append(done[:len(done):len(done)], peerResult{user: msg.User, res: r})
	m.acts = m.acts.outcome(r, msg.User, m.times.now)
	mk := &m.acts.marks[len(m.acts.marks)-1] // outcome's own new slice
	mk.text = msg.User + ": " + mk.text
	level, text := StatusInfo, msg.User+": "+r.Summary()
	if r.Reason != "" {
		text += " · " + r.Reason
	}
	if !r.Done() {
		level = StatusWarn
	}
	return m.setStatus(level, text, 0)
}

// peerHistory applies a PeerHistoryMsg: the actions go to the list and
// the running ones onto their rows, before whatever this session has
// heard since (nothing, as lbtop serve sends it first); no notices or
// marks for what happened before it came.
func (m Model) peerHistory(msg PeerHistoryMsg) (tea.Model, tea.Cmd) {
	p := &m.acts.peers
	var ps []pending
	var done []peerResult
	for _, a := range msg.Actions {
		if a.Result == nil {
			ps = append(ps, pending{action: a.Action, user: a.User})
			continue
		}
		done = append(done, peerResult{user: a.User, res: *a.Result})
	}
	p.pending = append(ps, p.pending...)
	done = append(done, p.done...)
	p.done = done[max(0, len(done)-MaxPeerResults):]
	return m, nil
}

// peerPendingFor returns another session's action running on ref, or nil.
func (a *actionState) peerPendingFor(ref model.BackendRef) *pending {
	for i := range a.peers.pending {
		if a.peers.pending[i].action.Ref == ref {
			return &a.peers.pending[i]
		}
	}
	return nil
}

// by is " by bob" for another session's pending action, "" for ours.
func (p *pending) by() string {
	if p.user == "" {
		return ""
	}
	return " by " + p.user
}

// peerLines adds the other sessions' actions, newest first, after this
// session's lines of the actions list.
func (m *Model) peerLines(lines []string) []string {
	done := m.acts.peers.done
	if len(done) == 0 {
		return lines
	}
	if len(lines) == 0 {
		lines = append(lines, "none by this session yet")
	}
	lines = append(lines, "", "by others:")
	for i := len(done) - 1; i >= 0; i-- {
		r := &done[i].res
		s := r.At.Format("15:04:05") + "  " + done[i].user + ": " + r.Summary()
		if r.Reason != "" {
			s += "  — " + r.Reason
		}
		lines = append(lines, s)
	}
	return lines
}
