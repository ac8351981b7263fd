package model

import "time"

// Per backend, History keeps one record in its source's table: the key,
// the state and since when, and the transitions within the window. A
// record is a value in one slice per source (nothing per backend for the
// GC to trace but its transitions and key strings, which are the fleet's
// own), found by position in the poll's order, else through keyIndex.
// Backends that ever changed state are listed by record index (notable),
// so flap counts and views cost what changed, not the fleet.

type backendKey struct{ pool, inst, name string }

// backendHist is one backend's record.
type backendHist struct {
	key     backendKey
	hash    uint64       // hashKey(key)
	since   int64        // unix ns: when it entered its state, by lbtop's observation
	changes []transition // oldest first; each change allocates a new array
	seen    uint32       // History.gen of the last poll that reported it; 0: a free slot
	health  Health
	present bool
	notable bool // in its source's notable list
	exact   bool // since is a change lbtop saw, not its first sight
}

// transition is one change of a backend's state; reasons are interned
// (History.intern): a fleet has few distinct ones.
type transition struct {
	at       int64 // unix ns
	reason   string
	from, to stateCode
}

// stateCode is a Health, or one of the words StateGone and StateNew.
type stateCode uint8

const (
	codeGone stateCode = 0xfe
	codeNew  stateCode = 0xff
)

func stateOf(h Health, present bool) stateCode {
	if !present {
		return codeGone
	}
	return stateCode(h)
}

func (c stateCode) String() string {
	switch c {
	case codeGone:
		return StateGone
	case codeNew:
		return StateNew
	}
	return Health(c).String()
}

// maxReasons bounds the interned reasons; the table starts over when full.
const maxReasons = 4096

// intern returns the kept copy of a reason equal to s.
func (h *History) intern(s string) string {
	if v, ok := h.reasons[s]; ok {
		return v
	}
	if len(h.reasons) >= maxReasons {
		clear(h.reasons)
	}
	h.reasons[s] = s
	return s
}

// sourceBackends is one source's backends: their records, an index by
// key, their order in its last poll for matching the next one by
// position, and the records that changed state.
type sourceBackends struct {
	recs    []backendHist
	free    []int32 // slots of evicted records
	byKey   keyIndex
	order   []int32
	notable []int32 // records with notable set
	gone    int     // records with present false, so evict skips sources without any
}

// observeBackends compares a source's freshly polled backends with what
// was seen before, then marks those the poll no longer reported as gone.
func (h *History) observeBackends(source string, each func(fn func(pool string, b *Backend)), at time.Time) {
	sb := h.backends[source]
	if sb == nil {
		sb = &sourceBackends{}
		h.backends[source] = sb
	}
	late := h.sources[source].firstPoll.Before(at)
	var order []int32 // the new order, built only once a position differs
	i := 0
	each(func(pool string, b *Backend) {
		r := int32(-1)
		if order == nil && i < len(sb.order) {
			if c := &sb.recs[sb.order[i]]; c.key.name == b.Name && c.key.pool == pool && c.key.inst == b.Instance {
				r = sb.order[i]
			}
		}
		if r < 0 {
			if order == nil {
				order = append(make([]int32, 0, max(len(sb.order), i+1)), sb.order[:i]...)
			}
			r = h.lookup(sb, source, backendKey{pool, b.Instance, b.Name}, b, at, late)
		}
		if order != nil {
			order = append(order, r)
		}
		h.compare(source, sb, r, b, at)
		i++
	})
	if order == nil && i == len(sb.order) {
		return // the same backends in the same order: nobody left
	}
	if order != nil {
		sb.order = order
	} else {
		sb.order = sb.order[:i]
	}
	for r := range sb.recs {
		if bh := &sb.recs[r]; bh.seen != uint32(h.gen) && bh.seen != 0 && bh.present {
			bh.present = false
			sb.gone++
			h.change(source, sb, int32(r), stateCode(bh.health), "no longer reported", at)
		}
	}
}

