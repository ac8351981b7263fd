package model

import (
	"hash/maphash"
	"slices"
	"time"
	"unsafe"
)

// A fleet is rebuilt after every poll of every source, but a poll changes
// only that source's pools. Each pool carries a stamp of everything it is
// made from (the ingest sequence of each source reporting it, the hooks,
// the flap counts of its members); a pool whose stamp is unchanged is the
// previous fleet's row as it was, backends, diagnosis and all, shared (a
// fleet is immutable). Only the other pools are merged, summed, sorted
// and diagnosed again, and only their backend rows are new: the rows
// Ingest made of the poll (one array, which dies with the last fleet
// sharing it: every pool of a source is rebuilt when it polls), copied
// into an array per pool only for a pool several sources report or one
// rebuilt without a poll (flap counts, hooks, a failed poll). With four
// sources a fleet of 100,000 backends makes a quarter of its rows, and
// two fleets alive at once (the UI's and the next) share the rest
// instead of holding two copies. The rows are the store's only copy of
// the backends (see sourceState.pools).

// poolStamp is what the next fleet needs to know of a pool in the last.
type poolStamp struct {
	stamp uint64
	key   string // PoolRow.Key
}

// Fleet builds the merged view of the current data. It sizes every slice
// up front: at 100k backends, growing them row by row dominated the cost.
// Pools whose data did not change since the last fleet are shared with it.
func (s *Store) Fleet() *Fleet {
	s.gen++
	f := &Fleet{Gen: s.gen, At: s.now()}
	defer s.observe(f) // history, once f is complete
	// Pools numbered first, their rows are allocated once, to size
	// (grown by append, 10,000 rows allocated 2.6 times their size per
	// fleet and kept up to 1.6).
	index, at := s.number(f)
	f.Pools = make([]PoolRow, len(index))
	counts := make([]int, len(index))  // backends
	entries := make([]int, len(index)) // pools of sources merged in it
	stamps := make([]uint64, len(index))
	for _, name := range s.names {
		st := s.sources[name]
		for pi, p := range st.pools {
			i := at[0]
			at = at[1:]
			if f.Pools[i].Key == "" {
				f.Pools[i] = PoolRow{Key: st.keys[pi], Name: p.Name, Kind: st.poolKind}
			}
			counts[i] += st.off[pi+1] - st.off[pi]
			entries[i]++
			stamps[i] = mix(stamps[i], st.seq)
		}
	}
	flaps := s.flaps(f)
	next := make([]poolStamp, len(f.Pools))
	build := make([]bool, len(f.Pools))
	for i := range f.Pools {
		p := &f.Pools[i]
		stamp := mix(stamps[i], s.hooksSeq)
		if d, ok := flaps.digest[i]; ok {
			stamp = mix(stamp, d)
		}
		next[i] = poolStamp{stamp: stamp, key: p.Key}
		// Pools usually keep their place between fleets: try it before
		// the map.
		j, ok := i, i < len(s.lastStamps) && s.lastStamps[i].key == p.Key
		if !ok {
			j, ok = s.lastIndex[p.Key]
		}
		if ok && s.lastStamps[j].stamp == stamp {
			*p = s.last.Pools[j]
		} else {
			build[i] = true
		}
	}
	s.merge(f, build, counts, entries)
	in := DiagInput{Sources: f.Sources, Admin: s.admin, Now: f.At}
	for i := range f.Pools {
		if !build[i] {
			continue
		}
		p := &f.Pools[i]
		if _, ok := flaps.digest[i]; ok {
			for j := range p.Backends {
				p.Backends[j].Transitions = int32(min(flaps.count(&p.Backends[j]), 1<<31-1))
			}
		}
		p.Diagnosis = Diagnose(p, &in)
	}
	var byName []int32
	if s.last != nil && len(s.lastStamps) == len(next) && slices.EqualFunc(s.lastStamps, next, func(a, b poolStamp) bool { return a.key == b.key }) {
		byName = s.last.orders.order[SortName] // the same pools in the same places
	}
	s.last, s.lastIndex, s.lastStamps = f, index, next
	f.sortWith(&s.demand, byName)
	return f
}

// number gives each pool of the fleet its row: the index by PoolRow.Key,
// f.bySrc, and the row of each pool of each source in turn. Sources
// that report the same pools in the same places as for the last fleet
// keep its numbering (the maps are read-only once built): at 10,000
// pools, building them took 1 MB and 2 ms per fleet.
func (s *Store) number(f *Fleet) (map[string]int, []int32) {
	same := s.last != nil && len(s.lastKeys) == len(s.names)
	n := 0
	for i, name := range s.names {
		st := s.sources[name]
		f.Sources = append(f.Sources, st.status)
		keys := st.poolKeys(name)
		same = same && len(keys) == len(s.lastKeys[i]) && unsafe.SliceData(keys) == unsafe.SliceData(s.lastKeys[i])
		n += len(st.pools)
	}
	if same {
		f.bySrc = s.last.bySrc
		return s.lastIndex, s.lastAt
	}
	index := make(map[string]int, len(s.lastIndex))
	f.bySrc = make(map[string]int32, len(s.lastIndex))
	at := make([]int32, 0, n) // per pool of each source in turn, its row
	s.lastKeys = s.lastKeys[:0]
	for _, name := range s.names {
		st := s.sources[name]
		keys := st.keys
		s.lastKeys = append(s.lastKeys, keys)
		for pi := range st.pools {
			i, ok := index[keys[pi]]
			if !ok {
				i = len(index)
				index[keys[pi]] = i
			}
			f.bySrc[keys[len(st.pools)+pi]] = int32(i)
			at = append(at, int32(i))
		}
	}
	s.lastAt = at
	return index, at
}

