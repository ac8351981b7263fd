package ui

import (
	"strings"

	"github.com/lbtop/lbtop/model"
)

// narrowPools applies a filter that contains the previous one (the usual
// keystroke) to the pools already shown rather than the whole fleet: a
// pool that matches the longer filter matched the shorter one, and the
// list keeps Select's order. It reports false when a full Select is needed.
func (m *Model) narrowPools(prev string) bool {
	lp, lf := strings.ToLower(prev), strings.ToLower(m.query.Filter)
	if m.fleet == nil || lp == "" || lf == lp || !strings.Contains(lf, lp) || !model.IsPlainFilter(lf) || !model.IsPlainFilter(lp) {
		return false
	}
	flt, err := model.ParseFilter(lf) // once, not once per pool
	if err != nil {
		return false
	}
	out := make([]int32, 0, len(m.sel))
	for _, i := range m.sel {
		if flt.Match(&m.fleet.Pools[i]) {
			out = append(out, i)
		}
	}
	m.sel, m.cur, m.off = out, 0, 0
	m.rememberCursor()
	return true
}

// filterStep is the pool list for one filter typed since the fleet, sort
// or problems flag last changed, so backspace can reuse it.
type filterStep struct {
	lower string
	sel   []int32
}

// maxFilterSteps bounds the remembered filter results.
const maxFilterSteps = 64

// recallPools reuses the list of a filter typed earlier (backspace).
func (m *Model) recallPools() bool {
	lf := strings.ToLower(m.query.Filter)
	for i := len(m.filterSteps) - 1; i >= 0; i-- {
		if m.filterSteps[i].lower == lf {
			m.sel, m.cur, m.off = m.filterSteps[i].sel, 0, 0
			m.filterSteps = m.filterSteps[:i+1]
			m.rememberCursor()
			return true
		}
	}
	return false
}

// rememberFilter records the current filter's list. The full slice
// expression makes append copy, so model values never share a backing
// array that one of them then overwrites.
func (m *Model) rememberFilter() {
	lf := strings.ToLower(m.query.Filter)
	if n := len(m.filterSteps); (n > 0 && m.filterSteps[n-1].lower == lf) || n >= maxFilterSteps {
		return
	}
	m.filterSteps = append(m.filterSteps[:len(m.filterSteps):len(m.filterSteps)], filterStep{lower: lf, sel: m.sel})
}
