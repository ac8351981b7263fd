package actions

import (
	"fmt"
	"time"

	"github.com/lbtop/lbtop/model"
)

// Out is a backend out of rotation on purpose or by neglect: drained,
// down, in maintenance or at weight 0. These are the "forgotten drains"
// that turn into an outage when the rest of the pool fails.
type Out struct {
	PoolKey  string // the merged pool's key, to open it
	Row      model.BackendRow
	Since    time.Time // when it entered this state; zero when unknown
	Observed bool      // Since is when lbtop first saw it, not the system's word
	By       *Entry    // the audit entry that put it there, when the log knows
}

// IsOut reports whether b is out of rotation administratively.
func IsOut(b model.Backend) bool {
	return b.Admin == model.AdminDrain || b.Admin == model.AdminMaint ||
		b.Health == model.Draining || b.Health == model.Down || b.Weight == 0
}

// OutOfRotation lists every backend of f that IsOut, in pool order. seen
// holds when lbtop first saw each one out (for systems that do not say);
// the returned map is the updated copy to keep for the next fleet. by is
// LastBy of the audit log.
func OutOfRotation(f *model.Fleet, seen map[model.BackendRef]time.Time, by map[model.BackendRef]Entry, now time.Time) ([]Out, map[model.BackendRef]time.Time) {
	var out []Out
	next := map[model.BackendRef]time.Time{}
	if f == nil {
		return nil, next
	}
	eachOut(f, seen, next, now, func(p *model.PoolRow, b *model.BackendRow) {
		o := Out{PoolKey: p.Key, Row: *b, Since: b.Since}
		ref := b.Ref()
		if o.Since.IsZero() {
			o.Since, o.Observed = next[ref], true
		}
		if e, ok := by[ref]; ok {
			o.By = &e
		}
		out = append(out, o)
	})
	return out, next
}

// Note is the row note: "drained 12 min ago by alice", or "out 3 h (seen
// by lbtop)" when the log does not know who did it.
func (o Out) Note(now time.Time) string {
	if o.By != nil {
		verb := map[string]string{"drain": "drained", "maint": "maint", "weight": "weight 0"}[o.By.Action]
		return fmt.Sprintf("%s %s ago by %s", verb, model.Ago(now.Sub(o.By.Time)), o.By.User.Login)
	}
	if o.Since.IsZero() {
		return ""
	}
	s := "out " + model.Ago(now.Sub(o.Since))
	if o.Observed {
		s += " (seen by lbtop)"
	}
	return s
}

// Seen updates when lbtop first saw each backend of f out of rotation,
// without building the list: it runs on every fleet. The result is a new
// map; seen is not modified.
func Seen(f *model.Fleet, seen map[model.BackendRef]time.Time, now time.Time) map[model.BackendRef]time.Time {
	next := make(map[model.BackendRef]time.Time, len(seen))
	if f == nil {
		return next
	}
	eachOut(f, seen, next, now, nil)
	return next
}

// eachOut records in next, for every backend of f that IsOut, when lbtop
// first saw it out (its time in seen, or else now), then calls visit with
// it when visit is not nil; in pool order.
func eachOut(f *model.Fleet, seen, next map[model.BackendRef]time.Time, now time.Time, visit func(p *model.PoolRow, b *model.BackendRow)) {
	for i := range f.Pools {
		p := &f.Pools[i]
		for j := range p.Backends {
			b := &p.Backends[j]
			if !IsOut(b.Backend) {
				continue
			}
			ref := b.Ref()
			if first, ok := seen[ref]; ok {
				next[ref] = first
			} else {
				next[ref] = now
			}
			if visit != nil {
				visit(p, b)
			}
		}
	}
}
