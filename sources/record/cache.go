package record

import (
	"slices"
	"sort"

	"github.com/lbtop/lbtop/model"
)

// decodedBudget bounds the decoded snapshots a Player keeps, in backends
// summed over them: at ~180 bytes a backend (a delta's copy shares its
// strings), about 29 MB. It holds a replay dashboard's stretch of polls
// (replayWarmBudget backends and one poll more) three times over: the
// polls fed to the store, as many before them for ←, and a second
// stretch, so going back and forth between two moments decodes nothing.
const decodedBudget = 160_000

// maxDecoded bounds how many snapshots a Player keeps, whatever their
// size: a small fleet's stretch fits many times over.
const maxDecoded = 256

// decodedCache keeps snapshots the Player decoded, per source and
// position (an index into Player.bySource), so that a walk starts from
// the nearest one kept rather than from the keyframe: → decodes one
// delta, ← and t within the stretch kept decode none. A snapshot kept is
// shared: never decoded onto in place, never changed. Least recently
// used ones go first when over the budget, but never a source's newest,
// the one → continues from.
type decodedCache struct {
	bySource [][]cachedSnap // per source, by position
	newest   []int          // per source: the position put last
	backends int            // summed over every kept snapshot
	count    int            // snapshots kept
	clock    uint64
}

// cachedSnap is one kept snapshot.
type cachedSnap struct {
	pos  int
	s    *model.Snapshot
	n    int // its backends
	used uint64
}

func backendsOf(s *model.Snapshot) int {
	n := 0
	for i := range s.Pools {
		n += len(s.Pools[i].Backends)
	}
	return n
}

// grow makes room for source g.
func (c *decodedCache) grow(g int) {
	for len(c.bySource) <= g {
		c.bySource = append(c.bySource, nil)
		c.newest = append(c.newest, -1)
	}
}

// nearest returns the kept snapshot of source g with the greatest
// position in [lo, hi), or nil.
func (c *decodedCache) nearest(g, lo, hi int) (int, *model.Snapshot) {
	c.grow(g)
	kept := c.bySource[g]
	i := sort.Search(len(kept), func(k int) bool { return kept[k].pos >= hi }) - 1
	if i < 0 || kept[i].pos < lo {
		return 0, nil
	}
	c.clock++
	kept[i].used = c.clock
	return kept[i].pos, kept[i].s
}

// get returns the kept snapshot of source g at pos, or nil.
func (c *decodedCache) get(g, pos int) *model.Snapshot {
	if p, s := c.nearest(g, pos, pos+1); s != nil && p == pos {
		return s
	}
	return nil
}

// put keeps s as source g's snapshot at pos (the newest one put), then
// drops the least recently used ones while over the budget.
func (c *decodedCache) put(g, pos int, s *model.Snapshot) {
	c.grow(g)
	c.clock++
	kept := c.bySource[g]
	i := sort.Search(len(kept), func(k int) bool { return kept[k].pos >= pos })
	n := backendsOf(s)
	if i < len(kept) && kept[i].pos == pos {
		c.backends -= kept[i].n
		kept[i] = cachedSnap{pos: pos, s: s, n: n, used: c.clock}
	} else {
		kept = slices.Insert(kept, i, cachedSnap{pos: pos, s: s, n: n, used: c.clock})
		c.count++
	}
	c.bySource[g] = kept
	c.newest[g] = pos
	c.backends += n
	for (c.backends > decodedBudget || c.count > maxDecoded) && c.evict() {
	}
}

// evict drops the least recently used snapshot that is not its source's
// newest, reporting whether there was one.
func (c *decodedCache) evict() bool {
	bg, bi := -1, -1
	for g, kept := range c.bySource {
		for i := range kept {
			if kept[i].pos != c.newest[g] && (bg < 0 || kept[i].used < c.bySource[bg][bi].used) {
				bg, bi = g, i
			}
		}
	}
	if bg < 0 {
		return false
	}
	c.backends -= c.bySource[bg][bi].n
	c.count--
	c.bySource[bg] = slices.Delete(c.bySource[bg], bi, bi+1)
	return true
}
