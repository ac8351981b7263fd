package demo

import (
	"fmt"
	"math/rand/v2"
)

// adminState is an HAProxy server's administrative state, set by
// `set server B/S state ready|drain|maint`.
type adminState uint8

// The administrative states.
const (
	adminReady adminState = iota
	adminDrain
	adminMaint
)

// checkKind is the health check configured on a server.
type checkKind uint8

// The health checks the emulation knows.
const (
	checkNone checkKind = iota // no `check` keyword: status "no check"
	checkHTTP                  // option httpchk
	checkTCP                   // plain connect check
	checkSSL                   // httpchk over check-ssl
)

// haSpec describes one emulated HAProxy backend.
type haSpec struct {
	name    string
	size    int
	rate    float64 // requests per second for the whole backend
	latency float64 // typical response time, ms
	mode    string  // http or tcp
	algo    string  // balance algorithm
	check   checkKind
	rise    int
	fall    int
	backup  bool // one extra backup server
	p       profile
}

func haSpecs() []haSpec {
	common := func(kinds ...faultKind) profile {
		return profile{failRate: 0.002, blipRate: 0.006, kinds: kinds}
	}
	return []haSpec{
		{"checkout-api", 12, 420, 45, "http", "roundrobin", checkHTTP, 2, 3, false, common(fault503, fault500, faultTimeout)},
		{"payments", 8, 180, 120, "http", "leastconn", checkHTTP, 3, 2, false, common(faultTimeout, fault503, faultRefused)},
		{"search", 28, 900, 80, "http", "roundrobin", checkHTTP, 2, 3, false, common(faultTimeout, faultBlackhole, fault503)},
		{"auth", 6, 650, 25, "http", "roundrobin", checkHTTP, 3, 2, true, common(faultRefused, fault503)},
		{"cart", 10, 300, 35, "http", "roundrobin", checkHTTP, 2, 3, false, common(fault500, fault503)},
		{"inventory", 9, 220, 60, "http", "leastconn", checkHTTP, 3, 3, false, common(faultBlackhole, faultRefused)},
		{"cdn-origin", 20, 1200, 15, "http", "roundrobin", checkNone, 0, 0, false, common(faultRefused)},
		{"graphql", 14, 520, 95, "http", "roundrobin", checkHTTP, 2, 3, false, common(fault500, faultTimeout)},
		{"user-profile", 5, 160, 30, "http", "roundrobin", checkHTTP, 2, 3, false, common(fault503)},
		{"notifications", 4, 60, 200, "http", "roundrobin", checkSSL, 2, 3, false, common(faultTLS, faultRefused)},
		{"legacy-soap", 2, 25, 400, "http", "static-rr", checkHTTP, 2, 2, false, profile{
			failRate: 0.004, blipRate: 0.01, kinds: []faultKind{fault503},
			outage: outage{period: 60, length: 22, offset: 60 - warmupSteps + 5, kinds: []faultKind{fault503, faultBlackhole, faultRefused, fault500}},
		}},
		{"image-resize", 7, 140, 250, "http", "leastconn", checkHTTP, 2, 3, false, common(faultTimeout, faultSlow)},
		{"pricing", 6, 240, 40, "http", "roundrobin", checkSSL, 2, 3, false, common(faultTLS, fault500)},
		{"session-store", 3, 800, 2, "tcp", "leastconn", checkTCP, 2, 3, false, common(faultRefused, faultBlackhole)},
	}
}

// haServer is one emulated HAProxy server.
type haServer struct {
	name    string
	sid     int
	addr    string
	backup  bool
	iweight int // configured weight
	uweight int // weight set by the user
	admin   adminState
	check   checkKind
	rise    int
	fall    int
	health  int // check health: 0..rise+fall-1, UP from rise
	up      bool

	inProgress bool
	res        checkResult
	chkfail    uint64
	chkdown    uint64
	changedAt  float64 // simulated seconds of the last state change
	downSecs   float64

	fault  fault
	steady bool // part of the fixed scenery: never develops a fault
	c      counters

	// unresolved: the server's hostname does not resolve, so HAProxy
	// holds it in "MAINT (resolution)" without an address.
	unresolved bool
	// maxconn is the server's connection limit (0: none). Connections
	// beyond it wait in the server's queue.
	maxconn    int64
	qcur, qmax int64
}

