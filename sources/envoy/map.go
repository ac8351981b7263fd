package envoy

import (
	"strconv"
	"strings"

	"github.com/lbtop/lbtop/model"
)

// hostFlag is one of Envoy's per-host health flags (Host::HealthFlag in
// envoy/upstream/upstream.h). The bit order is HEALTH_FLAG_ENUM_VALUES,
// which is also the order the /clusters text output concatenates them in
// (HostUtility::healthFlagsToString), so reasons read exactly as Envoy
// prints health_flags.
type hostFlag uint16

// The health flags, in Envoy's order.
const (
	flagFailedActiveHC             hostFlag = 1 << iota // failed_active_health_check
	flagFailedOutlierCheck                              // failed_outlier_check
	flagFailedEDSHealth                                 // eds_health_status UNHEALTHY or TIMEOUT
	flagDegradedActiveHC                                // failed_active_degraded_check
	flagDegradedEDSHealth                               // eds_health_status DEGRADED
	flagPendingDynamicRemoval                           // pending_dynamic_removal
	flagPendingActiveHC                                 // pending_active_hc
	flagExcludedViaImmediateHCFail                      // excluded_via_immediate_hc_fail
	flagActiveHCTimeout                                 // active_hc_timeout
	flagEDSStatusDraining                               // eds_health_status DRAINING
	flagDegradedOutlierDetection                        // failed_degraded_outlier_detection
	flagEnd                                             // one past the last flag
)

// flagRule says what one flag means on screen.
type flagRule struct {
	flag   hostFlag
	text   string       // Envoy's own word for it, as in health_flags text
	health model.Health // the coarse state this flag alone implies
}

// flagRules is the one table from Envoy's flags to lbtop's health, in
// Envoy's order. It is read-only.
//
// The states follow Envoy's own HostImpl::coarseHealth and its
// "excluded" host set (upstream_impl.h/.cc), with lbtop's finer states:
//   - Unhealthy: failed active HC, outlier-ejected, EDS UNHEALTHY/TIMEOUT,
//     and the two flags that take a host out of rotation or record a
//     failed check (excluded_via_immediate_hc_fail, active_hc_timeout).
//   - Draining: EDS DRAINING. Envoy counts it unhealthy and excluded; it
//     is a planned removal by the control plane, which lbtop calls draining.
//   - Degraded: degraded by active HC, EDS or outlier detection. The host
//     still serves, after non-degraded hosts.
//   - Unknown for pending_active_hc: the host awaits its first active
//     health check and Envoy excludes it from load balancing until then.
//     It is neither known good nor known bad, and it takes no traffic, so
//     it must not count as serving.
//   - Healthy for pending_dynamic_removal: discovery removed the host but
//     Envoy keeps routing to it while it passes active HC (coarseHealth
//     says Healthy); the reason still shows the flag.
//
// failed_degraded_outlier_detection only exists in newer Envoys; its text
// spelling was not confirmed against a source and may differ there.
var flagRules = [...]flagRule{
	{flagFailedActiveHC, "/failed_active_hc", model.Unhealthy},
	{flagFailedOutlierCheck, "/failed_outlier_check", model.Unhealthy},
	{flagFailedEDSHealth, "/failed_eds_health", model.Unhealthy},
	{flagDegradedActiveHC, "/degraded_active_hc", model.Degraded},
	{flagDegradedEDSHealth, "/degraded_eds_health", model.Degraded},
	{flagPendingDynamicRemoval, "/pending_dynamic_removal", model.Healthy},
	{flagPendingActiveHC, "/pending_active_hc", model.Unknown},
	{flagExcludedViaImmediateHCFail, "/excluded_via_immediate_hc_fail", model.Unhealthy},
	{flagActiveHCTimeout, "/active_hc_timeout", model.Unhealthy},
	{flagEDSStatusDraining, "/eds_status_draining", model.Draining},
	{flagDegradedOutlierDetection, "/degraded_outlier_detection", model.Degraded},
}

// precedence ranks states for a host with several flags: the highest
// wins. Any failing or excluding flag beats draining, draining beats
// degraded, degraded beats "not yet checked", which beats healthy.
func precedence(h model.Health) int {
	switch h {
	case model.Down:
		return 6
	case model.Unhealthy:
		return 5
	case model.Draining:
		return 4
	case model.Degraded:
		return 3
	case model.Unknown:
		return 2
	case model.Healthy:
		return 1
	}
	return 0
}

// flags collects a host's health flags the way Envoy's admin handler
// sets the JSON fields from them (clusters_handler.cc setHealthFlag).
func (hs *healthStatus) flags() hostFlag {
	var f hostFlag
	set := func(cond bool, flag hostFlag) {
		if cond {
			f |= flag
		}
	}
	set(hs.FailedActiveHealthCheck, flagFailedActiveHC)
	set(hs.FailedOutlierCheck, flagFailedOutlierCheck)
	set(hs.FailedActiveDegradedCheck, flagDegradedActiveHC)
	set(hs.PendingDynamicRemoval, flagPendingDynamicRemoval)
	set(hs.PendingActiveHC, flagPendingActiveHC)
	set(hs.ExcludedViaImmediateHCFail, flagExcludedViaImmediateHCFail)
	set(hs.ActiveHCTimeout, flagActiveHCTimeout)
	set(hs.FailedDegradedOutlierDetection, flagDegradedOutlierDetection)
	switch hs.EDSHealthStatus.Code {
	case edsUnhealthy, edsTimeout: // Envoy sets FAILED_EDS_HEALTH for both
		f |= flagFailedEDSHealth
	case edsDegraded:
		f |= flagDegradedEDSHealth
	case edsDraining:
		f |= flagEDSStatusDraining
	case edsUnknown, edsHealthy, edsOther: // UNKNOWN is HEALTHY to Envoy; edsOther is handled by hostHealth
	}
	return f
}

