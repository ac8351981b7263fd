package model

import (
	"strconv"
	"strings"
	"time"
)

// History defaults and limits.
const (
	// DefaultHistoryWindow is how far back History remembers.
	DefaultHistoryWindow = 30 * time.Minute
	// DefaultResolution is the spacing of pool samples: the default poll
	// interval, so samples are at poll resolution.
	DefaultResolution = 2 * time.Second
	// FlapWindow and FlapThreshold define a flapping backend: at least
	// FlapThreshold changes of state within the last FlapWindow.
	FlapWindow    = 5 * time.Minute
	FlapThreshold = 3
	// maxTransitions caps the transitions kept per backend, so a backend
	// flipping on every poll costs at most this many (flap counts then
	// read "64" for anything beyond).
	maxTransitions = 64
	// maxEvents is how many recent events History keeps for the events view.
	maxEvents = 10_000
)

// The words History uses for a backend that is not reported (any more, or
// yet) alongside Health's words.
const (
	StateGone = "gone" // its source no longer reports it
	StateNew  = "new"  // it appeared after its source's first poll
)

// History is the Store's memory of the recent past, fed with every fleet
// it builds: per backend its transitions (time, from, to, reason), per pool
// a ring of samples (healthy, total, req/s, 5xx/s, active) at poll
// resolution, the events derived from consecutive observations, and the
// alert rules' state. It is owned by the Store's goroutine; View hands out
// immutable copies of what a screen needs.
//
// Memory is bounded: transitions per backend (at most 64, only within the
// window), per pool one fixed ring of 4-byte samples plus its healthy/total
// changes, 10,000 events. A
// stale source leaves a gap in its pools' samples and keeps its backends'
// transitions; a backend that disappears is recorded as "gone" and keeps
// its history when it comes back, until it has been gone a whole window.
type History struct {
	window time.Duration
	res    time.Duration
	start  time.Time // when the first fleet was observed; tick zero

	gen       uint64
	evictTick int64
	backends  map[string]*sourceBackends
	sources   map[string]*sourceSeen
	pools     map[string]*poolHist // by PoolRow.Key
	rings     ringSlab             // the pools' sample rings
	notable   map[BackendKey]struct{}

	events  []Event // recent, oldest first; append-only so views may share it
	pending []Event // not yet taken by TakeEvents
	alerts  *alertSet
}

// BackendKey identifies one backend row across fleets: its source, the
// pool name on that source, the instance (Prometheus) and its name.
type BackendKey struct {
	Source, Pool, Instance, Name string
}

// KeyOf returns the history key of a backend row.
func KeyOf(b *BackendRow) BackendKey {
	return BackendKey{Source: b.Source, Pool: b.Pool, Instance: b.Instance, Name: b.Name}
}

type backendKey struct{ pool, inst, name string }

// backendHist is one backend's record, held by value in its source's
// sourceBackends.recs (no object per backend for the GC to trace).
type backendHist struct {
	key       backendKey
	since     int64 // unix ns: when it entered its state, by lbtop's observation
	firstSeen int64
	changes   []transition // oldest first; copy-on-write (views share it)
	seen      uint32       // History.gen of the last poll that reported it
	health    Health
	present   bool
	used      bool // false: a free slot
}

type transition struct {
	at       int64 // unix ns
	from, to string
	reason   string
}

type sourceSeen struct {
	lastPoll  time.Time
	ok        bool
	polled    bool
	firstPoll time.Time // first good poll: backends seen then are "since at least"
}

// NewHistory returns an empty history remembering window (30 min when ≤ 0)
// with pool samples every res (2 s when ≤ 0).
func NewHistory(window, res time.Duration) *History {
	if window <= 0 {
		window = DefaultHistoryWindow
	}
	if res <= 0 {
		res = DefaultResolution
	}
	return &History{
		window: window, res: res,
		backends: map[string]*sourceBackends{},
		sources:  map[string]*sourceSeen{},
		pools:    map[string]*poolHist{},
		rings:    ringSlab{size: max(int(window/res), 1)},
		notable:  map[BackendKey]struct{}{},
	}
}