// checkResult is the outcome of a server's last health check.
type checkResult struct {
	status  string // L7OK, L4CON, …
	code    string // layer-7 status code, when there is one
	lastChk string
	desc    string
	ms      int
}

// usable reports whether the load balancer sends new traffic to the server.
func (sv *haServer) usable() bool {
	return sv.admin == adminReady && !sv.unresolved && (sv.up || sv.check == checkNone) && sv.uweight > 0
}

// checksStopped reports whether HAProxy has stopped the server's checks:
// in maintenance, set by hand or for want of an address.
func (sv *haServer) checksStopped() bool { return sv.admin == adminMaint || sv.unresolved }

// status renders the status column exactly as HAProxy prints it.
func (sv *haServer) status() string {
	top := sv.rise + sv.fall - 1
	switch {
	case sv.admin == adminMaint:
		return "MAINT"
	case sv.unresolved:
		return "MAINT (resolution)"
	case sv.check == checkNone && sv.admin == adminDrain:
		return "DRAIN"
	case sv.check == checkNone:
		return "no check"
	case sv.up && sv.admin == adminDrain:
		return "DRAIN"
	case sv.up && sv.health >= top:
		return "UP"
	case sv.up:
		return fmt.Sprintf("UP %d/%d", sv.health-sv.rise+1, sv.fall)
	case sv.health == 0:
		return "DOWN"
	default:
		return fmt.Sprintf("DOWN %d/%d", sv.health, sv.rise)
	}
}

// haBackend is one emulated HAProxy backend with its servers.
type haBackend struct {
	spec    haSpec
	iid     int
	phase   float64
	servers []*haServer

	noServer  counters // requests HAProxy answered 503 itself: no usable server
	up        bool
	changedAt float64
	chkdown   uint64
	downSecs  float64
}

// haState is the HAProxy part of the simulation: two frontends and the
// backends behind them.
type haState struct {
	backends  []*haBackend
	redirects counters // http-in: plain-HTTP requests redirected to HTTPS
}

func newHAState(rng *rand.Rand, opts Options) *haState {
	specs := haSpecs()
	for i := len(specs); i < opts.Pools; i++ {
		base := specs[i%len(specs)]
		base.name = fmt.Sprintf("svc-%02d", i+1)
		base.size = 3 + rng.IntN(28)
		base.backup = false
		base.p.outage = outage{}
		specs = append(specs, base)
	}
	specs = specs[:opts.Pools]
	st := &haState{}
	for i, sp := range specs {
		sp.size *= opts.Scale
		b := &haBackend{spec: sp, iid: i + 4, phase: rng.Float64(), up: true, changedAt: -float64(86400 * (1 + rng.IntN(30)))}
		n := sp.size
		if sp.backup {
			n++
		}
		for j := range n {
			sv := &haServer{
				name:      fmt.Sprintf("%s-%02d", sp.name, j+1),
				sid:       j + 1,
				addr:      fmt.Sprintf("10.%d.%d.%d:%d", 20+i/200, i%200, 10+j%240, 8080+j/240),
				iweight:   100,
				uweight:   100,
				check:     sp.check,
				rise:      sp.rise,
				fall:      sp.fall,
				changedAt: -float64(3600 * (1 + rng.IntN(24*20))),
			}
			if sp.mode == "tcp" {
				sv.addr = fmt.Sprintf("10.%d.%d.%d:6379", 20+i/200, i%200, 10+j%240)
			}
			if sp.backup && j == n-1 {
				sv.name, sv.backup = sp.name+"-backup", true
			}
			if sv.check != checkNone {
				sv.up, sv.health = true, sv.rise+sv.fall-1
				sv.res = passResult(sv.check, 2)
			}
			perSec := sp.rate / float64(sp.size)
			if sv.backup {
				perSec = 0.01
			}
			sv.c.seedCounters(rng, perSec, sp.latency)
			b.servers = append(b.servers, sv)
		}
		st.backends = append(st.backends, b)
	}
	// Fixed scenery so the first screen shows every administrative state.
	if b := st.backend("checkout-api"); b != nil && len(b.servers) > 1 {
		b.servers[1].admin, b.servers[1].steady = adminDrain, true
	}
	if b := st.backend("payments"); b != nil && len(b.servers) > 2 {
		b.servers[2].admin = adminMaint
	}
	if b := st.backend("search"); b != nil && len(b.servers) > 5 {
		b.servers[5].fault = fault{kind: faultTimeout, left: warmupSteps + 25}
	}
	st.diagnosisScenery()
	st.redirects.seedCounters(rng, 30, 1)
	return st
}

