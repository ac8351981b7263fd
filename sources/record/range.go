package record

import (
	"fmt"
	"sort"
	"time"

	"github.com/lbtop/lbtop/model"
)

// Range calls fn with every snapshot recorded with from < time ≤ to, good
// or failed, each source's in recorded order, one source after another.
// Each source is decoded once, from the nearest snapshot decoded before
// (decodedCache) or the keyframe before from, so feeding a Store the
// polls of a stretch costs one seek, not one per poll (At), and the next
// poll after the last Range costs one delta. Each snapshot is a value of
// its own: fn may keep it. An error from fn stops the walk and is
// returned.
func (p *Player) Range(from, to time.Time, fn func(model.Snapshot) error) error {
	lo, hi := from.UnixNano(), to.UnixNano()
	for g := range p.sources {
		idx := p.bySource[g]
		first := sort.Search(len(idx), func(k int) bool { return p.entries[idx[k]].at > lo })
		end := sort.Search(len(idx), func(k int) bool { return p.entries[idx[k]].at > hi })
		if first >= end {
			continue
		}
		if err := p.walk(g, first, end, fn); err != nil {
			return err
		}
	}
	return nil
}

// walk hands fn source g's snapshots at positions first to end-1 (in
// bySource[g]). It keeps what it decodes from as many positions before
// first as it hands out, and every keyframe, so that stepping back
// through the stretch decodes nothing.
func (p *Player) walk(g, first, end int, fn func(model.Snapshot) error) error {
	idx := p.bySource[g]
	k := first // the keyframe the first good poll in range decodes from
	for k >= 0 && p.entries[idx[k]].typ != recKey {
		k--
	}
	start := max(k, 0)
	// shared: cur is kept or handed out, so never decoded onto in place
	var cur *model.Snapshot
	shared := false
	if pos, s := p.cache.nearest(g, start, first); s != nil {
		start, cur, shared = pos+1, s, true
	}
	behind := first - (end - first) // from here on, good polls are kept
	for j := start; j < end; j++ {
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
		if s := p.cache.get(g, j); s != nil {
			cur, shared = s, true
		} else {
			if k < 0 && e.typ != recKey {
				return fmt.Errorf("source %q: delta without a keyframe", p.sources[g].Name)
			}
			s, err := p.decode(g, e, cur, cur != nil && !shared)
			if err != nil {
				return err
			}
			cur, shared = s, false
			if j >= behind || e.typ == recKey {
				p.cache.put(g, j, cur)
				shared = true
			}
		}
		if j >= first {
			if err := fn(*cur); err != nil {
				return err
			}
		}
	}
	return nil
}
