package ui

import (
	"strings"
)

// colID names a table column.
type colID uint8

const (
	colMark colID = iota
	colName
	colSource
	colInstance
	colAddress
	colHealth
	colReason
	colWeight
	colActive
	colReq
	colErr
	colWhy
	colSpark // the pool's healthy ratio over its last samples
	colFor   // how long a backend has been in its state
)

// column is one table column. Narrow terminals drop the columns with the
// highest drop rank first; flexible columns share what is left.
type column struct {
	id    colID
	title string
	w     int // fixed width, or the minimum of a flexible column
	flex  int // share of the spare width (0 = fixed)
	right bool
	drop  int // 0 = never dropped; higher drops earlier

	// middle cuts a too-long text in its middle ("ads-serv…-7f9c"), for
	// names whose end tells rows apart; others lose their end.
	middle bool
	// greedy takes the spare width left once the flexible columns hold
	// their content (want); without a greedy column they share it.
	greedy bool
	// want is the widest text the visible rows put in this column (set
	// by contentTable); 0 means unknown: a flexible column then grows
	// without bound.
	want int
}

// fitColumns returns the columns that fit in total cells, with widths set.
// Columns are separated by one space.
func fitColumns(cols []column, total int) []column {
	out := append([]column(nil), cols...)
	need := func(cs []column) int {
		n := len(cs) - 1
		for _, c := range cs {
			n += c.w
		}
		return n
	}
	for need(out) > total {
		worst := -1
		for i, c := range out {
			if c.drop > 0 && (worst < 0 || c.drop > out[worst].drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		out = append(out[:worst], out[worst+1:]...)
	}
	spare := total - need(out)
	if spare <= 0 {
		return out
	}
	// Flexible columns with a known content width grow to hold it, in
	// proportion to their share; the rest goes to the greedy columns.
	hasGreedy := false
	for _, c := range out {
		hasGreedy = hasGreedy || c.greedy
	}
	if hasGreedy {
		// Each flexible column (the greedy one too) gets what its content
		// lacks, all of it when there is room, else in proportion to what
		// each lacks: a long name must not starve the instance or the
		// reason beside it.
		lack := func(c column) int {
			if c.flex > 0 && c.want > c.w {
				return c.want - c.w
			}
			return 0
		}
		total := 0
		for _, c := range out {
			total += lack(c)
		}
		if total <= spare {
			for i := range out {
				out[i].w += lack(out[i])
			}
			spare -= total
		} else {
			give(out, spare, lack)
			spare = 0
		}
		give(out, spare, func(c column) int {
			if c.greedy {
				return max(c.flex, 1)
			}
			return 0
		})
		return out
	}
	give(out, spare, func(c column) int { return c.flex })
	return out
}

// give shares spare cells among the columns by the weight share returns;
// the last weighted column gets the rounding.
func give(out []column, spare int, share func(column) int) {
	shares := 0
	for _, c := range out {
		shares += share(c)
	}
	if spare <= 0 || shares == 0 {
		return
	}
	given, last := 0, -1
	for i := range out {
		if sh := share(out[i]); sh > 0 {
			add := spare * sh / shares
			out[i].w += add
			given += add
			last = i
		}
	}
	out[last].w += spare - given
}

// cell is one rendered cell's text and, when set, its own style.
type cell struct {
	text  string
	style *Paint
}

// headerRow renders the column titles.
func headerRow(cols []column, st *Styles, w int) string {
	var sb strings.Builder
	for i, c := range cols {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(fit(c.title, c.w, c.right))
	}
	return clip(st.Header.Render(sb.String()), w)
}

// renderRow lays out cells (one per column) and styles them: the row
// style for plain cells, a cell's own style where set, or the selection
// style over the whole row. Runs of plain cells are styled once each, and
// the row is written into one builder (no string per cell): it is most of
// a frame's work.
func renderRow(cols []column, cells []cell, base Paint, selected bool, st *Styles) string {
	var out strings.Builder
	out.Grow(rowBytes(cols))
	paint := base
	if selected {
		paint = st.Selected
	}
	open := false // a run of plain cells is open: paint.pre written
	for i, c := range cols {
		t := cells[i].text
		if c.middle && width(t) > c.w {
			t = clipMiddle(t, c.w)
		}
		own := cells[i].style
		if selected || own == nil {
			if !open {
				out.WriteString(paint.pre)
				open = true
			}
		} else {
			if open {
				out.WriteString(paint.post)
				open = false
			}
			// The row's style first, then the cell's over it: a cell with
			// its own colour keeps the row's background (a red row stays
			// red under its HEALTHY and WHY cells, padding included).
			out.WriteString(base.pre)
			out.WriteString(own.pre)
		}
		writeFit(&out, t, c.w, c.right)
		if i < len(cols)-1 {
			out.WriteByte(' ')
		}
		if !open && own.pre != "" {
			out.WriteString(own.post)
		}
	}
	if open {
		out.WriteString(paint.post)
	}
	return out.String()
}

// rowBytes is a guess at a styled row's length: its cells and a few
// escape sequences each.
func rowBytes(cols []column) int {
	n := 0
	for _, c := range cols {
		n += c.w + 16
	}
	return n
}

// rowClipper returns a function that cuts rows to w cells only when the
// columns do not fit (terminals too narrow for the fixed columns); rows
// built by renderRow are otherwise exactly the columns' width, so
// measuring them again would only cost time.
func rowClipper(cols []column, w int) func(string) string {
	total := len(cols) - 1
	for _, c := range cols {
		total += c.w
	}
	if total <= w {
		return func(s string) string { return s }
	}
	return func(s string) string { return clip(s, w) }
}
