package ui

import (
	"strconv"

	"github.com/lbtop/lbtop/model"
)

var backendColumns = []column{
	{id: colMark, w: 1},
	{id: colName, title: "BACKEND", w: 12, flex: 2, middle: true},
	{id: colInstance, title: "INSTANCE", w: 12, flex: 1, middle: true}, // never dropped: it tells same-named rows apart
	{id: colAddress, title: "ADDRESS", w: 17, flex: 1, drop: 3},
	{id: colHealth, title: "HEALTH", w: 9},
	{id: colFor, title: "FOR", w: 6, drop: 7},
	{id: colReason, title: "REASON", w: 12, flex: 2, greedy: true},
	{id: colWeight, title: "WEIGHT", w: 6, right: true, drop: 2},
	{id: colActive, title: "ACTIVE", w: 7, right: true, drop: 6},
	{id: colReq, title: "REQ/S", w: 7, right: true, drop: 4},
	{id: colErr, title: "5XX/S", w: 7, right: true},
}

// maxNoteLines bounds the pool notes and aggregates shown above the list.
const maxNoteLines = 3

// noteLines counts the lines of pool notes and aggregates shown.
func (m *Model) noteLines() int {
	if m.backends.pool == nil {
		return 0
	}
	return min(maxNoteLines, len(m.backends.pool.Notes)+len(m.backends.pool.Aggregates))
}

// notes renders the open pool's notes and aggregates.
func (m *Model) notes(out []string, w int) []string {
	p := m.backends.pool
	if p == nil {
		return out
	}
	var lines []string
	for _, n := range p.Notes {
		lines = append(lines, m.st.MsgWarn.Render(clip("note: "+n, w)))
	}
	for _, a := range p.Aggregates {
		s := "aggregate"
		if a.Instance != "" {
			s += " (" + a.Instance + ")"
		}
		s += ": " + strconv.Itoa(a.Healthy) + "/" + strconv.Itoa(a.Total) + " serving · active " +
			fmtCount(a.Active) + " · " + fmtRate(a.ReqRate, a.HasRates) + " req/s · " +
			fmtRate(a.ErrRate, a.HasRates) + " 5xx/s (no per-backend detail)"
		lines = append(lines, clip(s, w))
	}
	if len(lines) > maxNoteLines {
		extra := len(lines) - maxNoteLines + 1
		lines = append(lines[:maxNoteLines-1], m.st.Dim.Render("… "+strconv.Itoa(extra)+" more notes"))
	}
	return append(out, lines...)
}

// healthStyle picks the mark and style of a backend's health.
func (st *Styles) healthStyle(h model.Health) (string, *Paint) {
	switch h {
	case model.Healthy:
		return "", &st.CellOK
	case model.Unhealthy, model.Down:
		return "✘", &st.CellBad
	default:
		return "!", &st.CellWarn
	}
}

// backendsLines renders the backends view body: the column header and the
// visible rows only, padded to rows lines.
func (m *Model) backendsLines(out []string, w, rows int) []string {
	cols := backendColumns
	if !m.backends.multiInst {
		cols = withoutColumn(cols, colInstance)
	}
	if m.times.hist == nil {
		cols = withoutColumn(cols, colFor)
	}
	if m.backends.pool == nil || len(m.backends.list.sel) == 0 {
		out = append(out, headerRow(fitColumns(cols, w), &m.st, w))
	}
	switch {
	case m.backends.pool == nil:
		out = append(out, m.st.MsgError.Render(clip("pool "+m.backends.openKey+" is no longer reported by any source — esc goes back to the pools", w)))
		return padLines(out, len(out)+rows-1)
	case len(m.backends.list.sel) == 0:
		msg := "no backends"
		switch {
		case len(m.backends.pool.Backends) == 0 && len(m.backends.pool.Aggregates) > 0:
			msg = "no per-backend detail from this system: the counts above are all it reports"
		case m.pools.query.Filter != "" || m.pools.query.ProblemsOnly:
			msg = "no backends match" + m.queryDesc() + " — esc goes back, p toggles problems only"
		}
		out = append(out, m.st.Dim.Render(clip(msg, w)))
		return padLines(out, len(out)+rows-1)
	}
	return m.contentTable(out, cols, w, rows+1, m.backends.list, func(i int, cells []cell) Paint {
		b := &m.backends.pool.Backends[m.backends.list.sel[i]]
		pend := m.pendingFor(b.Ref())
		for j, c := range cols {
			cells[j] = m.backendCell(b, c.id, pend)
		}
		if b.Stale {
			return m.st.RowStale
		}
		return Paint{}
	})
}

func withoutColumn(cols []column, id colID) []column {
	out := make([]column, 0, len(cols))
	for _, c := range cols {
		if c.id != id {
			out = append(out, c)
		}
	}
	return out
}

func (m *Model) backendCell(b *model.BackendRow, id colID, pend *pending) cell {
	mark, hs := m.st.healthStyle(b.Health)
	switch id {
	case colMark:
		switch {
		case pend != nil:
			return cell{text: "*", style: &m.st.Pending}
		case mark != "":
			return cell{text: mark, style: hs}
		case b.Stale:
			return cell{text: "~"}
		}
		return cell{}
	case colName:
		name := b.Name
		if b.Backup {
			name += " (backup)"
		}
		return cell{text: name}
	case colInstance:
		return cell{text: b.InstanceName()}
	case colFor:
		return cell{text: m.stateFor(b)}
	case colAddress:
		return cell{text: b.Address}
	case colHealth:
		return cell{text: b.Health.String(), style: hs}
	case colReason:
		if pend != nil {
			return cell{text: "pending " + pend.describe(), style: &m.st.Pending}
		}
		if mk := m.markFor(b.Ref()); mk != nil {
			st := &m.st.CellOK
			if mk.bad {
				st = &m.st.CellBad
			}
			return cell{text: mk.text + " · " + b.Reason, style: st}
		}
		if n := m.outNote(b); n != "" {
			return cell{text: b.Reason + " · " + n}
		}
		return cell{text: b.Reason}
	case colWeight:
		return cell{text: fmtWeight(b.Weight)}
	case colActive, colReq, colErr:
		return m.st.trafficCell(id, b.Active, b.ReqRate, b.ErrRate, b.HasRates)
	}
	return cell{}
}
