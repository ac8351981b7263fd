package ui

import (
	"strconv"
	"strings"

	"github.com/lbtop/lbtop/model"
)

var poolColumns = []column{
	{id: colMark, w: 1},
	{id: colName, title: "POOL", w: 14, flex: 2, middle: true},
	{id: colSource, title: "SOURCE", w: 12, flex: 1, drop: 3, middle: true},
	{id: colHealth, title: "HEALTHY", w: 11, right: true},
	{id: colWhy, title: "WHY", w: 12, flex: 1, greedy: true},
	{id: colSpark, title: "TREND", w: SparkPoints, drop: 6},
	{id: colWeight, title: "WEIGHT", w: 6, right: true, drop: 5},
	{id: colActive, title: "ACTIVE", w: 7, right: true, drop: 2},
	{id: colReq, title: "REQ/S", w: 7, right: true, drop: 1},
	{id: colErr, title: "5XX/S", w: 7, right: true},
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
	cols := poolColumns
	if m.times.hist == nil {
		cols = withoutColumn(cols, colSpark) // no history yet (replays of fleets built by hand)
	}
	if m.fleet == nil || len(m.pools.list.sel) == 0 {
		out = append(out, headerRow(fitColumns(cols, w), &m.st, w))
	}
	if m.fleet == nil {
		out = append(out, m.st.Dim.Render(clip("waiting for the first poll…", w)))
		return padLines(out, len(out)+rows-1)
	}
	if len(m.pools.list.sel) == 0 {
		msg := "no pools"
		if m.pools.query.Filter != "" || m.pools.query.ProblemsOnly {
			msg = "no pools match" + m.queryDesc() + " — esc clears the filter, p toggles problems only"
		}
		out = append(out, m.st.Dim.Render(clip(msg, w)))
		return padLines(out, len(out)+rows-1)
	}
	return m.contentTable(out, cols, w, rows+1, m.pools.list, func(i int, cells []cell) Paint {
		p := &m.fleet.Pools[m.pools.list.sel[i]]
		for j, c := range cols {
			cells[j] = m.poolCell(p, c.id)
		}
		return m.st.poolRowStyle(p)
	})
}

// contentTable renders a column header and the rows of lw that fit under
// it in rows lines (header included), padded. fill sets row i's cells
// (one per column of cols) and returns the row's base style. Columns are
// sized from what the visible rows hold: a name column is as wide as its
// longest visible name, and the greedy column (a reason) takes the rest.
func (m *Model) contentTable(out []string, cols []column, w, rows int, l listView, fill func(i int, cells []cell) Paint) []string {
	rows--
	off, end := l.window(len(l.sel), rows)
	cells := make([][]cell, end-off)
	bases := make([]Paint, end-off)
	sized := append([]column(nil), cols...)
	for k := range sized {
		sized[k].want = width(sized[k].title)
	}
	for i := off; i < end; i++ {
		cs := make([]cell, len(cols))
		bases[i-off] = fill(i, cs)
		cells[i-off] = cs
		for k := range cs {
			sized[k].want = max(sized[k].want, width(cs[k].text))
		}
	}
	fitted := fitColumns(sized, w)
	pick := make([]int, len(fitted)) // fitted column → index in cols
	for j, k := 0, 0; j < len(fitted); k++ {
		if sized[k].id == fitted[j].id {
			pick[j] = k
			j++
		}
	}
	out = append(out, headerRow(fitted, &m.st, w))
	cut := rowClipper(fitted, w)
	row := make([]cell, len(fitted))
	for r := range cells {
		for j := range fitted {
			row[j] = cells[r][pick[j]]
		}
		out = append(out, cut(renderRow(fitted, row, bases[r], off+r == l.cur, &m.st)))
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
		c := m.st.healthCell(p)
		if d := m.downFor(p); d != "" {
			c.text += " " + d // "✘ 0/3 4m": for how long nothing serves
		}
		return c
	case colWhy:
		c := m.whyCell(p)
		if rules := p.Firing; len(rules) > 0 {
			// an alert rule firing on the pool comes first: it is what
			// the team said to watch
			c.text = "⚑ " + strings.Join(rules, ",") + " " + c.text
			c.style = &m.st.CellBad
		}
		return c
	case colSpark:
		return cell{text: sparkline(m.times.hist.Spark(p.Key))}
	case colWeight:
		if !p.HasWeight {
			return cell{text: "–"}
		}
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
		if errRate >= 0.05 { // drawn bad only when it does not read 0.0
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
