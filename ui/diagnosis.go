package ui

import (
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
)

// causeMarkTTL is how long a pool whose cause changed keeps its Δ mark.
const causeMarkTTL = 10 * time.Second

// changeMark prefixes the WHY cell of a pool whose cause changed lately.
const changeMark = "Δ "

// Bounds of the diagnosis block above the backends table: at most
// maxEvidenceLines evidence lines, and only as many lines as leave
// minTableRows rows for the table.
const (
	maxEvidenceLines = 3
	minTableRows     = 5
)

// causeExpiredMsg arrives causeMarkTTL after a cause changed, so the Δ
// mark goes away even when no fleet follows. At is the tick's time.
type causeExpiredMsg struct{ At time.Time }

// CauseWatch remembers each pool's cause in the previous fleet and when
// it last changed, for the Δ mark. Whoever sends fleets runs Observe on
// each, off the UI goroutine (a pass over 10,000 pools costs about a
// millisecond), and sends the result in FleetMsg.Causes; without it the
// UI observes in Update. The usual case (the same pools in the same
// order) compares by position without maps. Nothing it holds is changed
// once built: a Model is a value, and older copies may still hold it.
type CauseWatch struct {
	prev    *model.Fleet         // the last fleet observed (immutable); nil before the first
	changed map[string]time.Time // pool key → when its cause changed, within causeMarkTTL
}

// causeOf is the cause that counts for change marks: ok and not yet
// diagnosed are the same.
func causeOf(p *model.PoolRow) model.Cause {
	if p.Diagnosis.Cause == model.CauseOK {
		return ""
	}
	return p.Diagnosis.Cause
}

// Observe compares f's causes with the last fleet's and returns the
// watch for f, with the pools that changed stamped now. The first fleet
// only sets the baseline: what is broken at start is not "new".
func (cw CauseWatch) Observe(f *model.Fleet, now time.Time) CauseWatch {
	next, _ := cw.observe(f, now)
	return next
}

// observe is Observe that also reports whether any pool changed.
func (cw CauseWatch) observe(f *model.Fleet, now time.Time) (CauseWatch, bool) {
	if f == nil {
		return cw, false
	}
	var fresh []string
	if cw.prev != nil {
		fresh = changedCauses(cw.prev, f)
	}
	next := CauseWatch{prev: f, changed: cw.kept(now, len(fresh))}
	for _, key := range fresh {
		next.changed[key] = now
	}
	return next, len(fresh) > 0
}

// changedCauses lists the keys of f's pools whose cause differs from
// prev's: by position when the pools are the same in the same order (the
// usual case, no allocation), by key when pools came or went. A pool
// that is new, or gone, has not changed cause.
func changedCauses(prev, f *model.Fleet) []string {
	var fresh []string
	if len(prev.Pools) == len(f.Pools) {
		same := true
		for i := range f.Pools {
			p, q := &f.Pools[i], &prev.Pools[i]
			if p.Key != q.Key {
				same = false
				break
			}
			if causeOf(p) != causeOf(q) {
				fresh = append(fresh, p.Key)
			}
		}
		if same {
			return fresh
		}
	}
	last := make(map[string]model.Cause, len(prev.Pools))
	for i := range prev.Pools {
		last[prev.Pools[i].Key] = causeOf(&prev.Pools[i])
	}
	fresh = fresh[:0]
	for i := range f.Pools {
		p := &f.Pools[i]
		// A pool new in this fleet (its source's first poll) has no
		// earlier cause to differ from.
		if was, ok := last[p.Key]; ok && was != causeOf(p) {
			fresh = append(fresh, p.Key)
		}
	}
	return fresh
}

// kept copies the changes still within causeMarkTTL at now, with room
// for extra more; nil when there is nothing to keep or add.
func (cw CauseWatch) kept(now time.Time, extra int) map[string]time.Time {
	var out map[string]time.Time
	for key, at := range cw.changed {
		if now.Sub(at) < causeMarkTTL {
			if out == nil {
				out = make(map[string]time.Time, len(cw.changed)+extra)
			}
			out[key] = at
		}
	}
	if out == nil && extra > 0 {
		out = make(map[string]time.Time, extra)
	}
	return out
}

// recent reports whether the pool's cause changed within causeMarkTTL.
func (cw CauseWatch) recent(key string, now time.Time) bool {
	at, ok := cw.changed[key]
	return ok && now.Sub(at) < causeMarkTTL
}

