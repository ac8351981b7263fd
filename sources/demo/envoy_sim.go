package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// envSpec describes one emulated Envoy cluster.
type envSpec struct {
	name    string
	size    int
	rate    float64 // requests per second for the whole cluster
	latency float64 // ms
	hc      bool    // active health checking configured
	hcEvery int64   // steps between active checks
	outlier bool    // outlier detection configured
	eds     bool    // endpoints come from EDS (added_via_api)
	rollout float64 // chance per step that a deploy replaces one host
	p       profile
}

func envSpecs() []envSpec {
	common := func(kinds ...faultKind) profile {
		return profile{failRate: 0.002, blipRate: 0.004, kinds: kinds}
	}
	return []envSpec{
		{"orders", 20, 600, 40, false, 1, true, true, 0.01, common(fault503, fault500)},
		{"recommendations", 3, 120, 90, true, 1, false, true, 0, profile{
			failRate: 0.003, blipRate: 0.01, kinds: []faultKind{fault503},
			outage: outage{period: 50, length: 18, offset: 50 - warmupSteps + 6, kinds: []faultKind{faultTimeout, fault503}},
		}},
		{"catalog", 18, 850, 30, true, 1, true, true, 0.03, common(fault503)},
		{"reviews", 8, 200, 60, true, 2, false, true, 0.005, common(faultSlow, fault500)},
		{"shipping", 6, 90, 150, true, 5, false, true, 0.02, common(faultTimeout)},
		{"fraud-detection", 10, 300, 70, false, 1, false, true, 0.005, common(faultRefused, fault503, faultSlow)},
		{"ads-serving", 14, 1100, 20, false, 1, true, true, 0.01, common(fault500, faultTimeout)},
		{"email-sender", 4, 30, 300, true, 3, false, false, 0, common(faultRefused)},
		{"grpc-gateway", 12, 700, 35, true, 1, true, false, 0, common(faultTimeout, faultBlackhole)},
		{"media-upload", 5, 50, 800, true, 10, false, true, 0.02, common(faultTimeout)},
		{"feature-flags", 3, 400, 5, true, 2, false, false, 0, common(faultRefused)},
		{"analytics-ingest", 26, 1500, 12, false, 1, true, true, 0.01, common(fault503)},
		{"ratings", 9, 250, 25, true, 1, true, true, 0.005, common(fault500)},
		{"geo-lookup", 7, 350, 8, true, 2, false, false, 0, common(faultBlackhole)},
	}
}

// envHost is one emulated Envoy upstream host.
type envHost struct {
	ip       string
	port     int
	hostname string
	zone     string
	weight   int

	fault fault

	// Active health checking.
	hcFailed   bool // failed_active_hc
	hcTimeout  bool // active_hc_timeout: the failure was a timeout
	hcPending  bool // pending_active_hc: no check has run yet
	hcDegraded bool // degraded_active_hc
	hcFails    int
	hcOKs      int

	// Outlier detection.
	ejectedUntil int64
	ejections    int
	badSteps     int // consecutive steps of failing requests

	// EDS.
	edsStatus   string // HEALTHY, UNHEALTHY, DRAINING, DEGRADED
	edsBadSteps int
	drainLeft   int // steps until a draining host is removed
	removalLeft int // steps a removed host lingers as pending_dynamic_removal
	lastReqs    uint64
	lastSuccess uint64
	successRate float64 // last step's success rate, %; <0 with too little volume
	c           counters
}

func (h *envHost) ejected(n int64) bool { return h.ejectedUntil > n }

// routable reports whether Envoy's load balancer picks the host outside
// panic mode.
func (h *envHost) routable(n int64) bool {
	return !h.hcFailed && !h.hcPending && !h.ejected(n) && h.removalLeft == 0 &&
		h.edsStatus != "UNHEALTHY" && h.edsStatus != "DRAINING"
}

func (h *envHost) degraded() bool { return h.hcDegraded || h.edsStatus == "DEGRADED" }

// envCluster is one emulated Envoy cluster.
type envCluster struct {
	spec  envSpec
	idx   int
	phase float64
	hosts []*envHost
	seq   int // hosts ever created, for new addresses

	stats    envStats // cluster-level statistics for /stats
	overload float64  // share of requests the pending-request breaker refuses
}

