package model

import "time"

// Kind names the system a source speaks to.
type Kind string

// The kinds of source lbtop knows.
const (
	KindHAProxy    Kind = "haproxy"
	KindEnvoy      Kind = "envoy"
	KindNGINX      Kind = "nginx"
	KindPrometheus Kind = "prometheus"
	KindKubernetes Kind = "kubernetes"
)

// Backend is one upstream server as one source reports it. Its one-byte
// fields sit together (Health to Fault): spread between the wider ones,
// their padding cost 16 bytes per backend, 1.6 MB per copy of a fleet of
// 100,000.
type Backend struct {
	Name    string // the system's name for it (HAProxy svname, Envoy hostname or address)
	Address string // host:port when known
	Zone    string // locality zone when known
	Reason  string // why, in the system's own words: "L7STS 503", "/failed_outlier_check", "MAINT"
	Weight  int    // current weight; -1 when the system does not report one
	Active  int64  // active connections or sessions

	// Instance names the proxy that reported this backend when one source
	// speaks for several (Prometheus's instance label). Empty otherwise:
	// the source itself is the instance.
	Instance string

	// Requests and Errors are cumulative counters (total requests, 5xx
	// responses). The Store turns their deltas between polls into rates.
	// ReqRate and ErrRate are per-second rates. Sources that read rates
	// directly (Prometheus) set them with HasRates; otherwise the Store
	// computes them from Counters.
	Requests uint64
	Errors   uint64
	ReqRate  float64
	ErrRate  float64

	// Since is when the backend entered its current state, when the
	// system says (HAProxy lastchg); zero otherwise.
	Since time.Time

	// Facts are the details the diagnosis cites: the last check,
	// passive-check counts, downtime, queue and limit. Nil when the
	// source reports none; read it with FactsOf.
	Facts *BackendFacts

	Health   Health
	Backup   bool // only used when the primaries are gone
	Counters bool // Requests and Errors are meaningful
	HasRates bool

	// Admin is the administrative state (drain, maint, ready) when the
	// system reports it; AdminUnknown otherwise. Actions are verified
	// against it, since Health mixes it with check results.
	Admin AdminState

	// Escaped is set by the Store when the backend's name, address or
	// pool name held characters it had to escape (SafeText): the text
	// shown is not the system's name, so no action may be sent for it.
	Escaped bool

	// Fault is why the backend is out, in the source's terms reduced to
	// the kinds the diagnosis tells apart (see facts.go); FaultNone when
	// it serves or the source says nothing more.
	Fault Fault
}

// Pool is a group of backends that share traffic: an HAProxy backend, an
// Envoy cluster, an NGINX upstream, a Kubernetes Service.
type Pool struct {
	Name     string
	Backends []Backend
	Note     string // a system-level remark shown with the pool ("selector app=x matches no pods")

	// Aggregate holds pool-level figures for systems that report no
	// per-backend rows (Envoy cluster membership read through Prometheus).
	// It is added to whatever Backends contribute.
	Aggregate *Aggregate

	// Facts are pool-level figures (HAProxy's BACKEND row, Envoy cluster
	// stats, a Kubernetes selector), nil when the source reports none.
	// Counters in it become rates in the Store; when it carries a request
	// rate, the pool's req/s and 5xx/s come from it rather than from the
	// sum of its members (HAProxy counts 5xx on the BACKEND row that no
	// server row shows when every server is down).
	Facts *PoolFacts
}

// Aggregate is a pool-level count of members without per-member detail.
type Aggregate struct {
	Instance string // proxy instance that reported it, when known
	Healthy  int    // serving members (healthy plus degraded)
	Total    int
	Active   int64
	ReqRate  float64
	ErrRate  float64
	HasRates bool
}

// Metric is one proxy-level figure that belongs to no pool, such as
// open-source NGINX's stub_status connection counts.
type Metric struct {
	Name    string
	Value   float64
	Counter bool // cumulative: the Store derives Rate from deltas

	Rate    float64 // per second, for counters, from the last two polls
	HasRate bool
}

// Snapshot is everything one source reported in one poll. Snapshots are
// values: once sent, nobody modifies them.
type Snapshot struct {
	Source string // the source's unique name (instance)
	Kind   Kind
	Pools  []Pool
	At     time.Time     // when the poll finished
	Took   time.Duration // how long the poll took
	Err    error         // non-nil when the poll failed; Pools is then empty

	// Metrics are proxy-level figures (stub_status); Note is a remark about
	// the whole source ("open-source NGINX exposes no per-upstream state").
	Metrics []Metric
	Note    string

	// ProxyFailing is set when the proxy itself reports that it fails its
	// own health check on purpose (Envoy after /healthcheck/fail), so
	// lbtop knows it after a restart.
	ProxyFailing bool
}

// BackendRef identifies one backend on one source, the target of an action.
type BackendRef struct {
	Source  string
	Pool    string
	Backend string
}

// String renders the reference as source:pool/backend.
func (r BackendRef) String() string { return r.Source + ":" + r.Pool + "/" + r.Backend }
