package envoy

import (
	"bytes"

	json "github.com/goccy/go-json"
)

// The types below are the subset of envoy.admin.v3.Clusters
// (api/envoy/admin/v3/clusters.proto) that lbtop shows. They are decoded
// with goccy/go-json rather than protojson into go-control-plane types:
// PERF-NOTES measured protojson 7–10× slower with 8× the allocations, and
// a poll of 10k hosts must stay well under the poll interval.
//
// Envoy writes proto3 JSON, which omits fields holding their default
// value, so every field here is optional and a missing one reads as
// false, zero or empty.

// clustersDoc is the whole /clusters?format=json document.
type clustersDoc struct {
	ClusterStatuses []clusterStatus `json:"cluster_statuses"`
}

// clusterStatus is one cluster (ClusterStatus).
type clusterStatus struct {
	Name         string       `json:"name"`
	HostStatuses []hostStatus `json:"host_statuses"`
}

// hostStatus is one upstream host (HostStatus).
type hostStatus struct {
	Address      address      `json:"address"`
	Stats        hostStats    `json:"stats"`
	HealthStatus healthStatus `json:"health_status"`
	Weight       uint32       `json:"weight"`
	Hostname     string       `json:"hostname"`
	Priority     uint32       `json:"priority"`
	Locality     locality     `json:"locality"`
}

// address is config.core.v3.Address: exactly one of its members is set.
// They are values, not pointers, to save an allocation per host.
type address struct {
	SocketAddress        socketAddress   `json:"socket_address"`
	Pipe                 pipeAddress     `json:"pipe"`
	EnvoyInternalAddress internalAddress `json:"envoy_internal_address"`
}

// socketAddress is config.core.v3.SocketAddress. Newer Envoys omit
// protocol (TCP is its zero value); it is not read.
type socketAddress struct {
	Address   string `json:"address"`
	PortValue uint32 `json:"port_value"`
	NamedPort string `json:"named_port"`
}

// pipeAddress is config.core.v3.Pipe, a unix domain socket path (a
// leading '@' names an abstract socket).
type pipeAddress struct {
	Path string `json:"path"`
}

// internalAddress is config.core.v3.EnvoyInternalAddress, a listener
// inside the same Envoy.
type internalAddress struct {
	ServerListenerName string `json:"server_listener_name"`
	EndpointID         string `json:"endpoint_id"`
}

// locality is config.core.v3.Locality.
type locality struct {
	Zone string `json:"zone"`
}

// healthStatus is admin.v3.HostHealthStatus.
type healthStatus struct {
	FailedActiveHealthCheck        bool      `json:"failed_active_health_check"`
	FailedOutlierCheck             bool      `json:"failed_outlier_check"`
	FailedActiveDegradedCheck      bool      `json:"failed_active_degraded_check"`
	PendingDynamicRemoval          bool      `json:"pending_dynamic_removal"`
	PendingActiveHC                bool      `json:"pending_active_hc"`
	ExcludedViaImmediateHCFail     bool      `json:"excluded_via_immediate_hc_fail"`
	ActiveHCTimeout                bool      `json:"active_hc_timeout"`
	FailedDegradedOutlierDetection bool      `json:"failed_degraded_outlier_detection"`
	EDSHealthStatus                edsStatus `json:"eds_health_status"`
}

// edsCode is config.core.v3.HealthStatus, the health an EDS control plane
// assigned to a host.
type edsCode uint8

// The EDS health statuses. edsUnknown is also the value when the field is
// missing: proto3 JSON omits the zero value, which is UNKNOWN.
const (
	edsUnknown   edsCode = iota // UNKNOWN: Envoy treats it as HEALTHY
	edsHealthy                  // HEALTHY
	edsUnhealthy                // UNHEALTHY
	edsDraining                 // DRAINING
	edsTimeout                  // TIMEOUT: Envoy treats it as UNHEALTHY
	edsDegraded                 // DEGRADED
	edsOther                    // a value this version of lbtop does not know
)

// edsStatus is a decoded eds_health_status. Raw keeps a value lbtop does
// not know (a newer enum name, or a number as protojson writes unknown
// enum values) so the screen can show it rather than guess.
type edsStatus struct {
	Code edsCode
	Raw  string
}

// UnmarshalJSON maps an enum name to its edsCode without allocating for
// the known names.
func (s *edsStatus) UnmarshalJSON(b []byte) error {
	s.Raw = ""
	switch string(b) {
	case `null`, `"UNKNOWN"`, `0`:
		s.Code = edsUnknown
	case `"HEALTHY"`, `1`:
		s.Code = edsHealthy
	case `"UNHEALTHY"`, `2`:
		s.Code = edsUnhealthy
	case `"DRAINING"`, `3`:
		s.Code = edsDraining
	case `"TIMEOUT"`, `4`:
		s.Code = edsTimeout
	case `"DEGRADED"`, `5`:
		s.Code = edsDegraded
	default:
		s.Code = edsOther
		s.Raw = string(bytes.Trim(truncate(b, 40), `"`))
	}
	return nil
}

// parseClusters decodes a /clusters?format=json body. It is pure: the
// caller fetched data and names the endpoint in any error. Polls go
// through parsePools (fast.go), which reads the usual shape itself and
// falls back to this decode for everything else.
func parseClusters(data []byte) (*clustersDoc, error) {
	doc := new(clustersDoc)
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// truncate returns at most n bytes of b, for error messages.
func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
