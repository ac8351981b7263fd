package model

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Store merges snapshots from every source into a Fleet. It is owned by one
// goroutine (the engine); it is not safe for concurrent use. Fleets it
// returns are immutable and may be shared freely.
type Store struct {
	names   []string // source order, as registered
	sources map[string]*sourceState
	gen     uint64
	now     func() time.Time

	admin       map[BackendRef]AdminNote // from the audit log, see SetAdminNotes
	transitions func(BackendRef) int     // state changes in 5 min, see SetTransitions

	// seq counts ingests and hook changes. The last fleet, its pool
	// index and each pool's stamp (of the data it was made from) let the
	// next fleet rebuild only the pools of the source that just polled
	// and share the others' rows (store_fleet.go).
	seq        uint64
	hooksSeq   uint64
	last       *Fleet
	lastIndex  map[string]int
	lastStamps []poolStamp

	lastKeys [][]string // per source, the poolKeys the last fleet was numbered with
	lastAt   []int32    // and that numbering (see Fleet)

	hist *History // see history_store.go

	demand sortDemand // which pool orders the UI asks for (fleet_sort.go)

	minRate time.Duration // see SetMinRateWindow
}

type sourceState struct {
	status   SourceStatus
	poolKind Kind // kind its pools merge under; status.Kind unless MergeAs

	// pools is the last good poll, without its backends: they are rows
	// (with rates filled in), held by fresh until the next fleet is
	// built, then by that fleet's rows, their one copy, where the next
	// poll and fleet find them by their place in the poll (lastRows).
	pools []Pool
	fresh []BackendRow // by place in the poll, while full
	full  bool
	off   []int // flat position of each pool's first backend in that poll; len(pools)+1

	prev   []counterSample // per backend of pools, in order (store_rates.go)
	prevF  []factSample    // per pool
	prevAt time.Time
	prevM  map[string]float64 // previous counter metrics
	seq    uint64             // Store.seq at this source's last ingest
	hay    []string           // per pool, see haystack
	keys   []string           // per pool: PoolRow.Key, then Fleet.bySrc's key (see poolKeys)
}

// MinRateWindow is the shortest time over which a counter delta becomes
// a rate. A re-poll right after another (an action's verification, R)
// would read 0.0 req/s for a busy backend; within it the Store keeps the
// older sample and shows the last rate.
const MinRateWindow = time.Second

// SetMinRateWindow changes the shortest window over which counters become
// rates (MinRateWindow by default): a fleet whose clock runs faster than
// the wall clock (the demo's simulation stepped by a test) needs 0.
func (s *Store) SetMinRateWindow(d time.Duration) { s.minRate = d }

// NewStore returns an empty store. now is the clock (time.Now when nil).
func NewStore(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{minRate: MinRateWindow, sources: map[string]*sourceState{}, now: now}
}

// Register announces a source before its first poll so the status bar can
// show it as connecting. Registering twice is harmless.
func (s *Store) Register(name string, kind Kind) {
	if _, ok := s.sources[name]; ok {
		return
	}
	s.names = append(s.names, name)
	s.sources[name] = &sourceState{status: SourceStatus{Name: name, Kind: kind}, poolKind: kind}
}

// MergeAs makes a registered source's pools merge with pools of another
// kind that have the same name: a Prometheus source reading HAProxy's
// exporter, configured `merge_as: haproxy`, then adds its instances to the
// HAProxy pool lines instead of showing lines of its own.
func (s *Store) MergeAs(name string, kind Kind) {
	if st, ok := s.sources[name]; ok && kind != "" {
		st.poolKind = kind
	}
}

// SetAdminNotes gives the Store what the audit log knows of who drained,
// maintained or reweighted which backend (actions.LastBy, converted), for
// the diagnosis to name them ("drained by ana"). The map is kept, not
// copied: the caller must not change it afterwards, only pass a new one.
// It takes effect with the next Fleet.
func (s *Store) SetAdminNotes(notes map[BackendRef]AdminNote) {
	s.admin = notes
	s.seq++
	s.hooksSeq = s.seq
}

