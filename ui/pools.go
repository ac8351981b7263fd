package ui

import (
	"strconv"

	"github.com/lbtop/lbtop/model"
)

var poolColumns = []column{
	{id: colMark, w: 1},
	{id: colName, title: "POOL", w: 14, flex: 2},
	{id: colSource, title: "SOURCE", w: 12, drop: 3},
	{id: colHealth, title: "HEALTHY", w: 9, right: true},
	{id: colWhy, title: "WHY", w: 12, flex: 1},
	{id: colWeight, title: "WEIGHT", w: 6, right: true, drop: 5},
	{id: colActive, title: "ACTIVE", w: 7, right: true, drop: 2},
	{id: colReq, title: "REQ/S", w: 7, right: true, drop: 1},
	{id: colErr, title: "5XX/S", w: 7, right: true},
}

// selectPools re-runs the query over the fleet. With keep the cursor
// stays on the same pool when it is still listed; otherwise it goes to
// the top. A cursor on the first row stays there: it watches the worst
// pool, and following a pool that recovered down the list would scroll
// newly broken pools off the top of the screen.
func (m *Model) selectPools(keep bool) {
	atTop := m.cur == 0
	m.sel = m.fleet.Select(m.query)
	m.filterSteps = nil // computed from another fleet or query
	m.cur = 0
	if keep && !atTop && m.curKey != "" {
		for i, pi := range m.sel {
			if m.fleet.Pools[pi].Key == m.curKey {
				m.cur = i
				break
			}
		}
	}
	if m.cur < len(m.sel) {
		m.curKey = m.fleet.Pools[m.sel[m.cur]].Key
	}
	m.off = scroll(m.cur, m.off, m.bodyRowsFor(screenPools), len(m.sel))
}

// bodyRowsFor is bodyRows for a given screen.
func (m *Model) bodyRowsFor(s screen) int {
	saved := m.screen
	m.screen = s
	n := m.bodyRows()
	m.screen = saved
	return n
}

// cursorPool is the pool under the cursor in the pools view, or nil.
func (m *Model) cursorPool() *model.PoolRow {
	if m.fleet == nil || m.cur >= len(m.sel) {
		return nil
	}
	return &m.fleet.Pools[m.sel[m.cur]]
}

// openPool switches to the backends view of the pool under the cursor.
func (m *Model) openPool() {
	p := m.cursorPool()
	if p == nil {
		return
	}
	m.screen = screenBackends
	m.openKey = p.Key
	m.pool = p
	m.goneSeen = false
	m.bcur, m.boff, m.hasRef = 0, 0, false
	m.selectBackends(false)
}

// instanceLabel is the SOURCE cell of a pool.
func instanceLabel(p *model.PoolRow) string {
	name, n := p.Instances()
	if n > 1 {
		return strconv.Itoa(n) + " instances"
	}
	return name
}

// healthCell renders healthy/total with its mark and style.
func (st *Styles) healthCell(p *model.PoolRow) cell {
	ratio := strconv.Itoa(p.Healthy) + "/" + strconv.Itoa(p.Total)
	switch {
	case p.NoHealthy():
		return cell{text: "✘ " + ratio, style: &st.CellBad}
	case p.Healthy < p.Total:
		return cell{text: "! " + ratio, style: &st.CellWarn}
	}
	return cell{text: ratio}
}

// poolRowStyle picks the style of a pool row.
func (st *Styles) poolRowStyle(p *model.PoolRow) Paint {
	switch {
	case p.Stale:
		return st.RowStale
	case p.NoHealthy():
		return st.RowBad
	case p.Healthy < p.Total:
		return st.RowWarn
	}
	return Paint{}
}

// poolsLines renders the pools view body: column header and the visible
// rows only, padded to rows lines.
func (m *Model) poolsLines(out []string, w, rows int) []string {
	cols := fitColumns(poolColumns, w)
	out = append(out, headerRow(cols, &m.st, w))
	if m.fleet == nil {
		out = append(out, m.st.Dim.Render(clip("waiting for the first poll…", w)))
		return padLines(out, len(out)+rows-1)
	}
	if len(m.sel) == 0 {
		msg := "no pools"
		if m.query.Filter != "" || m.query.ProblemsOnly {
			msg = "no pools match" + m.queryDesc() + " — esc clears the filter, p toggles problems only"
		}
		out = append(out, m.st.Dim.Render(clip(msg, w)))
		return padLines(out, len(out)+rows-1)
	}
	return m.listRows(out, cols, w, rows, listWindow{cur: m.cur, off: m.off, n: len(m.sel)}, func(i int, cells []cell) Paint {
		p := &m.fleet.Pools[m.sel[i]]
		for j, c := range cols {
			cells[j] = m.poolCell(p, c.id)
		}
		return m.st.poolRowStyle(p)
	})
}

// listWindow is a scrolled list: n rows, the cursor on row cur, the
// first row shown last time at off.
type listWindow struct{ cur, off, n int }

// listRows renders the rows of lw that fit in rows lines and pads to
// rows. fill sets row i's cells and returns the row's base style.
func (m *Model) listRows(out []string, cols []column, w, rows int, lw listWindow, fill func(i int, cells []cell) Paint) []string {
	off := scroll(lw.cur, lw.off, rows, lw.n)
	end := min(lw.n, off+rows)
	cells := make([]cell, len(cols))
	cut := rowClipper(cols, w)
	for i := off; i < end; i++ {
		base := fill(i, cells)
		out = append(out, cut(renderRow(cols, cells, base, i == lw.cur, &m.st)))
	}
	return padLines(out, len(out)+rows-(end-off))
}

func (m *Model) poolCell(p *model.PoolRow, id colID) cell {
	switch id {
	case colMark:
		if p.Stale {
			return cell{text: "~"}
		}
		return cell{}
	case colName:
		return cell{text: p.Name}
	case colSource:
		return cell{text: instanceLabel(p)}
	case colHealth:
		return m.st.healthCell(p)
	case colWhy:
		return m.whyCell(p)
	case colWeight:
		return cell{text: strconv.Itoa(p.Weight)}
	case colActive, colReq, colErr:
		return m.st.trafficCell(id, p.Active, p.ReqRate, p.ErrRate, p.HasRates)
	}
	return cell{}
}

// trafficCell renders the ACTIVE, REQ/S and 5XX/S cells, alike for pools
// and backends; a 5xx rate above zero is drawn bad.
func (st *Styles) trafficCell(id colID, active int64, reqRate, errRate float64, hasRates bool) cell {
	switch id {
	case colActive:
		return cell{text: fmtCount(active)}
	case colReq:
		return cell{text: fmtRate(reqRate, hasRates)}
	case colErr:
		c := cell{text: fmtRate(errRate, hasRates)}
		if errRate > 0 {
			c.style = &st.CellBad
		}
		return c
	}
	return cell{}
}

// padLines appends empty lines until out has n lines.
func padLines(out []string, n int) []string {
	for len(out) < n {
		out = append(out, "")
	}
	return out
}
