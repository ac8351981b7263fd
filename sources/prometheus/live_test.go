package prometheus

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// TestLive runs one real Prometheus for every subtest (it takes seconds
// to start) and points it at a real HAProxy's built-in exporter, at the
// recorded Envoy stats and at a small custom exporter.
func TestLive(t *testing.T) {
	prom := startPrometheus(t, time.Second)
	t.Run("haproxy", func(t *testing.T) { testLiveHAProxy(t, prom) })
	t.Run("envoy", func(t *testing.T) { testLiveEnvoy(t, prom) })
	t.Run("mapping", func(t *testing.T) { testLiveMapping(t, prom) })
}

// pollInstance polls src and returns the backends reported by one
// instance, keyed "pool/backend", and its pools.
func pollInstance(t *testing.T, src *Source, instance string) (map[string]model.Backend, map[string]model.Pool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	snap, err := src.Poll(ctx)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	backends := map[string]model.Backend{}
	pools := map[string]model.Pool{}
	for _, p := range snap.Pools {
		if p.Aggregate != nil && p.Aggregate.Instance == instance {
			pools[p.Name] = p
		}
		for _, b := range p.Backends {
			if b.Instance == instance {
				backends[p.Name+"/"+b.Name] = b
				pools[p.Name] = p
			}
		}
	}
	return backends, pools
}

// showStatHealth is what the HAProxy runtime API's status column means,
// written independently of the code under test.
func showStatHealth(status string) model.Health {
	switch {
	case status == "UP" || status == "no check":
		return model.Healthy
	case strings.HasPrefix(status, "DOWN"):
		return model.Unhealthy
	case strings.HasPrefix(status, "MAINT"):
		return model.Down
	case status == "DRAIN" || status == "NOLB":
		return model.Draining
	}
	return model.Unknown
}

// agree compares every server `show stat` lists with what the source read
// through PromQL: the same servers, health and weight.
func agree(t *testing.T, inst *haproxytest.Instance, src *Source, instance string) (bool, string) {
	t.Helper()
	got, _ := pollInstance(t, src, instance)
	var diffs []string
	seen := map[string]bool{}
	for _, r := range inst.ShowStat(t) {
		if r["svname"] == "FRONTEND" || r["svname"] == "BACKEND" {
			continue
		}
		key := r["pxname"] + "/" + r["svname"]
		seen[key] = true
		b, ok := got[key]
		if !ok {
			diffs = append(diffs, key+": missing from Prometheus")
			continue
		}
		if want := showStatHealth(r["status"]); b.Health != want {
			diffs = append(diffs, fmt.Sprintf("%s: health %s (%s), show stat says %q", key, b.Health, b.Reason, r["status"]))
		}
		if w, _ := strconv.Atoi(r["weight"]); b.Weight != w {
			diffs = append(diffs, fmt.Sprintf("%s: weight %d, show stat says %d", key, b.Weight, w))
		}
	}
	for key := range got {
		if !seen[key] {
			diffs = append(diffs, key+": not in show stat")
		}
	}
	slices.Sort(diffs)
	return len(diffs) == 0, strings.Join(diffs, "; ")
}