// SetTransitions installs the hook a history of states fills: how often a
// backend changed state in the last five minutes. The diagnosis reports a
// pool as flapping when a member reaches 3. Without it (nil) there is no
// flapping cause. It is called once per backend per Fleet, so it must be
// cheap.
func (s *Store) SetTransitions(count func(BackendRef) int) {
	s.transitions = count
	s.seq++
	s.hooksSeq = s.seq
}

// Ingest records one snapshot and returns the new fleet. A failed poll
// (snap.Err != nil) keeps the source's last good data and marks it stale.
// Every text from the source is made terminal-safe first
// (SanitizeSnapshot): names, reasons and notes through SafeText, the
// error through SafeError.
func (s *Store) Ingest(snap Snapshot) *Fleet {
	snap = SanitizeSnapshot(snap)
	s.Register(snap.Source, snap.Kind)
	st := s.sources[snap.Source]
	s.seq++
	st.seq = s.seq
	st.status.Polled = true
	st.status.LastPoll = snap.At
	st.status.Took = snap.Took
	if snap.Err != nil {
		st.status.OK = false
		st.status.Err = snap.Err.Error()
		return s.Fleet()
	}
	st.status.OK = true
	st.status.Err = ""
	st.status.LastOK = snap.At
	last := newPrevPoll(st.pools, st.off, s.lastRows(snap.Source, st))
	st.pools, st.off, st.fresh, st.prev = withRates(snap.Source, snap.Pools, last, st.prev, snap.At, s.minRate)
	st.full = true
	st.prevF = factRates(st.pools, last, st.prevF, snap.At, s.minRate)
	st.status.Metrics, st.prevM = metricRates(snap.Metrics, st.prevM, snap.At.Sub(st.prevAt).Seconds())
	st.prevAt = snap.At
	st.status.Note = snap.Note
	st.status.ProxyFailing = snap.ProxyFailing
	hay := make([]string, len(st.pools))
	moved := len(st.pools) != len(last.pools)
	for i, p := range st.pools {
		k := last.pool(i, p.Name)
		moved = moved || k != i
		if rows := st.fresh[st.off[i]:st.off[i+1]]; k >= 0 && k < len(st.hay) && last.sameNames(k, rows) {
			hay[i] = st.hay[k]
		} else {
			hay[i] = haystack(p.Name, rows)
		}
	}
	st.hay = hay
	if moved {
		st.keys = nil // the same pools in the same places keep theirs, and the fleet its numbering
	}
	st.status.Pools = len(st.pools)
	st.status.Backends = st.off[len(st.pools)]
	return s.Fleet()
}

// offsets returns the flat position of each pool's first backend, and
// their number last.
func offsets(pools []Pool) []int {
	off := make([]int, len(pools)+1)
	for i, p := range pools {
		off[i+1] = off[i] + len(p.Backends)
	}
	return off
}

// lastRows returns the rows of the last fleet that hold the source's last
// poll, by their flat position in it; nil while the poll's own backends
// are kept (full) or before its first poll. A fleet keeps every row it
// took from a source's poll until the source polls again (its stamp
// changes only then), so the last fleet holds them all.
func (s *Store) lastRows(name string, st *sourceState) []*BackendRow {
	if st.full || len(st.pools) == 0 || s.last == nil {
		return nil
	}
	rows := make([]*BackendRow, st.off[len(st.pools)])
	keys := st.poolKeys(name)
	for pi := range st.pools {
		i, ok := s.last.bySrc[keys[len(st.pools)+pi]]
		if !ok || st.off[pi] == st.off[pi+1] {
			continue
		}
		bs := s.last.Pools[i].Backends
		for j := range bs {
			// A pool the source reports twice (two exporters) is one
			// row, read twice: each place is set to the same row.
			if b := &bs[j]; b.Source == name && int(b.pos) < len(rows) {
				rows[b.pos] = b
			}
		}
	}
	return rows
}

