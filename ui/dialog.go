package ui

import (
	"context"
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// dialogField is the text field of the confirmation that has the focus.
type dialogField uint8

const (
	fieldNone    dialogField = iota // keys are commands: y, n, ←/→, tab
	fieldConfirm                    // typing the pool name (risky actions)
	fieldReason                     // typing the optional reason
)

// maxShareLines bounds the per-backend share lines in the dialog.
const maxShareLines = 4

// dialog is the confirmation shown before any action.
type dialog struct {
	open   bool
	action model.Action // the action on this instance (proxy actions: the only one)
	title  string
	lines  []string // label/value pairs already formatted
	danger bool     // whole-proxy action: drawn loudly, the proxy's name typed to apply

	// Backend actions: one request per instance, this instance first.
	reqs    []actions.Request
	impacts []actions.Impact
	all     bool // send to every instance in reqs
	fixed   bool // the scope cannot change (an undo)
	undo    int  // the batch an undo reverts; 0 for an ordinary action
	field   dialogField
	typed   string // the pool (or proxy) name typed
	reason  string
	pool    string // the name to type: the pool's, or the proxy's for a proxy action
}

// scope is the requests the dialog will send.
func (d *dialog) scope() ([]actions.Request, []actions.Impact) {
	if d.all || len(d.impacts) == 0 {
		return d.reqs, d.impacts
	}
	return d.reqs[:1], d.impacts[:1]
}

// risky reports whether the pool name must be typed: an impact in scope
// is the last healthy backend or takes capacity below the floor.
func (d *dialog) risky() bool {
	if d.danger {
		return true
	}
	_, ims := d.scope()
	for _, im := range ims {
		if im.Risky() {
			return true
		}
	}
	return false
}

// settleField puts the focus on the pool-name field when the scope is
// risky, and off it when it is not.
func (d *dialog) settleField() {
	switch {
	case d.risky() && d.field == fieldNone:
		d.field = fieldConfirm
	case !d.risky() && d.field == fieldConfirm:
		d.field = fieldNone
	}
}

// backendDialog says exactly what a backend action will change and what
// the pool looks like after it, on this instance and on every other
// instance that has the same backend.
func (m *Model) backendDialog(a model.Action, t target) (dialog, error) {
	b := &t.row
	pool := t.pool
	if pool == nil {
		pool = m.backends.pool
	}
	if pool == nil {
		pool = &model.PoolRow{Name: b.Pool, Kind: t.kind, Backends: []model.BackendRow{*b}}
	}
	plan, err := actions.Plan(m.fleet, m.actor, a, actions.Scope(m.actor, pool, *b, a), "", m.opts.Floor)
	if err != nil {
		return dialog{}, err
	}
	change := "state " + stateText(b) + " → " + a.Kind.String()
	if a.Kind == model.ActionWeight {
		change = "weight " + fmtWeight(b.Weight) + " → " + strconv.Itoa(a.Weight)
	}
	src := b.Source
	if inst := b.InstanceName(); inst != b.Source {
		src += " (instance " + inst + ")"
	}
	be := b.Name
	if b.Address != "" && b.Address != b.Name {
		be += "  " + b.Address
	}
	d := dialog{
		open: true, action: a, title: "Confirm " + a.Kind.String(), pool: b.Pool,
		lines: []string{
			"system   " + string(t.kind),
			"source   " + src,
			"pool     " + b.Pool,
			"backend  " + be,
			"change   " + change,
		},
		reqs: plan.Requests, impacts: plan.Impacts,
	}
	d.settleField()
	return d, nil
}

// dialogKey answers the confirmation: y performs, n or esc cancels; a
// risky action needs the pool name typed and enter; tab moves to the
// reason; ←/→ switch between this instance and all of them.
func (m Model) dialogKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	d := &m.dialog
	switch msg.String() {
	case "esc":
		return m.cancelDialog()
	case "left", "right":
		if len(d.reqs) > 1 && !d.fixed {
			d.all = !d.all
			d.settleField()
		}
		return m, nil
	case "tab":
		switch d.field {
		case fieldReason:
			d.field = fieldNone
			d.settleField()
		default:
			d.field = fieldReason
		}
		return m, nil
	case "enter":
		switch d.field {
		case fieldReason:
			d.field = fieldNone
			d.settleField()
			return m.setStatus(StatusInfo, "reason kept; "+d.applyHint(), 0)
		case fieldConfirm:
			if d.typed == d.pool {
				return m.applyDialog()
			}
			return m.setStatus(StatusError, "type the "+d.nameWord()+" name exactly ("+d.pool+") to apply, esc to cancel", 0)
		}
		return m, nil
	case "backspace":
		p := d.input()
		*p = dropLastRune(*p)
		return m, nil
	}
	if d.field != fieldNone {
		if msg.Text != "" && msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
			p := d.input()
			for _, r := range printable(msg.Text) {
				if len(*p) < 200 {
					*p += string(r)
				}
			}
		}
		return m, nil
	}
	return m.dialogYesNo(msg)
}

