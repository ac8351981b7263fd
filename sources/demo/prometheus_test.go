package demo

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/prometheus"
)

func promSource(t *testing.T, f *Fleet) *prometheus.Source {
	t.Helper()
	src, err := prometheus.New("demo-prometheus", f.PrometheusURL(), nil, prometheus.Options{})
	if err != nil {
		t.Fatalf("prometheus.New: %v", err)
	}
	return src
}

// instancesOf lists the distinct instances of a pool's backends and
// aggregates, sorted.
func instancesOf(pools []model.Pool, name string) []string {
	var out []string
	for _, p := range pools {
		if p.Name != name {
			continue
		}
		for _, b := range p.Backends {
			out = append(out, b.Instance)
		}
		if p.Aggregate != nil {
			out = append(out, p.Aggregate.Instance)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestPrometheusSourceReadsDemo(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	snap, err := promSource(t, f).Poll(pollCtx(t))
	if err != nil {
		t.Fatalf("poll demo Prometheus: %v", err)
	}
	if snap.Note != "" {
		t.Errorf("note: %q", snap.Note)
	}
	lbs := []string{"lb-a:8404", "lb-b:8404", "lb-c:8404"}
	for _, name := range []string{"edge-web", "edge-api", "edge-login", "edge-uploads", "edge-ws"} {
		if got := instancesOf(snap.Pools, name); !slices.Equal(got, lbs) {
			t.Errorf("%s instances: %v, want %v", name, got, lbs)
		}
	}
	for name, want := range map[string][]string{
		"mesh-ledger": {"mesh-a:9901", "mesh-b:9901"}, "mesh-quotes": {"mesh-a:9901", "mesh-b:9901"},
		"partner-api": {"nginx-a:9113", "nginx-b:9113"}, "static-cache": {"nginx-a:9113", "nginx-b:9113"},
	} {
		if got := instancesOf(snap.Pools, name); !slices.Equal(got, want) {
			t.Errorf("%s instances: %v, want %v", name, got, want)
		}
	}
	web := poolByName(t, snap, "edge-web")
	if len(web.Backends) != 3*6 {
		t.Errorf("edge-web: %d rows, want 6 servers × 3 instances", len(web.Backends))
	}
	find := func(p model.Pool, server, inst string) model.Backend {
		t.Helper()
		for _, b := range p.Backends {
			if b.Name == server && b.Instance == inst {
				return b
			}
		}
		t.Fatalf("%s: no %s on %s", p.Name, server, inst)
		return model.Backend{}
	}
	if b := find(poolByName(t, snap, "edge-api"), "api-3", "lb-b:8404"); b.Health != model.Down || b.Reason != "MAINT" {
		t.Errorf("api-3 on lb-b (MAINT there only): %v %q", b.Health, b.Reason)
	}
	if b := find(poolByName(t, snap, "edge-api"), "api-3", "lb-a:8404"); b.Health == model.Down {
		t.Errorf("api-3 on lb-a: %v, want it in rotation (only lb-b has it in MAINT)", b.Health)
	}
	if b := find(web, "web-2", "lb-c:8404"); b.Health != model.Draining {
		t.Errorf("web-2 on lb-c: %v, want draining", b.Health)
	}
	if b := find(web, "web-1", "lb-a:8404"); !b.HasRates || b.Weight != 1 {
		t.Errorf("web-1 on lb-a: rates %t weight %d", b.HasRates, b.Weight)
	}
	if b := find(poolByName(t, snap, "partner-api"), "10.40.7.10:8080", "nginx-a:9113"); b.Health != model.Draining {
		t.Errorf("partner-api first server on nginx-a: %v, want draining", b.Health)
	}
}

// TestPrometheusPoolOutage polls until edge-uploads has no healthy server
// on any instance, within a bounded number of steps.
func TestPrometheusPoolOutage(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 2)
	src := promSource(t, f)
	for step := range 100 {
		snap, err := src.Poll(pollCtx(t))
		if err != nil {
			t.Fatalf("step %d: poll: %v", step, err)
		}
		if p := poolByName(t, snap, "edge-uploads"); serving(p) == 0 && len(p.Backends) == 9 {
			return
		}
		f.Step()
	}
	t.Errorf("edge-uploads never had zero healthy servers in 100 steps")
}

// promEnvelope is the Prometheus API's JSON envelope.
type promEnvelope struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func promGet(t *testing.T, method, base, q string) (int, promEnvelope) {
	t.Helper()
	var code int
	var body string
	if method == http.MethodPost {
		code, body = httpForm(t, base+"/api/v1/query", url.Values{"query": {q}})
	} else {
		code, body = httpDo(t, method, base+"/api/v1/query?query="+url.QueryEscape(q))
	}
	var env promEnvelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("%s %q: not JSON: %v: %q", method, q, err, body)
	}
	return code, env
}

func httpForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	ctx := pollCtx(t)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of POST %s: %v", u, err)
	}
	return resp.StatusCode, string(b)
}