// backendAt returns backend k (a flat position) of pool pi of the
// source's last poll: from its pools while they are full, else from rows
// (lastRows); nil if the last fleet lost it, which it does not.
func (st *sourceState) backendAt(rows []*BackendRow, pi, k int) *Backend {
	if st.full {
		return &st.fresh[k].Backend
	}
	if k < len(rows) && rows[k] != nil {
		return &rows[k].Backend
	}
	return nil
}

// eachBackend calls fn with every backend of the source's last poll, in
// its order, and the index of its pool.
func (s *Store) eachBackend(name string, fn func(pi int, b *Backend)) {
	st := s.sources[name]
	if st == nil {
		return
	}
	rows := s.lastRows(name, st)
	for pi := range st.pools {
		for k := st.off[pi]; k < st.off[pi+1]; k++ {
			if b := st.backendAt(rows, pi, k); b != nil {
				fn(pi, b)
			}
		}
	}
}

// poolKeys returns, per pool, its PoolRow.Key and then its Fleet.bySrc
// key, made once per poll of the source rather than once per fleet.
func (st *sourceState) poolKeys(name string) []string {
	if len(st.keys) != 2*len(st.pools) || len(st.pools) > 0 && !strings.HasPrefix(st.keys[0], string(st.poolKind)+"/") {
		st.keys = make([]string, 2*len(st.pools))
		for i, p := range st.pools {
			st.keys[i] = string(st.poolKind) + "/" + p.Name
			st.keys[len(st.pools)+i] = name + "\x00" + p.Name
		}
	}
	return st.keys
}

// mix folds v into a stamp (FNV-1a over the 8 bytes of v): a pool's
// stamp changes whenever one of its instances ingested, however its list
// of instances changed.
func mix(h, v uint64) uint64 {
	if h == 0 {
		h = 14695981039346656037
	}
	for range 8 {
		h ^= v & 0xff
		h *= 1099511628211
		v >>= 8
	}
	return h
}

// haystack is the lower-cased text a filter searches for one pool: its
// name and its backends' names and addresses, one per line (so a regular
// expression's ^ and $ anchor at each name). It is built once per poll
// of the source, not per fleet, since lower-casing 100k names costs ~10 ms.
func haystack(pool string, rows []BackendRow) string {
	var b strings.Builder
	n := len(pool)
	for i := range rows {
		n += 2 + len(rows[i].Name) + len(rows[i].Address)
	}
	b.Grow(n) // lower-casing ASCII keeps the length; grown by doubling, it kept up to twice
	b.WriteString(strings.ToLower(pool))
	for i := range rows {
		be := &rows[i]
		b.WriteByte('\n')
		b.WriteString(strings.ToLower(be.Name))
		b.WriteByte('\n')
		b.WriteString(strings.ToLower(be.Address))
	}
	return b.String()
}

// summarize fills a pool row's totals, sorts its backends worst first and
// joins its filter haystacks.
func summarize(p *PoolRow, hays []string) {
	for i := range p.Backends {
		b := &p.Backends[i]
		p.Total++
		p.HasWeight = p.HasWeight || b.Weight >= 0
		if b.Health.Serving() {
			p.Healthy++
			if b.Weight > 0 {
				p.Weight += b.Weight
			}
		}
		p.Active += b.Active
	}
	for _, a := range p.Aggregates {
		p.Healthy += a.Healthy
		p.Total += a.Total
		p.Active += a.Active
		if a.HasRates {
			p.HasRates = true
			p.ReqRate += a.ReqRate
			p.ErrRate += a.ErrRate
		}
	}
	if len(hays) == 1 {
		p.hay = hays[0]
	} else {
		p.hay = strings.Join(hays, "\n")
	}
	slices.SortStableFunc(p.Backends, func(a, b BackendRow) int {
		return cmp.Or(
			cmp.Compare(a.Health.severity(), b.Health.severity()),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Source, b.Source),
		)
	})
}
