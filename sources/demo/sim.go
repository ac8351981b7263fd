package demo

import (
	"math"
	"math/rand/v2"
	"sync"
)

// sim is the shared simulation behind every emulated system. One mutex
// guards all of it: a step and a rendering never interleave, so every
// response is a consistent snapshot. Servers render into a buffer under
// the lock and write to the network after releasing it.
type sim struct {
	mu   sync.Mutex
	rng  *rand.Rand
	n    int64   // steps taken
	tick float64 // simulated seconds per step

	ha  *haState
	env *envState
}

func newSim(opts Options) *sim {
	tick := opts.Tick.Seconds()
	if tick <= 0 {
		tick = 1
	}
	seed := uint64(opts.Seed)
	s := &sim{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tick: tick}
	s.ha = newHAState(s.rng, opts)
	s.env = newEnvState(s.rng, opts)
	return s
}

// step advances the whole simulation by one tick.
func (s *sim) step() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.ha.advance(s)
	s.env.advance(s)
}

// now is the simulated time in seconds since the simulation started.
func (s *sim) now() float64 { return float64(s.n) * s.tick }

// faultKind is what is wrong with a backend's application, independent of
// how a given proxy observes it.
type faultKind uint8

// The faults a backend can suffer.
const (
	faultNone      faultKind = iota
	faultRefused             // process gone: connections refused
	faultTimeout             // hung: connects, but requests time out
	faultBlackhole           // unreachable: connection attempts time out
	fault503                 // overloaded or not ready: answers 503
	fault500                 // a bug: answers 500 to many requests
	faultTLS                 // TLS handshake broken (bad certificate)
	faultSlow                // serves, slowly, with a few errors
)

// fault is a backend's current fault and how long it lasts.
type fault struct {
	kind   faultKind
	left   int  // steps until recovery; 0 when kind is faultNone
	outage bool // imposed by the pool's outage schedule
}

// outage is a periodic whole-pool outage: every backend of the pool fails
// for length steps out of every period, so the pool regularly has no
// healthy backend ("503 no healthy upstream").
type outage struct {
	period, length, offset int64
	kinds                  []faultKind // one per cycle, in turn
}

func (o outage) active(n int64) (faultKind, bool) {
	if o.period == 0 {
		return faultNone, false
	}
	t := n + o.offset
	if t%o.period >= o.length {
		return faultNone, false
	}
	return o.kinds[(t/o.period)%int64(len(o.kinds))], true
}

// profile is how failure-prone a pool is.
type profile struct {
	failRate float64     // chance per step that a working backend develops a fault
	blipRate float64     // chance per step of a one-step glitch
	kinds    []faultKind // the faults this pool suffers, picked uniformly
	outage   outage
}

// advance moves a backend's fault one step on. It draws from rng the same
// number of times whatever the backend's administrative state, so admin
// commands do not reshuffle the rest of the simulation.
func (f *fault) advance(rng *rand.Rand, p profile, n int64) {
	r := rng.Float64()
	pick := p.kinds[rng.IntN(len(p.kinds))]
	dur := 5 + rng.IntN(40)
	if k, ok := p.outage.active(n); ok {
		*f = fault{kind: k, left: 1, outage: true}
		return
	}
	if f.outage {
		*f = fault{}
		return
	}
	if f.left > 0 {
		f.left--
		if f.left == 0 {
			f.kind = faultNone
		}
		return
	}
	switch {
	case r < p.failRate:
		*f = fault{kind: pick, left: dur}
	case r < p.failRate+p.blipRate:
		*f = fault{kind: pick, left: 1}
	}
}

// counters are one backend's traffic figures, common to every system.
type counters struct {
	requests  uint64 // requests sent to the backend
	success   uint64 // non-5xx responses
	errors    uint64 // 5xx responses, including timeouts answered 504
	timeouts  uint64
	connTotal uint64
	connFail  uint64
	reuse     uint64
	bytesIn   uint64
	bytesOut  uint64
	hrsp      [5]uint64 // 1xx..5xx responses
	active    int64     // current connections or sessions
	maxActive int64
	rate      int64 // requests in the last second
	maxRate   int64
	idle      int64 // steps since the backend last got a request; -1 if never
	latencyMS float64
	maxLatMS  float64
}