// envState is the Envoy part of the simulation.
type envState struct {
	clusters []*envCluster
	hcFailed bool // POST /healthcheck/fail was called
}

// envZone spreads hosts over three availability zones.
func envZone(i int) string { return "us-east-1" + string(rune('a'+i%3)) }

func newEnvState(rng *rand.Rand, opts Options) *envState {
	specs := envSpecs()
	for i := len(specs); i < opts.Pools; i++ {
		base := specs[i%len(specs)]
		base.name = fmt.Sprintf("cluster-%02d", i+1)
		base.size = 3 + rng.IntN(28)
		base.p.outage = outage{}
		specs = append(specs, base)
	}
	specs = specs[:opts.Pools]
	st := &envState{}
	for i, sp := range specs {
		sp.size *= opts.Scale
		c := &envCluster{spec: sp, idx: i, phase: rng.Float64()}
		for range sp.size {
			h := c.newHost(rng)
			h.hcPending = false
			h.c.seedCounters(rng, sp.rate/float64(sp.size), sp.latency)
			c.hosts = append(c.hosts, h)
		}
		st.clusters = append(st.clusters, c)
	}
	// Fixed scenery so the first screen shows every flag.
	if c := st.cluster("catalog"); c != nil && len(c.hosts) > 3 {
		c.hosts[3].edsStatus, c.hosts[3].drainLeft = "DRAINING", warmupSteps+30
	}
	if c := st.cluster("reviews"); c != nil && len(c.hosts) > 1 {
		c.hosts[1].fault = fault{kind: faultSlow, left: warmupSteps + 60}
	}
	if c := st.cluster("orders"); c != nil && len(c.hosts) > 4 {
		c.hosts[4].fault = fault{kind: fault503, left: warmupSteps + 20}
	}
	if c := st.cluster("grpc-gateway"); c != nil && len(c.hosts) > 2 {
		c.hosts[2].fault = fault{kind: faultTimeout, left: warmupSteps + 45}
	}
	if c := st.cluster("fraud-detection"); c != nil && len(c.hosts) > 6 {
		c.hosts[6].fault = fault{kind: faultRefused, left: warmupSteps + 50}
		c.hosts[2].fault = fault{kind: faultSlow, left: warmupSteps + 40} // degraded_eds_health
	}
	diagnosisScenery(st)
	return st
}

// lasting is a fault that outlives any demo session.
const lasting = 1 << 30

// diagnosisScenery gives a few clusters a lasting condition, so the first
// screen shows the diagnoses only Envoy's cluster statistics reveal: panic
// mode (feature-flags: 2 of 3 hosts refuse, the third takes all traffic
// and lb_healthy_panic grows), overload (ads-serving: the pending-request
// circuit breaker is open and refuses requests) and an empty cluster
// (email-sender: DNS returns no hosts, update_empty grows).
func diagnosisScenery(st *envState) {
	if c := st.cluster("feature-flags"); c != nil && len(c.hosts) > 2 {
		for _, h := range c.hosts[:len(c.hosts)-1] {
			h.fault = fault{kind: faultRefused, left: lasting}
		}
		c.spec.p.failRate, c.spec.p.blipRate = 0, 0
	}
	if c := st.cluster("ads-serving"); c != nil {
		c.overload = 0.12
	}
	if c := st.cluster("email-sender"); c != nil {
		c.hosts = nil
	}
}

func (st *envState) cluster(name string) *envCluster {
	for _, c := range st.clusters {
		if c.spec.name == name {
			return c
		}
	}
	return nil
}

const podChars = "bcdfghjklmnpqrstvwxz2456789"

