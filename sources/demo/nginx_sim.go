package demo

import (
	"fmt"
	"math/rand/v2"
)

// ngxSpec describes one emulated NGINX Plus upstream group.
type ngxSpec struct {
	name    string
	stream  bool    // a stream (TCP) upstream: connections, no responses, no drain
	size    int     // primary servers
	backups int     // backup servers
	port    int     // backend port
	rate    float64 // requests (connections) per second for the group
	latency float64 // ms

	// Active health_check (fails=, passes=, interval in steps,
	// mandatory: new servers wait in "checking" for their first check).
	hc        bool
	hcFails   int
	hcPasses  int
	hcEvery   int64
	mandatory bool

	// Passive checks: max_fails failures make a server unavail for
	// fail_timeout (steps). maxFails 0 disables them.
	maxFails    int
	failTimeout int64

	rollout float64 // chance per step that a deploy drains one server and adds another
	p       profile
}

func ngxSpecs() []ngxSpec {
	common := func(kinds ...faultKind) profile {
		return profile{failRate: 0.003, blipRate: 0.006, kinds: kinds}
	}
	return []ngxSpec{
		{"static-assets", false, 6, 0, 8080, 1400, 6, true, 1, 1, 1, false, 1, 10, 0, common(faultRefused, faultSlow)},
		{"api-gateway", false, 10, 0, 8443, 700, 45, true, 2, 2, 2, true, 1, 10, 0.02, common(fault503, fault500, faultTimeout)},
		{"websocket", false, 4, 0, 9000, 120, 900, false, 0, 0, 0, false, 2, 10, 0, common(faultRefused, faultTimeout)},
		{"billing", false, 3, 0, 8080, 60, 150, true, 2, 2, 2, false, 1, 10, 0, profile{
			failRate: 0.003, blipRate: 0.01, kinds: []faultKind{fault500},
			outage: outage{period: 70, length: 20, offset: 70 - warmupSteps + 4, kinds: []faultKind{fault503, faultRefused, faultTimeout}},
		}},
		{"thumbnails", false, 5, 0, 8080, 250, 120, false, 0, 0, 0, false, 3, 15, 0, common(faultTimeout, faultBlackhole, fault500)},
		{"admin-panel", false, 2, 1, 8080, 15, 80, true, 2, 2, 3, false, 1, 10, 0, common(faultRefused)},
		{"search-suggest", false, 8, 0, 7000, 900, 12, true, 1, 2, 1, false, 1, 10, 0.01, common(faultSlow, fault503)},
		{"reporting", false, 3, 0, 8080, 20, 600, false, 0, 0, 0, false, 1, 30, 0, common(faultTimeout, fault500)},
		{"postgres", true, 1, 1, 5432, 40, 3, true, 3, 2, 2, false, 1, 10, 0, common(faultRefused, faultBlackhole)},
		{"redis-cache", true, 3, 0, 6379, 600, 1, false, 0, 0, 0, false, 2, 10, 0, common(faultRefused)},
	}
}

// ngxAdmin is a server's administrative flag. NGINX keeps down and drain
// in one field: {"down":false} also ends a drain, as the former
// upstream_conf interface's up= did.
type ngxAdmin uint8

// The administrative flags.
const (
	ngxAdminNone ngxAdmin = iota
	ngxAdminDown
	ngxAdminDrain
)

// ngxPeer is one emulated server of an upstream group.
type ngxPeer struct {
	id     int
	server string
	backup bool
	weight int
	admin  ngxAdmin

	// Settings readable and writable through …/servers/{id}.
	maxConns    int
	maxFails    int
	failTimeout string
	slowStart   string
	route       string

	// Active health checks.
	checking    bool // mandatory check not yet passed
	unhealthy   bool
	hcFailRun   int
	hcPassRun   int
	hcChecks    uint64
	hcFails     uint64
	hcUnhealthy uint64
	hcRan       bool // last_passed is reported once a check ran
	lastPassed  bool

	// Passive checks.
	failRun      int    // failures within the current fail_timeout
	unavailUntil int64  // step until which the server is unavail
	fails        uint64 // failed attempts
	unavail      uint64 // times it became unavail

	downtime   float64 // seconds spent unavail, checking or unhealthy
	downSince  float64 // simulated time it last became unavail/checking/unhealthy
	wentDown   bool    // downSince is set
	selectedAt float64 // simulated time it last got a request
	selected   bool

	bornAt     int64 // step the server was added; its first check comes on a later step
	removeLeft int   // steps until a rollout removes this drained server
	fault      fault
	steady     bool // never develops a fault (tests pin a server with it)
	c          counters
}