// lookup finds or creates a backend's record outside the fast path.
func (h *History) lookup(sb *sourceBackends, source string, k backendKey, b *Backend, at time.Time, late bool) int32 {
	hash := hashKey(k)
	if r, ok := sb.byKey.get(k, hash, sb.recs); ok {
		return r
	}
	rec := backendHist{key: k, hash: hash, health: b.Health, present: true, since: at.UnixNano(), seen: uint32(h.gen)}
	var r int32
	if n := len(sb.free); n > 0 {
		r, sb.free = sb.free[n-1], sb.free[:n-1]
		sb.recs[r] = rec
	} else {
		r = int32(len(sb.recs))
		sb.recs = append(sb.recs, rec)
	}
	sb.byKey.put(r, sb.recs)
	if late {
		h.change(source, sb, r, codeNew, b.Reason, at)
		sb.recs[r].exact = false // appearing is its first sight
	}
	return r
}

// compare updates record r with its backend's polled state.
func (h *History) compare(source string, sb *sourceBackends, r int32, b *Backend, at time.Time) {
	bh := &sb.recs[r]
	if !bh.present || bh.health != b.Health {
		from := stateOf(bh.health, bh.present)
		if !bh.present {
			sb.gone--
		}
		bh.health, bh.present = b.Health, true
		h.change(source, sb, r, from, b.Reason, at)
	}
	bh.seen = uint32(h.gen)
}

// change records that record r (already updated) left state from at
// time at.
func (h *History) change(source string, sb *sourceBackends, r int32, from stateCode, reason string, at time.Time) {
	bh := &sb.recs[r]
	reason = h.intern(reason)
	to := stateOf(bh.health, bh.present)
	h.addTransition(bh, transition{at: at.UnixNano(), from: from, to: to, reason: reason})
	bh.exact = true
	if !bh.notable {
		bh.notable = true
		sb.notable = append(sb.notable, r)
	}
	h.emit(Event{Time: at, Type: EventBackend, Source: source, Pool: bh.key.pool, Backend: bh.key.name, Instance: bh.key.inst, From: from.String(), To: to.String(), Reason: reason})
}

// addTransition appends in a new array of the exact size, dropping
// transitions older than the window or beyond maxTransitions.
func (h *History) addTransition(bh *backendHist, t transition) {
	old := bh.changes
	cut := t.at - int64(h.window)
	for len(old) > 0 && (old[0].at < cut || len(old) >= maxTransitions) {
		old = old[1:]
	}
	next := make([]transition, len(old), len(old)+1)
	copy(next, old)
	bh.changes = append(next, t)
	bh.since = t.at
}

// evictBackends forgets backends gone since before cut (unix ns).
func (h *History) evictBackends(cut int64) {
	for _, sb := range h.backends {
		if sb.gone == 0 {
			continue
		}
		freed := false
		for r := range sb.recs {
			if bh := &sb.recs[r]; bh.seen != 0 && !bh.present && bh.since < cut {
				sb.gone--
				sb.byKey.del(int32(r), sb.recs)
				sb.recs[r] = backendHist{} // a free slot
				sb.free = append(sb.free, int32(r))
				freed = true
			}
		}
		if freed {
			keep := sb.notable[:0]
			for _, r := range sb.notable {
				if sb.recs[r].notable {
					keep = append(keep, r)
				}
			}
			sb.notable = keep
		}
	}
}

// eachNotable calls fn with every backend that changed state since it was
// first seen (or appeared late), and its key.
func (h *History) eachNotable(fn func(k BackendKey, bh *backendHist)) {
	if h == nil {
		return
	}
	for src, sb := range h.backends {
		for _, r := range sb.notable {
			bh := &sb.recs[r]
			fn(BackendKey{src, bh.key.pool, bh.key.inst, bh.key.name}, bh)
		}
	}
}

func (h *History) find(k BackendKey) *backendHist {
	if sb := h.backends[k.Source]; sb != nil {
		bk := backendKey{k.Pool, k.Instance, k.Name}
		if r, ok := sb.byKey.get(bk, hashKey(bk), sb.recs); ok {
			return &sb.recs[r]
		}
	}
	return nil
}
