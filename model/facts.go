package model

import "time"

// Fault is why one backend is not serving, as its source words it,
// reduced to the few kinds the diagnosis tells apart. Each source maps its
// own words to it (HAProxy L4CON → FaultRefused, Envoy
// /failed_outlier_check → FaultOutlier, NGINX unavail → FaultMaxFails); the
// model never reads wire words. A serving backend has FaultNone.
type Fault uint8

// The faults. The zero value is FaultNone: a source that says nothing more
// leaves the diagnosis to Health alone.
const (
	FaultNone        Fault = iota // nothing more known (or nothing wrong)
	FaultCheck                    // an active check got a response it rejects: HTTP 5xx/4xx, a bad reply
	FaultRefused                  // connections or checks are refused
	FaultTimeout                  // connections or checks time out
	FaultDNS                      // the address does not resolve
	FaultOutlier                  // ejected by passive / outlier detection
	FaultMaxFails                 // NGINX passive checks: max_fails reached, unavail
	FaultAdmin                    // drained, in maintenance or down by an operator or control plane
	FaultNotReady                 // Kubernetes: the pod is not ready
	FaultTerminating              // Kubernetes: the endpoint is terminating
	FaultOther                    // out for a reason none of the above names
)

var faultNames = [...]string{
	FaultNone:        "none",
	FaultCheck:       "check",
	FaultRefused:     "refused",
	FaultTimeout:     "timeout",
	FaultDNS:         "dns",
	FaultOutlier:     "outlier",
	FaultMaxFails:    "max_fails",
	FaultAdmin:       "admin",
	FaultNotReady:    "not_ready",
	FaultTerminating: "terminating",
	FaultOther:       "other",
}

// String returns the fault's word.
func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "other"
}

// MarshalText makes Fault encode as its word in JSON.
func (f Fault) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// BackendFacts are the details behind a backend's state that the
// diagnosis cites as evidence. Every field is optional: zero means the
// source does not report it. Sources attach them (Backend.Facts) only to
// backends that are out or queueing, which keeps the 100k-backend merge
// lean; the pointed-to value is never changed once sent.
type BackendFacts struct {
	// Check is the last active health check: Status in the system's words
	// ("L7STS", "L4CON", "L4TOUT", "/failed_active_hc"), the HTTP Code it
	// got (0 when none), how long it took, and how many checks failed in
	// total (HAProxy chkfail, NGINX health_checks.fails).
	CheckStatus   string
	CheckCode     int
	CheckDuration time.Duration
	CheckFails    uint64

	// Fails and Unavail are passive-check counts: failed attempts and how
	// often the backend was made unavailable (NGINX fails, unavail).
	Fails   uint64
	Unavail uint64

	// Downtime is the total time the backend has been down (HAProxy
	// downtime, NGINX downtime).
	Downtime time.Duration

	// Queue is requests waiting for this backend (HAProxy qcur); Limit is
	// its connection or session limit (HAProxy slim, NGINX max_conns),
	// 0 when unlimited or unknown.
	Queue int64
	Limit int64
}

// zeroFacts stands in for absent facts; it is never written.
var zeroFacts BackendFacts

// FactsOf returns b's facts, or zero facts when the source gave none. The
// result must not be modified.
func FactsOf(b *Backend) *BackendFacts {
	if b.Facts != nil {
		return b.Facts
	}
	return &zeroFacts
}

// PoolCounter names one cumulative pool-level counter. The Store turns
// each into a per-second rate between polls, like backend counters.
type PoolCounter uint8

// The pool counters. Sources map their own stat names to these: HAProxy's
// BACKEND row, Envoy's cluster stats.
const (
	CtrRequests         PoolCounter = iota // requests (HAProxy BACKEND stot)
	CtrErrors                              // responses with a 5xx (HAProxy BACKEND hrsp_5xx)
	CtrConnErrors                          // failed connection attempts (HAProxy econ)
	CtrRespErrors                          // failed responses (HAProxy eresp)
	CtrConnectFail                         // connection failures (Envoy upstream_cx_connect_fail)
	CtrConnectTimeout                      // connection timeouts (Envoy upstream_cx_connect_timeout)
	CtrNoneHealthy                         // requests refused for lack of a healthy member (Envoy upstream_cx_none_healthy)
	CtrPanic                               // requests balanced in panic mode (Envoy lb_healthy_panic)
	CtrCxOverflow                          // connections refused by a circuit breaker (Envoy upstream_cx_overflow)
	CtrPendingOverflow                     // requests refused by the pending-queue breaker (Envoy upstream_rq_pending_overflow)
	CtrUpdateEmpty                         // discovery updates that brought no members (Envoy update_empty)
	CtrCheckFailures                       // failed active checks that got a reply (Envoy health_check.failure)
	CtrCheckNetFailures                    // active checks that failed on the network (Envoy health_check.network_failure)
	CtrFrontRequests                       // requests on the same-named frontend (HAProxy listen section)
	CtrFrontErrors                         // 5xx on the same-named frontend
	NumPoolCounters                        // the number of counters; not a counter
)

// PoolFacts are the pool-level figures a system reports for one pool on
// one instance, beyond its members. Counters are cumulative and set with
// Set; the Store fills Rates. Gauges are plain fields; -1 means unknown
// where 0 is meaningful.
type PoolFacts struct {
	Instance string // proxy instance that reported them, when one source speaks for several

	Counters [NumPoolCounters]uint64
	Has      uint32 // bit c set: Counters[c] is reported

	// Rates are per second, filled by the Store from two polls; bit c of
	// HasRate says Rates[c] is known.
	Rates   [NumPoolCounters]float64
	HasRate uint32

	// HAProxy BACKEND row: requests queued, current and limit of sessions.
	Queue, Sessions, SessionLimit int64

	// Members and MembersHealthy are the system's own member counts
	// (Envoy membership_total, membership_healthy); -1 when not reported.
	Members, MembersHealthy int64

	// OutlierEjected is members currently ejected (Envoy
	// outlier_detection.ejections_active).
	OutlierEjected int64

	// Breakers open (Envoy circuit_breakers.*.cx_open, rq_open,
	// rq_pending_open, summed over priorities): 1 while the breaker is open.
	BreakerConnections, BreakerRequests, BreakerPending int64

	// Kubernetes: the Service selector ("app=x"), how many pods it
	// matches (-1 when not counted), and whether there is a selector.
	Selector     string
	SelectorPods int
}

// NewPoolFacts returns facts with every gauge that has an "unknown" value
// set to it.
func NewPoolFacts() PoolFacts {
	return PoolFacts{Members: -1, MembersHealthy: -1, SelectorPods: -1}
}

// Set records a cumulative counter.
func (f *PoolFacts) Set(c PoolCounter, v uint64) {
	f.Counters[c] = v
	f.Has |= 1 << c
}

// Rate returns the per-second rate of counter c and whether it is known.
func (f *PoolFacts) Rate(c PoolCounter) (float64, bool) {
	return f.Rates[c], f.HasRate&(1<<c) != 0
}

// AdminNote is what the audit log knows of an administrative change to one
// backend: who made it, why, and since when. The caller hands the Store a
// map of them (Store.SetAdminNotes); the diagnosis names the user.
type AdminNote struct {
	User   string    // login of who acted
	Action string    // "drain", "maint", "weight"
	Reason string    // the reason typed with the action; may be empty
	Since  time.Time // when the action was taken
}
