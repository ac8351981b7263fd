package model

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
)

// Pool orders. The order by health (the default) is built with every
// fleet, off the UI goroutine; the others only for fleets built while
// someone recently asked for them, and otherwise on first use (a few
// milliseconds for 10,000 pools, once per fleet). Sorting all eight with
// every fleet was a quarter of an Ingest at 100,000 backends.

// sortDemand is the Store's record of when each order was last asked
// for, by fleet generation; fleets share it with their Store.
type sortDemand [numSortKeys]atomic.Uint64

// eagerFleets is how many fleets after an order was last used it is still
// built eagerly: about 30 s with four sources polled every 2 s.
const eagerFleets = 64

// fleetOrders holds a fleet's pool orders, each built once.
type fleetOrders struct {
	once   [numSortKeys]sync.Once
	order  [numSortKeys][]int32
	byName []int32 // the name order, when known before sorting (reused)
	rank   []int32 // each pool's place in the name order: the tie-break
	demand *sortDemand
}

// sort prepares f's orders: the default one now, the others now when in
// demand, else later (get). byName is the previous fleet's name order
// when the pools are the same, nil otherwise.
func (f *Fleet) sort() { f.sortWith(nil, nil) }

func (f *Fleet) sortWith(demand *sortDemand, byName []int32) {
	o := &fleetOrders{demand: demand, byName: byName}
	f.orders = o
	o.get(f, SortName)
	o.get(f, SortHealth)
	if demand == nil {
		return
	}
	for k := range numSortKeys {
		if last := demand[k].Load(); last != 0 && f.Gen-last < eagerFleets {
			o.get(f, k)
		}
	}
}

// order returns the pools in order k, building it on first use, and
// notes the demand.
func (f *Fleet) order(k SortKey) []int32 {
	o := f.orders
	if o == nil {
		return nil
	}
	if o.demand != nil && k != SortHealth && k != SortName {
		o.demand[k].Store(f.Gen)
	}
	return o.get(f, k)
}

func (o *fleetOrders) get(f *Fleet, k SortKey) []int32 {
	o.once[k].Do(func() {
		if k != SortName {
			o.get(f, SortName) // the rank breaks ties
		}
		o.order[k] = o.build(f, k)
	})
	return o.order[k]
}

func (o *fleetOrders) build(f *Fleet, k SortKey) []int32 {
	ps := f.Pools
	if k == SortName {
		byName := o.byName
		if len(byName) != len(ps) {
			byName = identity(len(ps))
			slices.SortFunc(byName, func(a, b int32) int { return cmp.Compare(ps[a].Key, ps[b].Key) })
		}
		o.rank = make([]int32, len(ps))
		for r, i := range byName {
			o.rank[i] = int32(r)
		}
		return byName
	}
	rank := o.rank
	byName := func(a, b int32) int { return cmp.Compare(rank[a], rank[b]) }
	desc := func(get func(*PoolRow) float64) func(a, b int32) int {
		return func(a, b int32) int {
			return cmp.Or(cmp.Compare(get(&ps[b]), get(&ps[a])), byName(a, b))
		}
	}
	var c func(a, b int32) int
	switch k {
	case SortHealth:
		c = func(a, b int32) int {
			pa, pb := &ps[a], &ps[b]
			// State class, then a key that does not move between polls:
			// rates and ratios change every poll and made rows jump. The
			// healthy ratio orders only pools not diagnosed (fleets built
			// by hand).
			undiagnosed := 0
			if pa.Diagnosis.Cause == "" && pb.Diagnosis.Cause == "" {
				undiagnosed = cmp.Compare(ratio(pa), ratio(pb))
			}
			return cmp.Or(
				cmp.Compare(pb.Diagnosis.State.Rank(), pa.Diagnosis.State.Rank()),
				-cmp.Compare(boolInt(pa.NoHealthy()), boolInt(pb.NoHealthy())),
				undiagnosed,
				byName(a, b),
			)
		}
	case SortErrRate:
		c = desc(func(p *PoolRow) float64 { return p.ErrRate })
	case SortReqRate:
		c = desc(func(p *PoolRow) float64 { return p.ReqRate })
	case SortActive:
		c = desc(func(p *PoolRow) float64 { return float64(p.Active) })
	case SortSource:
		c = func(a, b int32) int {
			return cmp.Or(cmp.Compare(firstSource(&ps[a]), firstSource(&ps[b])), byName(a, b))
		}
	case SortHealthy:
		c = func(a, b int32) int { return cmp.Or(cmp.Compare(ratio(&ps[a]), ratio(&ps[b])), byName(a, b)) }
	case SortWeight:
		c = desc(func(p *PoolRow) float64 { return float64(p.Weight) })
	}
	out := identity(len(ps))
	slices.SortFunc(out, c)
	return out
}

func identity(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// firstSource is the first instance reporting p, for the source order.
func firstSource(p *PoolRow) string {
	if len(p.Sources) == 0 {
		return ""
	}
	return p.Sources[0]
}

func ratio(p *PoolRow) float64 {
	if p.Total == 0 {
		return 0
	}
	return float64(p.Healthy) / float64(p.Total)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
