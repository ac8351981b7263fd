package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
)

// envoyVersion is what /server_info reports.
const envoyVersion = "lbtop-demo/1.36.0/Clean/RELEASE/BoringSSL"

// envoyServer emulates the Envoy admin HTTP API.
type envoyServer struct {
	sim *sim
	httpAPI
}

func newEnvoyServer(s *sim, ln net.Listener) *envoyServer {
	e := &envoyServer{sim: s}
	mux := http.NewServeMux()
	mux.HandleFunc("/clusters", e.clusters)
	mux.HandleFunc("/stats", e.stats)
	mux.HandleFunc("/healthcheck/fail", e.healthcheck(true))
	mux.HandleFunc("/healthcheck/ok", e.healthcheck(false))
	mux.HandleFunc("/ready", e.ready)
	mux.HandleFunc("/server_info", e.serverInfo)
	mux.HandleFunc("/", e.index)
	e.httpAPI = newHTTPAPI("Envoy admin server", ln, mux)
	return e
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// healthcheck handles POST /healthcheck/fail and /healthcheck/ok. Like
// Envoy's admin, it refuses mutations over any other method.
func (e *envoyServer) healthcheck(fail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeText(w, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed, POST required.")
			return
		}
		e.sim.mu.Lock()
		e.sim.env.hcFailed = fail
		e.sim.mu.Unlock()
		writeText(w, http.StatusOK, "OK\n")
	}
}

func (e *envoyServer) state() string {
	e.sim.mu.Lock()
	defer e.sim.mu.Unlock()
	if e.sim.env.hcFailed {
		return "DRAINING"
	}
	return "LIVE"
}

func (e *envoyServer) ready(w http.ResponseWriter, _ *http.Request) {
	st := e.state()
	code := http.StatusOK
	if st != "LIVE" {
		code = http.StatusServiceUnavailable
	}
	writeText(w, code, st+"\n")
}

func (e *envoyServer) serverInfo(w http.ResponseWriter, _ *http.Request) {
	e.sim.mu.Lock()
	up := strconv.FormatInt(int64(e.sim.now())+86400, 10) + "s"
	e.sim.mu.Unlock()
	info := struct {
		Version            string `json:"version"`
		State              string `json:"state"`
		HotRestartVersion  string `json:"hot_restart_version"`
		UptimeCurrentEpoch string `json:"uptime_current_epoch"`
		UptimeAllEpochs    string `json:"uptime_all_epochs"`
	}{envoyVersion, e.state(), "11.104", up, up}
	b, _ := json.MarshalIndent(info, "", " ")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (e *envoyServer) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeText(w, http.StatusNotFound, "invalid path. admin commands are:\n"+envoyHelp)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	fmt.Fprintf(w, "<html><head><title>Envoy Admin (lbtop demo)</title></head><body>\n"+
		"<h1>Envoy Admin</h1><p>Simulated by lbtop --demo. Server state: %s.</p>\n<pre>%s</pre>\n</body></html>\n",
		e.state(), envoyHelp)
}

const envoyHelp = "  /: Admin home page\n" +
	"  /clusters: upstream cluster status (?format=json)\n" +
	"  /healthcheck/fail: cause the server to fail health checks (POST)\n" +
	"  /healthcheck/ok: cause the server to pass health checks (POST)\n" +
	"  /ready: print server state, return 200 if LIVE, otherwise return 503\n" +
	"  /server_info: print server version/status information\n" +
	"  /stats: print server stats (?filter=REGEX, ?usedonly)\n"

