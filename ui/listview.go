package ui

// listView is one scrolled list's state, the same type for the pools,
// the backends, the events overlay and the a/o lists: the rows shown
// (indexes into what it lists, in order; nil for a list built when it is
// drawn, which passes its length instead), the cursor and the first row
// shown.
type listView struct {
	sel []int32
	cur int
	off int
}

// move shifts the cursor by d rows of n, clamped to the list, and
// scrolls a window of rows lines so the cursor shows.
func (l *listView) move(d, n, rows int) {
	l.cur = clampInt(l.cur+d, 0, n-1)
	l.scrollTo(n, rows)
}

// scrollTo moves the window of rows lines over n rows so the cursor shows.
func (l *listView) scrollTo(n, rows int) { l.off = scroll(l.cur, l.off, rows, n) }

// item is the index under the cursor; false when the list is empty.
func (l *listView) item() (int32, bool) {
	if l.cur < 0 || l.cur >= len(l.sel) {
		return 0, false
	}
	return l.sel[l.cur], true
}

// find puts the cursor on the first row whose index passes ok.
func (l *listView) find(ok func(int32) bool) bool {
	for i, x := range l.sel {
		if ok(x) {
			l.cur = i
			return true
		}
	}
	return false
}

// window is the rows [start, end) of n that a window of rows lines shows,
// the cursor in it.
func (l *listView) window(n, rows int) (int, int) {
	off := scroll(l.cur, l.off, rows, n)
	return off, min(n, off+max(1, rows))
}

// scroll returns the first visible row so that cur is shown.
func scroll(cur, off, rows, n int) int {
	if rows < 1 {
		rows = 1
	}
	if cur < off {
		off = cur
	}
	if cur >= off+rows {
		off = cur - rows + 1
	}
	return clampInt(off, 0, max(0, n-rows))
}

func clampInt(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}