// newHost creates a host as a fresh pod: new address, new name, waiting
// for its first active health check.
func (c *envCluster) newHost(rng *rand.Rand) *envHost {
	c.seq++
	suffix := make([]byte, 5)
	for i := range suffix {
		suffix[i] = podChars[rng.IntN(len(podChars))]
	}
	h := &envHost{
		ip:        fmt.Sprintf("10.%d.%d.%d", 100+c.idx/200, c.idx%200, (c.seq-1)%250+2),
		port:      8080,
		hostname:  fmt.Sprintf("%s-%x-%s", c.spec.name, 0x5f6d7c8b9+c.seq/250, suffix),
		zone:      envZone(c.seq - 1),
		weight:    1,
		edsStatus: "HEALTHY",
		hcPending: c.spec.hc,
	}
	h.hcFailed = h.hcPending // Envoy marks a new host failed until its first check passes
	h.c.idle = -1
	return h
}

func (st *envState) advance(s *sim) {
	for _, c := range st.clusters {
		c.advance(s)
	}
}

func (c *envCluster) advance(s *sim) {
	rng, n, sp := s.rng, s.n, c.spec

	// A deploy: one host starts draining, and a new one joins.
	if r := rng.Float64(); sp.eds && r < sp.rollout && len(c.hosts) > 0 {
		i := rng.IntN(len(c.hosts))
		if h := c.hosts[i]; h.drainLeft == 0 && h.removalLeft == 0 {
			h.edsStatus, h.drainLeft = "DRAINING", 8+rng.IntN(12)
			c.hosts = append(c.hosts, c.newHost(rng))
			c.stats.updateAttempt++
			c.stats.updateSuccess++
			c.stats.membershipChange++
		}
	}
	if len(c.hosts) == 0 && n%15 == 0 {
		// Discovery keeps answering with no hosts.
		c.stats.updateAttempt++
		c.stats.updateEmpty++
	}

	// max_ejection_percent 10: a host is ejected only while fewer than
	// 10% of the cluster's hosts are.
	ejected := 0
	for _, h := range c.hosts {
		if h.ejected(n) {
			ejected++
		}
	}
	mayEject := func() bool {
		if 100*ejected >= 10*len(c.hosts) {
			return false
		}
		ejected++
		return true
	}

	ejectSteps := int64(math.Ceil(30 / s.tick))
	kept := c.hosts[:0]
	for _, h := range c.hosts {
		h.fault.advance(rng, sp.p, n)
		if h.step(n, ejectSteps, sp, mayEject, &c.stats) {
			kept = append(kept, h)
		} else {
			c.stats.membershipChange++
		}
	}
	clear(c.hosts[len(kept):])
	c.hosts = kept

	c.route(s)
}

// step moves one host's health flags; it reports false when the host is
// gone from the cluster.
func (h *envHost) step(n, ejectSteps int64, sp envSpec, mayEject func() bool, cs *envStats) bool {
	switch {
	case h.removalLeft > 0:
		h.removalLeft--
		if h.removalLeft == 0 {
			return false
		}
	case h.drainLeft > 0:
		h.drainLeft--
		if h.drainLeft == 0 {
			if !sp.hc {
				return false
			}
			// Removed from EDS, but active checks still pass: Envoy keeps it.
			h.edsStatus, h.removalLeft = "HEALTHY", 3
		}
	}

	if sp.hc && n%sp.hcEvery == 0 {
		h.activeCheck(cs)
	}

	// EDS health follows the platform's readiness probe where there is no
	// active checking: a dead process is reported unhealthy after a while.
	if sp.eds && !sp.hc && h.drainLeft == 0 {
		if h.fault.kind == faultRefused {
			h.edsBadSteps++
		} else {
			h.edsBadSteps = 0
		}
		switch {
		case h.edsBadSteps >= 3:
			h.edsStatus = "UNHEALTHY"
		case h.fault.kind == faultSlow:
			h.edsStatus = "DEGRADED"
		default:
			h.edsStatus = "HEALTHY"
		}
	}

	// Outlier detection: consecutive 5xx or connection failures (two
	// steps of them) eject the host for base_ejection_time (30 s) times
	// the number of times it was ejected.
	if !sp.outlier {
		return true
	}
	switch h.fault.kind {
	case fault503, fault500, faultRefused, faultTimeout, faultBlackhole:
		h.badSteps++
	default:
		h.badSteps = 0
		if !h.ejected(n) && h.ejections > 0 && n%30 == 0 {
			h.ejections-- // the ejection multiplier decays while healthy
		}
	}
	if !h.ejected(n) && h.badSteps >= 2 && h.c.rate > 0 && mayEject() {
		h.ejections++
		h.ejectedUntil = n + ejectSteps*int64(h.ejections)
		cs.ejectionsEnforced++
	}
	return true
}

