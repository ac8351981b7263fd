package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// The fleet behind the emulated Prometheus: proxies lbtop does not poll
// directly, only through their exporters' metrics. Three HAProxy
// instances (PROMEX) share the same backends, two Envoys report cluster
// membership, two NGINX Plus instances are scraped through
// nginx-prometheus-exporter. Each instance runs its own health checks, a
// step out of phase with the others, so for a moment they can disagree.

// promSystem is which exporter a pool's metrics come from.
type promSystem uint8

// The exporters emulated.
const (
	promHAProxy promSystem = iota
	promEnvoy
	promNGINX
)

// promInstances are the instance labels per exporter.
func promInstances(sys promSystem) []string {
	switch sys {
	case promHAProxy:
		return []string{"lb-a:8404", "lb-b:8404", "lb-c:8404"}
	case promEnvoy:
		return []string{"mesh-a:9901", "mesh-b:9901"}
	}
	return []string{"nginx-a:9113", "nginx-b:9113"}
}

// promSpec is one pool of the Prometheus fleet.
type promSpec struct {
	sys     promSystem
	name    string
	size    int
	backups int
	rate    float64 // per instance, per second
	latency float64
	p       profile
}

func promSpecs() []promSpec {
	common := func(kinds ...faultKind) profile {
		return profile{failRate: 0.003, blipRate: 0.006, kinds: kinds}
	}
	return []promSpec{
		{promHAProxy, "edge-web", 6, 0, 500, 30, common(fault503, faultTimeout)},
		{promHAProxy, "edge-api", 5, 0, 300, 60, common(fault500, faultRefused)},
		{promHAProxy, "edge-login", 3, 1, 80, 40, common(faultRefused)},
		{promHAProxy, "edge-uploads", 3, 0, 20, 400, profile{
			failRate: 0.003, blipRate: 0.01, kinds: []faultKind{faultTimeout},
			outage: outage{period: 80, length: 20, offset: 80 - warmupSteps + 3, kinds: []faultKind{faultRefused, fault503}},
		}},
		{promHAProxy, "edge-ws", 4, 0, 60, 500, common(faultBlackhole)},
		{promEnvoy, "mesh-ledger", 6, 0, 200, 20, common(fault503, faultSlow)},
		{promEnvoy, "mesh-quotes", 4, 0, 150, 35, common(faultTimeout)},
		{promNGINX, "partner-api", 3, 0, 90, 120, common(faultRefused, fault500)},
		{promNGINX, "static-cache", 4, 0, 700, 5, common(faultRefused)},
	}
}

// promView is one instance's view of one host: its own checks, admin
// state and traffic.
type promView struct {
	admin  string // "", "MAINT" or "DRAIN" (HAProxy); "down" or "draining" (NGINX)
	up     bool
	health int    // rise/fall counter: rise 2, fall 3
	check  string // last check status, PROMEX's words
	weight int

	rate, errRate float64 // per second, last step
	total, errors float64 // cumulative
	active        float64
}

// promHost is one backend server shared by every instance of its pool.
type promHost struct {
	name   string
	backup bool
	fault  fault
	views  []promView
}

// promPool is one pool served by every instance of its exporter.
type promPool struct {
	spec  promSpec
	phase float64
	hosts []*promHost

	// Envoy counters per instance: lb_healthy_panic and
	// upstream_cx_none_healthy.
	panics, noneHealthy []float64
}

// promState is the Prometheus fleet's part of the simulation.
type promState struct {
	pools []*promPool
}

const (
	promRise = 2
	promFall = 3
)