func (e *envoyServer) clusters(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	e.sim.mu.Lock()
	st, n := e.sim.env, e.sim.n
	if r.URL.Query().Get("format") == "json" {
		err := st.writeClustersJSON(&b, n)
		e.sim.mu.Unlock()
		if err != nil {
			writeText(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b.Bytes())
		return
	}
	st.writeClustersText(&b, n)
	e.sim.mu.Unlock()
	writeText(w, http.StatusOK, b.String())
}

// The JSON shapes of envoy.admin.v3.Clusters, in the field order and with
// the proto3 conventions of Envoy's non-streaming handler: 64-bit stat
// values are strings and fields holding defaults are omitted.
type (
	clustersJSON struct {
		ClusterStatuses []clusterJSON `json:"cluster_statuses"`
	}
	clusterJSON struct {
		Name                                    string           `json:"name"`
		ObservabilityName                       string           `json:"observability_name,omitempty"`
		EDSServiceName                          string           `json:"eds_service_name,omitempty"`
		SuccessRateEjectionThreshold            *doubleJSON      `json:"success_rate_ejection_threshold,omitempty"`
		LocalOriginSuccessRateEjectionThreshold *doubleJSON      `json:"local_origin_success_rate_ejection_threshold,omitempty"`
		AddedViaAPI                             bool             `json:"added_via_api,omitempty"`
		CircuitBreakers                         breakersJSON     `json:"circuit_breakers"`
		HostStatuses                            []hostStatusJSON `json:"host_statuses,omitempty"`
	}
	doubleJSON struct {
		Value float64 `json:"value"`
	}
	breakersJSON struct {
		Thresholds []thresholdJSON `json:"thresholds"`
	}
	thresholdJSON struct {
		Priority           string `json:"priority,omitempty"`
		MaxConnections     int    `json:"max_connections"`
		MaxPendingRequests int    `json:"max_pending_requests"`
		MaxRequests        int    `json:"max_requests"`
		MaxRetries         int    `json:"max_retries"`
	}
	hostStatusJSON struct {
		Address      addressJSON  `json:"address"`
		Stats        []statJSON   `json:"stats"`
		HealthStatus healthJSON   `json:"health_status"`
		SuccessRate  *doubleJSON  `json:"success_rate,omitempty"`
		Weight       int          `json:"weight,omitempty"`
		Hostname     string       `json:"hostname,omitempty"`
		Priority     int          `json:"priority,omitempty"`
		Locality     localityJSON `json:"locality"`
	}
	addressJSON struct {
		SocketAddress socketAddressJSON `json:"socket_address"`
	}
	socketAddressJSON struct {
		Protocol  string `json:"protocol"`
		Address   string `json:"address"`
		PortValue int    `json:"port_value"`
	}
	statJSON struct {
		Name  string `json:"name"`
		Value string `json:"value"`
		Type  string `json:"type"`
	}
	healthJSON struct {
		FailedActiveHealthCheck    bool   `json:"failed_active_health_check,omitempty"`
		FailedOutlierCheck         bool   `json:"failed_outlier_check,omitempty"`
		EDSHealthStatus            string `json:"eds_health_status,omitempty"`
		FailedActiveDegradedCheck  bool   `json:"failed_active_degraded_check,omitempty"`
		PendingDynamicRemoval      bool   `json:"pending_dynamic_removal,omitempty"`
		PendingActiveHC            bool   `json:"pending_active_hc,omitempty"`
		ExcludedViaImmediateHCFail bool   `json:"excluded_via_immediate_hc_fail,omitempty"`
		ActiveHCTimeout            bool   `json:"active_hc_timeout,omitempty"`
	}
	localityJSON struct {
		Region string `json:"region,omitempty"`
		Zone   string `json:"zone,omitempty"`
	}
)

func breakers() breakersJSON {
	return breakersJSON{Thresholds: []thresholdJSON{
		{MaxConnections: 1024, MaxPendingRequests: 1024, MaxRequests: 1024, MaxRetries: 3},
		{Priority: "HIGH", MaxConnections: 1024, MaxPendingRequests: 1024, MaxRequests: 1024, MaxRetries: 3},
	}}
}

// hostStats lists a host's stats as Envoy does: counters sorted by name,
// then gauges sorted by name.
func (h *envHost) hostStats() []statJSON {
	c := &h.c
	cnt := func(name string, v uint64) statJSON { return statJSON{name, u(v), "COUNTER"} }
	gauge := func(name string, v int64) statJSON { return statJSON{name, i64(v), "GAUGE"} }
	return []statJSON{
		cnt("cx_connect_fail", c.connFail),
		cnt("cx_total", c.connTotal),
		cnt("rq_error", c.errors),
		cnt("rq_success", c.success),
		cnt("rq_timeout", c.timeouts),
		cnt("rq_total", c.success+c.errors),
		gauge("cx_active", c.active+min(c.active/2+1, 16)),
		gauge("rq_active", c.active),
	}
}

func (h *envHost) healthJSON(n int64) healthJSON {
	return healthJSON{
		FailedActiveHealthCheck:   h.hcFailed,
		FailedOutlierCheck:        h.ejected(n),
		EDSHealthStatus:           h.edsStatus,
		FailedActiveDegradedCheck: h.hcDegraded,
		PendingDynamicRemoval:     h.removalLeft > 0,
		PendingActiveHC:           h.hcPending,
		ActiveHCTimeout:           h.hcTimeout,
	}
}

// healthFlags renders the text format's health_flags in Envoy's order.
func (h *envHost) healthFlags(n int64) string {
	var s string
	add := func(on bool, flag string) {
		if on {
			s += flag
		}
	}
	add(h.hcFailed, "/failed_active_hc")
	add(h.ejected(n), "/failed_outlier_check")
	add(h.edsStatus == "UNHEALTHY", "/failed_eds_health")
	add(h.hcDegraded, "/degraded_active_hc")
	add(h.edsStatus == "DEGRADED", "/degraded_eds_health")
	add(h.removalLeft > 0, "/pending_dynamic_removal")
	add(h.hcPending, "/pending_active_hc")
	add(h.hcTimeout, "/active_hc_timeout")
	add(h.edsStatus == "DRAINING", "/eds_status_draining")
	if s == "" {
		return "healthy"
	}
	return s
}

// ejectionThreshold is the success-rate outlier threshold: mean minus 1.9
// standard deviations over hosts with enough volume, when at least five
// have it (success_rate_minimum_hosts).
func (c *envCluster) ejectionThreshold() (mean, threshold float64, ok bool) {
	var rates []float64
	for _, h := range c.hosts {
		if h.successRate >= 0 {
			rates = append(rates, h.successRate)
		}
	}
	if !c.spec.outlier || len(rates) < 5 {
		return 0, 0, false
	}
	var sum, sq float64
	for _, r := range rates {
		sum += r
	}
	mean = sum / float64(len(rates))
	for _, r := range rates {
		sq += (r - mean) * (r - mean)
	}
	return mean, math.Max(0, mean-1.9*math.Sqrt(sq/float64(len(rates)))), true
}

func (st *envState) writeClustersJSON(b *bytes.Buffer, n int64) error {
	doc := clustersJSON{ClusterStatuses: make([]clusterJSON, 0, len(st.clusters))}
	for _, c := range st.clusters {
		cj := clusterJSON{Name: c.spec.name, ObservabilityName: c.spec.name, AddedViaAPI: c.spec.eds, CircuitBreakers: breakers()}
		if c.spec.eds {
			cj.EDSServiceName = c.spec.name
		}
		if _, t, ok := c.ejectionThreshold(); ok {
			cj.SuccessRateEjectionThreshold = &doubleJSON{t}
		}
		for _, h := range c.hosts {
			hj := hostStatusJSON{
				Address:      addressJSON{socketAddressJSON{"TCP", h.ip, h.port}},
				Stats:        h.hostStats(),
				HealthStatus: h.healthJSON(n),
				Weight:       h.weight,
				Hostname:     h.hostname,
				Locality:     localityJSON{Region: "us-east-1", Zone: h.zone},
			}
			if c.spec.outlier && h.successRate >= 0 {
				hj.SuccessRate = &doubleJSON{math.Round(h.successRate*10) / 10}
			}
			cj.HostStatuses = append(cj.HostStatuses, hj)
		}
		doc.ClusterStatuses = append(doc.ClusterStatuses, cj)
	}
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return fmt.Errorf("demo: encode /clusters JSON: %w", err)
	}
	b.Write(out)
	b.WriteByte('\n')
	return nil
}

