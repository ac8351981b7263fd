package model

import (
	"slices"
	"time"
)

// SortKey selects the order of the pools view.
type SortKey uint8

// Sort orders, cycled by the `s` key. SortHealth is the default: by
// diagnosis state (down, degraded, warning, unknown, ok), then pools with
// no healthy backend first, then by name (a stable order: rates would make
// rows jump at every poll).
const (
	SortHealth SortKey = iota
	SortErrRate
	SortReqRate
	SortActive
	SortName
	SortSource  // the first instance's name
	SortHealthy // healthy ratio, lowest first
	SortWeight  // total weight of serving backends, highest first
	numSortKeys
)

var sortNames = [...]string{
	SortHealth:  "health",
	SortErrRate: "5xx/s",
	SortReqRate: "req/s",
	SortActive:  "active",
	SortName:    "name",
	SortSource:  "source",
	SortHealthy: "healthy",
	SortWeight:  "weight",
}

// String names the sort column.
func (k SortKey) String() string {
	if int(k) < len(sortNames) {
		return sortNames[k]
	}
	return "sort?"
}

// Next returns the following sort key, wrapping around.
func (k SortKey) Next() SortKey { return (k + 1) % numSortKeys }

// SourceStatus is one source's health as a data provider.
type SourceStatus struct {
	Name     string
	Kind     Kind
	OK       bool      // the last poll succeeded
	Err      string    // the last poll's error, when it failed
	LastOK   time.Time // when a poll last succeeded; zero if never
	LastPoll time.Time // when the last poll (good or bad) finished
	Took     time.Duration
	Polled   bool // at least one poll has finished
	Pools    int
	Backends int
	Metrics  []Metric // proxy-level figures with rates filled in
	Note     string
	// ProxyFailing: the proxy reported, on its last good poll, that it
	// fails its own health check on purpose (Envoy /healthcheck/fail).
	ProxyFailing bool
}

// BackendRow is a backend as shown on screen: the source's data plus which
// instance reported it and the pool name on that instance.
type BackendRow struct {
	Backend
	Source string // instance (source name) that reported it
	Pool   string // pool name on that instance
	Stale  bool   // the source's last poll failed; this is old data

	// Transitions is how often this backend changed state in the last
	// five minutes. Zero until a history of states fills it (the hook for
	// the flapping cause: Store.SetTransitions).
	Transitions int32

	pos int32 // its place in its source's last poll (Store.lastRows)
}

// InstanceName is the proxy that reported the row: its Instance label when
// the source aggregates several proxies, otherwise the source itself.
func (b BackendRow) InstanceName() string {
	if b.Instance != "" {
		return b.Instance
	}
	return b.Source
}

// Ref returns the action target for this row.
func (b BackendRow) Ref() BackendRef {
	return BackendRef{Source: b.Source, Pool: b.Pool, Backend: b.Name}
}

// PoolRow is one line of the pools view. Pools with the same kind and name
// on several instances are merged into one row.
type PoolRow struct {
	Key     string // kind + "/" + name; stable across polls
	Name    string
	Kind    Kind
	Sources []string // instances that report this pool, in source order
	Healthy int      // backends that are serving (healthy or degraded)
	Total   int
	Weight  int // sum of known weights of serving backends
	// HasWeight reports that some backend reports a weight at all:
	// aggregates and Prometheus pools do not, and show "–", not 0.
	HasWeight bool
	Active    int64
	ReqRate   float64
	ErrRate   float64
	HasRates  bool
	Stale     bool // at least one instance's data is stale
	Notes     []string
	Backends  []BackendRow // worst first

	// Aggregates are pool-level counts from systems without per-backend
	// detail; they are already included in Healthy, Total and the sums.
	Aggregates []Aggregate

	// Facts are the pool-level figures of each instance that reports
	// them, with rates filled in (see PoolFacts).
	Facts []PoolFacts

	// Diagnosis says why the pool is in its state (see diagnosis.go). It
	// is computed with the fleet, off the UI goroutine.
	Diagnosis Diagnosis

	// Firing names the alert rules firing on the pool, in rule order
	// (set by History as the fleet is built; nil without alert rules).
	Firing []string

	hay string // lower-cased pool and backend names and addresses, for filtering
}

// NoHealthy reports the "no healthy upstream" condition for this pool.
func (p *PoolRow) NoHealthy() bool { return p.Healthy == 0 }

// Problem reports whether the pool needs attention: an alert rule fires
// on it, its diagnosis is not ok, or its data is stale. A pool not
// diagnosed (Cause empty) falls back to the raw counts: a backend not
// serving, no backends at all, 5xx responses.
func (p *PoolRow) Problem() bool {
	if p.Stale || len(p.Firing) > 0 {
		return true
	}
	if p.Diagnosis.Cause == "" {
		return p.Healthy < p.Total || p.Total == 0 || p.ErrRate > 0
	}
	return p.Diagnosis.State != DiagOK
}

