package envoy

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
)

// recordedDir holds payloads copied from envoyproxy/envoy's own admin
// tests (see /work/shared/formats/README.md, Envoy section).
const recordedDir = "../../testdata/envoy"

func readRecorded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recordedDir, name))
	if err != nil {
		t.Fatalf("reading recorded payload: %v", err)
	}
	return b
}

// textHealthFlags returns the health_flags values of a /clusters text
// payload in order, with "healthy" as "" (lbtop's empty reason).
func textHealthFlags(t *testing.T, text []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		_, v, ok := strings.Cut(sc.Text(), "::health_flags::")
		if !ok {
			continue
		}
		if v == "healthy" {
			v = ""
		}
		out = append(out, v)
	}
	return out
}

// poolsOf maps data through parsePools, after checking it agrees with
// the goccy decode it falls back to.
func poolsOf(t *testing.T, data []byte) []model.Pool {
	t.Helper()
	pools, err := parsePools(data)
	if err != nil {
		t.Fatalf("parsePools: %v", err)
	}
	checkMatchesGoccy(t, data)
	return pools
}

func TestRecordedPayloads(t *testing.T) {
	t.Parallel()
	const streamingFlags = "/failed_active_hc/failed_outlier_check/degraded_active_hc/pending_dynamic_removal" +
		"/pending_active_hc/excluded_via_immediate_hc_fail/active_hc_timeout/eds_status_draining"
	streamingHost := model.Backend{
		Name: "test_hostname", Address: "1.2.3.4:80", Zone: "test_zone",
		Health: model.Unhealthy, Reason: streamingFlags,
		Weight: 1, Backup: true, Counters: true, Fault: model.FaultTimeout, // active_hc_timeout
	}
	tests := []struct {
		name      string
		json      string
		text      string // the same state rendered by Envoy's text format
		wantPools []string
		want      []model.Backend // every backend, pools in order
	}{
		{
			name:      "buffered handler: string stat values, protocol present, eds DEGRADED",
			json:      "clusters-json-from-clusters_handler_test.json",
			text:      "clusters-text-from-clusters_handler_test.txt",
			wantPools: []string{"fake_cluster"},
			want: []model.Backend{{
				Name: "foo.com", Address: "1.2.3.4:80", Zone: "test_zone",
				Health: model.Unhealthy,
				Reason: "/failed_active_hc/failed_outlier_check/degraded_active_hc/degraded_eds_health/pending_dynamic_removal",
				Weight: 5, Backup: true, Counters: true, Fault: model.FaultCheck, // failed_active_hc first
			}},
		},
		{
			name:      "streaming handler: number stat values, no protocol, eds DRAINING, every flag",
			json:      "clusters-json-streaming-from-clusters_request_test.json",
			text:      "clusters-text-streaming-from-clusters_request_test.txt",
			wantPools: []string{"test_cluster", "test_cluster"},
			want:      []model.Backend{streamingHost, streamingHost},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pools := poolsOf(t, readRecorded(t, tc.json))
			var names []string
			var got []model.Backend
			for _, p := range pools {
				names = append(names, p.Name)
				got = append(got, p.Backends...)
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.wantPools) {
				t.Fatalf("pools = %q, want %q", names, tc.wantPools)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d backends, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("backend %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
			// The reason must read exactly as Envoy's own text output.
			flags := textHealthFlags(t, readRecorded(t, tc.text))
			if len(flags) != len(got) {
				t.Fatalf("text payload has %d health_flags lines, JSON %d hosts", len(flags), len(got))
			}
			for i := range got {
				if got[i].Reason != flags[i] {
					t.Errorf("backend %d reason %q, Envoy's text says %q", i, got[i].Reason, flags[i])
				}
			}
		})
	}
}

// hostJSON wraps one host_statuses entry in a whole document.
func hostJSON(host string) string {
	return `{"cluster_statuses":[{"name":"c","host_statuses":[` + host + `]}]}`
}

func onlyBackend(t *testing.T, doc string) model.Backend {
	t.Helper()
	pools := poolsOf(t, []byte(doc))
	if len(pools) != 1 || len(pools[0].Backends) != 1 {
		t.Fatalf("want one pool with one backend, got %+v", pools)
	}
	return pools[0].Backends[0]
}

func TestHealthFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		health string // the health_status object
		want   model.Health
		reason string
	}{
		// No flag.
		{"no health_status at all", ``, model.Healthy, ""},
		{"empty health_status", `{}`, model.Healthy, ""},
		{"eds HEALTHY", `{"eds_health_status":"HEALTHY"}`, model.Healthy, ""},
		{"eds UNKNOWN is healthy to Envoy", `{"eds_health_status":"UNKNOWN"}`, model.Healthy, ""},
		{"flags explicitly false", `{"failed_active_health_check":false,"failed_outlier_check":false}`, model.Healthy, ""},

		// Every flag alone.
		{"failed_active_health_check", `{"failed_active_health_check":true}`, model.Unhealthy, "/failed_active_hc"},
		{"failed_outlier_check", `{"failed_outlier_check":true}`, model.Unhealthy, "/failed_outlier_check"},
		{"eds UNHEALTHY", `{"eds_health_status":"UNHEALTHY"}`, model.Unhealthy, "/failed_eds_health"},
		{"eds TIMEOUT", `{"eds_health_status":"TIMEOUT"}`, model.Unhealthy, "/failed_eds_health"},
		{"failed_active_degraded_check", `{"failed_active_degraded_check":true}`, model.Degraded, "/degraded_active_hc"},
		{"eds DEGRADED", `{"eds_health_status":"DEGRADED"}`, model.Degraded, "/degraded_eds_health"},
		{"pending_dynamic_removal still serves", `{"pending_dynamic_removal":true}`, model.Healthy, "/pending_dynamic_removal"},
		{"pending_active_hc is not yet checked", `{"pending_active_hc":true}`, model.Unknown, "/pending_active_hc"},
		{"excluded_via_immediate_hc_fail", `{"excluded_via_immediate_hc_fail":true}`, model.Unhealthy, "/excluded_via_immediate_hc_fail"},
		{"active_hc_timeout", `{"active_hc_timeout":true}`, model.Unhealthy, "/active_hc_timeout"},
		{"eds DRAINING", `{"eds_health_status":"DRAINING"}`, model.Draining, "/eds_status_draining"},
		{"failed_degraded_outlier_detection", `{"failed_degraded_outlier_detection":true}`, model.Degraded, "/degraded_outlier_detection"},

		// Precedence and Envoy's order.
		{"failing beats draining", `{"eds_health_status":"DRAINING","failed_outlier_check":true}`,
			model.Unhealthy, "/failed_outlier_check/eds_status_draining"},
		{"draining beats degraded", `{"failed_active_degraded_check":true,"eds_health_status":"DRAINING"}`,
			model.Draining, "/degraded_active_hc/eds_status_draining"},
		{"degraded beats pending_active_hc", `{"pending_active_hc":true,"eds_health_status":"DEGRADED"}`,
			model.Degraded, "/degraded_eds_health/pending_active_hc"},
		{"pending_active_hc beats pending_dynamic_removal", `{"pending_active_hc":true,"pending_dynamic_removal":true}`,
			model.Unknown, "/pending_dynamic_removal/pending_active_hc"},
		{"a new host under active HC", `{"failed_active_health_check":true,"pending_active_hc":true}`,
			model.Unhealthy, "/failed_active_hc/pending_active_hc"},
		{"timeout goes with failed active hc", `{"active_hc_timeout":true,"failed_active_health_check":true}`,
			model.Unhealthy, "/failed_active_hc/active_hc_timeout"},

		// Values lbtop does not know are never healthy.
		{"unknown eds name", `{"eds_health_status":"QUARANTINED"}`, model.Unknown, "/eds_health_status=QUARANTINED"},
		{"unknown eds number", `{"eds_health_status":9}`, model.Unknown, "/eds_health_status=9"},
		{"unknown eds with a failing flag", `{"failed_outlier_check":true,"eds_health_status":"QUARANTINED"}`,
			model.Unhealthy, "/failed_outlier_check/eds_health_status=QUARANTINED"},
		{"eds as enum number", `{"eds_health_status":3}`, model.Draining, "/eds_status_draining"},
		{"eds null", `{"eds_health_status":null}`, model.Healthy, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host := `{"address":{"socket_address":{"address":"10.0.0.1","port_value":8080}}}`
			if tc.health != "" {
				host = `{"address":{"socket_address":{"address":"10.0.0.1","port_value":8080}},"health_status":` + tc.health + `}`
			}
			b := onlyBackend(t, hostJSON(host))
			if b.Health != tc.want || b.Reason != tc.reason {
				t.Errorf("health = %v %q, want %v %q", b.Health, b.Reason, tc.want, tc.reason)
			}
		})
	}
}