// writeClustersText renders /clusters in Envoy's `::`-separated text form.
func (st *envState) writeClustersText(b *bytes.Buffer, n int64) {
	for _, c := range st.clusters {
		name := c.spec.name
		fmt.Fprintf(b, "%s::observability_name::%s\n", name, name)
		if c.spec.outlier {
			mean, t, ok := c.ejectionThreshold()
			if !ok {
				mean, t = -1, -1
			}
			fmt.Fprintf(b, "%s::outlier::success_rate_average::%g\n%s::outlier::success_rate_ejection_threshold::%g\n", name, mean, name, t)
			fmt.Fprintf(b, "%s::outlier::local_origin_success_rate_average::-1\n%s::outlier::local_origin_success_rate_ejection_threshold::-1\n", name, name)
		}
		for _, p := range [...]string{"default_priority", "high_priority"} {
			fmt.Fprintf(b, "%[1]s::%[2]s::max_connections::1024\n%[1]s::%[2]s::max_pending_requests::1024\n"+
				"%[1]s::%[2]s::max_requests::1024\n%[1]s::%[2]s::max_retries::3\n", name, p)
		}
		fmt.Fprintf(b, "%s::added_via_api::%t\n", name, c.spec.eds)
		if c.spec.eds {
			fmt.Fprintf(b, "%s::eds_service_name::%s\n", name, name)
		}
		for _, h := range c.hosts {
			pre := fmt.Sprintf("%s::%s:%d::", name, h.ip, h.port)
			stats := h.hostStats()
			// The text form sorts counters and gauges together by name.
			order := [...]int{6, 0, 1, 2, 7, 3, 4, 5}
			for _, i := range order {
				fmt.Fprintf(b, "%s%s::%s\n", pre, stats[i].Name, stats[i].Value)
			}
			sr := -1.0
			if c.spec.outlier && h.successRate >= 0 {
				sr = math.Round(h.successRate*10) / 10
			}
			fmt.Fprintf(b, "%[1]shostname::%[2]s\n%[1]shealth_flags::%[3]s\n%[1]sweight::%[4]d\n%[1]sregion::us-east-1\n"+
				"%[1]szone::%[5]s\n%[1]ssub_zone::\n%[1]scanary::false\n%[1]spriority::0\n%[1]ssuccess_rate::%[6]g\n"+
				"%[1]slocal_origin_success_rate::-1\n", pre, h.hostname, h.healthFlags(n), h.weight, h.zone, sr)
		}
	}
}