// backend finds a backend by name or by "#<iid>", as the CLI does.
func (st *haState) backend(name string) *haBackend {
	for _, b := range st.backends {
		if b.spec.name == name || "#"+fmt.Sprint(b.iid) == name {
			return b
		}
	}
	return nil
}

// server finds a server by name or by "#<sid>".
func (b *haBackend) server(name string) *haServer {
	for _, sv := range b.servers {
		if sv.name == name || "#"+fmt.Sprint(sv.sid) == name {
			return sv
		}
	}
	return nil
}

// passResult is a passing check of the given kind.
func passResult(k checkKind, ms int) checkResult {
	if k == checkTCP {
		return checkResult{status: "L4OK", desc: "Layer4 check passed", ms: ms}
	}
	return checkResult{status: "L7OK", code: "200", desc: "Layer7 check passed", ms: ms}
}

// probe is what a health check of kind k sees on a backend with fault f.
func probe(k checkKind, f faultKind, rng *rand.Rand) (checkResult, bool) {
	switch f {
	case faultRefused:
		return checkResult{status: "L4CON", lastChk: "Connection refused", desc: "Layer4 connection problem"}, false
	case faultBlackhole:
		return checkResult{status: "L4TOUT", desc: "Layer4 timeout", ms: 2001}, false
	}
	if k == checkTCP {
		return passResult(k, rng.IntN(2)), true
	}
	switch f {
	case faultTimeout:
		return checkResult{status: "L7TOUT", desc: "Layer7 timeout", ms: 2001}, false
	case fault503:
		return checkResult{status: "L7STS", code: "503", lastChk: "Service Unavailable", desc: "Layer7 wrong status", ms: 1 + rng.IntN(3)}, false
	case fault500:
		return checkResult{status: "L7STS", code: "500", lastChk: "Internal Server Error", desc: "Layer7 wrong status", ms: 2 + rng.IntN(8)}, false
	case faultTLS:
		if k == checkSSL {
			return checkResult{status: "L6RSP", lastChk: "SSL handshake failure", desc: "Layer6 invalid response", ms: 1 + rng.IntN(3)}, false
		}
	case faultSlow:
		return passResult(k, 150+rng.IntN(600)), true
	}
	return passResult(k, 1+rng.IntN(4)), true
}

// runCheck performs one health check and moves the rise/fall counter the
// way HAProxy's check.c does.
func (sv *haServer) runCheck(rng *rand.Rand, now float64) {
	res, ok := probe(sv.check, sv.fault.kind, rng)
	sv.res = res
	top := sv.rise + sv.fall - 1
	switch {
	case ok && sv.up:
		sv.health = min(sv.health+1, top)
	case ok:
		sv.health++
		if sv.health >= sv.rise {
			sv.up, sv.health, sv.changedAt = true, top, now
		}
	case sv.up:
		sv.chkfail++
		if sv.health > sv.rise {
			sv.health--
		} else {
			sv.up, sv.health, sv.changedAt = false, 0, now
			sv.chkdown++
		}
	default:
		sv.health = max(sv.health-1, 0)
	}
}

func (st *haState) advance(s *sim) {
	now := s.now()
	var total float64
	for _, b := range st.backends {
		total += b.advance(s, now)
	}
	st.redirects.apply(s.rng, load{reqs: total * 0.03, latencyMS: 0.2}, s.tick)
}