// TestFlagRulesComplete keeps the flag table exhaustive and in Envoy's
// order: every flag bit has exactly one rule, at its bit's position.
func TestFlagRulesComplete(t *testing.T) {
	t.Parallel()
	i := 0
	for f := hostFlag(1); f < flagEnd; f <<= 1 {
		if i >= len(flagRules) {
			t.Fatalf("flag %#x has no rule", f)
		}
		r := flagRules[i]
		if r.flag != f {
			t.Errorf("rule %d is for flag %#x, want %#x (Envoy's order)", i, r.flag, f)
		}
		if !strings.HasPrefix(r.text, "/") || strings.Contains(r.text[1:], "/") {
			t.Errorf("rule %d text %q is not one /flag", i, r.text)
		}
		i++
	}
	if i != len(flagRules) {
		t.Errorf("%d rules for %d flags", len(flagRules), i)
	}
}

func TestHostFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		host string
		want model.Backend
	}{
		{
			name: "string stat values",
			host: `{"address":{"socket_address":{"protocol":"TCP","address":"10.0.0.1","port_value":80}},
				"stats":[{"name":"cx_active","value":"7","type":"GAUGE"},{"name":"rq_total","value":"1000","type":"COUNTER"},
				         {"name":"rq_error","value":"12","type":"COUNTER"},{"name":"rq_success","value":"988","type":"COUNTER"}],
				"weight":3,"locality":{"region":"r","zone":"z1"}}`,
			want: model.Backend{Name: "10.0.0.1:80", Address: "10.0.0.1:80", Zone: "z1", Health: model.Healthy,
				Weight: 3, Active: 7, Requests: 1000, Errors: 12, Counters: true},
		},
		{
			name: "number stat values, any key order",
			host: `{"stats":[{"type":"COUNTER","value":1000,"name":"rq_total"},{"value":12,"name":"rq_error"},{"name":"cx_active","value":7}],
				"hostname":"api-1.internal","address":{"socket_address":{"port_value":80,"address":"10.0.0.1"}},"weight":1}`,
			want: model.Backend{Name: "api-1.internal", Address: "10.0.0.1:80", Health: model.Healthy,
				Weight: 1, Active: 7, Requests: 1000, Errors: 12, Counters: true},
		},
		{
			name: "largest uint64 and null values",
			host: `{"stats":[{"name":"rq_total","value":"18446744073709551615"},{"name":"rq_error","value":null},{"name":"cx_active","value":18446744073709551615}]}`,
			want: model.Backend{Health: model.Healthy, Weight: 0, Active: 1<<63 - 1,
				Requests: 1<<64 - 1, Counters: true},
		},
		{
			name: "everything missing",
			host: `{}`,
			want: model.Backend{Health: model.Healthy, Counters: true},
		},
		{
			name: "IPv6",
			host: `{"address":{"socket_address":{"address":"2001:db8::1","port_value":443}}}`,
			want: model.Backend{Name: "[2001:db8::1]:443", Address: "[2001:db8::1]:443", Health: model.Healthy, Counters: true},
		},
		{
			name: "named port",
			host: `{"address":{"socket_address":{"address":"10.0.0.2","named_port":"http"}}}`,
			want: model.Backend{Name: "10.0.0.2:http", Address: "10.0.0.2:http", Health: model.Healthy, Counters: true},
		},
		{
			name: "unix pipe",
			host: `{"address":{"pipe":{"path":"/run/app.sock","mode":438}},"hostname":"app"}`,
			want: model.Backend{Name: "app", Address: "/run/app.sock", Health: model.Healthy, Counters: true},
		},
		{
			name: "abstract unix socket",
			host: `{"address":{"pipe":{"path":"@app"}}}`,
			want: model.Backend{Name: "@app", Address: "@app", Health: model.Healthy, Counters: true},
		},
		{
			name: "envoy internal address",
			host: `{"address":{"envoy_internal_address":{"server_listener_name":"inner","endpoint_id":"e1"}}}`,
			want: model.Backend{Name: "envoy://inner/e1", Address: "envoy://inner/e1", Health: model.Healthy, Counters: true},
		},
		{
			name: "lower priority is backup",
			host: `{"address":{"socket_address":{"address":"10.0.0.3","port_value":80}},"priority":1,"weight":128}`,
			want: model.Backend{Name: "10.0.0.3:80", Address: "10.0.0.3:80", Health: model.Healthy, Weight: 128, Backup: true, Counters: true},
		},
		{
			name: "unknown fields are ignored",
			host: `{"address":{"socket_address":{"address":"10.0.0.4","port_value":80}},"metadata":{"x":[1,{"y":null}]},
				"success_rate":{"value":43.2},"local_origin_success_rate":{"value":1}}`,
			want: model.Backend{Name: "10.0.0.4:80", Address: "10.0.0.4:80", Health: model.Healthy, Counters: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := onlyBackend(t, hostJSON(tc.host)); got != tc.want {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPoolsKeepEmptyClusters(t *testing.T) {
	t.Parallel()
	pools := poolsOf(t, []byte(`{"cluster_statuses":[
		{"name":"empty"},
		{"name":"also_empty","host_statuses":[]},
		{"name":"one","host_statuses":[{"address":{"socket_address":{"address":"10.0.0.1","port_value":1}}}]}]}`))
	var got []string
	for _, p := range pools {
		got = append(got, fmt.Sprintf("%s:%d", p.Name, len(p.Backends)))
	}
	if want := "[empty:0 also_empty:0 one:1]"; fmt.Sprint(got) != want {
		t.Errorf("pools = %v, want %s", got, want)
	}
	// Pools share one backing array; appending to one must not reach the next.
	_ = append(pools[1].Backends, model.Backend{Name: "intruder"})
	if pools[2].Backends[0].Name != "10.0.0.1:1" {
		t.Errorf("appending to a pool overwrote the next pool's backend: %+v", pools[2].Backends[0])
	}
}

func TestParseNoClusters(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`{}`, `{"cluster_statuses":[]}`, `{"cluster_statuses":null}`, " {} \n"} {
		if pools := poolsOf(t, []byte(doc)); len(pools) != 0 {
			t.Errorf("%q: got %d pools, want none", doc, len(pools))
		}
	}
}

func TestParseBroken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
	}{
		{"empty body", ``},
		{"whitespace", " \n"},
		{"truncated", `{"cluster_statuses":[{"name":"c","host_statuses":[{"address":`},
		{"not JSON", `<html>503 Service Unavailable</html>`},
		{"trailing garbage", `{} {}`},
		{"array at top", `[]`},
		{"wrong type for clusters", `{"cluster_statuses":{"name":"c"}}`},
		{"wrong type for weight", hostJSON(`{"weight":"heavy"}`)},
		{"negative stat", hostJSON(`{"stats":[{"name":"rq_total","value":"-1"}]}`)},
		{"fractional stat", hostJSON(`{"stats":[{"name":"rq_total","value":1.5}]}`)},
		{"stat overflow", hostJSON(`{"stats":[{"name":"rq_total","value":"18446744073709551616"}]}`)},
		{"stat not a number", hostJSON(`{"stats":[{"name":"rq_total","value":"lots"}]}`)},
		{"empty stat string", hostJSON(`{"stats":[{"name":"rq_total","value":""}]}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if pools, err := parsePools([]byte(tc.doc)); err == nil {
				t.Errorf("parsePools(%q) = %+v, want an error", tc.doc, pools)
			}
			checkMatchesGoccy(t, []byte(tc.doc))
		})
	}
}
