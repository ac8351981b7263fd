package demo

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// envStatsOf GETs /stats with the filter and returns name → value; it
// fails on a line that is not "name: value".
func envStatsOf(t *testing.T, f *Fleet, filter string) map[string]uint64 {
	t.Helper()
	u := f.EnvoyURL() + "/stats"
	if filter != "" {
		u += "?filter=" + url.QueryEscape(filter)
	}
	code, body := httpDo(t, http.MethodGet, u)
	if code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", u, code, body)
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if line == "" {
			continue
		}
		name, v, ok := strings.Cut(line, ": ")
		n, err := strconv.ParseUint(v, 10, 64)
		if !ok || err != nil {
			t.Fatalf("%s: line %q is not \"name: value\"", u, line)
		}
		out[name] = n
	}
	return out
}

// TestEnvoyStatsFilter: /stats answers Envoy's text format sorted by
// name, filter is a partial-match RE2 expression (anchors make it full),
// usedonly drops stats never updated, and a bad expression is a 400 with
// Envoy's words.
func TestEnvoyStatsFilter(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	all := envStatsOf(t, f, "")
	if all["server.live"] != 1 || len(all) < 14*20 {
		t.Fatalf("/stats has %d stats (server.live %d)", len(all), all["server.live"])
	}
	part := envStatsOf(t, f, "membership_total")
	if len(part) != 14 {
		t.Errorf("filter membership_total matched %d stats, want one per cluster: %v", len(part), part)
	}
	for name := range part {
		if !strings.HasPrefix(name, "cluster.") || !strings.HasSuffix(name, ".membership_total") {
			t.Errorf("filter let %q through", name)
		}
	}
	if got := envStatsOf(t, f, `^cluster\.orders\.membership_total$`); len(got) != 1 || got["cluster.orders.membership_total"] == 0 {
		t.Errorf("anchored filter: %v", got)
	}
	code, body := httpDo(t, http.MethodGet, f.EnvoyURL()+"/stats?filter=(")
	if code != http.StatusBadRequest || body != "Invalid re2 regex" {
		t.Errorf("bad regex: %d %q", code, body)
	}
	_, text := httpDo(t, http.MethodGet, f.EnvoyURL()+"/stats?usedonly&filter=email-sender")
	if strings.Contains(text, ": 0\n") || !strings.Contains(text, "cluster.email-sender.upstream_cx_none_healthy") {
		t.Errorf("usedonly kept a zero or dropped a used stat:\n%s", text)
	}
	_, text = httpDo(t, http.MethodGet, f.EnvoyURL()+"/stats")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i-1] > lines[i] {
			t.Fatalf("not sorted by name: %q before %q", lines[i-1], lines[i])
		}
	}
}

// TestDemoWireFactsForEachDiagnosis walks 60 simulated seconds and checks
// that the emulated wire formats carry the facts behind every diagnosis
// the demo claims, as the real systems would print them.
func TestDemoWireFactsForEachDiagnosis(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	seen := map[string]bool{}
	see := func(fact string, ok bool) {
		if ok {
			seen[fact] = true
		}
	}
	prev := map[string]uint64{}
	for range 60 {
		rows := showStat(t, f.HAProxyAddr())
		byPx := map[string][]stat{}
		for _, r := range rows {
			if r["type"] == "2" {
				byPx[r["pxname"]] = append(byPx[r["pxname"]], r)
			}
			cs := strings.TrimPrefix(r["check_status"], "* ")
			see("haproxy L4CON (refused)", cs == "L4CON")
			see("haproxy L4TOUT/L7TOUT (timeout)", cs == "L4TOUT" || cs == "L7TOUT")
			see("haproxy L7STS 503", cs == "L7STS" && r["check_code"] == "503")
			see("haproxy MAINT (resolution) (dns)", r["status"] == "MAINT (resolution)" && r["addr"] == "")
			see("haproxy queue at maxconn (overloaded)", r["type"] == "2" && r["slim"] != "" && r["scur"] == r["slim"] && r["qcur"] != "0")
			see("haproxy BACKEND queue", r["type"] == "1" && r["qcur"] != "0")
		}
		for _, srvs := range byPx {
			drained, zero, top, sum := 0, 0, 0, 0
			for _, r := range srvs {
				if r["status"] == "DRAIN" {
					drained++
				}
				w, _ := strconv.Atoi(r["weight"])
				sum += w
				top = max(top, w)
				if w == 0 {
					zero++
				}
			}
			see("haproxy every server DRAIN (admin_down)", drained == len(srvs))
			see("haproxy every weight 0 (zero_weight)", zero == len(srvs))
			see("haproxy one server ≥ 80% of the weight (weight_skew)", sum > 0 && 5*top >= 4*sum && len(srvs) > 2)
		}
		for _, c := range getClusters(t, f).ClusterStatuses {
			see("envoy cluster with 0 hosts (no_endpoints)", len(c.HostStatuses) == 0)
			for _, h := range c.HostStatuses {
				see("envoy /failed_outlier_check (outlier)", h.HealthStatus["failed_outlier_check"] == true)
			}
		}
		st := envStatsOf(t, f, `^cluster\.`)
		for name, v := range st {
			cl, stat, _ := strings.Cut(strings.TrimPrefix(name, "cluster."), ".")
			grew := v > prev[name]
			switch stat {
			case "lb_healthy_panic":
				see("envoy lb_healthy_panic with few healthy (panic)", grew && 2*st["cluster."+cl+".membership_healthy"] < st["cluster."+cl+".membership_total"])
			case "upstream_rq_pending_overflow":
				see("envoy upstream_rq_pending_overflow with the breaker open (overloaded)", grew && st["cluster."+cl+".circuit_breakers.default.rq_pending_open"] == 1)
			case "update_empty":
				see("envoy update_empty on an empty cluster (no_endpoints)", grew && st["cluster."+cl+".membership_total"] == 0)
			case "outlier_detection.ejections_active":
				see("envoy outlier_detection.ejections_active (outlier)", v > 0)
			case "health_check.network_failure":
				see("envoy health_check.network_failure", grew)
			}
		}
		prev = st
		f.Step()
	}
	for _, want := range []string{
		"haproxy L4CON (refused)", "haproxy L4TOUT/L7TOUT (timeout)", "haproxy L7STS 503", "haproxy MAINT (resolution) (dns)",
		"haproxy queue at maxconn (overloaded)", "haproxy BACKEND queue", "haproxy every server DRAIN (admin_down)",
		"haproxy every weight 0 (zero_weight)", "haproxy one server ≥ 80% of the weight (weight_skew)",
		"envoy cluster with 0 hosts (no_endpoints)", "envoy /failed_outlier_check (outlier)",
		"envoy lb_healthy_panic with few healthy (panic)", "envoy upstream_rq_pending_overflow with the breaker open (overloaded)",
		"envoy update_empty on an empty cluster (no_endpoints)", "envoy outlier_detection.ejections_active (outlier)",
		"envoy health_check.network_failure",
	} {
		if !seen[want] {
			t.Errorf("in 60 simulated seconds the demo never showed: %s", want)
		}
	}
}
