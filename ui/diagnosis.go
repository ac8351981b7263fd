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

// causeWatch remembers each pool's cause in the previous fleet and when
// it last changed. Only pools whose cause is not ok are kept, so a
// healthy fleet of 10,000 pools costs one field read per pool.
type causeWatch struct {
	last    map[string]model.Cause // pool key → cause other than ok, in the last fleet
	changed map[string]time.Time   // pool key → when its cause changed
}

// causeOf is the cause that counts for change marks: ok and not yet
// diagnosed are the same.
func causeOf(p *model.PoolRow) model.Cause {
	if p.Diagnosis.Cause == model.CauseOK {
		return ""
	}
	return p.Diagnosis.Cause
}

// observe compares f's causes with the last fleet's and records the
// pools that changed at now. It reports whether any did. The first fleet
// only sets the baseline: what is broken at start is not "new".
func (cw *causeWatch) observe(f *model.Fleet, now time.Time) bool {
	first := cw.last == nil
	next := make(map[string]model.Cause, len(cw.last))
	changed := false
	for i := range f.Pools {
		p := &f.Pools[i]
		c := causeOf(p)
		if c != "" {
			next[p.Key] = c
		}
		if !first && cw.last[p.Key] != c {
			if cw.changed == nil {
				cw.changed = map[string]time.Time{}
			}
			cw.changed[p.Key] = now
			changed = true
		}
	}
	cw.last = next
	cw.expire(now)
	return changed
}

// expire forgets changes older than causeMarkTTL.
func (cw *causeWatch) expire(now time.Time) {
	for key, at := range cw.changed {
		if now.Sub(at) >= causeMarkTTL {
			delete(cw.changed, key)
		}
	}
}

// recent reports whether the pool's cause changed within causeMarkTTL.
func (cw *causeWatch) recent(key string, now time.Time) bool {
	at, ok := cw.changed[key]
	return ok && now.Sub(at) < causeMarkTTL
}

// watchCauses runs on every fleet: it records cause changes and returns
// the Cmd that clears their marks when they expire.
func (m *Model) watchCauses(f *model.Fleet) tea.Cmd {
	if !m.causes.observe(f, m.now) {
		return nil
	}
	return tea.Tick(causeMarkTTL, func(t time.Time) tea.Msg { return causeExpiredMsg{At: t} })
}

// causesExpired handles causeExpiredMsg. The tick's time only moves the
// clock forward: a tick never makes the screen older than the data.
func (m Model) causesExpired(at time.Time) (tea.Model, tea.Cmd) {
	if at.After(m.now) {
		m.now = at
	}
	m.causes.expire(m.now)
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
	if m.causes.recent(p.Key, m.now) {
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
	if m.pool == nil || m.pool.Diagnosis.Cause == "" {
		return 0
	}
	d := &m.pool.Diagnosis
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
	d := &m.pool.Diagnosis
	st := m.st.diagStyle(d.State)
	if st == nil {
		st = &m.st.CellOK
	}
	head := diagMark(d.State) + " " + d.State.String() + " · " + string(d.Cause)
	if d.Summary != "" {
		head += ": " + d.Summary
	}
	out = append(out, st.Render(clip(head, w)))
	ev := d.Evidence
	for i := 0; i < n-1; i++ {
		line := "  · " + ev[i]
		if i == n-2 && len(ev) > n-1 {
			line = "  … " + strconv.Itoa(len(ev)-i) + " more facts (lbtop why " + m.pool.Name + ")"
		}
		out = append(out, clip(line, w))
	}
	return out
}
