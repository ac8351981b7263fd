package ui

import (
	"strings"
	"time"

	"github.com/lbtop/lbtop/model"
)

// poolsView is the pools list's state: the query (shared with the
// backends and events lists), the pools shown with the cursor, the pool
// under it kept across fleets, the lists of the filters typed so far,
// the header's totals and the Δ marks of causes that changed.
type poolsView struct {
	query     model.Query
	list      listView     // pool indexes shown, in order
	curKey    string       // pool under the cursor, kept across fleets
	steps     []filterStep // lists of the filters typed, newest last
	counts    counts       // fleet-wide totals for the header
	causes    CauseWatch   // each pool's last cause, for the Δ mark
	causeTick time.Time    // the latest cause change a Δ-clearing tick was scheduled for
}

// reselect re-runs the query over f, in a window of rows lines. With
// keep the cursor stays on the same pool when it is still listed;
// otherwise it goes to the top. A cursor on the first row stays there: it
// watches the worst pool, and following a pool that recovered down the
// list would scroll newly broken pools off the top of the screen.
func (p *poolsView) reselect(f *model.Fleet, keep bool, rows int) {
	atTop := p.list.cur == 0
	p.list.sel = f.Select(p.query)
	p.steps = nil // computed from another fleet or query
	p.list.cur = 0
	if keep && !atTop && p.curKey != "" {
		p.list.find(func(i int32) bool { return f.Pools[i].Key == p.curKey })
	}
	p.remember(f)
	p.list.scrollTo(len(p.list.sel), rows)
}

// remember records the key of the pool under the cursor.
func (p *poolsView) remember(f *model.Fleet) {
	if i, ok := p.list.item(); ok {
		p.curKey = f.Pools[i].Key
	}
}

// cursor is the pool under the cursor, or nil.
func (p *poolsView) cursor(f *model.Fleet) *model.PoolRow {
	if i, ok := p.list.item(); ok && f != nil {
		return &f.Pools[i]
	}
	return nil
}

// toPool moves the cursor to the first listed pool that passes ok.
func (p *poolsView) toPool(f *model.Fleet, rows int, ok func(*model.PoolRow) bool) bool {
	if !p.list.find(func(i int32) bool { return ok(&f.Pools[i]) }) {
		return false
	}
	p.remember(f)
	p.list.scrollTo(len(p.list.sel), rows)
	return true
}

// narrow applies a filter that contains the previous one (the usual
// keystroke) to the pools already shown rather than the whole fleet: a
// pool that matches the longer filter matched the shorter one, and the
// list keeps Select's order. It reports false when a full Select is needed.
func (p *poolsView) narrow(f *model.Fleet, prev string) bool {
	lp, lf := strings.ToLower(prev), strings.ToLower(p.query.Filter)
	if f == nil || lp == "" || lf == lp || !strings.Contains(lf, lp) || !model.IsPlainFilter(lf) || !model.IsPlainFilter(lp) {
		return false
	}
	flt, err := model.ParseFilter(lf) // once, not once per pool
	if err != nil {
		return false
	}
	out := make([]int32, 0, len(p.list.sel))
	for _, i := range p.list.sel {
		if flt.Match(&f.Pools[i]) {
			out = append(out, i)
		}
	}
	p.list = listView{sel: out}
	p.remember(f)
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

// recall reuses the list of a filter typed earlier (backspace).
func (p *poolsView) recall(f *model.Fleet) bool {
	lf := strings.ToLower(p.query.Filter)
	for i := len(p.steps) - 1; i >= 0; i-- {
		if p.steps[i].lower == lf {
			p.list = listView{sel: p.steps[i].sel}
			p.steps = p.steps[:i+1]
			p.remember(f)
			return true
		}
	}
	return false
}

// rememberFilter records the current filter's list. The full slice
// expression makes append copy, so model values never share a backing
// array that one of them then overwrites.
func (p *poolsView) rememberFilter() {
	lf := strings.ToLower(p.query.Filter)
	if n := len(p.steps); (n > 0 && p.steps[n-1].lower == lf) || n >= maxFilterSteps {
		return
	}
	p.steps = append(p.steps[:len(p.steps):len(p.steps)], filterStep{lower: lf, sel: p.list.sel})
}
