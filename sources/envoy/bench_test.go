package envoy

import (
	stdjson "encoding/json"
	"fmt"
	"testing"

	"github.com/lbtop/lbtop/model"
)

// The fixture types mirror what Envoy writes for /clusters?format=json,
// field for field, so the generated payload has the real size and shape
// (cluster-level settings, 8 per-host stats, locality, success rates).
type (
	benchDoc struct {
		ClusterStatuses []benchCluster `json:"cluster_statuses"`
	}
	benchCluster struct {
		Name                           string        `json:"name"`
		ObservabilityName              string        `json:"observability_name"`
		EDSServiceName                 string        `json:"eds_service_name"`
		SuccessRateEjectionThreshold   *benchValue   `json:"success_rate_ejection_threshold,omitempty"`
		LocalOriginSuccessRateEjection *benchValue   `json:"local_origin_success_rate_ejection_threshold,omitempty"`
		AddedViaAPI                    bool          `json:"added_via_api"`
		CircuitBreakers                benchBreakers `json:"circuit_breakers"`
		HostStatuses                   []benchHost   `json:"host_statuses"`
	}
	benchBreakers struct {
		Thresholds []benchThreshold `json:"thresholds"`
	}
	benchThreshold struct {
		Priority           string `json:"priority,omitempty"`
		MaxConnections     int    `json:"max_connections"`
		MaxPendingRequests int    `json:"max_pending_requests"`
		MaxRequests        int    `json:"max_requests"`
		MaxRetries         int    `json:"max_retries"`
	}
	benchValue struct {
		Value float64 `json:"value"`
	}
	benchHost struct {
		Address                benchAddress  `json:"address"`
		Stats                  []benchStat   `json:"stats"`
		HealthStatus           benchHealth   `json:"health_status"`
		SuccessRate            *benchValue   `json:"success_rate,omitempty"`
		Weight                 int           `json:"weight"`
		Hostname               string        `json:"hostname,omitempty"`
		Priority               int           `json:"priority,omitempty"`
		LocalOriginSuccessRate *benchValue   `json:"local_origin_success_rate,omitempty"`
		Locality               benchLocality `json:"locality"`
	}
	benchAddress struct {
		SocketAddress struct {
			Protocol  string `json:"protocol,omitempty"`
			Address   string `json:"address"`
			PortValue int    `json:"port_value"`
		} `json:"socket_address"`
	}
	benchStat struct {
		Name  string `json:"name"`
		Value any    `json:"value"` // a string ("5") or a number (5)
		Type  string `json:"type"`
	}
	benchHealth struct {
		EDSHealthStatus         string `json:"eds_health_status"`
		FailedActiveHealthCheck bool   `json:"failed_active_health_check,omitempty"`
		FailedOutlierCheck      bool   `json:"failed_outlier_check,omitempty"`
	}
	benchLocality struct {
		Region  string `json:"region"`
		Zone    string `json:"zone"`
		SubZone string `json:"sub_zone,omitempty"`
	}
)

