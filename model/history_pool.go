package model

import (
	"math"
	"strings"
	"time"
)

// poolHist is one pool's memory: its last state word for pool events and a
// fixed ring of samples, one per tick (the history's resolution).
type poolHist struct {
	state     poolWord
	noHealthy bool
	ring      []psample
	head      int   // index of the next write
	n         int   // samples written, up to len(ring)
	lastTick  int64 // tick of the newest sample
}

// psample is a pool sample in 10 bytes: counts saturate at 65,534 and
// rates and connections are stored on a log scale (0.04% steps), which
// is what lets a 10,000-pool fleet keep 30 minutes at 2 s in 90 MB.
type psample struct {
	healthy, total uint16 // total == gapMark: no data for this tick
	active         uint16
	req, err       uint16
}

const (
	gapMark  = math.MaxUint16
	maxCount = math.MaxUint16 - 1
	logScale = 2048 // steps per doubling
)

func count16(v int) uint16 { return uint16(min(max(v, 0), maxCount)) }

// log16 encodes a non-negative value as round(log2(1+v)·2048), exact at 0,
// saturating near 4.3e9.
func log16(v float64) uint16 {
	if !(v > 0) {
		return 0
	}
	return uint16(min(math.Round(math.Log2(1+v)*logScale), math.MaxUint16))
}

func unlog16(x uint16) float64 {
	if x == 0 {
		return 0
	}
	return math.Exp2(float64(x)/logScale) - 1
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

func (s psample) export(at time.Time) Sample {
	if s.total == gapMark {
		return Sample{At: at, Gap: true}
	}
	return Sample{At: at, Healthy: int(s.healthy), Total: int(s.total), ReqRate: unlog16(s.req), ErrRate: unlog16(s.err), Active: int64(math.Round(unlog16(s.active)))}
}

func (h *History) tickOf(t time.Time) int64 { return int64(t.Sub(h.start) / h.res) }

func (h *History) tickTime(tick int64) time.Time { return h.start.Add(time.Duration(tick) * h.res) }

// observePool samples a pool one of whose sources just answered, and emits
// a pool event when its state word changed.
func (h *History) observePool(p *PoolRow, at time.Time) {
	ph := h.pools[p.Key]
	if ph == nil {
		ph = &poolHist{ring: make([]psample, max(int(h.window/h.res), 1)), state: wordOf(p), noHealthy: p.NoHealthy()}
		h.pools[p.Key] = ph
	} else if st := wordOf(p); st != ph.state && !p.Stale {
		e := Event{Time: at, Type: EventPool, Source: strings.Join(p.Sources, ","), Pool: p.Name, Kind: p.Kind, From: ph.state.String(), To: st.String(), Reason: poolReason(p)}
		e.NoHealthy = p.NoHealthy() && !ph.noHealthy
		ph.state, ph.noHealthy = st, p.NoHealthy()
		h.emit(e)
	}
	ph.put(h.tickOf(at), psample{
		healthy: count16(p.Healthy), total: count16(p.Total), active: log16(float64(p.Active)),
		req: log16(p.ReqRate), err: log16(p.ErrRate),
	})
}

// put writes the sample of tick. A tick written twice keeps the later
// sample; one skipped tick (poll jitter) repeats the previous sample;
// longer silences become gaps.
func (ph *poolHist) put(tick int64, s psample) {
	if ph.n > 0 {
		switch d := tick - ph.lastTick; {
		case d <= 0:
			ph.ring[(ph.head+len(ph.ring)-1)%len(ph.ring)] = s
			return
		case d == 2:
			ph.push(ph.ring[(ph.head+len(ph.ring)-1)%len(ph.ring)])
		case d > 2:
			for range min(d-1, int64(len(ph.ring))) {
				ph.push(psample{total: gapMark})
			}
		}
	}
	ph.push(s)
	ph.lastTick = tick
}

func (ph *poolHist) push(s psample) {
	ph.ring[ph.head] = s
	ph.head = (ph.head + 1) % len(ph.ring)
	ph.n = min(ph.n+1, len(ph.ring))
}

// Samples returns a pool's samples from since to now, oldest first, one per
// tick, with gaps where no source of the pool answered (including the
// ticks since its last sample).
func (h *History) Samples(key string, since, now time.Time) []Sample {
	ph := h.pools[key]
	if ph == nil {
		return nil
	}
	first := max(h.tickOf(since), ph.lastTick-int64(ph.n)+1)
	last := h.tickOf(now)
	var out []Sample
	for t := first; t <= last; t++ {
		out = append(out, ph.at(t).export(h.tickTime(t)))
	}
	return out
}

// at returns the sample of tick t, a gap when it is not in the ring.
func (ph *poolHist) at(t int64) psample {
	back := ph.lastTick - t
	if back < 0 || back >= int64(ph.n) {
		return psample{total: gapMark}
	}
	return ph.ring[(ph.head-1-int(back)+2*len(ph.ring))%len(ph.ring)]
}