// state is the peer's state as the API reports it.
func (p *ngxPeer) state(n int64) string {
	switch {
	case p.admin == ngxAdminDown:
		return "down"
	case p.admin == ngxAdminDrain:
		return "draining"
	case p.checking:
		return "checking"
	case p.unhealthy:
		return "unhealthy"
	case p.unavailUntil > n:
		return "unavail"
	}
	return "up"
}

// ngxUpstream is one emulated upstream group.
type ngxUpstream struct {
	spec    ngxSpec
	idx     int
	phase   float64
	peers   []*ngxPeer
	nextID  int
	seq     int // addresses handed out
	zombies []int
}

// ngxState is the NGINX Plus part of the simulation.
type ngxState struct {
	ups []*ngxUpstream
	// reqSeq numbers API requests for their request_id.
	reqSeq uint64
}

func newNGXState(rng *rand.Rand, opts Options) *ngxState {
	st := &ngxState{}
	for i, sp := range ngxSpecs() {
		sp.size *= opts.Scale
		u := &ngxUpstream{spec: sp, idx: i, phase: rng.Float64()}
		for j := range sp.size + sp.backups {
			p := u.newPeer(j >= sp.size)
			p.checking = false
			perSec := sp.rate / float64(sp.size)
			if p.backup {
				perSec = 0
			}
			p.c.seedCounters(rng, perSec, sp.latency)
			if sp.hc {
				p.hcChecks = uint64(3000 + rng.IntN(20000))
				p.hcFails = p.hcChecks / uint64(200+rng.IntN(800))
				p.hcUnhealthy = p.hcFails / 3
				p.hcRan, p.lastPassed = true, true
			}
			p.fails = p.c.requests / 2000
			p.wentDown, p.downSince = p.fails > 0, -float64(3600*(1+rng.IntN(48)))
			p.selected = !p.backup
			u.peers = append(u.peers, p)
		}
		st.ups = append(st.ups, u)
	}
	// Fixed scenery: an administratively down server and a drained one.
	if u := st.upstream("http", "reporting"); u != nil && len(u.peers) > 2 {
		u.peers[2].admin = ngxAdminDown
	}
	if u := st.upstream("http", "static-assets"); u != nil && len(u.peers) > 4 {
		u.peers[4].admin, u.peers[4].steady = ngxAdminDrain, true
	}
	if u := st.upstream("http", "thumbnails"); u != nil && len(u.peers) > 1 {
		u.peers[1].fault = fault{kind: faultTimeout, left: warmupSteps + 30}
	}
	return st
}

// upstream finds an upstream of module "http" or "stream" by name.
func (st *ngxState) upstream(module, name string) *ngxUpstream {
	for _, u := range st.ups {
		if u.spec.name == name && u.spec.stream == (module == "stream") {
			return u
		}
	}
	return nil
}

// peer finds a server by id.
func (u *ngxUpstream) peer(id int) *ngxPeer {
	for _, p := range u.peers {
		if p.id == id {
			return p
		}
	}
	return nil
}

// newPeer adds no state; it creates the next server of the group, in
// "checking" when the group's health check is mandatory.
func (u *ngxUpstream) newPeer(backup bool) *ngxPeer {
	u.seq++
	p := &ngxPeer{
		id:          u.nextID,
		server:      fmt.Sprintf("10.30.%d.%d:%d", u.idx, 10+(u.seq-1)%240, u.spec.port),
		backup:      backup,
		weight:      1,
		maxFails:    u.spec.maxFails,
		failTimeout: fmt.Sprintf("%ds", u.spec.failTimeout),
		slowStart:   "0s",
		checking:    u.spec.hc && u.spec.mandatory,
	}
	u.nextID++
	p.c.idle = -1
	return p
}

func (st *ngxState) advance(rng *rand.Rand, n int64, now, tick float64) {
	for _, u := range st.ups {
		u.advance(rng, n, now, tick)
	}
}

func (u *ngxUpstream) advance(rng *rand.Rand, n int64, now, tick float64) {
	sp := u.spec
	// A deploy drains one server and adds its replacement; the drained
	// one is removed a few steps later.
	if r := rng.Float64(); r < sp.rollout {
		i := rng.IntN(len(u.peers))
		if p := u.peers[i]; p.admin == ngxAdminNone && !p.backup && p.removeLeft == 0 {
			p.admin, p.removeLeft = ngxAdminDrain, 6+rng.IntN(10)
			np := u.newPeer(false)
			np.downSince, np.wentDown, np.bornAt = now, np.checking, n
			u.peers = append(u.peers, np)
		}
	}
	u.zombies = u.zombies[:0:0]
	kept := u.peers[:0]
	for _, p := range u.peers {
		if p.removeLeft > 0 && p.admin == ngxAdminDrain {
			p.removeLeft--
			if p.removeLeft == 0 {
				if p.c.active > 0 {
					u.zombies = append(u.zombies, p.id)
				}
				continue
			}
		}
		kept = append(kept, p)
	}
	clear(u.peers[len(kept):])
	u.peers = kept

	for _, p := range u.peers {
		p.fault.advance(rng, sp.p, n)
		if p.steady {
			p.fault = fault{}
		}
		wasDown := p.notServing(n)
		if sp.hc && p.admin != ngxAdminDown && n > p.bornAt && (n+int64(u.idx))%sp.hcEvery == 0 {
			p.check(sp)
		}
		if p.unavailUntil > 0 && p.unavailUntil <= n {
			p.unavailUntil, p.failRun = 0, 0
		}
		p.markDown(wasDown, n, now, tick)
	}
	u.route(rng, n, now, tick)
}