// load is what one backend receives in one step.
type load struct {
	reqs      float64 // requests routed to it
	errRatio  float64 // share answered 5xx by the backend
	connFail  float64 // share that failed to connect
	timeout   float64 // share that timed out
	latencyMS float64
}

// effect is how a fault changes the traffic a backend serves.
func effect(k faultKind, baseErr, latencyMS float64) load {
	switch k {
	case faultRefused, faultTLS:
		return load{connFail: 1, latencyMS: 1}
	case faultTimeout:
		return load{timeout: 0.9, latencyMS: min(latencyMS*30, 10000)}
	case faultBlackhole:
		return load{connFail: 1, latencyMS: 3000}
	case fault503:
		return load{errRatio: 0.85, latencyMS: latencyMS / 2}
	case fault500:
		return load{errRatio: 0.45, latencyMS: latencyMS}
	case faultSlow:
		return load{errRatio: 0.03, latencyMS: latencyMS * 6}
	default:
		return load{errRatio: baseErr, latencyMS: latencyMS}
	}
}

// jitter returns x scaled by a random factor in [1-spread, 1+spread].
func jitter(rng *rand.Rand, x, spread float64) float64 {
	return x * (1 - spread + 2*spread*rng.Float64())
}

// apply adds one step of traffic to the counters.
func (c *counters) apply(rng *rand.Rand, l load, tick float64) {
	n := uint64(math.Round(jitter(rng, l.reqs, 0.1)))
	fail := uint64(math.Round(float64(n) * l.connFail))
	tout := uint64(math.Round(float64(n-fail) * l.timeout))
	errs := uint64(math.Round(float64(n-fail-tout) * l.errRatio))
	ok := n - fail - tout - errs
	c.requests += n
	c.connFail += fail
	c.timeouts += tout
	c.errors += tout + errs
	c.success += ok
	c.hrsp[4] += tout + errs
	redirect := ok / 50
	c.hrsp[2] += redirect
	c.hrsp[1] += ok - redirect
	newConns := (n + 2) / 3
	c.connTotal += newConns
	c.reuse += n - min(newConns, n)
	c.bytesIn += n * uint64(500+rng.IntN(300))
	c.bytesOut += ok * uint64(3000+rng.IntN(3000))
	perSec := float64(n) / tick
	c.rate = int64(math.Round(perSec))
	c.maxRate = max(c.maxRate, c.rate)
	if l.latencyMS > 0 && n > 0 {
		lat := jitter(rng, l.latencyMS, 0.2)
		c.latencyMS = 0.8*c.latencyMS + 0.2*lat
		c.maxLatMS = max(c.maxLatMS, lat)
	}
	c.active = int64(math.Round(perSec * c.latencyMS / 1000))
	c.maxActive = max(c.maxActive, c.active)
	switch {
	case n > 0:
		c.idle = 0
	case c.idle >= 0:
		c.idle++
	}
}

// seedCounters gives a backend the history of a server that has been up
// for a while, so the first poll does not show a freshly booted fleet.
func (c *counters) seedCounters(rng *rand.Rand, perSec, latencyMS float64) {
	hist := perSec * float64(3600*(6+rng.IntN(60)))
	n := uint64(hist)
	c.requests = n
	c.errors = n / 700
	c.success = n - c.errors
	c.hrsp[4] = c.errors
	c.hrsp[2] = c.success / 50
	c.hrsp[1] = c.success - c.hrsp[2]
	c.connTotal = (n + 2) / 3
	c.reuse = n - c.connTotal
	c.bytesIn = n * 650
	c.bytesOut = n * 4500
	c.latencyMS = latencyMS
	c.maxLatMS = latencyMS * 8
	c.maxRate = int64(perSec * 2)
	c.maxActive = int64(perSec*latencyMS/1000*3) + 1
	if n == 0 {
		c.idle = -1
	}
}

// wave is the slow rise and fall of a pool's traffic over the simulated
// day, so rates move rather than sit flat.
func wave(now, phase float64) float64 {
	return 1 + 0.3*math.Sin(2*math.Pi*(now/900+phase))
}

// share splits total requests among backends in proportion to weights.
func share(total float64, weights []float64) []float64 {
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	out := make([]float64, len(weights))
	if sum == 0 {
		return out
	}
	for i, w := range weights {
		out[i] = total * w / sum
	}
	return out
}