func newPromState(rng *rand.Rand, opts Options) *promState {
	st := &promState{}
	for _, sp := range promSpecs() {
		sp.size *= opts.Scale
		insts := len(promInstances(sp.sys))
		pl := &promPool{spec: sp, phase: rng.Float64(), panics: make([]float64, insts), noneHealthy: make([]float64, insts)}
		short := sp.name[len("edge-"):]
		if sp.sys != promHAProxy {
			short = sp.name
		}
		for j := range sp.size + sp.backups {
			h := &promHost{name: fmt.Sprintf("%s-%d", short, j+1), backup: j >= sp.size}
			if sp.sys != promHAProxy {
				h.name = fmt.Sprintf("10.40.%d.%d:8080", len(st.pools), 10+j)
			}
			for range promInstances(sp.sys) {
				h.views = append(h.views, promView{up: true, health: promRise + promFall - 1, check: "L7OK", weight: 1,
					total: float64(100000 + rng.IntN(900000))})
			}
			pl.hosts = append(pl.hosts, h)
		}
		st.pools = append(st.pools, pl)
	}
	// Configuration drift the merged view should reveal: a server in
	// maintenance on one load balancer only, and one draining on another.
	if pl := st.pool("edge-api"); pl != nil && len(pl.hosts) > 2 {
		pl.hosts[2].views[1].admin = "MAINT"
	}
	if pl := st.pool("edge-web"); pl != nil && len(pl.hosts) > 1 {
		pl.hosts[1].views[2].admin = "DRAIN"
	}
	if pl := st.pool("partner-api"); pl != nil && len(pl.hosts) > 0 {
		pl.hosts[0].views[0].admin = "draining"
	}
	return st
}

func (st *promState) pool(name string) *promPool {
	for _, pl := range st.pools {
		if pl.spec.name == name {
			return pl
		}
	}
	return nil
}

// probeStatus is PROMEX's check status label for a host with fault k.
func probeStatus(k faultKind) (string, bool) {
	switch k {
	case faultRefused:
		return "L4CON", false
	case faultBlackhole:
		return "L4TOUT", false
	case faultTimeout:
		return "L7TOUT", false
	case fault503, fault500:
		return "L7STS", false
	case faultTLS:
		return "L6RSP", false
	}
	return "L7OK", true
}

func (st *promState) advance(rng *rand.Rand, n int64, now, tick float64) {
	for _, pl := range st.pools {
		for _, h := range pl.hosts {
			h.fault.advance(rng, pl.spec.p, n)
			for i := range h.views {
				v := &h.views[i]
				// Each instance checks every other step, out of phase.
				if (n+int64(i))%2 == 0 {
					v.runCheck(h.fault.kind)
				}
			}
		}
		for i := range promInstances(pl.spec.sys) {
			pl.route(rng, i, now, tick)
			if pl.spec.sys == promEnvoy {
				c := pl.envCounts(i)
				pl.panics[i] += c.panicRate() * tick
				pl.noneHealthy[i] += c.noneRate(pl.spec.rate) * tick
			}
		}
	}
}

// runCheck moves the rise/fall counter as HAProxy does.
func (v *promView) runCheck(k faultKind) {
	status, ok := probeStatus(k)
	v.check = status
	top := promRise + promFall - 1
	switch {
	case ok && v.up:
		v.health = min(v.health+1, top)
	case ok:
		v.health++
		if v.health >= promRise {
			v.up, v.health = true, top
		}
	case v.up:
		if v.health > promRise {
			v.health--
		} else {
			v.up, v.health = false, 0
		}
	default:
		v.health = max(v.health-1, 0)
	}
}

// serving reports whether the instance sends new traffic to the host.
func (v *promView) serving() bool { return v.up && v.admin == "" }

// route sends one step of instance i's traffic over the pool.
func (pl *promPool) route(rng *rand.Rand, i int, now, tick float64) {
	weights := make([]float64, len(pl.hosts))
	primary := false
	for _, h := range pl.hosts {
		primary = primary || (!h.backup && h.views[i].serving())
	}
	for j, h := range pl.hosts {
		if v := &h.views[i]; v.serving() && h.backup == !primary {
			weights[j] = float64(v.weight)
		}
	}
	reqs := pl.spec.rate * wave(now, pl.phase+float64(i)*0.1)
	for j, r := range share(reqs, weights) {
		h, v := pl.hosts[j], &pl.hosts[j].views[i]
		l := effect(h.fault.kind, 0.002, pl.spec.latency)
		v.rate = jitter(rng, r, 0.05)
		// The shares fail in turn, as in counters.apply: connection
		// failures, then timeouts of the rest, then errors of the rest.
		ok := (1 - l.connFail) * (1 - l.timeout) * (1 - l.errRatio)
		v.errRate = v.rate * (1 - ok)
		v.total += v.rate * tick
		v.errors += v.errRate * tick
		v.active = float64(int64(v.rate * l.latencyMS / 1000))
	}
}