// watchCauses runs on every fleet: it takes the sender's cause watch
// (or observes f itself) and returns the Cmd that clears the marks when
// they expire.
func (m *Model) watchCauses(f *model.Fleet, sent *CauseWatch) tea.Cmd {
	latest := m.pools.causeTick
	if sent != nil {
		m.pools.causes = *sent
		for _, at := range sent.changed {
			if at.After(latest) {
				latest = at
			}
		}
	} else {
		var changed bool
		if m.pools.causes, changed = m.pools.causes.observe(f, m.times.now); changed {
			latest = m.times.now
		}
	}
	if !latest.After(m.pools.causeTick) {
		return nil
	}
	m.pools.causeTick = latest
	return tea.Tick(causeMarkTTL, func(t time.Time) tea.Msg { return causeExpiredMsg{At: t} })
}

// causesExpired handles causeExpiredMsg. The tick's time only moves the
// clock forward: a tick never makes the screen older than the data.
func (m Model) causesExpired(at time.Time) (tea.Model, tea.Cmd) {
	if at.After(m.times.now) {
		m.times.now = at
	}
	m.pools.causes.changed = m.pools.causes.kept(m.times.now, 0)
	return m, nil
}

// whyText is the WHY cell of a pool: the diagnosis in a few words, the
// cause code when the diagnosis has none, nothing for ok.
func whyText(d model.Diagnosis) string {
	switch {
	case d.Cause == "" || d.Cause == model.CauseOK:
		return ""
	case d.Short != "":
		return d.Short
	}
	return string(d.Cause)
}

// diagStyle is the style of a diagnosis state: down red, degraded
// yellow, warning its own colour, unknown grey; nil for ok.
func (st *Styles) diagStyle(s model.DiagState) *Paint {
	switch s {
	case model.DiagDown:
		return &st.CellBad
	case model.DiagDegraded:
		return &st.CellWarn
	case model.DiagWarning:
		return &st.CellNotice
	case model.DiagUnknown:
		return &st.Dim
	}
	return nil
}

// diagMark is the NO_COLOR-safe mark of a diagnosis state.
func diagMark(s model.DiagState) string {
	switch s {
	case model.DiagDown:
		return "✘"
	case model.DiagDegraded, model.DiagWarning:
		return "!"
	case model.DiagUnknown:
		return "~"
	}
	return "✓"
}

// whyCell renders the WHY column of a pool, Δ-marked when its cause
// changed within causeMarkTTL.
func (m *Model) whyCell(p *model.PoolRow) cell {
	txt := whyText(p.Diagnosis)
	if m.pools.causes.recent(p.Key, m.times.now) {
		if txt == "" {
			txt = "ok"
		}
		txt = changeMark + txt
	}
	return cell{text: txt, style: m.st.diagStyle(p.Diagnosis.State)}
}

// diagLines counts the lines of the open pool's diagnosis block: the
// summary and up to maxEvidenceLines of evidence, fewer when the
// terminal is short, so the table keeps minTableRows rows.
func (m *Model) diagLines() int {
	if m.backends.pool == nil || m.backends.pool.Diagnosis.Cause == "" {
		return 0
	}
	d := &m.backends.pool.Diagnosis
	n := 1 + min(len(d.Evidence), maxEvidenceLines)
	_, h := m.size()
	room := h - 1 - m.noteLines() - 3 - minTableRows
	return clampInt(n, 0, max(0, room))
}

// diagnosis renders the open pool's diagnosis block: "✘ down ·
// connection_refused: summary", then one evidence line each, the last
// saying how many more there are when they do not all fit.
func (m *Model) diagnosis(out []string, w int) []string {
	n := m.diagLines()
	if n == 0 {
		return out
	}
	d := &m.backends.pool.Diagnosis
	st := m.st.diagStyle(d.State)
	if st == nil {
		st = &m.st.CellOK
	}
	head := diagMark(d.State) + " " + d.State.String()
	if string(d.Cause) != d.State.String() { // not "ok · ok"
		head += " · " + string(d.Cause)
	}
	if d.Summary != "" {
		head += ": " + d.Summary
	}
	out = append(out, st.Render(clip(head, w)))
	ev := d.Evidence
	for i := 0; i < n-1; i++ {
		line := "  · " + ev[i]
		if i == n-2 && len(ev) > n-1 {
			line = "  … " + strconv.Itoa(len(ev)-i) + " more facts (lbtop why " + m.backends.pool.Name + ")"
		}
		out = append(out, clip(line, w))
	}
	return out
}
