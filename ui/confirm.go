package ui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// target is a copy of the backend an action is about, taken when the
// action was asked for, so the dialog does not change under the user.
type target struct {
	row  model.BackendRow
	kind model.Kind
}

// beginAction starts a backend action from a key: refuse with a reason,
// open the weight prompt, or open the confirmation.
func (m Model) beginAction(kind model.ActionKind) (tea.Model, tea.Cmd) {
	if m.opts.ReadOnly || m.actor == nil {
		return m.setStatus(StatusWarn, "read-only mode: actions disabled", 0)
	}
	if m.screen != screenBackends {
		return m.setStatus(StatusWarn, "open a pool first: enter on a pool, then pick a backend and press "+kind.String()[:1], 0)
	}
	b := m.cursorBackend()
	if b == nil {
		return m.setStatus(StatusWarn, "no backend under the cursor", 0)
	}
	if ok, why := m.actor.Supports(b.Source, kind); !ok {
		return m.setStatus(StatusWarn, why, 0)
	}
	if err := b.Addressable(); err != nil {
		return m.setStatus(StatusWarn, kind.String()+" refused: "+err.Error(), 0)
	}
	if p := m.pendingFor(b.Ref()); p != nil {
		return m.setStatus(StatusWarn, p.action.String()+" is still pending; wait for the next poll to confirm it", 0)
	}
	t := target{row: *b, kind: m.pool.Kind}
	if kind == model.ActionWeight {
		m.input, m.text, m.weightTarget = inputWeight, "", t
		return m, nil
	}
	m.dialog = m.backendDialog(model.Action{Kind: kind, Ref: b.Ref()}, t)
	return m, nil
}

// submitWeight validates the weight prompt and opens the confirmation.
func (m Model) submitWeight() (tea.Model, tea.Cmd) {
	w, err := parseWeight(m.text)
	if err != "" {
		return m.setStatus(StatusError, err, 0)
	}
	m.input, m.text = inputNone, ""
	t := m.weightTarget
	m.dialog = m.backendDialog(model.Action{Kind: model.ActionWeight, Ref: t.row.Ref(), Weight: w}, t)
	return m, nil
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
func stateText(b *model.BackendRow) string {
	s := b.Health.String()
	if b.Reason != "" {
		s += " (" + b.Reason + ")"
	}
	return s
}

// beginProxyAction fails (or restores) a whole proxy's health check.
func (m Model) beginProxyAction() (tea.Model, tea.Cmd) {
	if m.opts.ReadOnly || m.actor == nil {
		return m.setStatus(StatusWarn, "read-only mode: actions disabled", 0)
	}
	src := ""
	switch m.screen {
	case screenBackends:
		if b := m.cursorBackend(); b != nil {
			src = b.Source
		} else if m.pool != nil && len(m.pool.Sources) == 1 {
			src = m.pool.Sources[0]
		}
	default:
		p := m.cursorPool()
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
	if containsString(m.proxyFailed, src) {
		kind = model.ActionProxyOK
	}
	if ok, why := m.actor.Supports(src, kind); !ok {
		return m.setStatus(StatusWarn, why, 0)
	}
	st, _ := m.fleet.Source(src)
	scope := "EVERY pool on this proxy (" + plural(st.Pools, "pool") + ", " + plural(st.Backends, "backend") + ")"
	d := dialog{open: true, danger: true, action: model.Action{Kind: kind, Ref: model.BackendRef{Source: src}}}
	if kind == model.ActionProxyFail {
		d.title = "!! FAIL THE WHOLE PROXY " + src + " !!"
		d.lines = []string{
			"system   " + string(st.Kind),
			"source   " + src,
			"affects  " + scope,
			"change   proxy health check passing → FAILING",
			"Load balancers in front of " + src + " stop sending it ANY traffic.",
		}
	} else {
		d.title = "Restore the whole proxy " + src
		d.lines = []string{
			"system   " + string(st.Kind),
			"source   " + src,
			"affects  " + scope,
			"change   proxy health check failing (set by lbtop) → passing",
		}
	}
	m.dialog = d
	return m, nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// plural renders "1 pool", "3 pools".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