// notServing reports the states downstart and downtime are about.
func (p *ngxPeer) notServing(n int64) bool {
	return p.checking || p.unhealthy || p.unavailUntil > n
}

// markDown keeps downstart and downtime as NGINX does for unavail,
// checking and unhealthy.
func (p *ngxPeer) markDown(wasDown bool, n int64, now, tick float64) {
	down := p.notServing(n)
	if down && !wasDown {
		p.downSince, p.wentDown = now, true
	}
	if down {
		p.downtime += tick
	}
}

// check runs one active health check with the group's fails= and
// passes= thresholds.
func (p *ngxPeer) check(sp ngxSpec) {
	ok := true
	switch p.fault.kind {
	case fault503, fault500, faultRefused, faultTimeout, faultBlackhole, faultTLS:
		ok = false
	}
	p.hcChecks++
	p.hcRan, p.lastPassed = true, ok
	if ok {
		p.hcFailRun = 0
		p.hcPassRun++
		if p.checking {
			p.checking = false // a mandatory check passes once to start
			return
		}
		if p.unhealthy && p.hcPassRun >= sp.hcPasses {
			p.unhealthy = false
		}
		return
	}
	p.hcFails++
	p.hcPassRun = 0
	p.hcFailRun++
	if p.checking {
		p.checking, p.unhealthy = false, true
		p.hcUnhealthy++
		return
	}
	if !p.unhealthy && p.hcFailRun >= sp.hcFails {
		p.unhealthy = true
		p.hcUnhealthy++
	}
}

// selectable reports whether the balancer picks the server for new
// requests.
func (p *ngxPeer) selectable(n int64) bool {
	return p.admin == ngxAdminNone && !p.notServing(n)
}

// route sends one step of traffic: primaries first, backups only when no
// primary is selectable, a trickle of sticky sessions to draining
// servers. Failed attempts count towards max_fails.
func (u *ngxUpstream) route(rng *rand.Rand, n int64, now, tick float64) {
	sp := u.spec
	weights := make([]float64, len(u.peers))
	primary := false
	for _, p := range u.peers {
		primary = primary || (!p.backup && p.selectable(n))
	}
	for i, p := range u.peers {
		switch {
		case p.selectable(n) && p.backup == !primary:
			weights[i] = float64(p.weight)
		case p.admin == ngxAdminDrain && !p.notServing(n):
			weights[i] = float64(p.weight) * 0.01
		}
	}
	reqs := sp.rate * wave(now, u.phase) * tick
	for i, r := range share(reqs, weights) {
		p := u.peers[i]
		l := effect(p.fault.kind, 0.002, sp.latency)
		l.reqs = r
		before := p.c.connFail + p.c.timeouts
		p.c.apply(rng, l, tick)
		if p.c.requests > 0 && r > 0 {
			p.selectedAt, p.selected = now, true
		}
		failed := int(p.c.connFail + p.c.timeouts - before)
		p.fails += uint64(failed)
		if failed == 0 || sp.maxFails == 0 || p.unavailUntil > n {
			continue
		}
		p.failRun += failed
		if p.failRun >= sp.maxFails {
			p.unavailUntil = n + sp.failTimeout
			p.unavail++
			p.downSince, p.wentDown = now, true
		}
	}
}

// moreState holds the systems added after HAProxy and Envoy: NGINX Plus
// and the Prometheus fleet, with their own random stream.
type moreState struct {
	rng  *rand.Rand
	ngx  *ngxState
	prom *promState
}

func newMoreState(opts Options) *moreState {
	seed := uint64(opts.Seed)
	rng := rand.New(rand.NewPCG(seed^0x6a09e667f3bcc908, seed+0xbb67ae8584caa73b))
	return &moreState{rng: rng, ngx: newNGXState(rng, opts), prom: newPromState(rng, opts)}
}

// advance moves both systems one step on, after s's own step.
func (m *moreState) advance(s *sim) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, now, tick := s.n, s.now(), s.tick
	m.ngx.advance(m.rng, n, now, tick)
	m.prom.advance(m.rng, n, now, tick)
}
