package demo

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// clustersDoc is an independent decoding of /clusters?format=json.
type clustersDoc struct {
	ClusterStatuses []struct {
		Name         string `json:"name"`
		AddedViaAPI  bool   `json:"added_via_api"`
		HostStatuses []struct {
			Address struct {
				SocketAddress struct {
					Address   string `json:"address"`
					PortValue int    `json:"port_value"`
				} `json:"socket_address"`
			} `json:"address"`
			Stats []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
				Type  string `json:"type"`
			} `json:"stats"`
			HealthStatus map[string]any `json:"health_status"`
			Weight       int            `json:"weight"`
			Hostname     string         `json:"hostname"`
			Locality     struct {
				Region string `json:"region"`
				Zone   string `json:"zone"`
			} `json:"locality"`
		} `json:"host_statuses"`
	} `json:"cluster_statuses"`
}

func getClusters(t *testing.T, f *Fleet) clustersDoc {
	t.Helper()
	code, body := httpDo(t, http.MethodGet, f.EnvoyURL()+"/clusters?format=json")
	if code != http.StatusOK {
		t.Fatalf("/clusters?format=json: status %d: %s", code, body)
	}
	var doc clustersDoc
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("/clusters?format=json does not decode: %v", err)
	}
	return doc
}

// envHealthy mirrors Envoy's coarse health: serving unless a failure flag
// or EDS UNHEALTHY/DRAINING is set.
func envHealthy(hs map[string]any) bool {
	for _, k := range []string{"failed_active_health_check", "failed_outlier_check", "pending_dynamic_removal", "pending_active_hc"} {
		if hs[k] == true {
			return false
		}
	}
	s, _ := hs["eds_health_status"].(string)
	return s != "UNHEALTHY" && s != "DRAINING"
}

func TestClustersJSON(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	doc := getClusters(t, f)
	if len(doc.ClusterStatuses) != 14 {
		t.Fatalf("clusters: %d, want 14", len(doc.ClusterStatuses))
	}
	hosts := 0
	for _, c := range doc.ClusterStatuses {
		for _, h := range c.HostStatuses {
			hosts++
			if h.Address.SocketAddress.Address == "" || h.Address.SocketAddress.PortValue == 0 || h.Weight == 0 || h.Locality.Zone == "" {
				t.Errorf("%s: host lacks address, weight or zone: %+v", c.Name, h)
			}
			got := map[string]string{}
			for _, s := range h.Stats {
				got[s.Name] = s.Type
				if _, err := strconv.ParseUint(s.Value, 10, 64); err != nil {
					t.Errorf("%s %s: stat %s value %q is not a decimal string", c.Name, h.Hostname, s.Name, s.Value)
				}
			}
			for name, typ := range map[string]string{"cx_active": "GAUGE", "cx_total": "COUNTER", "rq_total": "COUNTER",
				"rq_error": "COUNTER", "rq_success": "COUNTER", "rq_timeout": "COUNTER", "cx_connect_fail": "COUNTER"} {
				if got[name] != typ {
					t.Errorf("%s %s: stat %s type %q, want %s", c.Name, h.Hostname, name, got[name], typ)
				}
			}
			if h.HealthStatus["eds_health_status"] == nil {
				t.Errorf("%s %s: no eds_health_status", c.Name, h.Hostname)
			}
		}
	}
	if hosts < 100 {
		t.Errorf("hosts: %d, want 100+", hosts)
	}
}

// TestEnvoyFlagsOverTime walks the simulation and collects the health
// flags hosts carry, as the JSON would show them.
func TestEnvoyFlagsOverTime(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 7)
	seen := map[string]bool{}
	walk(f, 120, func() {
		for _, c := range f.sim.env.clusters {
			for _, h := range c.hosts {
				flags := h.healthFlags(f.sim.n)
				for _, fl := range strings.Split(flags, "/") {
					seen[fl] = true
				}
			}
		}
	})
	for _, want := range []string{"healthy", "failed_active_hc", "failed_outlier_check", "active_hc_timeout", "degraded_active_hc",
		"pending_active_hc", "pending_dynamic_removal", "eds_status_draining", "failed_eds_health", "degraded_eds_health"} {
		if !seen[want] {
			t.Errorf("in 120 steps no host showed %s; seen %v", want, seen)
		}
	}
}

func TestEnvoyProxyHealthcheck(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	base := f.EnvoyURL()
	for _, path := range []string{"/healthcheck/fail", "/healthcheck/ok"} {
		code, body := httpDo(t, http.MethodGet, base+path)
		if code != http.StatusMethodNotAllowed || body != "Method GET not allowed, POST required." {
			t.Errorf("GET %s: %d %q, want 405 and Envoy's message", path, code, body)
		}
	}
	if code, body := httpDo(t, http.MethodGet, base+"/ready"); code != http.StatusOK || body != "LIVE\n" {
		t.Errorf("/ready before: %d %q", code, body)
	}
	if code, body := httpDo(t, http.MethodPost, base+"/healthcheck/fail"); code != http.StatusOK || body != "OK\n" {
		t.Errorf("POST /healthcheck/fail: %d %q", code, body)
	}
	if code, body := httpDo(t, http.MethodGet, base+"/ready"); code != http.StatusServiceUnavailable || body != "DRAINING\n" {
		t.Errorf("/ready after fail: %d %q", code, body)
	}
	if _, body := httpDo(t, http.MethodGet, base+"/server_info"); !strings.Contains(body, `"state": "DRAINING"`) {
		t.Errorf("/server_info after fail: %s", body)
	}
	if code, _ := httpDo(t, http.MethodPost, base+"/healthcheck/ok"); code != http.StatusOK {
		t.Errorf("POST /healthcheck/ok: %d", code)
	}
	if code, body := httpDo(t, http.MethodGet, base+"/ready"); code != http.StatusOK || body != "LIVE\n" {
		t.Errorf("/ready after ok: %d %q", code, body)
	}
	if code, body := httpDo(t, http.MethodGet, base+"/"); code != http.StatusOK || !strings.Contains(body, "/clusters") {
		t.Errorf("GET /: %d %q", code, body)
	}
	if code, _ := httpDo(t, http.MethodGet, base+"/nope"); code != http.StatusNotFound {
		t.Errorf("GET /nope: %d, want 404", code)
	}
}

func TestClustersText(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	code, body := httpDo(t, http.MethodGet, f.EnvoyURL()+"/clusters")
	if code != http.StatusOK {
		t.Fatalf("/clusters: %d", code)
	}
	flags := 0
	for line := range strings.Lines(body) {
		parts := strings.Split(strings.TrimSuffix(line, "\n"), "::")
		if len(parts) < 3 {
			t.Fatalf("line %q is not name::key::value", line)
		}
		if len(parts) == 4 && parts[2] == "health_flags" {
			flags++
		}
	}
	doc := getClusters(t, f)
	hosts := 0
	for _, c := range doc.ClusterStatuses {
		hosts += len(c.HostStatuses)
	}
	if flags != hosts {
		t.Errorf("text has %d health_flags lines, JSON %d hosts", flags, hosts)
	}
}
