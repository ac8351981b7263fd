package ui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// target is a copy of the backend an action is about, taken when the
// action was asked for, so the dialog does not change under the user.
type target struct {
	row  model.BackendRow
	kind model.Kind
	pool *model.PoolRow // the pool it was in; nil: the open pool
}

// beginAction starts a backend action from a key on the backend under
// the cursor: refuse with a reason, open the weight prompt, or open the
// confirmation.
func (m Model) beginAction(kind model.ActionKind) (Model, tea.Cmd) {
	if m.actionsOff() {
		return m.setStatus(StatusWarn, m.readOnlyText(), 0)
	}
	if m.screen != screenBackends {
		return m.setStatus(StatusWarn, "open a pool first: enter on a pool, then pick a backend and press "+kind.String()[:1], 0)
	}
	b := m.backends.cursor()
	if b == nil {
		return m.setStatus(StatusWarn, "no backend under the cursor", 0)
	}
	return m.actOn(kind, b, m.backends.pool)
}

// actOn starts a backend action on b of pool (from the backends view or
// the out list): refuse with a reason, open the weight prompt, or open
// the confirmation.
func (m Model) actOn(kind model.ActionKind, b *model.BackendRow, pool *model.PoolRow) (Model, tea.Cmd) {
	if p := m.acts.pendingFor(b.Ref()); p != nil {
		return m.setStatus(StatusWarn, p.action.String()+" is still pending; wait for the next poll to confirm it", 0)
	}
	t := target{row: *b, kind: pool.Kind, pool: pool}
	if kind == model.ActionWeight {
		if ok, why := m.actor.Supports(b.Source, kind); !ok {
			return m.setStatus(StatusError, "weight refused: "+why, 0)
		}
		m.input.start(inputWeight, "")
		m.input.weight = t
		return m, nil
	}
	return m.openBackendDialog(model.Action{Kind: kind, Ref: b.Ref()}, t)
}

// openBackendDialog plans the action (actions.Plan: the same checks as
// the CLI) and opens its confirmation, or shows why it is refused.
func (m Model) openBackendDialog(a model.Action, t target) (Model, tea.Cmd) {
	d, err := m.backendDialog(a, t)
	if err != nil {
		return m.setStatus(StatusError, err.Error(), 0)
	}
	m.dialog = d
	return m, nil
}

// submitWeight validates the weight prompt and opens the confirmation.
func (m Model) submitWeight() (Model, tea.Cmd) {
	w, err := parseWeight(m.input.text)
	m.input.close()
	if err != "" {
		// The prompt closes so the message line shows the error.
		return m.setStatus(StatusError, err+" (w to try again)", 0)
	}
	t := m.input.weight
	t.pool = nil // the open pool as the latest fleet reports it
	return m.openBackendDialog(model.Action{Kind: model.ActionWeight, Ref: t.row.Ref(), Weight: w}, t)
}

// parseWeight accepts digits only; the error names the value typed.
func parseWeight(s string) (int, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, "weight: type a number (digits only), enter to confirm, esc to cancel"
	case s[0] == '-' && len(s) > 1 && allDigits(s[1:]):
		return 0, "weight " + strconv.Quote(s) + " is negative: use 0 or more"
	case !allDigits(s):
		return 0, "weight " + strconv.Quote(s) + " is not a number: use digits only"
	}
	w, err := strconv.Atoi(s)
	if err != nil || w > 1<<24 {
		return 0, "weight " + strconv.Quote(s) + " is too large"
	}
	return w, ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// stateText is a backend's state in the dialog: "healthy (UP)".
func stateText(b *model.BackendRow) string { return model.HealthText(b.Health, b.Reason) }

// beginProxyAction fails (or restores) a whole proxy's health check.
func (m Model) beginProxyAction() (Model, tea.Cmd) {
	if m.actionsOff() {
		return m.setStatus(StatusWarn, m.readOnlyText(), 0)
	}
	src := ""
	switch m.screen {
	case screenBackends:
		if b := m.backends.cursor(); b != nil {
			src = b.Source
		} else if p := m.backends.pool; p != nil && len(p.Sources) == 1 {
			src = p.Sources[0]
		}
	default:
		p := m.pools.cursor(m.fleet)
		switch {
		case p == nil:
		case len(p.Sources) == 1:
			src = p.Sources[0]
		default:
			return m.setStatus(StatusWarn, "pool "+p.Name+" is on "+strconv.Itoa(len(p.Sources))+
				" proxies: open it and put the cursor on a backend of the proxy to fail", 0)
		}
	}
	if src == "" {
		return m.setStatus(StatusWarn, "no proxy under the cursor", 0)
	}
	kind := model.ActionProxyFail
	if st, _ := m.fleet.Source(src); st.ProxyFailing {
		kind = model.ActionProxyOK
	}
	return m.openProxyDialog(kind, src, 0)
}

// openProxyDialog plans a proxy-level action (undo: the batch it reverts,
// or 0) and opens its confirmation, which needs the proxy's name typed,
// or shows why it is refused.
func (m Model) openProxyDialog(kind model.ActionKind, src string, undo int) (Model, tea.Cmd) {
	plan, err := actions.Plan(m.fleet, m.actor, model.Action{Kind: kind, Ref: model.BackendRef{Source: src}}, nil, "", m.opts.Floor)
	if err != nil {
		return m.setStatus(StatusError, err.Error(), 0)
	}
	st, _ := m.fleet.Source(src)
	d := dialog{open: true, danger: true, fixed: true, undo: undo, pool: src, field: fieldConfirm,
		action: plan.Requests[0].Action, reqs: plan.Requests}
	d.title = "Restore the whole proxy " + src
	if kind == model.ActionProxyFail {
		d.title = "!! FAIL THE WHOLE PROXY " + src + " !!"
	}
	// The scope and change lines are the CLI's (proxy-fail/proxy-ok): one wording.
	d.lines = append([]string{"system   " + string(st.Kind), "source   " + src}, actions.ProxyImpact(st, kind)...)
	m.dialog = d
	return m, nil
}

// plural renders "1 pool", "3 pools".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// readOnlyText says why an action key does nothing: a replay, or
// read-only mode.
func (m *Model) readOnlyText() string {
	if m.opts.Replay != nil {
		return "replay: a recording cannot be acted on"
	}
	return "read-only mode: actions disabled"
}

// actionsOff reports whether actions are disabled: read-only mode, or
// nothing to perform them with.
func (m *Model) actionsOff() bool {
	return m.opts.ReadOnly || m.actor == nil || m.opts.Executor == nil
}
