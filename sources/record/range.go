package record

import (
	"fmt"
	"sort"
	"time"

	"github.com/lbtop/lbtop/model"
)

// Range calls fn with every snapshot recorded with from < time ≤ to, good
// or failed, each source's in recorded order, one source after another.
// Each source is decoded once from the keyframe before from, so feeding a
// Store the polls of a stretch costs one seek, not one per poll (At). Each
// snapshot is a value of its own: fn may keep it. An error from fn stops
// the walk and is returned.
func (p *Player) Range(from, to time.Time, fn func(model.Snapshot) error) error {
	lo, hi := from.UnixNano(), to.UnixNano()
	for g := range p.sources {
		idx := p.bySource[g]
		first := sort.Search(len(idx), func(k int) bool { return p.entries[idx[k]].at > lo })
		end := sort.Search(len(idx), func(k int) bool { return p.entries[idx[k]].at > hi })
		if first >= end {
			continue
		}
		k := first // the keyframe the first good poll in range decodes from
		for k >= 0 && p.entries[idx[k]].typ != recKey {
			k--
		}
		var cur *model.Snapshot
		for j := max(k, 0); j < end; j++ {
			e := p.entries[idx[j]]
			if e.typ == recFailed {
				if j >= first {
					s, err := p.failed(g, e)
					if err != nil {
						return err
					}
					if err := fn(s); err != nil {
						return err
					}
				}
				continue
			}
			if k < 0 && e.typ != recKey {
				return fmt.Errorf("source %q: delta without a keyframe", p.sources[g].Name)
			}
			// before the range, deltas apply in place; in it, each
			// snapshot is a copy, since fn may keep it
			s, err := p.decode(g, e, cur, cur != nil && j < first)
			if err != nil {
				return err
			}
			cur = s
			if j >= first {
				if err := fn(*s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