func testLiveHAProxy(t *testing.T, prom *promServer) {
	inst := haproxytest.Start(t, haproxytest.Config{
		Metrics:  true,
		Frontend: "err",
		Backends: []haproxytest.Backend{
			{Name: "web", Servers: []haproxytest.Server{
				{Name: "ok", Weight: 3},
				{Name: "fail", Health: haproxytest.Unhealthy},
				{Name: "refused", Health: haproxytest.Refused},
				{Name: "maint", State: haproxytest.Maint},
				{Name: "drain", State: haproxytest.Drain},
				{Name: "spare", Backup: true, Weight: 5},
			}},
			{Name: "api", Servers: []haproxytest.Server{{Name: "a1", Weight: 10}, {Name: "a2"}}},
			{Name: "err", Servers: []haproxytest.Server{{Name: "e1", Health: haproxytest.Unchecked}}},
		},
	})
	inst.Backends["err/e1"].SetStatus(http.StatusServiceUnavailable)
	mu, err := url.Parse(inst.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	instance := mu.Host
	prom.addTarget(t, "haproxy", instance)

	src, err := New("prom", prom.URL, nil, Options{Presets: []string{PresetHAProxy}, RateWindow: "10s"})
	if err != nil {
		t.Fatal(err)
	}
	traffic := func() {
		for range 20 {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, inst.FrontendURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("traffic through %s: %v", inst.FrontendURL, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	waitFor(t, 30*time.Second, func() (bool, string) {
		traffic()
		if ok, why := agree(t, inst, src, instance); !ok {
			return false, why
		}
		got, _ := pollInstance(t, src, instance)
		e1 := got["err/e1"]
		return e1.HasRates && e1.ErrRate > 0 && e1.ReqRate > 0, fmt.Sprintf("err/e1 rates not yet seen: %+v", e1)
	})

	got, _ := pollInstance(t, src, instance)
	promexHasBackup := !strings.HasPrefix(inst.Version, "2.6.")
	want := []struct {
		key    string
		health model.Health
		reason string
		weight int
		backup bool
	}{
		{"web/ok", model.Healthy, "UP", 3, false},
		{"web/fail", model.Unhealthy, "DOWN L7STS", 1, false},
		{"web/refused", model.Unhealthy, "DOWN L4CON", 1, false},
		{"web/maint", model.Down, "MAINT", 1, false},
		{"web/drain", model.Draining, "DRAIN", 1, false},
		{"web/spare", model.Healthy, "UP", 5, true},
		{"api/a1", model.Healthy, "UP", 10, false},
		{"api/a2", model.Healthy, "UP", 1, false},
		{"err/e1", model.Healthy, "UP", 1, false},
	}
	for _, w := range want {
		b, ok := got[w.key]
		if !ok {
			t.Errorf("%s: missing", w.key)
			continue
		}
		// HAProxy 2.6's exporter has no per-server backup flag
		// (haproxy_server_backup is missing), so only a version that
		// exports it can be held to it.
		if b.Health != w.health || b.Reason != w.reason || b.Weight != w.weight || (b.Backup != w.backup && promexHasBackup) {
			t.Errorf("%s: got %s %q weight %d backup %v, want %s %q weight %d backup %v",
				w.key, b.Health, b.Reason, b.Weight, b.Backup, w.health, w.reason, w.weight, w.backup)
		}
	}

	// A change made through the runtime API shows up through Prometheus.
	if out := strings.TrimSpace(inst.Cmd(t, "set server api/a2 state maint")); out != "" {
		t.Fatalf("set server api/a2 state maint: %s", out)
	}
	waitFor(t, 15*time.Second, func() (bool, string) {
		if ok, why := agree(t, inst, src, instance); !ok {
			return false, why
		}
		got, _ := pollInstance(t, src, instance)
		return got["api/a2"].Health == model.Down, "api/a2 not yet down: " + got["api/a2"].Reason
	})
}

// counterServer serves exposition text from render, giving it a number
// that grows by one per scrape so counters have a rate.
func counterServer(t testing.TB, render func(n int64) string) string {
	t.Helper()
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = io.WriteString(w, render(scrapes.Add(1)))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func testLiveEnvoy(t *testing.T, prom *promServer) {
	var text string
	for _, f := range []string{"envoy-stats-prometheus-excerpt-gauges.txt", "envoy-stats-prometheus-excerpt-counters.txt"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "prometheus", f))
		if err != nil {
			t.Fatal(err)
		}
		text += string(b)
	}
	// Make service1 serve traffic and run in panic mode: its counters grow.
	const rq = `envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="service1"} 1`
	const panicked = `envoy_cluster_lb_healthy_panic{envoy_cluster_name="service1"} 0`
	for _, line := range []string{rq, panicked} {
		if !strings.Contains(text, line+"\n") {
			t.Fatalf("fixture lacks %q", line)
		}
	}
	instance := counterServer(t, func(n int64) string {
		s := strings.Replace(text, rq+"\n", strings.TrimSuffix(rq, "1")+strconv.FormatInt(n*10, 10)+"\n", 1)
		return strings.Replace(s, panicked+"\n", strings.TrimSuffix(panicked, "0")+strconv.FormatInt(n, 10)+"\n", 1)
	})
	prom.addTarget(t, "envoy", instance)

	src, err := New("prom", prom.URL, nil, Options{Presets: []string{PresetEnvoy}, RateWindow: "10s"})
	if err != nil {
		t.Fatal(err)
	}
	var pools map[string]model.Pool
	waitFor(t, 30*time.Second, func() (bool, string) {
		_, pools = pollInstance(t, src, instance)
		p1 := pools["service1"]
		if p1.Aggregate == nil || p1.Aggregate.ReqRate == 0 || p1.Note == "" {
			return false, fmt.Sprintf("service1 not complete yet: %+v", p1)
		}
		return len(pools) == 2, fmt.Sprintf("pools %v", slices.Sorted(maps.Keys(pools)))
	})
	// Only service1 has upstream_rq_xx series in the fixture.
	for name, rates := range map[string]bool{"service1": true, "service2": false} {
		a := pools[name].Aggregate
		if a == nil || a.Healthy != 1 || a.Total != 1 || a.Active != 1 || a.Instance != instance || a.HasRates != rates {
			t.Errorf("%s: aggregate %+v, want 1/1 healthy, 1 active, instance %s, rates %v", name, a, instance, rates)
		}
	}
	if n := pools["service1"].Note; !strings.Contains(n, "panic mode") || !strings.HasPrefix(n, instance+": ") {
		t.Errorf("service1 note %q, want the instance and panic mode", n)
	}
	if n := pools["service2"].Note; n != "" {
		t.Errorf("service2 note %q, want none", n)
	}
}

func testLiveMapping(t *testing.T, prom *promServer) {
	instance := counterServer(t, func(n int64) string {
		return fmt.Sprintf(`# TYPE myapp_backend_up gauge
myapp_backend_up{service="checkout",pod="c-1"} 1
myapp_backend_up{service="checkout",pod="c-2"} 0
myapp_backend_up{service="search",pod="s-1"} 1
# TYPE myapp_backend_weight gauge
myapp_backend_weight{service="checkout",pod="c-1"} 7
myapp_backend_weight{service="checkout",pod="c-2"} 3
# TYPE myapp_requests_total counter
myapp_requests_total{service="checkout",pod="c-1",code="200"} %d
myapp_requests_total{service="checkout",pod="c-1",code="503"} %d
`, n*100, n*10)
	})
	prom.addTarget(t, "mapping", instance)
	by := "max by (instance, service, pod) "
	m := Mapping{
		Name: "myapp", Kind: "custom",
		PoolLabel: "service", BackendLabel: "pod",
		Health:  by + `(myapp_backend_up{lbtest="mapping"})`,
		Weight:  by + `(myapp_backend_weight{lbtest="mapping"})`,
		ReqRate: `sum by (instance, service, pod) (rate(myapp_requests_total{lbtest="mapping"}[10s]))`,
		ErrRate: `sum by (instance, service, pod) (rate(myapp_requests_total{lbtest="mapping",code=~"5.."}[10s]))`,
	}
	src, err := New("prom", prom.URL, nil, Options{Presets: []string{}, Mappings: []Mapping{m}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]model.Backend
	waitFor(t, 30*time.Second, func() (bool, string) {
		got, _ = pollInstance(t, src, instance)
		c1 := got["checkout/c-1"]
		// Both rates need two scrapes in their window; the two queries
		// run apart, so wait until both have them.
		return len(got) == 3 && c1.ErrRate > 0 && c1.ReqRate > 0, fmt.Sprintf("backends %+v", got)
	})
	want := map[string]struct {
		health model.Health
		weight int
		rates  bool
	}{
		"checkout/c-1": {model.Healthy, 7, true},
		"checkout/c-2": {model.Unhealthy, 3, false},
		"search/s-1":   {model.Healthy, -1, false},
	}
	for key, w := range want {
		b := got[key]
		if b.Health != w.health || b.Weight != w.weight || b.HasRates != w.rates || b.Instance != instance {
			t.Errorf("%s: got %s weight %d rates %v instance %q, want %s weight %d rates %v instance %q",
				key, b.Health, b.Weight, b.HasRates, b.Instance, w.health, w.weight, w.rates, instance)
		}
	}
	// 110 requests and 10 errors per scrape, one scrape a second.
	if c1 := got["checkout/c-1"]; c1.ReqRate < c1.ErrRate*5 {
		t.Errorf("checkout/c-1 rates %.1f req/s, %.1f 5xx/s: want about 110 and 10", c1.ReqRate, c1.ErrRate)
	}
}
