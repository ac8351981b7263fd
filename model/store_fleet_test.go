package model

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestFleetSharesUnchangedPools: a poll of one source rebuilds only its
// pools; the others are the previous fleet's rows, and the result is the
// fleet a full rebuild makes, poll after poll (changes of state, failed
// polls, a pool two sources report, backends coming and going).
func TestFleetSharesUnchangedPools(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	now := t0
	s := NewStore(func() time.Time { return now })
	state := map[string][]Pool{}
	for src := range 3 {
		for p := range 6 {
			pool := Pool{Name: fmt.Sprintf("pool-%d", p+src*4)} // pools 4 and 5 are on two sources
			for b := range 4 {
				pool.Backends = append(pool.Backends, be(fmt.Sprintf("s%d-%d", src, b), Healthy, uint64(b), 0))
			}
			state[fmt.Sprintf("lb%d", src)] = append(state[fmt.Sprintf("lb%d", src)], pool)
		}
	}
	var prev *Fleet
	for poll := range 60 {
		now = now.Add(700 * time.Millisecond)
		src := fmt.Sprintf("lb%d", poll%3)
		pools := state[src]
		p := &pools[rng.IntN(len(pools))]
		switch bs := p.Backends; rng.IntN(4) {
		case 0:
			bs[rng.IntN(len(bs))].Health = Health(rng.IntN(int(Unknown) + 1))
		case 1:
			p.Backends = append(bs[:0:0], bs[1:]...)
		case 2:
			p.Backends = append(bs[:len(bs):len(bs)], be(fmt.Sprintf("new-%d", poll), Unhealthy, 1, 1))
		}
		for i := range pools {
			for j := range pools[i].Backends {
				pools[i].Backends[j].Requests += uint64(rng.IntN(100))
			}
		}
		sn := snap(src, now, clonePools(pools)...)
		if rng.IntN(8) == 0 {
			sn = Snapshot{Source: src, Kind: KindHAProxy, At: now, Err: errors.New("refused")}
		}
		f := s.Ingest(sn)
		if prev != nil {
			shared := 0
			for i := range f.Pools {
				if q := prev.Pool(f.Pools[i].Key); q != nil && len(q.Backends) > 0 && &q.Backends[0] == &f.Pools[i].Backends[0] {
					shared++
				}
			}
			if shared == 0 {
				t.Fatalf("poll %d: no pool shared with the previous fleet", poll)
			}
		}
		// The history learns of f once it is built; the next fleet has
		// the same data and the flap counts that follow from it.
		f = s.Fleet()
		s.SetAdminNotes(nil) // a hook change: every pool rebuilt
		full := s.Fleet()
		if !samePools(f.Pools, full.Pools) {
			t.Fatalf("poll %d: the fleet differs from a full rebuild", poll)
		}
		prev = full
	}
}

// samePools compares fleets' pools; of diagnoses only state and cause: a
// pool not rebuilt keeps its diagnosis, whose text may name an age.
func samePools(a, b []PoolRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Diagnosis.State != y.Diagnosis.State || x.Diagnosis.Cause != y.Diagnosis.Cause {
			return false
		}
		x.Diagnosis, y.Diagnosis = Diagnosis{}, Diagnosis{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func clonePools(ps []Pool) []Pool {
	out := make([]Pool, len(ps))
	for i, p := range ps {
		p.Backends = append([]Backend(nil), p.Backends...)
		out[i] = p
	}
	return out
}

// TestFleetNumbersPoolsThatMove: pools appearing, moving and leaving on
// one source while another keeps its own are each found where they are
// (Pool, Locate), fleet after fleet, as a store that saw only the last
// polls finds them.
func TestFleetNumbersPoolsThatMove(t *testing.T) {
	t.Parallel()
	now := t0
	s := NewStore(func() time.Time { return now })
	pool := func(name string) Pool { return Pool{Name: name, Backends: []Backend{be(name+"-1", Healthy, 1, 0)}} }
	steady := snap("lb2", now, pool("x"), pool("a"))
	for _, names := range [][]string{{"a", "b"}, {"a", "b"}, {"b", "a", "c"}, {"b", "a", "c"}, {"c"}, {}, {"d", "a"}} {
		now = now.Add(2 * time.Second)
		var ps []Pool
		for _, n := range names {
			ps = append(ps, pool(n))
		}
		s.Ingest(snap("lb1", now, ps...))
		steady.At = now
		f := s.Ingest(steady)
		fresh := NewStore(func() time.Time { return now })
		fresh.Ingest(snap("lb1", now, ps...))
		want := fresh.Ingest(steady)
		if len(f.Pools) != len(want.Pools) {
			t.Fatalf("polls %v: %d pools, want %d", names, len(f.Pools), len(want.Pools))
		}
		for _, wp := range want.Pools {
			p := f.Pool(wp.Key)
			if p == nil || !reflect.DeepEqual(p.Sources, wp.Sources) || len(p.Backends) != len(wp.Backends) {
				t.Fatalf("polls %v: pool %s is %+v, want %+v", names, wp.Key, p, wp)
			}
			for _, b := range wp.Backends {
				if lp, lb := f.Locate(b.Ref()); lp != p || lb == nil {
					t.Errorf("polls %v: %s not located", names, b.Ref())
				}
			}
		}
	}
}