// genClusters builds a pretty-printed /clusters?format=json payload.
// numericStats writes stat values as numbers (the streaming handler)
// instead of strings (the buffered handler's proto3 JSON). About one host
// in 50 fails active health checks and one in 97 is outlier-ejected.
func genClusters(clusters, hosts int, numericStats bool) []byte {
	statNames := [...]struct{ name, typ string }{
		{"cx_active", "GAUGE"}, {"cx_connect_fail", "COUNTER"}, {"cx_total", "COUNTER"}, {"rq_active", "GAUGE"},
		{"rq_error", "COUNTER"}, {"rq_success", "COUNTER"}, {"rq_timeout", "COUNTER"}, {"rq_total", "COUNTER"},
	}
	zones := [...]string{"us-east-1a", "us-east-1b", "us-east-1c"}
	doc := benchDoc{ClusterStatuses: make([]benchCluster, clusters)}
	n := 0
	for c := range clusters {
		name := fmt.Sprintf("service-%04d.prod.svc.cluster.local|8080", c)
		cl := benchCluster{
			Name: name, ObservabilityName: name, EDSServiceName: name, AddedViaAPI: true,
			SuccessRateEjectionThreshold:   &benchValue{Value: 85.3},
			LocalOriginSuccessRateEjection: &benchValue{Value: 90.1},
			CircuitBreakers: benchBreakers{Thresholds: []benchThreshold{
				{MaxConnections: 1024, MaxPendingRequests: 1024, MaxRequests: 1024, MaxRetries: 3},
				{Priority: "HIGH", MaxConnections: 1024, MaxPendingRequests: 1024, MaxRequests: 1024, MaxRetries: 3},
			}},
			HostStatuses: make([]benchHost, hosts),
		}
		for h := range hosts {
			n++
			host := &cl.HostStatuses[h]
			host.Address.SocketAddress.Protocol = "TCP"
			host.Address.SocketAddress.Address = fmt.Sprintf("10.%d.%d.%d", c/250, c%250, h+1)
			host.Address.SocketAddress.PortValue = 8080
			host.Hostname = fmt.Sprintf("service-%04d-%d.pod.cluster.local", c, h)
			host.Weight = 1 + h%3
			host.Locality = benchLocality{Region: "us-east-1", Zone: zones[h%len(zones)]}
			host.SuccessRate = &benchValue{Value: 99.2}
			host.LocalOriginSuccessRate = &benchValue{Value: 99.9}
			host.HealthStatus = benchHealth{EDSHealthStatus: "HEALTHY",
				FailedActiveHealthCheck: n%50 == 0, FailedOutlierCheck: n%97 == 0}
			host.Stats = make([]benchStat, len(statNames))
			for i, s := range statNames {
				v := uint64(n*1000 + i*37)
				host.Stats[i] = benchStat{Name: s.name, Type: s.typ, Value: fmt.Sprint(v)}
				if numericStats {
					host.Stats[i].Value = v
				}
			}
		}
		doc.ClusterStatuses[c] = cl
	}
	b, err := stdjson.MarshalIndent(doc, "", " ")
	if err != nil {
		panic(err) // fixed, valid input: cannot happen
	}
	return b
}

func TestGeneratedPayloadParses(t *testing.T) {
	t.Parallel()
	for _, numeric := range []bool{false, true} {
		pools := poolsOf(t, genClusters(3, 4, numeric))
		if len(pools) != 3 || len(pools[2].Backends) != 4 {
			t.Fatalf("numeric=%v: got %d pools", numeric, len(pools))
		}
		b := pools[0].Backends[1] // host n=2: stats n*1000 + i*37
		if b.Active != 2000 || b.Errors != 2000+4*37 || b.Requests != 2000+7*37 || b.Zone != "us-east-1b" || b.Weight != 2 {
			t.Errorf("numeric=%v: backend %+v", numeric, b)
		}
	}
}

// BenchmarkParseMap10k is the poll path after the body is read: decode
// and map 1,000 clusters × 10 hosts × 8 stats (target ≤ 25 ms/op).
func BenchmarkParseMap10k(b *testing.B) {
	benchParseMap(b, parsePools)
}

// BenchmarkParseMap10kGoccy is BenchmarkParseMap10k through the goccy
// decode alone, the path parsePools falls back to, to compare.
func BenchmarkParseMap10kGoccy(b *testing.B) {
	benchParseMap(b, goccyPools)
}

func benchParseMap(b *testing.B, parse func([]byte) ([]model.Pool, error)) {
	for _, tc := range []struct {
		name    string
		numeric bool
	}{{"string-stats", false}, {"number-stats", true}} {
		data := genClusters(1000, 10, tc.numeric)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu0, cpuOK := processCPU()
			n := 0
			for b.Loop() {
				n++
				pools, err := parse(data)
				if err != nil {
					b.Fatal(err)
				}
				if len(pools) != 1000 {
					b.Fatalf("%d pools", len(pools))
				}
			}
			// CPU time of the process per op (GC workers included): on a
			// shared machine it is steadier than wall time.
			if cpu1, ok := processCPU(); ok && cpuOK && n > 0 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(n), "cpu-ns/op")
			}
		})
	}
}