// hostHealth maps a host's health status to lbtop's state and Envoy's
// words for it: the flags concatenated in Envoy's order ("" when none).
// An eds_health_status lbtop does not know makes the host Unknown at best,
// never Healthy, and is shown as "/eds_health_status=<value>".
func hostHealth(hs *healthStatus) (model.Health, string) {
	f := hs.flags()
	other := hs.EDSHealthStatus.Code == edsOther
	if f == 0 && !other {
		return model.Healthy, ""
	}
	health := model.Healthy
	reason := ""
	var sb strings.Builder
	n := 0
	for i := range flagRules {
		r := &flagRules[i]
		if f&r.flag == 0 {
			continue
		}
		if precedence(r.health) > precedence(health) {
			health = r.health
		}
		n++
		if n == 1 {
			reason = r.text // the common case: one flag, no allocation
			continue
		}
		if n == 2 {
			sb.WriteString(reason)
		}
		sb.WriteString(r.text)
	}
	if n > 1 {
		reason = sb.String()
	}
	if other {
		if precedence(model.Unknown) > precedence(health) {
			health = model.Unknown
		}
		reason += "/eds_health_status=" + hs.EDSHealthStatus.Raw
	}
	return health, reason
}

// hostAddress renders a host's address as Envoy prints it: ip:port with
// IPv6 in brackets, a pipe's path, or envoy://listener/endpoint for an
// internal address. It is "" when the payload gave no address.
func hostAddress(a *address) string {
	switch {
	case a.Pipe.Path != "":
		return a.Pipe.Path
	case a.EnvoyInternalAddress.ServerListenerName != "":
		return "envoy://" + a.EnvoyInternalAddress.ServerListenerName + "/" + a.EnvoyInternalAddress.EndpointID
	}
	s := &a.SocketAddress
	if s.Address == "" && s.PortValue == 0 && s.NamedPort == "" {
		return ""
	}
	// One allocation per host: this runs 100k times a poll at fleet scale,
	// where net.JoinHostPort plus strconv cost two.
	var buf [64]byte
	out := buf[:0]
	if strings.IndexByte(s.Address, ':') >= 0 { // IPv6, bracketed as net.JoinHostPort does
		out = append(out, '[')
		out = append(out, s.Address...)
		out = append(out, ']')
	} else {
		out = append(out, s.Address...)
	}
	out = append(out, ':')
	if s.NamedPort != "" {
		out = append(out, s.NamedPort...)
	} else {
		out = strconv.AppendUint(out, uint64(s.PortValue), 10)
	}
	return string(out)
}

// toPools maps a decoded document to pools, one per cluster in Envoy's
// order. No cluster is skipped: a cluster with no hosts is an empty pool
// (DNS returned nothing, EDS sent no endpoints), which is exactly what the
// screen must show. Every backend carries cumulative counters (rq_total,
// rq_error) for the Store to turn into rates.
func toPools(doc *clustersDoc) []model.Pool {
	total := 0
	for i := range doc.ClusterStatuses {
		total += len(doc.ClusterStatuses[i].HostStatuses)
	}
	// One array for every backend, sliced per pool with capped capacity:
	// a thousand clusters cost one allocation instead of a thousand.
	all := make([]model.Backend, total)
	pools := make([]model.Pool, len(doc.ClusterStatuses))
	off := 0
	for i := range doc.ClusterStatuses {
		c := &doc.ClusterStatuses[i]
		bs := all[off : off+len(c.HostStatuses) : off+len(c.HostStatuses)]
		off += len(c.HostStatuses)
		for j := range c.HostStatuses {
			toBackend(&c.HostStatuses[j], &bs[j])
		}
		pools[i] = model.Pool{Name: c.Name, Backends: bs}
	}
	return pools
}

// toBackend fills b from one host.
func toBackend(h *hostStatus, b *model.Backend) {
	addr := hostAddress(&h.Address)
	b.Name = h.Hostname
	if b.Name == "" {
		b.Name = addr
	}
	b.Address = addr
	b.Zone = h.Locality.Zone
	b.Health, b.Reason = hostHealth(&h.HealthStatus)
	b.Fault = hostFault(&h.HealthStatus, b.Health)
	b.Weight = int(h.Weight)
	// Priority 0 is the highest; hosts at lower priorities get traffic
	// only when higher ones lack healthy capacity, which is what Backup
	// means on screen.
	b.Backup = h.Priority > 0
	b.Active = int64(min(h.Stats.CxActive, 1<<63-1))
	b.Requests = h.Stats.RqTotal
	b.Errors = h.Stats.RqError
	b.Counters = true
}
