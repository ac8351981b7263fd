package model

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
	"time"
)

// HistoryView is an immutable copy of what a screen needs from History at
// one moment: time in state and flap counts of backends, the last points
// of every pool's samples for a sparkline, recent events and firing alert
// rules. It is built on the Store's goroutine and may be shared freely.
type HistoryView struct {
	At         time.Time
	Window     time.Duration
	Resolution time.Duration

	backends []viewBackend        // only those with a change or seen late, by hash
	first    map[string]time.Time // source → first good poll
	sparkAt  map[string]int32     // pool key → index in sparks; shared by views
	sparks   [][]SparkPoint       // each shared with History and other views
	events   []Event
}

// viewBackend is one backend of a view. A view lists every backend that
// changed in the window (tens of thousands at 100k backends, one view per
// poll), so it is kept small and sorted rather than in a map keyed by
// BackendKey: 40 bytes a backend instead of ~150.
type viewBackend struct {
	hash  uint64 // viewHash of its key
	name  string // checked on a hit
	since int64  // unix ns
	flaps int32
	exact bool
}

// viewHash is the hash of a backend's key and source.
func viewHash(source string, keyHash uint64) uint64 {
	return mix(keyHash, maphash.String(keySeed, source))
}

// BackendHistory is what the screen shows of one backend's past.
type BackendHistory struct {
	Since time.Time // in its current state since then
	Exact bool      // false: at least since then (lbtop saw no change)
	Flaps int       // state changes within the history window
}

// SparkPoint is one point of a pool's sparkline: the healthy ratio (NaN
// for a gap or a pool without backends) and rates at one sample.
type SparkPoint struct {
	Ratio   float32
	ReqRate float32
	ErrRate float32
}

// View returns an immutable view with the last points samples of every
// pool (points ≤ 0: none). Its cost is proportional to the pools times
// points plus the backends that changed; nothing is shared with History
// that History will modify.
func (h *History) View(now time.Time, points int) *HistoryView {
	v := &HistoryView{
		At: now, Window: h.window, Resolution: h.res,
		first:  make(map[string]time.Time, len(h.sources)),
		events: h.events[:len(h.events):len(h.events)],
	}
	for name, s := range h.sources {
		v.first[name] = s.firstPoll
	}
	cut := now.Add(-h.window).UnixNano()
	n := 0
	for _, sb := range h.backends {
		n += len(sb.notable)
	}
	v.backends = make([]viewBackend, 0, n)
	for src, sb := range h.backends {
		for _, r := range sb.notable {
			bh := &sb.recs[r]
			v.backends = append(v.backends, viewBackend{hash: viewHash(src, bh.hash), name: bh.key.name, since: bh.since, exact: bh.exact, flaps: int32(countSince(bh.changes, cut))})
		}
	}
	slices.SortFunc(v.backends, func(a, b viewBackend) int { return cmp.Compare(a.hash, b.hash) })
	if points > 0 {
		h.sparks(v, points)
	}
	return v
}

// sparks gives v every pool's last points. A pool keeps the points it
// made for the last view and hands them to the next while it has no new
// sample and the tick is the same: a view is built after each source's
// poll, and most pools are not that source's. The index of pools is kept
// too until one comes or goes.
func (h *History) sparks(v *HistoryView, points int) {
	if h.sparkAt == nil {
		h.sparkAt = make(map[string]int32, len(h.pools))
		h.sparkOf = h.sparkOf[:0]
		for key, ph := range h.pools {
			h.sparkAt[key] = int32(len(h.sparkOf))
			h.sparkOf = append(h.sparkOf, ph)
		}
	}
	last := h.tickOf(v.At)
	v.sparkAt, v.sparks = h.sparkAt, make([][]SparkPoint, len(h.sparkOf))
	for i, ph := range h.sparkOf {
		if len(ph.sparkPts) != points || ph.sparkTick != last {
			pts := make([]SparkPoint, points)
			for i := range pts {
				pts[i] = ph.spark(last - int64(points-1-i))
			}
			ph.sparkPts, ph.sparkTick = pts, last
		}
		v.sparks[i] = ph.sparkPts
	}
}

func (ph *poolHist) spark(t int64) SparkPoint {
	if ph.samples.n > 0 && t == ph.lastTick+1 {
		// The tick in progress: the pool's source has not polled in it
		// yet (a view is built whenever any source polls). Not a gap:
		// it shows the last sample, as a poll skipped by jitter does.
		t = ph.lastTick
	}
	s := ph.at(t)
	if s.gap() {
		return SparkPoint{Ratio: float32(math.NaN())}
	}
	p := SparkPoint{Ratio: float32(math.NaN()), ReqRate: float32(s.req()), ErrRate: float32(s.errRate())}
	if c := ph.countsAt(t); c.total > 0 {
		p.Ratio = float32(c.healthy) / float32(c.total)
	}
	return p
}

// Backend returns a backend's time in state and flap count: the system's
// own time (HAProxy lastchg) when it reports one, else lbtop's
// observation, else "at least since its source's first poll".
func (v *HistoryView) Backend(b *BackendRow) BackendHistory {
	if v == nil {
		return BackendHistory{Since: b.Since, Exact: !b.Since.IsZero()}
	}
	bh, ok := v.backend(b)
	if !ok {
		bh = BackendHistory{Since: v.first[b.Source]}
	}
	if !b.Since.IsZero() {
		bh.Since, bh.Exact = b.Since, true
	}
	return bh
}

// backend finds a row among the view's backends.
func (v *HistoryView) backend(b *BackendRow) (BackendHistory, bool) {
	h := viewHash(b.Source, hashKey(backendKey{b.Pool, b.Instance, b.Name}))
	i, _ := slices.BinarySearchFunc(v.backends, h, func(e viewBackend, h uint64) int { return cmp.Compare(e.hash, h) })
	for ; i < len(v.backends) && v.backends[i].hash == h; i++ {
		if e := &v.backends[i]; e.name == b.Name {
			return BackendHistory{Since: time.Unix(0, e.since), Exact: e.exact, Flaps: int(e.flaps)}, true
		}
	}
	return BackendHistory{}, false
}

// Spark returns a pool's last points (oldest first), or nil.
func (v *HistoryView) Spark(poolKey string) []SparkPoint {
	if v == nil {
		return nil
	}
	if i, ok := v.sparkAt[poolKey]; ok {
		return v.sparks[i]
	}
	return nil
}

// Events returns the recent events, oldest first. The slice is shared:
// do not modify it.
func (v *HistoryView) Events() []Event {
	if v == nil {
		return nil
	}
	return v.events
}

// WithEvents returns a copy of v listing evs (oldest first; kept, not
// copied) as its events: a replay shows the events that were recorded,
// not the ones its own history derives again from the recorded polls.
func (v *HistoryView) WithEvents(evs []Event) *HistoryView {
	if v == nil {
		return &HistoryView{events: evs}
	}
	c := *v
	c.events = evs
	return &c
}