// dialogYesNo answers y (perform) and n (cancel); other keys do nothing.
func (m Model) dialogYesNo(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Yes):
		return m.applyDialog()
	case key.Matches(msg, m.keys.No):
		return m.cancelDialog()
	}
	return m, nil
}

// cancelDialog closes the dialog without changing anything.
func (m Model) cancelDialog() (tea.Model, tea.Cmd) {
	m.dialog = dialog{}
	return m.setStatus(StatusInfo, "cancelled: nothing was changed", 0)
}

// input is the text field being typed into: the pool-name confirmation,
// or else the reason.
func (d *dialog) input() *string {
	if d.field == fieldConfirm {
		return &d.typed
	}
	return &d.reason
}

// applyDialog closes the dialog, marks the targets pending and returns the
// Cmd that performs the action (one per instance).
func (m Model) applyDialog() (tea.Model, tea.Cmd) {
	d := m.dialog
	m.dialog = dialog{}
	if m.opts.Executor == nil {
		return m.setStatus(StatusWarn, "actions disabled: no action runner", 0)
	}
	reqs, _ := d.scope()
	batch := m.msg.newID()
	var cmds []tea.Cmd
	acts := make([]model.Action, 0, len(reqs))
	for _, req := range reqs {
		req.Reason = d.reason
		req.Reverts = d.undo != 0
		acts = append(acts, req.Action)
		cmds = append(cmds, m.execCmd(req, batch))
	}
	m.acts = m.acts.begin(acts, batch, d.undo, m.opts.Now())
	text := reqs[0].Action.String()
	if d.danger {
		text = reqs[0].Action.Kind.String() + " " + reqs[0].Action.Ref.Source
	}
	if len(reqs) > 1 {
		text += " on " + strconv.Itoa(len(reqs)) + " instances"
	}
	// No clearing tick: the answer replaces this message, so y returns
	// exactly the action's Cmd.
	m.msg.show(StatusInfo, text+": sending…")
	if len(cmds) == 1 {
		return m, cmds[0]
	}
	return m, tea.Batch(cmds...)
}

// execCmd performs one request end to end through the Executor (write,
// verifying re-poll, audit line) off the UI goroutine, bounded by the
// action timeout plus the verification's own, and by the program's root
// context.
func (m Model) execCmd(req actions.Request, batch int) tea.Cmd {
	ex, root, timeout := m.opts.Executor, m.opts.Context, m.opts.ActionTimeout+verifyAllowance
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(root, timeout)
		defer cancel()
		return ActionResultMsg{Result: ex.Run(ctx, req), Batch: batch}
	}
}

// dialogBox renders the dialog as a framed box at most w cells wide.
func (m *Model) dialogBox(w int) []string {
	d := &m.dialog
	lines := append([]string{}, d.lines...)
	border, title := m.st.Box, m.st.Title
	reqs, ims := d.scope()
	for i, im := range ims {
		if len(ims) > 1 {
			lines = append(lines, "── "+reqs[i].Action.Ref.Source)
		}
		lines = append(lines, im.Lines(maxShareLines)...)
	}
	if len(d.reqs) > 1 && !d.fixed {
		this, all := "[this instance]", " all "+strconv.Itoa(len(d.reqs))+" instances "
		if d.all {
			this, all = " this instance ", "[all "+strconv.Itoa(len(d.reqs))+" instances]"
		}
		lines = append(lines, "scope    "+this+" "+all+"   ←/→ switch")
	}
	cursor := func(f dialogField) string {
		if d.field == f {
			return "▏"
		}
		return ""
	}
	if d.reason == "" && d.field != fieldReason {
		lines = append(lines, "reason   (optional: tab, then type one line)")
	} else {
		lines = append(lines, "reason   "+d.reason+cursor(fieldReason))
	}
	if d.danger {
		lines = append([]string{"This affects the WHOLE proxy and every pool on it."}, lines...)
	}
	if d.risky() {
		border, title = m.st.BoxDanger, m.st.BoxDanger
		lines = append(lines, "", "type the "+d.nameWord()+" name to apply: "+d.typed+cursor(fieldConfirm))
	}
	return box(d.title, append(lines, "", d.footer()), w, border, title)
}

// nameWord is what must be typed: the pool's name, or the proxy's.
func (d *dialog) nameWord() string {
	if d.danger {
		return "proxy"
	}
	return "pool"
}

// applyHint says how to apply from the dialog's current state.
func (d *dialog) applyHint() string {
	if d.risky() {
		return "type the " + d.nameWord() + " name and enter to apply"
	}
	return "y applies"
}

// footer lists the keys that work now: while the reason has the focus,
// every letter (y included) is text and enter keeps the reason.
func (d *dialog) footer() string {
	switch d.field {
	case fieldReason:
		return "typing the reason: enter keeps it   tab leaves   esc cancels"
	case fieldConfirm:
		return "enter apply   esc cancel   tab reason"
	}
	return "y apply   n/esc cancel"
}
