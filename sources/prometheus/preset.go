package prometheus

import "fmt"

// figure is what one query's values mean for a row.
type figure uint8

// The figures a query can fill.
const (
	figHealth      figure = iota // mapping: 1 healthy, 0 unhealthy
	figState                     // HAProxy: the state label of the series with value 1
	figStateCode                 // NGINX Plus: numeric state
	figCheck                     // HAProxy: the check status label of the series with value 1
	figWeight                    // current weight
	figActive                    // active connections or sessions
	figBackup                    // 1 for backup servers
	figReqRate                   // requests per second
	figErrRate                   // 5xx responses per second
	figMemHealthy                // Envoy: healthy cluster members
	figMemDegraded               // Envoy: degraded cluster members
	figMemTotal                  // Envoy: all cluster members
	figPanic                     // Envoy: load balancer in panic mode (non-zero rate)
	figNoneHealthy               // Envoy: connections failed for no healthy host (non-zero rate)
)

// healthMode is how a spec's rows become model pools and health.
type healthMode uint8

// The ways rows turn into pools.
const (
	modeBinary    healthMode = iota // user mapping: figHealth 1/0
	modeHAProxy                     // PROMEX state labels
	modeNGINXPlus                   // nginx-prometheus-exporter numeric state
	modeAggregate                   // Envoy: cluster counts, no per-backend rows
)

// query is one PromQL instant query and what its values mean.
type query struct {
	fig  figure
	expr string
}

// spec is one preset or user mapping ready to run: its queries and the
// labels that join their results into rows.
type spec struct {
	name     string // preset or mapping name, for messages
	kind     string // system name shown in notes ("haproxy", "custom")
	mode     healthMode
	pool     string // label naming the pool
	backend  string // label naming the backend; empty for aggregates
	instance string // label naming the proxy instance; may be empty
	queries  []query
}

// The preset names.
const (
	PresetEnvoy     = "envoy"
	PresetHAProxy   = "haproxy"
	PresetNGINXPlus = "nginxplus"
)

// PresetNames lists the built-in presets, the default set.
func PresetNames() []string { return []string{PresetEnvoy, PresetHAProxy, PresetNGINXPlus} }

// presetSpec returns the named preset's queries with rate() over window.
//
// Every query aggregates by exactly the labels the join uses: that folds
// duplicate scrapes (two jobs on one target) and keeps the response small
// (no __name__, job or other target labels), which matters at 10,000
// series per query.
func presetSpec(name, window string) (spec, bool) {
	switch name {
	case PresetHAProxy:
		by := "instance, proxy, server"
		return spec{
			name: name, kind: "haproxy", mode: modeHAProxy,
			pool: "proxy", backend: "server", instance: "instance",
			queries: []query{
				// One series per state; the current one has value 1. Only
				// those are fetched.
				{figState, fmt.Sprintf("max by (%s, state) (haproxy_server_status) == 1", by)},
				{figCheck, fmt.Sprintf("max by (%s, state) (haproxy_server_check_status) == 1", by)},
				{figWeight, gauge("haproxy_server_weight", by)},
				{figActive, gauge("haproxy_server_current_sessions", by)},
				// Not exported per server by HAProxy 2.6 (only the
				// backend's count); later versions may.
				{figBackup, fmt.Sprintf("max by (%s) (haproxy_server_backup) == 1", by)},
				// A server's sessions_total counts every stream sent to
				// it, so it is its request count in HTTP mode and its
				// connection count in TCP mode.
				{figReqRate, rate("haproxy_server_sessions_total", by, window)},
				{figErrRate, rate(`haproxy_server_http_responses_total{code="5xx"}`, by, window)},
			},
		}, true
	case PresetNGINXPlus:
		by := "instance, upstream, server"
		return spec{
			name: name, kind: "nginx", mode: modeNGINXPlus,
			pool: "upstream", backend: "server", instance: "instance",
			queries: []query{
				{figStateCode, gauge("nginxplus_upstream_server_state", by)},
				{figActive, gauge("nginxplus_upstream_server_active", by)},
				{figReqRate, rate("nginxplus_upstream_server_requests", by, window)},
				{figErrRate, rate(`nginxplus_upstream_server_responses{code="5xx"}`, by, window)},
			},
		}, true
	case PresetEnvoy:
		by := "instance, envoy_cluster_name"
		return spec{
			name: name, kind: "envoy", mode: modeAggregate,
			pool: "envoy_cluster_name", instance: "instance",
			queries: []query{
				{figMemHealthy, gauge("envoy_cluster_membership_healthy", by)},
				{figMemDegraded, gauge("envoy_cluster_membership_degraded", by)},
				{figMemTotal, gauge("envoy_cluster_membership_total", by)},
				{figActive, gauge("envoy_cluster_upstream_cx_active", by)},
				// upstream_rq_xx counts final responses, one series per
				// class; their sum is the request rate.
				{figReqRate, rate("envoy_cluster_upstream_rq_xx", by, window)},
				{figErrRate, rate(`envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}`, by, window)},
				{figPanic, rate("envoy_cluster_lb_healthy_panic", by, window) + " > 0"},
				{figNoneHealthy, rate("envoy_cluster_upstream_cx_none_healthy", by, window) + " > 0"},
			},
		}, true
	}
	return spec{}, false
}

// gauge reads a gauge folded over duplicate scrapes.
func gauge(metric, by string) string {
	return fmt.Sprintf("max by (%s) (%s)", by, metric)
}

// rate sums a counter's per-second rate over window.
func rate(selector, by, window string) string {
	return fmt.Sprintf("sum by (%s) (rate(%s[%s]))", by, selector, window)
}