// Window returns how far back the history reaches.
func (h *History) Window() time.Duration { return h.window }

// observe records a fleet built by the Store, with each calling fn with
// a source's backends (and their pool's name) in the order it reported
// them (stable across polls, so backends are matched by position and a
// map is consulted only when the list changed). Sources whose last poll
// is the same as last time contribute nothing; failed sources leave a
// gap.
func (h *History) observe(f *Fleet, each func(source string, fn func(pool string, b *Backend))) {
	if f == nil {
		return
	}
	if h.start.IsZero() {
		h.start = f.At
	}
	h.gen++
	fresh := h.observeSources(f)
	for name, at := range fresh {
		h.observeBackends(name, func(fn func(string, *Backend)) { each(name, fn) }, at)
	}
	for i := range f.Pools {
		p := &f.Pools[i]
		for _, s := range p.Sources {
			if _, ok := fresh[s]; ok {
				h.observePool(p, f.At)
				break
			}
		}
	}
	h.evalAlerts(f)
	h.markFiring(f)
	if tick := h.tickOf(f.At); tick != h.evictTick {
		h.evictTick = tick
		h.evict(f.At)
	}
}

// observeSources emits source events and returns the sources polled
// successfully since the last observation, with the time of that poll.
func (h *History) observeSources(f *Fleet) map[string]time.Time {
	fresh := map[string]time.Time{}
	for _, s := range f.Sources {
		if !s.Polled {
			continue
		}
		seen := h.sources[s.Name]
		if seen == nil {
			seen = &sourceSeen{}
			h.sources[s.Name] = seen
		}
		if seen.polled && seen.lastPoll.Equal(s.LastPoll) {
			continue
		}
		if !seen.polled && !s.OK || seen.polled && seen.ok != s.OK {
			from, to := "failing", "ok"
			if !s.OK {
				from, to = "ok", "failing"
			}
			if !seen.polled {
				from = "connecting"
			}
			h.emit(Event{Time: s.LastPoll, Type: EventSource, Source: s.Name, Kind: s.Kind, From: from, To: to, Reason: s.Err})
		}
		seen.polled, seen.ok, seen.lastPoll = true, s.OK, s.LastPoll
		if s.OK {
			if seen.firstPoll.IsZero() {
				seen.firstPoll = s.LastPoll
			}
			fresh[s.Name] = s.LastPoll
		}
	}
	return fresh
}

func stateWord(h Health, present bool) string {
	if !present {
		return StateGone
	}
	return h.String()
}

// sourceBackends is one source's backends: their records, an index by
// key, and their order in its last poll for matching the next one by
// position.
type sourceBackends struct {
	recs  []backendHist
	free  []int32 // slots of evicted records
	byKey keyIndex
	order []int32
	gone  int // records with present false, so evict skips sources without any
}

// observeBackends compares a source's freshly polled backends with what
// was seen before, then marks those the poll no longer reported as gone.
func (h *History) observeBackends(source string, each func(fn func(pool string, b *Backend)), at time.Time) {
	sb := h.backends[source]
	if sb == nil {
		sb = &sourceBackends{byKey: newKeyIndex()}
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
		h.compare(source, &sb.recs[r], b, at)
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
		if bh := &sb.recs[r]; bh.seen != uint32(h.gen) && bh.present {
			bh.present = false
			sb.gone++
			h.change(source, bh, bh.health.String(), "no longer reported", at)
		}
	}
}

