package model

import (
	"slices"
	"time"
)

// Counters become rates against the previous poll of the same source.
// The previous samples are kept in the order of that poll, parallel to its
// pools and backends, so a backend is matched by position and a map is
// built only for a poll whose list differs from the one before. Nothing
// is keyed by a string built per backend per poll.

// counterSample is one backend's counters at one poll (unix ns; 0 for a
// backend without one: 24 bytes, not 32 with a flag). The rates computed
// at that sample are the previous poll's backend's: it either made the
// sample or kept it with its rates.
type counterSample struct {
	req, err uint64
	at       int64
}

// factSample is the pool facts whose counters are one pool's sample and
// when they were read (unix ns); nil for a pool without facts.
type factSample struct {
	f  *PoolFacts
	at int64
}

// backendID names a backend within its source's poll.
type backendID struct{ pool, name, addr string }

// prevPoll finds what the previous poll of a source reported for a pool
// or a backend: at the same position, else through maps built on first
// need. Its backends are the last fleet's rows (Store.lastRows).
type prevPoll struct {
	pools  []Pool // without backends
	off    []int  // flat position of each pool's first backend
	rows   []*BackendRow
	byID   map[backendID]int32
	byName map[string]int
}

func newPrevPoll(pools []Pool, off []int, rows []*BackendRow) *prevPoll {
	return &prevPoll{pools: pools, off: off, rows: rows}
}

// pool returns the index of the previous pool named name, preferring
// position pi, or -1.
func (x *prevPoll) pool(pi int, name string) int {
	if pi < len(x.pools) && x.pools[pi].Name == name {
		return pi
	}
	if x.byName == nil {
		x.byName = make(map[string]int, len(x.pools))
		for i, p := range x.pools {
			x.byName[p.Name] = i
		}
	}
	if i, ok := x.byName[name]; ok {
		return i
	}
	return -1
}

// at returns the previous backend at flat position k, or nil.
func (x *prevPoll) at(k int) *Backend {
	if k < len(x.rows) && x.rows[k] != nil {
		return &x.rows[k].Backend
	}
	return nil
}

// backend returns the previous report of backend j of pool pi (named
// pool) and its flat position, or nil. Off its position, a backend is
// looked for in the previous pool of the same name: by a scan when the
// pool is small, else through a map of the large pools' backends (a
// rolling deploy replaces a few backends per poll: a map of the whole
// source for each was 2 MB of garbage per poll at 25,000 backends).
func (x *prevPoll) backend(pi, j int, pool string, b *Backend) (*Backend, int) {
	if pi < len(x.pools) && x.pools[pi].Name == pool && j < x.off[pi+1]-x.off[pi] {
		if ob := x.at(x.off[pi] + j); ob != nil && ob.Name == b.Name && ob.Address == b.Address {
			return ob, x.off[pi] + j
		}
	}
	k := x.pool(pi, pool)
	if k < 0 {
		return nil, 0
	}
	if x.off[k+1]-x.off[k] <= smallPool {
		for i := x.off[k]; i < x.off[k+1]; i++ {
			if ob := x.at(i); ob != nil && ob.Name == b.Name && ob.Address == b.Address {
				return ob, i
			}
		}
		return nil, 0
	}
	if x.byID == nil {
		x.byID = map[backendID]int32{}
		for i, p := range x.pools {
			if x.off[i+1]-x.off[i] <= smallPool {
				continue
			}
			for k := x.off[i]; k < x.off[i+1]; k++ {
				if ob := x.at(k); ob != nil {
					x.byID[backendID{p.Name, ob.Name, ob.Address}] = int32(k)
				}
			}
		}
	}
	i, ok := x.byID[backendID{pool, b.Name, b.Address}]
	if !ok {
		return nil, 0
	}
	return x.at(int(i)), int(i)
}

// smallPool is the size up to which a pool is scanned for a backend that
// moved rather than mapped.
const smallPool = 32

// sameNames reports whether previous pool k lists the same backend names
// and addresses as rows (then its haystack is the same).
func (x *prevPoll) sameNames(k int, rows []BackendRow) bool {
	if x.off[k+1]-x.off[k] != len(rows) {
		return false
	}
	for j := range rows {
		ob := x.at(x.off[k] + j)
		if ob == nil || ob.Name != rows[j].Name || ob.Address != rows[j].Address {
			return false
		}
	}
	return true
}

// intern makes b share the previous poll's strings and facts where they
// are equal, so what the source allocated for this poll dies at once
// instead of living beside the old copies (the history keeps the first
// copy it saw of every name).
func intern(b, ob *Backend) {
	b.Name, b.Address = ob.Name, ob.Address // equal: that is how they matched
	if b.Reason == ob.Reason {
		b.Reason = ob.Reason
	}
	if b.Zone == ob.Zone {
		b.Zone = ob.Zone
	}
	if b.Instance == ob.Instance {
		b.Instance = ob.Instance
	}
	if b.Facts != nil && ob.Facts != nil && *b.Facts == *ob.Facts {
		b.Facts = ob.Facts
	}
}