// merge fills the pools to build from every source reporting them:
// sources, staleness, notes, aggregates, facts, rates and backend rows,
// then their totals, order of backends and haystack. A pool one source
// reports, and that source just polled, takes its rows as Ingest made
// them; the others' rows are copied into an array per pool (of counts[i]
// rows), from the source's fresh rows or the last fleet's.
func (s *Store) merge(f *Fleet, build []bool, counts, entries []int) {
	defer func() {
		for _, st := range s.sources {
			st.fresh, st.full = nil, false // this fleet's rows hold them now, sorted
		}
	}()
	hays := make([][]string, len(f.Pools))
	for _, name := range s.names {
		st := s.sources[name]
		stale := !st.status.OK
		var rows []*BackendRow // the source's backends in the last fleet, unless full
		for pi, p := range st.pools {
			i := f.bySrc[st.keys[len(st.pools)+pi]]
			if !build[i] {
				continue
			}
			if rows == nil {
				rows = s.lastRows(name, st)
			}
			row := &f.Pools[i]
			if n := len(row.Sources); n == 0 || row.Sources[n-1] != name {
				row.Sources = append(row.Sources, name) // once, even when the source reports the pool twice (two exporters)
			}
			row.Stale = row.Stale || stale
			if p.Note != "" {
				row.Notes = append(row.Notes, p.Note)
			}
			if p.Aggregate != nil {
				row.Aggregates = append(row.Aggregates, *p.Aggregate)
			}
			// The pool's own request and 5xx rates (HAProxy's BACKEND row)
			// win over the sum of its members, which misses what no member
			// answered.
			poolRates := false
			if p.Facts != nil {
				if row.Facts == nil {
					// The source's facts are immutable: a pool with one
					// instance shares them (cap 1: a second one copies).
					row.Facts = unsafe.Slice(p.Facts, 1)
				} else {
					row.Facts = append(row.Facts, *p.Facts)
				}
				if rq, ok := p.Facts.Rate(CtrRequests); ok {
					poolRates = true
					row.HasRates = true
					row.ReqRate += rq
					er, _ := p.Facts.Rate(CtrErrors)
					row.ErrRate += er
				}
			}
			lo, hi, start := st.off[pi], st.off[pi+1], len(row.Backends)
			if st.full && entries[i] == 1 {
				row.Backends = st.fresh[lo:hi:hi]
			} else {
				if row.Backends == nil {
					row.Backends = make([]BackendRow, 0, counts[i])
				}
				for k := lo; k < hi; k++ {
					if b := st.backendAt(rows, pi, k); b != nil {
						row.Backends = append(row.Backends, BackendRow{Backend: *b, Source: name, Pool: p.Name, Stale: stale, pos: int32(k)})
					}
				}
			}
			if !poolRates {
				for j := start; j < len(row.Backends); j++ {
					if b := &row.Backends[j]; b.HasRates {
						row.HasRates = true
						row.ReqRate += b.ReqRate
						row.ErrRate += b.ErrRate
					}
				}
			}
			hays[i] = append(hays[i], st.hay[pi])
		}
	}
	for i := range f.Pools {
		if build[i] {
			summarize(&f.Pools[i], hays[i])
		}
	}
}

// flapCounts are the members that changed state in the last 5 min
// (BackendRow.Transitions, for the flapping cause): per pool index a
// digest of their counts, which changes whenever a count does, and each
// one's count. The counts come from the SetTransitions hook when set (a
// lookup per backend), else from the store's own history, which lists
// only the backends that changed.
type flapCounts struct {
	digest map[int]uint64
	hist   *History
	since  time.Time
	hook   func(BackendRef) int
}

var flapSeed = maphash.MakeSeed()

// flapDigest is one member's part of its pool's digest; parts are added,
// so the digest does not depend on the order they come in.
func flapDigest(source, instance, name string, n int) uint64 {
	return mix(mix(mix(uint64(n), maphash.String(flapSeed, source)), maphash.String(flapSeed, instance)), maphash.String(flapSeed, name))
}

func (s *Store) flaps(f *Fleet) flapCounts {
	fc := flapCounts{digest: map[int]uint64{}, hook: s.transitions}
	if s.transitions != nil {
		for _, name := range s.names {
			st := s.sources[name]
			s.eachBackend(name, func(pi int, b *Backend) {
				p := &st.pools[pi]
				if n := s.transitions(BackendRef{Source: name, Pool: p.Name, Backend: b.Name}); n > 0 {
					fc.digest[int(f.bySrc[st.keys[len(st.pools)+pi]])] += flapDigest(name, b.Instance, b.Name, n)
				}
			})
		}
		return fc
	}
	// Without a map of the counts (one per fleet was 2 MB at 100k
	// backends): the few pools being built look their members up.
	fc.hist, fc.since = s.hist, f.At.Add(-FlapWindow)
	cut := fc.since.UnixNano()
	var key []byte
	s.hist.eachNotable(func(k BackendKey, bh *backendHist) {
		if n := countSince(bh.changes, cut); n > 0 {
			key = append(append(append(key[:0], k.Source...), 0), k.Pool...)
			if i, ok := f.bySrc[string(key)]; ok {
				fc.digest[int(i)] += flapDigest(k.Source, k.Instance, k.Name, n)
			}
		}
	})
	return fc
}

// count returns a member's state changes in the last 5 min.
func (fc *flapCounts) count(b *BackendRow) int {
	if fc.hook != nil {
		return fc.hook(b.Ref())
	}
	return fc.hist.Changes(KeyOf(b), fc.since)
}