// SelectBackends returns the indexes of backends to show for a filter
// expression: all of them when it has no text terms or they match the
// pool name, otherwise those whose name or address matches (see
// Filter.MatchBackend). problemsOnly keeps backends that are not healthy.
func (p *PoolRow) SelectBackends(filter string, problemsOnly bool) []int32 {
	f, err := ParseFilter(filter)
	if err != nil {
		return []int32{}
	}
	out := make([]int32, 0, len(p.Backends))
	for i := range p.Backends {
		b := &p.Backends[i]
		if problemsOnly && b.Health == Healthy && b.ErrRate == 0 && !b.Stale {
			continue
		}
		if !f.MatchBackend(p.Name, b) {
			continue
		}
		out = append(out, int32(i))
	}
	return out
}

// Query is what the user asked to see.
type Query struct {
	Filter       string // a filter expression (see Filter)
	Reverse      bool   // the sort order backwards
	ProblemsOnly bool
	Sort         SortKey
}

// Fleet is the immutable, merged view of every source at one moment. The
// UI keeps a pointer to the latest one and renders only visible rows.
type Fleet struct {
	Gen     uint64
	At      time.Time
	Pools   []PoolRow
	Sources []SourceStatus

	orders *fleetOrders     // pool indexes in each sort order (fleet_sort.go)
	bySrc  map[string]int32 // source + "\x00" + pool name on that source → pool index
}

// Select returns pool indexes in the query's order that pass its filter.
// It allocates one slice and, as a rule, does no sorting (the default
// order and those used lately are built with the fleet; another one is
// sorted once per fleet on first use), so it is cheap enough to run on
// every keystroke.
func (f *Fleet) Select(q Query) []int32 {
	if f == nil {
		return nil
	}
	order := f.order(q.Sort % numSortKeys)
	if q.Reverse {
		order = slices.Clone(order)
		slices.Reverse(order)
	}
	if q.Filter == "" && !q.ProblemsOnly {
		return order
	}
	flt, err := ParseFilter(q.Filter)
	if err != nil {
		return []int32{}
	}
	out := make([]int32, 0, len(order)/4)
	for _, i := range order {
		p := &f.Pools[i]
		if q.ProblemsOnly && !p.Problem() {
			continue
		}
		if !flt.Match(p) {
			continue
		}
		out = append(out, i)
	}
	return out
}

// Pool returns the pool with the given key, or nil.
func (f *Fleet) Pool(key string) *PoolRow {
	if f == nil {
		return nil
	}
	for i := range f.Pools {
		if f.Pools[i].Key == key {
			return &f.Pools[i]
		}
	}
	return nil
}

// Locate finds the row an action reference points at, and its pool, in
// whichever merged line that source's pool landed (merge_as included).
// Either is nil when the fleet no longer reports it.
func (f *Fleet) Locate(ref BackendRef) (*PoolRow, *BackendRow) {
	if f == nil {
		return nil, nil
	}
	i, ok := f.bySrc[ref.Source+"\x00"+ref.Pool]
	if !ok {
		return nil, nil
	}
	p := &f.Pools[i]
	for j := range p.Backends {
		if b := &p.Backends[j]; b.Source == ref.Source && b.Name == ref.Backend {
			return p, b
		}
	}
	return p, nil
}

// Source returns the status of the named source, or false.
func (f *Fleet) Source(name string) (SourceStatus, bool) {
	if f != nil {
		for _, s := range f.Sources {
			if s.Name == name {
				return s, true
			}
		}
	}
	return SourceStatus{}, false
}

// Unhealthy counts pools with no serving backend.
func (f *Fleet) Unhealthy() int {
	n := 0
	if f != nil {
		for i := range f.Pools {
			if f.Pools[i].NoHealthy() {
				n++
			}
		}
	}
	return n
}

// Instances names the proxy instance(s) behind a pool: the single name,
// or the number of distinct ones (sources, or instance labels when one
// source such as Prometheus speaks for several proxies).
func (p *PoolRow) Instances() (string, int) {
	if len(p.Sources) > 1 {
		return "", len(p.Sources)
	}
	first, n := "", 0
	var seen map[string]bool
	add := func(name string) {
		switch {
		case n == 0:
			first, n = name, 1
		case name == first || seen[name]:
		default:
			if seen == nil {
				seen = map[string]bool{first: true}
			}
			seen[name] = true
			n++
		}
	}
	for i := range p.Backends {
		add(p.Backends[i].InstanceName())
	}
	for _, a := range p.Aggregates {
		if a.Instance != "" {
			add(a.Instance)
		} else if len(p.Sources) == 1 {
			add(p.Sources[0])
		}
	}
	if n == 0 && len(p.Sources) == 1 {
		return p.Sources[0], 1
	}
	return first, n
}
