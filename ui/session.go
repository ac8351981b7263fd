package ui

import (
	"context"
	"maps"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// Executor performs an action end to end: the write, its verification by
// a fresh poll of the source, and the audit line. *actions.Runner
// implements it. The UI calls it only inside a tea.Cmd.
type Executor interface {
	Run(ctx context.Context, req actions.Request) actions.Result
}

// verifyAllowance is added to the action timeout for the Executor's
// verifying polls.
const verifyAllowance = 15 * time.Second

// markTTL is how long a row shows an action's outcome.
const markTTL = 2 * time.Minute

// batch is one confirmation: an action on one instance, or the same
// action fanned out to several.
type batch struct {
	id      int
	at      time.Time
	want    int // results expected
	results []actions.Result
	undoOf  int  // the batch this one reverts; 0 for none
	undone  bool // a later batch reverted this one
}

// complete reports whether every instance has answered.
func (b *batch) complete() bool { return len(b.results) >= b.want }

// confirmed reports whether any instance confirmed the change.
func (b *batch) confirmed() bool {
	for _, r := range b.results {
		if r.Done() {
			return true
		}
	}
	return false
}

// String names the batch by its first result: "failed drain lb1:web/web-2".
func (b *batch) String() string {
	if len(b.results) == 0 {
		return "the action still sending"
	}
	return b.results[0].Outcome.String() + " " + b.results[0].Action.String()
}

// whyNotUndo says why u cannot revert b, or "" when it can: still
// pending, already undone, an undo itself, or nothing was changed.
func (b *batch) whyNotUndo() string {
	switch {
	case len(b.results) == 0 || !b.complete():
		return "it is still pending; wait for its outcome"
	case b.undone:
		return "it is already undone"
	case b.undoOf != 0:
		return "it is an undo itself; act on the backend again instead"
	case !b.confirmed():
		return "nothing was changed, so there is nothing to revert"
	}
	return ""
}

// history is this session's actions, oldest first. Methods return a new
// slice and never modify a batch in place, so model copies do not share
// changes.
type history []batch

// actionRow is one line of the a list: one instance's result, or a
// batch still sending; id is its batch.
type actionRow struct {
	id   int
	text string
}

// rows are the lines of the a list, newest first.
func (h history) rows() []actionRow {
	var out []actionRow
	for i := len(h) - 1; i >= 0; i-- {
		b := &h[i]
		if len(b.results) == 0 {
			out = append(out, actionRow{b.id, b.at.Format("15:04:05") + "  sending… (" + plural(b.want, "instance") + ")"})
		}
		for _, r := range b.results {
			s := r.At.Format("15:04:05") + "  " + r.Summary()
			if r.Reason != "" {
				s += "  — " + r.Reason
			}
			if b.undone {
				s += "  [undone]"
			}
			out = append(out, actionRow{b.id, s})
		}
	}
	return out
}

// byID is the batch with that id, or nil.
func (h history) byID(id int) *batch {
	for i := range h {
		if h[i].id == id {
			return &h[i]
		}
	}
	return nil
}

// open adds a batch awaiting want results, and marks undoOf as undone.
func (h history) open(id, want, undoOf int, at time.Time) history {
	out := make(history, 0, len(h)+1)
	for _, b := range h {
		if undoOf != 0 && b.id == undoOf {
			b.undone = true
		}
		out = append(out, b)
	}
	return append(out, batch{id: id, at: at, want: want, undoOf: undoOf})
}

// add records one result in its batch and returns the batch.
func (h history) add(id int, r actions.Result) (history, batch) {
	out := make(history, len(h))
	copy(out, h)
	for i := range out {
		if out[i].id == id {
			out[i].results = append(out[i].results[:len(out[i].results):len(out[i].results)], r)
			return out, out[i]
		}
	}
	b := batch{id: id, at: r.At, want: 1, results: []actions.Result{r}}
	return append(out, b), b
}

// mark is an action's outcome shown on its row for a while.
type mark struct {
	ref   model.BackendRef
	text  string
	bad   bool
	until time.Time
}

// record returns the state after one instance's result: no longer
// pending, added to its batch in the history (returned), marked on its
// row until now+markTTL, and, when confirmed, who took the backend out or
// failed the proxy.
func (a actionState) record(r actions.Result, batchID int, user string, now time.Time) (actionState, batch) {
	for i := range a.pending {
		if a.pending[i].batch == batchID && a.pending[i].action == r.Action {
			a.pending = withoutPending(a.pending, i)
			break
		}
	}
	var b batch
	a.history, b = a.history.add(batchID, r)
	return a.outcome(r, user, now), b
}

// outcome marks r on its row until now+markTTL and, when confirmed,
// records who (user) took the backend out or failed the proxy.
func (a actionState) outcome(r actions.Result, user string, now time.Time) actionState {
	text := r.Outcome.String()
	if r.Outcome == actions.NotApplied && r.HasAfter {
		text = "not applied: " + actions.StateOf(r.After).Health.String()
	}
	marks := make([]mark, 0, len(a.marks)+1)
	for _, k := range a.marks {
		if k.ref != r.Action.Ref && k.until.After(now) {
			marks = append(marks, k)
		}
	}
	a.marks = append(marks, mark{ref: r.Action.Ref, text: text, bad: !r.Done(), until: now.Add(markTTL)})
	switch {
	case r.Done() && r.Action.Kind.ProxyLevel():
		a.proxyBy = withProxy(a.proxyBy, r, user)
	case r.Done():
		a.drainedBy = withDrain(a.drainedBy, r, user, now)
	}
	return a
}

// actionResult records what the Executor reports for one instance and,
// once every instance of its batch has answered, says so.
func (m Model) actionResult(msg ActionResultMsg) (tea.Model, tea.Cmd) {
	m.times.now = m.opts.Now()
	var b batch
	m.acts, b = m.acts.record(msg.Result, msg.Batch, m.opts.User, m.times.now)
	if !b.complete() {
		return m.afterResult(nil)
	}
	level, lines := StatusOK, make([]string, 0, len(b.results)+1)
	for _, x := range b.results {
		if !x.Done() {
			level = StatusError
		}
		line := x.Summary()
		if x.AuditErr != nil {
			line += " (AUDIT LINE NOT WRITTEN: " + x.AuditErr.Error() + ")"
			level = StatusError
		}
		lines = append(lines, line)
	}
	if len(b.results) > 1 {
		lines = append([]string{actions.FanOutSummary(b.results)}, lines...)
	}
	m, cmd := m.setStatus(level, strings.Join(lines, "; "), 0)
	return m.afterResult(cmd)
}

// withDrain returns by updated for a confirmed result: a drain, maint or
// weight 0 records who did it; anything else forgets it.
func withDrain(by map[model.BackendRef]actions.Entry, r actions.Result, user string, now time.Time) map[model.BackendRef]actions.Entry {
	out := maps.Clone(by)
	if out == nil {
		out = map[model.BackendRef]actions.Entry{}
	}
	a := r.Action
	if a.Kind == model.ActionDrain || a.Kind == model.ActionMaint || (a.Kind == model.ActionWeight && a.Weight == 0) {
		w := a.Weight
		out[a.Ref] = actions.Entry{Time: now, User: actions.Who{Login: user}, Source: a.Ref.Source, Pool: a.Ref.Pool,
			Backend: a.Ref.Backend, Action: a.Kind.String(), Weight: &w, Result: r.Outcome}
	} else {
		delete(out, a.Ref)
	}
	return out
}

// markFor returns the outcome mark shown on ref's row, or nil.
func (m *Model) markFor(ref model.BackendRef) *mark { return m.acts.markFor(ref, m.times.now) }

// markFor returns the outcome mark shown on ref's row at now, or nil.
func (a *actionState) markFor(ref model.BackendRef, now time.Time) *mark {
	for i := range a.marks {
		if a.marks[i].ref == ref && a.marks[i].until.After(now) {
			return &a.marks[i]
		}
	}
	return nil
}

// beginUndo opens the confirmation for reverting the newest action of
// this session that is not yet undone: the state and weight read before
// it, on every instance it changed.
func (m Model) beginUndo() (Model, tea.Cmd) {
	if m.actionsOff() {
		return m.setStatus(StatusWarn, m.readOnlyText(), 0)
	}
	last, skipped := m.acts.history.undoable()
	if last == nil {
		msg := "nothing to undo: no confirmed action of this session is left to revert"
		if skipped != "" {
			msg += " (" + skipped + ")"
		}
		return m.setStatus(StatusWarn, msg, 0)
	}
	return m.undoBatch(last, skipped)
}

// undoSelected opens the confirmation for reverting batch id, chosen in
// the a list, or says why it cannot be undone.
func (m Model) undoSelected(id int) (Model, tea.Cmd) {
	if m.actionsOff() {
		return m.setStatus(StatusWarn, m.readOnlyText(), 0)
	}
	b := m.acts.history.byID(id)
	if b == nil {
		return m.setStatus(StatusWarn, "nothing to undo: no such action in this session", 0)
	}
	if why := b.whyNotUndo(); why != "" {
		return m.setStatus(StatusWarn, "cannot undo "+b.String()+": "+why, 0)
	}
	return m.undoBatch(b, "")
}

// undoBatch opens the confirmation for reverting batch last: the state
// and weight read before it, on every instance it changed; skipped names
// newer batches passed over because nothing in them was confirmed.
func (m Model) undoBatch(last *batch, skipped string) (Model, tea.Cmd) {
	if r := last.results[0]; r.Action.Kind.ProxyLevel() {
		req, err := r.Undo()
		if err != nil {
			return m.setStatus(StatusError, err.Error(), 0)
		}
		return m.openProxyDialog(req.Action.Kind, r.Action.Ref.Source, last.id)
	}
	d := dialog{open: true, all: true, fixed: true, undo: last.id}
	for _, r := range last.results {
		req, err := r.Undo()
		if err != nil {
			continue
		}
		pool, row := m.fleet.Locate(r.Action.Ref)
		if row == nil {
			return m.setStatus(StatusError, "cannot undo "+r.Action.String()+": the backend is no longer reported", 0)
		}
		if ok, why := m.actor.Supports(row.Source, req.Action.Kind); !ok {
			return m.setStatus(StatusWarn, why, 0)
		}
		req.Before = row.Backend
		d.reqs = append(d.reqs, req)
		d.impacts = append(d.impacts, actions.Assess(pool, *row, req.Action, m.opts.Floor))
		if d.pool == "" {
			d.pool = row.Pool
			d.title = "Undo " + r.Action.String()
			d.action = req.Action
			d.lines = []string{
				"undo     " + r.Action.String() + " (" + r.Outcome.String() + ")",
				"restore  " + actions.StateOf(r.Before).String(),
				"request  " + req.Action.String(),
			}
		}
		if !actions.Reached(r.Action, row.Backend) {
			d.lines = append(d.lines, "NOTE     "+row.Source+" changed since: now "+stateWithWeight(row))
		}
	}
	if len(d.reqs) == 0 {
		return m.setStatus(StatusWarn, "nothing to undo: "+last.results[0].Summary(), 0)
	}
	if skipped != "" {
		d.lines = append(d.lines, "NOTE     skipped "+skipped)
	}
	d.settleField()
	m.dialog = d
	return m, nil
}

// undoable is the newest batch of this session with a confirmed result
// that is neither an undo nor undone yet, and a note naming the newer
// batches skipped because nothing in them was confirmed.
func (h history) undoable() (*batch, string) {
	var skipped []string
	for i := len(h) - 1; i >= 0; i-- {
		b := &h[i]
		if b.undoOf != 0 || b.undone || !b.complete() || len(b.results) == 0 {
			continue
		}
		if b.confirmed() {
			return b, strings.Join(skipped, ", ")
		}
		skipped = append(skipped, b.results[0].Outcome.String()+" "+b.results[0].Action.String())
	}
	return nil, strings.Join(skipped, ", ")
}

// outNote is the "drained 12 min ago by alice" note for a row out of
// rotation, or "".
func (m *Model) outNote(b *model.BackendRow) string {
	if !actions.IsOut(b.Backend) {
		return ""
	}
	o := actions.Out{Row: *b, Since: b.Since}
	if first, ok := m.times.seen[b.Ref()]; ok && o.Since.IsZero() {
		o.Since, o.Observed = first, true
	}
	if e, ok := m.acts.drainedBy[b.Ref()]; ok {
		o.By = &e
	}
	// The audit log names the user; a line in it is not trusted text.
	return model.SafeText(o.Note(m.times.now))
}