// lookup finds or creates a backend's record outside the fast path.
func (h *History) lookup(sb *sourceBackends, source string, k backendKey, b *Backend, at time.Time, late bool) int32 {
	if r, ok := sb.byKey.get(k, sb.recs); ok {
		return r
	}
	ns := at.UnixNano()
	rec := backendHist{key: k, health: b.Health, present: true, since: ns, firstSeen: ns, seen: uint32(h.gen), used: true}
	var r int32
	if n := len(sb.free); n > 0 {
		r, sb.free = sb.free[n-1], sb.free[:n-1]
		sb.recs[r] = rec
	} else {
		r = int32(len(sb.recs))
		sb.recs = append(sb.recs, rec)
	}
	sb.byKey.put(k, r, sb.recs)
	if late {
		h.change(source, &sb.recs[r], StateNew, b.Reason, at)
	}
	return r
}

// compare updates a backend's record with its polled state.
func (h *History) compare(source string, bh *backendHist, b *Backend, at time.Time) {
	if !bh.present || bh.health != b.Health {
		from := stateWord(bh.health, bh.present)
		if !bh.present {
			h.backends[source].gone--
		}
		bh.health, bh.present = b.Health, true
		h.change(source, bh, from, b.Reason, at)
	}
	bh.seen = uint32(h.gen)
}

// change records that bh (already updated) left state from at time at.
func (h *History) change(source string, bh *backendHist, from, reason string, at time.Time) {
	to := stateWord(bh.health, bh.present)
	h.addTransition(bh, transition{at: at.UnixNano(), from: from, to: to, reason: reason})
	h.notable[BackendKey{source, bh.key.pool, bh.key.inst, bh.key.name}] = struct{}{}
	h.emit(Event{Time: at, Type: EventBackend, Source: source, Pool: bh.key.pool, Backend: bh.key.name, Instance: bh.key.inst, From: from, To: to, Reason: reason})
}

// addTransition appends without touching the array a view may share, and
// drops transitions older than the window or beyond maxTransitions.
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

// evict forgets backends gone for a whole window, pools not sampled for a
// whole window and trims the event list. It runs once per tick.
func (h *History) evict(now time.Time) {
	cut := now.Add(-h.window).UnixNano()
	for src, sb := range h.backends {
		if sb.gone == 0 {
			continue
		}
		for r := range sb.recs {
			if bh := &sb.recs[r]; bh.used && !bh.present && bh.since < cut {
				sb.gone--
				k := bh.key
				sb.byKey.del(k, sb.recs)
				delete(h.notable, BackendKey{src, k.pool, k.inst, k.name})
				sb.recs[r] = backendHist{} // a free slot
				sb.free = append(sb.free, int32(r))
			}
		}
	}
	for key, p := range h.pools {
		if h.tickOf(now)-p.lastTick > int64(len(p.ring)) {
			delete(h.pools, key)
			h.rings.put(p.ring)
		}
	}
	if len(h.events) > 2*maxEvents {
		h.events = append([]Event(nil), h.events[len(h.events)-maxEvents:]...)
	}
}

// emit queues an event for TakeEvents and keeps it for views.
func (h *History) emit(e Event) {
	h.events = append(h.events, e)
	h.pending = append(h.pending, e)
}

// Add records an event that did not come from a fleet (an operator's
// action read from the audit log) so it appears with the others.
func (h *History) Add(e Event) { h.emit(e) }

// TakeEvents returns the events derived since the last call, oldest
// first, and forgets them (the recent list for views keeps them).
func (h *History) TakeEvents() []Event {
	out := h.pending
	h.pending = nil
	return out
}

// Flapping returns how many times the backend changed state within the
// FlapWindow before now, and whether that makes it flapping (at least
// FlapThreshold changes: the diagnosis cause CauseFlapping). It is nil-safe
// and cheap (a map lookup), for use while the Store builds a fleet:
//
//	if n, ok := s.History().Flapping(KeyOf(b), s.now()); ok { … CauseFlapping, n … }
//
// History learns of a fleet after it is built, so the count lags one poll.
func (h *History) Flapping(k BackendKey, now time.Time) (n int, flapping bool) {
	n = h.Changes(k, now.Add(-FlapWindow))
	return n, n >= FlapThreshold
}

