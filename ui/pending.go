package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// actionState is what the dashboard knows about actions, apart from the
// lists and cursors: those still running, this session's history, the
// outcome marks on rows, who took backends out and who failed proxies
// (from the audit log and this session), and a quit waiting on pending
// ones. Its slices and maps are replaced, never modified in place, so
// model copies do not share changes.
type actionState struct {
	pending   []pending
	history   history                            // this session's actions
	marks     []mark                             // recent outcomes shown on rows
	drainedBy map[model.BackendRef]actions.Entry // who took a backend out
	proxyBy   map[string]actions.Entry           // who failed a proxy's health check
	quit      quitState
	peers     peerActions // other sessions' actions (lbtop serve), see peers.go
}

// pending is an action confirmed by the user whose Executor has not
// answered yet (the write, its verification and audit lines run in a
// tea.Cmd).
type pending struct {
	action model.Action
	batch  int    // the confirmation it came from (fan-out: one per instance)
	user   string // another session's (lbtop serve); "" for this one's
}

// describe is the pending mark in the reason column: "drain", "weight 5".
func (p *pending) describe() string {
	if p.action.Kind == model.ActionWeight {
		return "weight " + strconv.Itoa(p.action.Weight) + p.by()
	}
	return p.action.Kind.String() + p.by()
}

// pendingFor returns the pending action on ref, or nil.
func (m *Model) pendingFor(ref model.BackendRef) *pending { return m.acts.pendingFor(ref) }

// pendingFor returns the pending action on ref, or nil.
func (a *actionState) pendingFor(ref model.BackendRef) *pending {
	for i := range a.pending {
		if a.pending[i].action.Ref == ref {
			return &a.pending[i]
		}
	}
	return a.peerPendingFor(ref)
}

// begin returns the state with one confirmation opened as batch batchID
// (undoOf: the batch it reverts, or 0), each action in it pending.
func (a actionState) begin(acts []model.Action, batchID, undoOf int, now time.Time) actionState {
	ps := make([]pending, 0, len(a.pending)+len(acts))
	ps = append(ps, a.pending...)
	for _, act := range acts {
		ps = append(ps, pending{action: act, batch: batchID})
	}
	a.pending = ps
	a.history = a.history.open(batchID, len(acts), undoOf, now)
	return a
}

// withoutPending returns a copy of ps without index i.
func withoutPending(ps []pending, i int) []pending {
	out := make([]pending, 0, len(ps)-1)
	out = append(out, ps[:i]...)
	return append(out, ps[i+1:]...)
}

// quitState is where a quit asked for while actions are pending stands.
type quitState uint8

const (
	quitNone quitState = iota
	quitAsk            // "N actions pending: w wait · q quit anyway · esc stay"
	quitWait           // quit as soon as the last pending action answers
)

// askQuit quits at once when nothing is pending, else asks whether to
// wait for the pending actions' outcomes (their audit lines) or quit
// anyway (main then writes an "abandoned" line for each).
func (m Model) askQuit() (tea.Model, tea.Cmd) {
	if len(m.acts.pending) == 0 {
		return m, tea.Quit
	}
	m.acts.quit = quitAsk
	return m, nil
}

// quitKey answers the quit question.
func (m Model) quitKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "w", "enter":
		m.acts.quit = quitWait
		return m.setStatus(StatusInfo, "waiting for "+plural(len(m.acts.pending), "pending action")+" to finish, then quitting (q quits anyway)", 0)
	case "q", "Q":
		return m, tea.Quit
	case "esc", "n":
		m.acts.quit = quitNone
	}
	return m, nil
}

// quitQuestion is the text of the quit prompt, in lines that fit 80
// columns.
func (m *Model) quitQuestion() []string {
	return []string{
		plural(len(m.acts.pending), "action") + " pending.",
		"w wait for the outcome · q quit anyway (audited as abandoned) · esc stay",
	}
}

// afterResult quits when a wait for the pending actions has ended; when
// the last one answers while the quit question is open, the question is
// moot: it closes, leaving the outcome on the message line (q quits).
func (m Model) afterResult(cmd tea.Cmd) (tea.Model, tea.Cmd) {
	switch {
	case len(m.acts.pending) > 0:
	case m.acts.quit == quitWait:
		return m, tea.Quit // the status line's clearing tick no longer matters
	case m.acts.quit == quitAsk:
		m.acts.quit = quitNone
	}
	return m, cmd
}

// proxyNote is "since 03:12 by ana" for a proxy lbtop reads as failing,
// from this session's actions or the audit log, or "".
func (m *Model) proxyNote(source string) string {
	e, ok := m.acts.proxyBy[source]
	if !ok {
		return ""
	}
	return "since " + e.Time.Local().Format("15:04") + " by " + e.User.Login
}

// withProxy returns by updated for a confirmed proxy-level result.
func withProxy(by map[string]actions.Entry, r actions.Result, user string) map[string]actions.Entry {
	out := make(map[string]actions.Entry, len(by)+1)
	for k, v := range by {
		out[k] = v
	}
	if r.Action.Kind == model.ActionProxyFail {
		out[r.Action.Ref.Source] = actions.Entry{Time: r.At, User: actions.Who{Login: user}, Source: r.Action.Ref.Source, Action: r.Action.Kind.String(), Result: r.Outcome}
	} else {
		delete(out, r.Action.Ref.Source)
	}
	return out
}

// stateWithWeight is what the system reports: "healthy (UP), weight 10".
func stateWithWeight(b *model.BackendRow) string {
	return stateText(b) + ", weight " + fmtWeight(b.Weight)
}

// failingProxies are the sources whose last good poll says the proxy
// fails its own health check on purpose.
func (m *Model) failingProxies() []model.SourceStatus {
	if m.fleet == nil {
		return nil
	}
	var out []model.SourceStatus
	for _, s := range m.fleet.Sources {
		if s.ProxyFailing {
			out = append(out, s)
		}
	}
	return out
}

// proxyText is "PROXY edge FAILING health checks (since 03:12 by ana)".
func (m *Model) proxyText(s model.SourceStatus) string {
	t := "PROXY " + s.Name + " FAILING health checks"
	if n := m.proxyNote(s.Name); n != "" {
		t += " (" + n + ")"
	}
	return t
}

// proxyHeader puts a lasting red line for every failing proxy before the
// header h: it stays as long as the proxy reports failing.
func (m *Model) proxyHeader(h string, w int) string {
	ps := m.failingProxies()
	if len(ps) == 0 {
		return h
	}
	var parts []string
	for _, s := range ps {
		parts = append(parts, m.proxyText(s))
	}
	return clip(m.st.MsgError.Render(strings.Join(parts, " · "))+" "+h, w)
}
