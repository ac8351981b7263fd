package model

import (
	"math"
	"sort"
	"strings"
	"time"
)

// poolHist is one pool's memory: its last state word for pool events, its
// samples, one per tick (the history's resolution), and the ticks at
// which its healthy/total counts changed.
type poolHist struct {
	state     poolWord
	noHealthy bool
	samples   sampleRing
	lastTick  int64 // tick of the newest sample
	counts    []countChange

	sparkPts  []SparkPoint // the last view's points (History.sparks), nil after a new sample
	sparkTick int64        // the tick they end on
}

// psample is a pool sample in 4 bytes: req/s and 5xx/s in 12 bits each
// on a log scale (steps of 0.54%, so within 0.27%, exact at 0, up to
// 4.3e9), active connections in 8 bits on a coarser log scale (within
// 4.5%, exact up to 7). Healthy and total change rarely, so they are kept
// as changes (countChange) rather than per tick. Rings pack older
// samples (sampleRing).
type psample uint32

// Bits of a psample: req in 0–11, 5xx in 12–23, active in 24–31; an
// active code of gapActive marks a tick without data.
const (
	rateSteps   = 128 // codes per doubling of 1+rate
	maxRateCode = 1<<12 - 1
	actSteps    = 8 // codes per doubling of 1+active
	gapActive   = 1<<8 - 1
	maxActCode  = gapActive - 1
	gapSample   = psample(gapActive << 24)
)

// countChange is a pool's healthy/total from tick on (counts saturate at
// 65,534).
type countChange struct {
	tick           int64
	healthy, total uint16
}

const maxCount = math.MaxUint16 - 1

func count16(v int) uint16 { return uint16(min(max(v, 0), maxCount)) }

// logCode encodes a non-negative value as round(log2(1+v)·steps), exact
// at 0, saturating at top.
func logCode(v, steps float64, top uint32) uint32 {
	if !(v > 0) {
		return 0
	}
	return uint32(min(math.Round(math.Log2(1+v)*steps), float64(top)))
}

func unlogCode(x uint32, steps float64) float64 {
	if x == 0 {
		return 0
	}
	return math.Exp2(float64(x)/steps) - 1
}

// packSample encodes one tick's figures.
func packSample(req, errRate float64, active int64) psample {
	return psample(logCode(req, rateSteps, maxRateCode) |
		logCode(errRate, rateSteps, maxRateCode)<<12 |
		logCode(float64(active), actSteps, maxActCode)<<24)
}

func (s psample) gap() bool        { return s>>24 == gapActive }
func (s psample) req() float64     { return unlogCode(uint32(s)&maxRateCode, rateSteps) }
func (s psample) errRate() float64 { return unlogCode(uint32(s>>12)&maxRateCode, rateSteps) }
func (s psample) active() int64 {
	return int64(math.Round(unlogCode(uint32(s>>24), actSteps)))
}

// Sample is one pool sample: the pool's figures at one tick. Gap is true
// when no source of the pool answered during that tick.
type Sample struct {
	At      time.Time
	Gap     bool
	Healthy int
	Total   int
	ReqRate float64
	ErrRate float64
	Active  int64
}

func (ph *poolHist) export(t int64, at time.Time) Sample {
	s := ph.at(t)
	if s.gap() {
		return Sample{At: at, Gap: true}
	}
	c := ph.countsAt(t)
	return Sample{At: at, Healthy: int(c.healthy), Total: int(c.total), ReqRate: s.req(), ErrRate: s.errRate(), Active: s.active()}
}

// countsAt returns the counts in force at tick t.
func (ph *poolHist) countsAt(t int64) countChange {
	i := sort.Search(len(ph.counts), func(i int) bool { return ph.counts[i].tick > t }) - 1
	if i < 0 {
		return countChange{}
	}
	return ph.counts[i]
}

// putCounts records the counts of tick when they changed, and forgets
// changes that fell out of the ring.
func (ph *poolHist) putCounts(tick int64, healthy, total uint16) {
	if n := len(ph.counts); n > 0 {
		last := &ph.counts[n-1]
		if last.healthy == healthy && last.total == total {
			return
		}
		if last.tick >= tick {
			last.healthy, last.total = healthy, total
			return
		}
	}
	oldest := tick - int64(ph.samples.size)
	i := 0
	for i+1 < len(ph.counts) && ph.counts[i+1].tick <= oldest {
		i++
	}
	if i > 0 {
		ph.counts = append(ph.counts[:0], ph.counts[i:]...)
	}
	ph.counts = append(ph.counts, countChange{tick: tick, healthy: healthy, total: total})
}

func (h *History) tickOf(t time.Time) int64 { return int64(t.Sub(h.start) / h.res) }

func (h *History) tickTime(tick int64) time.Time { return h.start.Add(time.Duration(tick) * h.res) }

// observePool samples a pool one of whose sources just answered, and emits
// a pool event when its state word changed.
func (h *History) observePool(p *PoolRow, at time.Time) {
	ph := h.pools[p.Key]
	if ph == nil {
		ph = &poolHist{samples: sampleRing{size: h.ringSize}, state: wordOf(p), noHealthy: p.NoHealthy()}
		h.pools[p.Key] = ph
		h.sparkAt = nil
	} else if st := wordOf(p); st != ph.state && !p.Stale {
		e := Event{Time: at, Type: EventPool, Source: strings.Join(p.Sources, ","), Pool: p.Name, Kind: p.Kind, From: ph.state.String(), To: st.String(), Reason: poolReason(p)}
		e.NoHealthy = p.NoHealthy() && !ph.noHealthy
		ph.state, ph.noHealthy = st, p.NoHealthy()
		h.emit(e)
	}
	tick := h.tickOf(at)
	ph.putCounts(tick, count16(p.Healthy), count16(p.Total))
	ph.put(tick, packSample(p.ReqRate, p.ErrRate, p.Active))
	ph.sparkPts = nil
}

// put writes the sample of tick. A tick written twice keeps the later
// sample; one skipped tick (poll jitter) repeats the previous sample;
// longer silences become gaps.
func (ph *poolHist) put(tick int64, s psample) {
	r := &ph.samples
	if r.n > 0 {
		switch d := tick - ph.lastTick; {
		case d <= 0:
			r.setLast(s)
			return
		case d == 2:
			r.push(r.last())
		case d > 2:
			for range min(d-1, int64(r.size)) {
				r.push(gapSample)
			}
		}
	}
	r.push(s)
	ph.lastTick = tick
}

// Samples returns a pool's samples from since to now, oldest first, one per
// tick, with gaps where no source of the pool answered (including the
// ticks since its last sample).
func (h *History) Samples(key string, since, now time.Time) []Sample {
	ph := h.pools[key]
	if ph == nil {
		return nil
	}
	first := max(h.tickOf(since), ph.lastTick-int64(ph.samples.n)+1)
	last := h.tickOf(now)
	var out []Sample
	for t := first; t <= last; t++ {
		out = append(out, ph.export(t, h.tickTime(t)))
	}
	return out
}

// at returns the sample of tick t, a gap when it is not in the ring.
func (ph *poolHist) at(t int64) psample {
	back := ph.lastTick - t
	if back < 0 || back >= int64(ph.samples.n) {
		return gapSample
	}
	return ph.samples.back(int(back))
}