// RecentChanges returns, for every backend that changed state at or after
// since, how many times it did. Its cost is proportional to the backends
// that ever changed in the window, not to the fleet: the Store uses it to
// mark flapping members without a lookup per backend.
func (h *History) RecentChanges(since time.Time) map[BackendKey]int {
	if h == nil || len(h.notable) == 0 {
		return nil
	}
	cut := since.UnixNano()
	var out map[BackendKey]int
	for k := range h.notable {
		bh := h.find(k)
		if bh == nil {
			continue
		}
		if n := countSince(bh.changes, cut); n > 0 {
			if out == nil {
				out = make(map[BackendKey]int)
			}
			out[k] = n
		}
	}
	return out
}

// Changes counts a backend's state changes at or after since (appearing
// after its source's first poll counts as one).
func (h *History) Changes(k BackendKey, since time.Time) int {
	if h == nil {
		return 0
	}
	bh := h.find(k)
	if bh == nil {
		return 0
	}
	return countSince(bh.changes, since.UnixNano())
}

func countSince(ts []transition, since int64) int {
	n := 0
	for i := len(ts) - 1; i >= 0 && ts[i].at >= since; i-- {
		n++
	}
	return n
}

// Transitions returns a backend's recorded state changes within the
// window, oldest first.
func (h *History) Transitions(k BackendKey) []Transition {
	if h == nil {
		return nil
	}
	bh := h.find(k)
	if bh == nil {
		return nil
	}
	out := make([]Transition, len(bh.changes))
	for i, t := range bh.changes {
		out[i] = t.export()
	}
	return out
}

// Transition is one recorded change of a backend's state.
type Transition struct {
	At     time.Time
	From   string // a Health word, StateGone or StateNew
	To     string
	Reason string
}

func (t transition) export() Transition {
	return Transition{At: time.Unix(0, t.at), From: t.from, To: t.to, Reason: t.reason}
}

// TimeInState says since when a backend has been in its current state:
// the system's own time when it reports one (HAProxy lastchg, in
// b.Since), else when lbtop saw it change. exact is false when lbtop has
// seen no change: the backend has been in its state at least since then.
func (h *History) TimeInState(b *BackendRow) (since time.Time, exact bool) {
	if !b.Since.IsZero() {
		return b.Since, true
	}
	if h == nil {
		return time.Time{}, false
	}
	bh := h.find(KeyOf(b))
	if bh == nil {
		return time.Time{}, false
	}
	return time.Unix(0, bh.since), bh.since != bh.firstSeen
}

// poolWord is a pool's state for pool events, compared without
// formatting: its diagnosis when there is one, else healthy/total.
type poolWord struct {
	diag           bool
	state          DiagState
	healthy, total int
}

func wordOf(p *PoolRow) poolWord {
	if p.Diagnosis.Cause != "" {
		return poolWord{diag: true, state: p.Diagnosis.State}
	}
	return poolWord{healthy: p.Healthy, total: p.Total}
}

// String is the word in pool events: "degraded", or "3/3".
func (w poolWord) String() string {
	if w.diag {
		return w.state.String()
	}
	return strconv.Itoa(w.healthy) + "/" + strconv.Itoa(w.total)
}

// poolReason is the why of a pool event: the diagnosis' short cause or
// summary when there is one.
func poolReason(p *PoolRow) string {
	return strings.TrimSpace(firstNonEmpty(p.Diagnosis.Summary, p.Diagnosis.Short))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func (h *History) find(k BackendKey) *backendHist {
	if sb := h.backends[k.Source]; sb != nil {
		if r, ok := sb.byKey.get(backendKey{k.Pool, k.Instance, k.Name}, sb.recs); ok {
			return &sb.recs[r]
		}
	}
	return nil
}
