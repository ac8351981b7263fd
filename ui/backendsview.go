package ui

import "github.com/lbtop/lbtop/model"

// backendsView is the open pool's state: its key, the pool as the
// latest fleet reports it (nil once gone), the backends shown with the
// cursor, the backend under it kept across fleets, and whether the pool
// spans several instances.
type backendsView struct {
	openKey   string
	pool      *model.PoolRow // nil when the open pool is gone
	list      listView       // backend indexes shown
	curRef    model.BackendRef
	hasRef    bool // curRef is set
	multiInst bool // the open pool spans several instances: show the column
	goneSeen  bool // the open pool has disappeared
}

// open shows pool p's backends from the top.
func (b *backendsView) open(p *model.PoolRow) {
	*b = backendsView{openKey: p.Key, pool: p}
}

// close forgets the open pool, keeping its key for the header.
func (b *backendsView) close() {
	b.pool, b.list.sel, b.goneSeen = nil, nil, false
}

// reopen finds the open pool (by key) in a new fleet and keeps the
// cursor on the same backend.
func (b *backendsView) reopen(f *model.Fleet, q model.Query, rows int) {
	b.pool = f.Pool(b.openKey)
	if b.pool == nil {
		b.goneSeen = true
		b.list = listView{}
		return
	}
	b.goneSeen = false
	b.reselect(q, true, rows)
}

// reselect applies the query to the open pool's backends, in a window of
// rows lines. With keep the cursor follows the remembered backend; if it
// is gone the cursor stays at the same position.
func (b *backendsView) reselect(q model.Query, keep bool, rows int) {
	if b.pool == nil {
		b.list.sel = nil
		return
	}
	b.list.sel = b.pool.SelectBackends(q.Filter, q.ProblemsOnly)
	_, n := b.pool.Instances()
	b.multiInst = n > 1
	if !keep {
		b.list.cur = 0
	}
	if keep && b.hasRef {
		b.list.find(func(i int32) bool { return b.pool.Backends[i].Ref() == b.curRef })
	}
	b.list.cur = clampInt(b.list.cur, 0, max(0, len(b.list.sel)-1))
	b.remember()
	b.list.scrollTo(len(b.list.sel), rows)
}

// remember records the backend under the cursor.
func (b *backendsView) remember() {
	if r := b.cursor(); r != nil {
		b.curRef, b.hasRef = r.Ref(), true
	}
}

// cursor is the backend under the cursor, or nil.
func (b *backendsView) cursor() *model.BackendRow {
	if i, ok := b.list.item(); ok && b.pool != nil {
		return &b.pool.Backends[i]
	}
	return nil
}

// selectRef puts the cursor on ref when the list shows it.
func (b *backendsView) selectRef(ref model.BackendRef, rows int) bool {
	if b.pool == nil || !b.list.find(func(i int32) bool { return b.pool.Backends[i].Ref() == ref }) {
		return false
	}
	b.remember()
	b.list.scrollTo(len(b.list.sel), rows)
	return true
}