// advance runs one step of checks and traffic and returns the requests the
// backend received.
func (b *haBackend) advance(s *sim, now float64) float64 {
	rng := s.rng
	for _, sv := range b.servers {
		sv.fault.advance(rng, b.spec.p, s.n)
		if sv.steady {
			sv.fault = fault{}
		}
		sv.inProgress = rng.Float64() < 0.04
		if sv.check != checkNone && !sv.checksStopped() {
			sv.runCheck(rng, now)
		}
		if sv.checksStopped() || (sv.check != checkNone && !sv.up) {
			sv.downSecs += s.tick
		}
	}

	// Route: active servers first, backups only when no active is usable.
	// Drained servers keep a trickle of persistent sessions.
	weights := make([]float64, len(b.servers))
	usableActive := false
	for _, sv := range b.servers {
		usableActive = usableActive || (sv.usable() && !sv.backup)
	}
	anyUsable := false
	for i, sv := range b.servers {
		switch {
		case sv.usable() && sv.backup == !usableActive:
			weights[i] = float64(sv.uweight)
			anyUsable = true
		case sv.admin == adminDrain && (sv.up || sv.check == checkNone):
			weights[i] = float64(sv.uweight) * 0.01
		}
	}
	reqs := b.spec.rate * wave(now, b.phase) * s.tick
	if !anyUsable {
		b.noServer.apply(rng, load{reqs: reqs, errRatio: 1, latencyMS: 0.1}, s.tick)
		reqs = 0
	} else {
		b.noServer.apply(rng, load{}, s.tick)
	}
	for i, r := range share(reqs, weights) {
		sv := b.servers[i]
		l := effect(sv.fault.kind, 0.002, b.spec.latency)
		l.reqs = r
		sv.c.apply(rng, l, s.tick)
		sv.queue()
	}

	if anyUsable != b.up {
		b.up, b.changedAt = anyUsable, now
		if !anyUsable {
			b.chkdown++
		}
	}
	if !b.up {
		b.downSecs += s.tick
	}
	return reqs
}

// setState applies `set server … state`.
func (sv *haServer) setState(a adminState, now float64) {
	if sv.admin != a {
		sv.admin, sv.changedAt = a, now
	}
}

// queue moves the connections beyond maxconn into the server's queue, as
// HAProxy does: scur stays at slim and qcur holds the rest.
func (sv *haServer) queue() {
	sv.qcur = 0
	if sv.maxconn > 0 && sv.c.active > sv.maxconn {
		sv.qcur = sv.c.active - sv.maxconn
		sv.c.active = sv.maxconn
	}
	sv.qmax = max(sv.qmax, sv.qcur)
}

// diagnosisScenery gives a few backends a lasting condition, so the first
// screen shows what each diagnosis looks like: refused connections
// (session-store), health checks answered 503 (user-profile), names that
// do not resolve (notifications), a pool drained by hand (pricing), every
// weight at 0 (inventory), one server carrying nearly all the weight
// (graphql) and servers at their maxconn with requests queued
// (image-resize).
func (st *haState) diagnosisScenery() {
	lastingOn := func(name string, k faultKind, n int) {
		if b := st.backend(name); b != nil {
			for _, sv := range b.servers[:min(n, len(b.servers))] {
				sv.fault = fault{kind: k, left: lasting}
			}
		}
	}
	lastingOn("session-store", faultRefused, 2)
	lastingOn("user-profile", fault503, 3)
	each := func(name string, fn func(i int, sv *haServer)) {
		if b := st.backend(name); b != nil {
			for i, sv := range b.servers {
				fn(i, sv)
			}
		}
	}
	each("notifications", func(i int, sv *haServer) {
		if i < 3 {
			sv.unresolved, sv.up, sv.health = true, false, 0
			sv.chkdown++
		}
	})
	each("pricing", func(_ int, sv *haServer) { sv.admin = adminDrain })
	each("inventory", func(_ int, sv *haServer) { sv.uweight = 0 })
	each("graphql", func(i int, sv *haServer) {
		sv.uweight, sv.steady = 1, true // a fault would flap it, and flapping outranks the skew
		if i == 0 {
			sv.uweight = 256
		}
	})
	each("image-resize", func(_ int, sv *haServer) { sv.maxconn = 3 })
}
