package demo

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// envStats are one cluster's cluster-level statistics (Envoy's
// cluster.<name>.* tree) that per-host figures do not give: the load
// balancer's, the active health checker's, discovery's and the circuit
// breakers'. Counters only grow.
type envStats struct {
	hcAttempt, hcSuccess, hcFailure, hcNetFailure uint64
	lbPanic, noneHealthy                          uint64 // requests balanced in panic mode; requests with no host to pick
	cxOverflow, rqPendingOverflow                 uint64 // refused by the connection and pending-request breakers
	connectTimeout                                uint64 // connection attempts that timed out
	ejectionsEnforced                             uint64
	updateAttempt, updateSuccess, updateEmpty     uint64
	membershipChange                              uint64

	// Breakers open in the last step (gauges, 0 or 1).
	cxOpen, rqPendingOpen bool
}

// envStat is one line of /stats: a counter or gauge and its value.
type envStat struct {
	name  string
	value uint64
}

// statLines lists a cluster's statistics with Envoy's names.
func (c *envCluster) statLines(n int64, out []envStat) []envStat {
	pre := "cluster." + c.spec.name + "."
	add := func(name string, v uint64) { out = append(out, envStat{pre + name, v}) }
	b := func(on bool) uint64 {
		if on {
			return 1
		}
		return 0
	}
	var healthy, degraded, excluded, cxActive, rqActive, cxTotal, cxFail, rqTotal, rq5xx, rq2xx, rqTimeout uint64
	for _, h := range c.hosts {
		switch {
		case h.routable(n) && h.degraded():
			degraded++
		case h.routable(n):
			healthy++
		}
		if h.removalLeft > 0 {
			excluded++
		}
		cxActive += uint64(h.c.active + min(h.c.active/2+1, 16))
		rqActive += uint64(h.c.active)
		cxTotal += h.c.connTotal
		cxFail += h.c.connFail
		rqTotal += h.c.success + h.c.errors
		rq5xx += h.c.errors
		rq2xx += h.c.success
		rqTimeout += h.c.timeouts
	}
	s := &c.stats
	for _, p := range [...]string{"default", "high"} {
		open := p == "default"
		add("circuit_breakers."+p+".cx_open", b(open && s.cxOpen))
		add("circuit_breakers."+p+".cx_pool_open", 0)
		add("circuit_breakers."+p+".rq_open", 0)
		add("circuit_breakers."+p+".rq_pending_open", b(open && s.rqPendingOpen))
		add("circuit_breakers."+p+".rq_retry_open", 0)
	}
	if c.spec.hc {
		add("health_check.attempt", s.hcAttempt)
		add("health_check.failure", s.hcFailure)
		add("health_check.healthy", healthy+degraded)
		add("health_check.network_failure", s.hcNetFailure)
		add("health_check.passive_failure", 0)
		add("health_check.success", s.hcSuccess)
		add("health_check.verify_cluster", 0)
	}
	add("lb_healthy_panic", s.lbPanic)
	add("membership_change", s.membershipChange)
	add("membership_degraded", degraded)
	add("membership_excluded", excluded)
	add("membership_healthy", healthy)
	add("membership_total", uint64(len(c.hosts)))
	if c.spec.outlier {
		add("outlier_detection.ejections_active", uint64(c.ejectedNow(n)))
		add("outlier_detection.ejections_enforced_total", s.ejectionsEnforced)
	}
	add("update_attempt", s.updateAttempt)
	add("update_empty", s.updateEmpty)
	add("update_success", s.updateSuccess)
	add("upstream_cx_active", cxActive)
	add("upstream_cx_connect_fail", cxFail)
	add("upstream_cx_connect_timeout", s.connectTimeout)
	add("upstream_cx_none_healthy", s.noneHealthy)
	add("upstream_cx_overflow", s.cxOverflow)
	add("upstream_cx_total", cxTotal)
	add("upstream_rq_2xx", rq2xx)
	add("upstream_rq_5xx", rq5xx+s.rqPendingOverflow+s.noneHealthy)
	add("upstream_rq_active", rqActive)
	add("upstream_rq_completed", rqTotal)
	add("upstream_rq_pending_overflow", s.rqPendingOverflow)
	add("upstream_rq_timeout", rqTimeout)
	add("upstream_rq_total", rqTotal)
	return out
}

// ejectedNow counts the hosts outlier detection holds ejected.
func (c *envCluster) ejectedNow(n int64) int {
	k := 0
	for _, h := range c.hosts {
		if h.ejected(n) {
			k++
		}
	}
	return k
}

// writeStats renders /stats in Envoy's text format: "name: value" lines
// sorted by name, counters and gauges together. keep selects the names
// (the filter parameter); usedOnly drops stats never updated, which the
// emulation approximates as zero.
func (st *envState) writeStats(b *bytes.Buffer, n int64, uptime int64, keep *regexp.Regexp, usedOnly bool) {
	all := []envStat{
		{"cluster_manager.active_clusters", uint64(len(st.clusters))},
		{"cluster_manager.cluster_added", uint64(len(st.clusters))},
		{"cluster_manager.warming_clusters", 0},
		{"server.live", 1},
		{"server.uptime", uint64(uptime)},
	}
	if st.hcFailed {
		all[3].value = 0
	}
	for _, c := range st.clusters {
		all = c.statLines(n, all)
	}
	slices.SortFunc(all, func(a, b envStat) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	for _, s := range all {
		if keep != nil && !keep.MatchString(s.name) || usedOnly && s.value == 0 {
			continue
		}
		b.WriteString(s.name)
		b.WriteString(": ")
		b.WriteString(strconv.FormatUint(s.value, 10))
		b.WriteByte('\n')
	}
}

// stats answers GET /stats in the text format, with Envoy's filter
// (an RE2 regular expression, partial match) and usedonly parameters.
// Envoy answers a bad expression with 400.
func (e *envoyServer) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "text" {
		writeText(w, http.StatusBadRequest, "usage: /stats?format=(text) (the demo serves the text format only)\n")
		return
	}
	var keep *regexp.Regexp
	if f := q.Get("filter"); f != "" {
		re, err := regexp.Compile(f)
		if err != nil {
			writeText(w, http.StatusBadRequest, "Invalid re2 regex")
			return
		}
		keep = re
	}
	_, usedOnly := q["usedonly"]
	var b bytes.Buffer
	e.sim.mu.Lock()
	e.sim.env.writeStats(&b, e.sim.n, int64(e.sim.now())+86400, keep, usedOnly)
	e.sim.mu.Unlock()
	writeText(w, http.StatusOK, b.String())
}
