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
// window), per pool a ring of 4-byte samples, packed, plus its healthy/total
// changes, 10,000 to 12,500 events. A
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
	ringSize  int                  // samples per pool: window / res
	reasons   map[string]string    // see intern
	sparkAt   map[string]int32     // pool key → index in sparkOf, for views (see sparks)
	sparkOf   []*poolHist

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
		ringSize: max(int(window/res), 1),
		reasons:  map[string]string{},
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

// evict forgets backends gone for a whole window, pools not sampled for a
// whole window and trims the event list. It runs once per tick.
func (h *History) evict(now time.Time) {
	h.evictBackends(now.Add(-h.window).UnixNano())
	for key, p := range h.pools {
		if h.tickOf(now)-p.lastTick > int64(p.samples.size) {
			delete(h.pools, key)
			h.sparkAt = nil
		}
	}
	if len(h.events) > maxEvents+maxEvents/4 {
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
	return Transition{At: time.Unix(0, t.at), From: t.from.String(), To: t.to.String(), Reason: t.reason}
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
	return time.Unix(0, bh.since), bh.exact
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