// activeCheck runs one active health check with unhealthy_threshold 2 and
// healthy_threshold 2; a host's first check decides at once, as in Envoy.
func (h *envHost) activeCheck(cs *envStats) {
	ok, timeout, network := true, false, false
	switch h.fault.kind {
	case fault503, fault500, faultTLS:
		ok = false
	case faultRefused:
		ok, network = false, true
	case faultTimeout, faultBlackhole:
		ok, timeout, network = false, true, true
	}
	cs.hcAttempt++
	switch {
	case ok:
		cs.hcSuccess++
	case network:
		cs.hcFailure++
		cs.hcNetFailure++
	default:
		cs.hcFailure++
	}
	first := h.hcPending
	h.hcPending = false
	if ok {
		h.hcFails = 0
		h.hcOKs++
		h.hcDegraded = h.fault.kind == faultSlow
		if h.hcFailed && (first || h.hcOKs >= 2) {
			h.hcFailed, h.hcTimeout = false, false
		}
		return
	}
	h.hcOKs = 0
	h.hcFails++
	h.hcDegraded = false
	if first || h.hcFails >= 2 {
		h.hcFailed = true
	}
	if h.hcFailed {
		h.hcTimeout = timeout // only ever set together with failed_active_hc
	}
}

// route sends one step of traffic. Healthy hosts take it, degraded ones
// only when too few are healthy; with fewer than half healthy Envoy is in
// panic mode and spreads requests over every host.
func (c *envCluster) route(s *sim) {
	n := s.n
	weights := make([]float64, len(c.hosts))
	healthy, degraded := 0, 0
	for _, h := range c.hosts {
		if h.routable(n) && !h.degraded() {
			healthy++
		} else if h.routable(n) {
			degraded++
		}
	}
	panicMode := 2*(healthy+degraded) < len(c.hosts)
	for i, h := range c.hosts {
		switch {
		case panicMode && h.removalLeft == 0:
			weights[i] = float64(h.weight)
		case h.routable(n) && !h.degraded():
			weights[i] = float64(h.weight)
		case h.routable(n) && healthy == 0:
			weights[i] = float64(h.weight)
		}
	}
	reqs := c.spec.rate * wave(s.now(), c.phase) * s.tick
	reqs = c.admit(reqs, panicMode, weights)
	for i, r := range share(reqs, weights) {
		h := c.hosts[i]
		l := effect(h.fault.kind, 0.002, c.spec.latency)
		l.reqs = r
		before, ok, failed := h.c.requests, h.c.success, h.c.connFail
		h.c.apply(s.rng, l, s.tick)
		if h.fault.kind == faultBlackhole {
			c.stats.connectTimeout += h.c.connFail - failed
		}
		h.lastReqs, h.lastSuccess = h.c.requests-before, h.c.success-ok
		h.successRate = -1
		if h.lastReqs >= 20 {
			h.successRate = 100 * float64(h.lastSuccess) / float64(h.lastReqs)
		}
	}
}

// admit counts what the cluster's load balancer and circuit breakers do
// with one step's requests and returns how many reach a host: requests
// balanced in panic mode (lb_healthy_panic), requests with no host at all
// (upstream_cx_none_healthy) and requests the open pending-request
// breaker refuses (upstream_rq_pending_overflow).
func (c *envCluster) admit(reqs float64, panicMode bool, weights []float64) float64 {
	s := &c.stats
	total := 0.0
	for _, w := range weights {
		total += w
	}
	if total == 0 {
		s.noneHealthy += uint64(math.Round(reqs))
		s.cxOpen, s.rqPendingOpen = false, false
		return 0
	}
	if panicMode {
		s.lbPanic += uint64(math.Round(reqs))
	}
	over := reqs * c.overload
	s.rqPendingOverflow += uint64(math.Round(over))
	s.cxOverflow += uint64(math.Round(over / 3))
	s.cxOpen, s.rqPendingOpen = over > 0, over > 0
	return reqs - over
}