// haStates are PROMEX's server state label values, in its order.
func haStates() [5]string { return [...]string{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"} }

// haCheckNames are PROMEX's check status label values, in its order.
func haCheckNames() [16]string {
	return [...]string{"HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"}
}

// haState is the PROMEX server state of a view.
func (v *promView) haState() string {
	switch {
	case v.admin == "MAINT":
		return "MAINT"
	case !v.up:
		return "DOWN"
	case v.admin == "DRAIN":
		return "DRAIN"
	}
	return "UP"
}

// ngxStateCode is nginx-prometheus-exporter's numeric peer state.
func (v *promView) ngxStateCode() float64 {
	switch {
	case v.admin == "down":
		return 3
	case v.admin == "draining":
		return 2
	case !v.up:
		return 6 // unhealthy: the active check fails
	}
	return 1
}

// series returns every series of one metric across the fleet. The caller
// holds the simulation's lock.
func (st *promState) series(metric string) []sample {
	var out []sample
	for _, pl := range st.pools {
		insts := promInstances(pl.spec.sys)
		switch {
		case pl.spec.sys == promHAProxy && strings.HasPrefix(metric, "haproxy_server_"):
			for _, h := range pl.hosts {
				for i, inst := range insts {
					out = haSeries(out, metric, labelSet{"instance", inst, "job", "haproxy", "proxy", pl.spec.name, "server", h.name}, h, &h.views[i])
				}
			}
		case pl.spec.sys == promNGINX && strings.HasPrefix(metric, "nginxplus_upstream_server_"):
			for _, h := range pl.hosts {
				for i, inst := range insts {
					out = ngxSeries(out, metric, labelSet{"instance", inst, "job", "nginx", "upstream", pl.spec.name, "server", h.name}, &h.views[i])
				}
			}
		case pl.spec.sys == promEnvoy && strings.HasPrefix(metric, "envoy_cluster_"):
			for i, inst := range insts {
				out = envSeries(out, metric, labelSet{"instance", inst, "job", "envoy", "envoy_cluster_name", pl.spec.name}, pl, i)
			}
		}
	}
	return out
}

// with returns labels plus one more pair, without aliasing ls.
func with(ls labelSet, name, value string) labelSet {
	return append(slices.Clip(ls), name, value)
}

func haSeries(out []sample, metric string, ls labelSet, h *promHost, v *promView) []sample {
	switch metric {
	case "haproxy_server_status":
		cur := v.haState()
		for _, s := range haStates() {
			out = append(out, sample{labels: with(ls, "state", s), value: b2f(s == cur)})
		}
	case "haproxy_server_check_status":
		for _, s := range haCheckNames() {
			out = append(out, sample{labels: with(ls, "state", s), value: b2f(s == v.check)})
		}
	case "haproxy_server_weight":
		out = append(out, sample{labels: ls, value: float64(v.weight)})
	case "haproxy_server_current_sessions":
		out = append(out, sample{labels: ls, value: v.active})
	case "haproxy_server_backup":
		out = append(out, sample{labels: ls, value: b2f(h.backup)})
	case "haproxy_server_sessions_total":
		out = append(out, sample{labels: ls, value: math.Floor(v.total), rate: v.rate})
	case "haproxy_server_http_responses_total":
		ok, okRate := v.total-v.errors, v.rate-v.errRate
		for _, c := range [...]struct {
			code        string
			total, rate float64
		}{{"1xx", 0, 0}, {"2xx", ok * 0.98, okRate * 0.98}, {"3xx", ok * 0.02, okRate * 0.02}, {"4xx", 0, 0}, {"5xx", v.errors, v.errRate}, {"other", 0, 0}} {
			out = append(out, sample{labels: with(ls, "code", c.code), value: math.Floor(c.total), rate: c.rate})
		}
	}
	return out
}

func ngxSeries(out []sample, metric string, ls labelSet, v *promView) []sample {
	switch metric {
	case "nginxplus_upstream_server_state":
		out = append(out, sample{labels: ls, value: v.ngxStateCode()})
	case "nginxplus_upstream_server_active":
		out = append(out, sample{labels: ls, value: v.active})
	case "nginxplus_upstream_server_requests":
		out = append(out, sample{labels: ls, value: math.Floor(v.total), rate: v.rate})
	case "nginxplus_upstream_server_responses":
		ok, okRate := v.total-v.errors, v.rate-v.errRate
		for _, c := range [...]struct {
			code        string
			total, rate float64
		}{{"1xx", 0, 0}, {"2xx", ok, okRate}, {"3xx", 0, 0}, {"4xx", 0, 0}, {"5xx", v.errors, v.errRate}} {
			out = append(out, sample{labels: with(ls, "code", c.code), value: math.Floor(c.total), rate: c.rate})
		}
	}
	return out
}

// envCounts are one Envoy instance's figures for a cluster: healthy
// members pass their checks, slow ones are degraded.
type envCounts struct {
	healthy, degraded, total float64
	active, rate, errRate    float64
	okTotal, errTotal        float64
}

func (pl *promPool) envCounts(i int) envCounts {
	c := envCounts{total: float64(len(pl.hosts))}
	for _, h := range pl.hosts {
		v := &h.views[i]
		switch {
		case v.serving() && h.fault.kind == faultSlow:
			c.degraded++
		case v.serving():
			c.healthy++
		}
		c.active += v.active
		c.rate += v.rate
		c.errRate += v.errRate
		c.okTotal += v.total - v.errors
		c.errTotal += v.errors
	}
	return c
}

// panicRate is lb_healthy_panic's rate: every request while fewer than
// half the members serve.
func (c envCounts) panicRate() float64 {
	if 2*(c.healthy+c.degraded) < c.total {
		return c.rate
	}
	return 0
}

// noneRate is upstream_cx_none_healthy's rate: the cluster's demand while
// no member serves.
func (c envCounts) noneRate(demand float64) float64 {
	if c.healthy+c.degraded == 0 {
		return demand
	}
	return 0
}

// envSeries renders one Envoy instance's cluster-level series.
func envSeries(out []sample, metric string, ls labelSet, pl *promPool, i int) []sample {
	c := pl.envCounts(i)
	switch metric {
	case "envoy_cluster_membership_healthy":
		out = append(out, sample{labels: ls, value: c.healthy})
	case "envoy_cluster_membership_degraded":
		out = append(out, sample{labels: ls, value: c.degraded})
	case "envoy_cluster_membership_total":
		out = append(out, sample{labels: ls, value: c.total})
	case "envoy_cluster_upstream_cx_active":
		out = append(out, sample{labels: ls, value: c.active})
	case "envoy_cluster_upstream_rq_xx":
		out = append(out,
			sample{labels: with(ls, "envoy_response_code_class", "2"), value: math.Floor(c.okTotal), rate: c.rate - c.errRate},
			sample{labels: with(ls, "envoy_response_code_class", "5"), value: math.Floor(c.errTotal), rate: c.errRate})
	case "envoy_cluster_lb_healthy_panic":
		out = append(out, sample{labels: ls, value: math.Floor(pl.panics[i]), rate: c.panicRate()})
	case "envoy_cluster_upstream_cx_none_healthy":
		out = append(out, sample{labels: ls, value: math.Floor(pl.noneHealthy[i]), rate: c.noneRate(pl.spec.rate)})
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