// withRates turns a source's pools into rows (one array, in the order of
// the poll: Source, Pool and pos set), filling per-second rates from
// counter deltas against prev (the samples of x's poll), and returns the
// pools without their backends, the flat position of each pool's first
// row (offsets), the rows and the samples to compare the next poll with.
// Names, reasons and facts equal to the previous poll's are shared with
// it. A counter that went backwards (a reload) yields no rate for this
// poll.
func withRates(source string, pools []Pool, x *prevPoll, prev []counterSample, at time.Time, window time.Duration) ([]Pool, []int, []BackendRow, []counterSample) {
	out := make([]Pool, len(pools))
	off := offsets(pools)
	n := off[len(pools)]
	next := make([]counterSample, 0, n)
	rows := make([]BackendRow, n)
	now := at.UnixNano()
	for pi, p := range pools {
		if pi < len(x.pools) && x.pools[pi].Name == p.Name {
			p.Name = x.pools[pi].Name
		}
		for j := range p.Backends {
			k := off[pi] + j
			r := &rows[k]
			r.Backend, r.Source, r.Pool, r.pos = p.Backends[j], source, p.Name, int32(k)
			b := &r.Backend
			ob, ok := x.backend(pi, j, p.Name, b)
			var old counterSample
			if ob != nil {
				intern(b, ob)
				if ok < len(prev) {
					old = prev[ok]
				}
			}
			next = append(next, counterRates(b, ob, old, now, window))
		}
		p.Backends = nil
		out[pi] = p
	}
	return out, off, rows, next
}

// counterRates fills b's rates from its counters against old, the sample
// kept with ob (b's previous poll), and returns the sample to keep.
func counterRates(b, ob *Backend, old counterSample, now int64, window time.Duration) counterSample {
	if !b.Counters || b.HasRates {
		return counterSample{}
	}
	ok := old.at != 0 && now > old.at && b.Requests >= old.req && b.Errors >= old.err
	if ok && now-old.at < int64(window) {
		// too short a window: keep the older sample and its rates
		b.ReqRate, b.ErrRate, b.HasRates = ob.ReqRate, ob.ErrRate, ob.HasRates
		return old
	}
	if ok {
		dt := time.Duration(now - old.at).Seconds()
		b.ReqRate = float64(b.Requests-old.req) / dt
		b.ErrRate = float64(b.Errors-old.err) / dt
		b.HasRates = true
	}
	return counterSample{req: b.Requests, err: b.Errors, at: now}
}

// factRates replaces each pool's Facts with a copy whose Rates are filled
// from counter deltas against prev (the samples of x's poll; pools already
// copied by withRates), and returns the samples for the next poll, one
// per pool. A counter that went backwards yields no rate.
func factRates(pools []Pool, x *prevPoll, prev []factSample, at time.Time, window time.Duration) []factSample {
	next := make([]factSample, len(pools))
	now := at.UnixNano()
	for i := range pools {
		p := &pools[i]
		if p.Facts == nil {
			continue
		}
		f := *p.Facts
		p.Facts = &f
		var old factSample
		if k := x.pool(i, p.Name); k >= 0 && k < len(prev) {
			old = prev[k]
		}
		f.HasRate = 0
		if old.f != nil && now > old.at && now-old.at < int64(window) {
			next[i] = old // too short a window: keep the older sample and its rates
			f.Rates, f.HasRate = old.f.Rates, old.f.HasRate&f.Has
			continue
		}
		next[i] = factSample{f: &f, at: now}
		if old.f == nil || now <= old.at {
			continue
		}
		dt := time.Duration(now - old.at).Seconds()
		for c := range NumPoolCounters {
			bit := uint32(1) << c
			if f.Has&old.f.Has&bit == 0 || f.Counters[c] < old.f.Counters[c] {
				continue
			}
			f.Rates[c] = float64(f.Counters[c]-old.f.Counters[c]) / dt
			f.HasRate |= bit
		}
	}
	return next
}

// metricRates copies metrics, filling rates of counters from the previous
// values seen dt seconds ago.
func metricRates(ms []Metric, prev map[string]float64, dt float64) ([]Metric, map[string]float64) {
	out := slices.Clone(ms)
	next := make(map[string]float64, len(ms))
	for i := range out {
		m := &out[i]
		if !m.Counter {
			continue
		}
		next[m.Name] = m.Value
		if old, ok := prev[m.Name]; ok && dt > 0 && m.Value >= old {
			m.Rate = (m.Value - old) / dt
			m.HasRate = true
		}
	}
	return out, next
}