func TestPrometheusAPI(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	base := f.PrometheusURL()
	cases := []struct {
		name, query string
		want        int // results
		labels      string
	}{
		{"count by instance", "count by (instance) (haproxy_server_weight)", 3, "instance"},
		{"selector with matcher", `haproxy_server_weight{proxy="edge-login"}`, 12, "__name__,instance,job,proxy,server"},
		{"not-equal matcher", `haproxy_server_weight{proxy!="edge-login"}`, 3 * 18, "__name__,instance,job,proxy,server"},
		{"state filter", `max by (instance, proxy, server, state) (haproxy_server_status) == 1`, 3 * 22, "instance,proxy,server,state"},
		{"rate drops the name", `rate(nginxplus_upstream_server_requests[1m])`, 2 * 7, "instance,job,server,upstream"},
		{"regex matcher matches nothing", `haproxy_server_weight{proxy=~"edge-.*"}`, 0, ""},
		{"unknown metric", `up`, 0, ""},
		{"not understood", `histogram_quantile(0.9, foo)`, 0, ""},
	}
	for _, c := range cases {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			code, env := promGet(t, method, base, c.query)
			if code != 200 || env.Status != "success" || env.Data.ResultType != "vector" || len(env.Data.Result) != c.want {
				t.Errorf("%s (%s): %d %s %s, %d results, want %d", c.name, method, code, env.Status, env.Data.ResultType, len(env.Data.Result), c.want)
				continue
			}
			for _, r := range env.Data.Result {
				names := make([]string, 0, len(r.Metric))
				for k := range r.Metric {
					names = append(names, k)
				}
				slices.Sort(names)
				_, isTime := r.Value[0].(float64)
				_, isText := r.Value[1].(string)
				if strings.Join(names, ",") != c.labels || len(r.Value) != 2 || !isTime || !isText {
					t.Errorf("%s (%s): sample %v %v; want labels %s and [time, \"value\"]", c.name, method, r.Metric, r.Value, c.labels)
					break
				}
			}
		}
	}
	if code, env := promGet(t, http.MethodGet, base, ""); code != 400 || env.Status != "error" || env.ErrorType != "bad_data" {
		t.Errorf("empty query: %d %+v", code, env)
	}
	code, body := httpDo(t, http.MethodGet, base+"/api/v1/status/buildinfo")
	if code != 200 || !strings.Contains(body, `"version":"`+promVersion+`"`) {
		t.Errorf("buildinfo: %d %s", code, body)
	}
	if code, _ := httpDo(t, http.MethodDelete, base+"/api/v1/query?query=up"); code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /api/v1/query: %d, want 405", code)
	}
}

func TestNGINXAndPrometheusListenersCloseWithFleet(t *testing.T) {
	t.Parallel()
	f, err := Start(t.Context(), Options{Seed: 3, Tick: -1})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ngx, prom := strings.TrimPrefix(strings.TrimSuffix(f.NGINXURL(), "/api"), "http://"), strings.TrimPrefix(f.PrometheusURL(), "http://")
	for _, addr := range []string{ngx, prom} {
		if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
			t.Errorf("listener %q: want 127.0.0.1 (%v)", addr, err)
		}
	}
	if !strings.HasSuffix(f.NGINXURL(), "/api") || strings.HasSuffix(f.PrometheusURL(), "/") {
		t.Errorf("URLs: NGINX %q (want …/api), Prometheus %q (want no trailing slash)", f.NGINXURL(), f.PrometheusURL())
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, addr := range []string{ngx, prom} {
		if !refused(t, addr) {
			t.Errorf("%s still accepts connections after Close", addr)
		}
	}
}
