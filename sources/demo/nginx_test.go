package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/nginx"
)

// httpBody sends one request with a body and returns status and body.
func httpBody(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatalf("request %s %s: %v", method, url, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

func TestNGINXSourceReadsDemo(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	src := nginx.New("demo-nginx", f.NGINXURL(), nil)
	snap, err := src.Poll(pollCtx(t))
	if err != nil {
		t.Fatalf("poll demo NGINX: %v", err)
	}
	f.sim.mu.Lock()
	wantPools, wantBackends := len(f.more.ngx.ups), 0
	for _, u := range f.more.ngx.ups {
		wantBackends += len(u.peers)
	}
	f.sim.mu.Unlock()
	if len(snap.Pools) != wantPools || backendCount(snap) != wantBackends {
		t.Errorf("pools/backends: got %d/%d, want %d/%d", len(snap.Pools), backendCount(snap), wantPools, wantBackends)
	}
	if wantPools != 10 {
		t.Errorf("NGINX upstreams: %d, want 8 http + 2 stream", wantPools)
	}
	poolByName(t, snap, "stream:postgres")
	if p := poolByName(t, snap, "billing"); serving(p) != 0 {
		t.Errorf("billing starts in an outage, but %d servers serve", serving(p))
	}
	if got := poolByName(t, snap, "reporting").Backends[2].Health; got != model.Down {
		t.Errorf("reporting's third server (down in the config): %v, want down", got)
	}
}

// TestNGINXFullOutageRecurs walks the simulation until billing has no
// healthy server and later recovers, polling through the nginx source.
func TestNGINXFullOutageRecurs(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 5)
	src := nginx.New("demo-nginx", f.NGINXURL(), nil)
	sawNone, sawBack := false, false
	for step := 0; step < 200 && !(sawNone && sawBack); step++ {
		snap, err := src.Poll(pollCtx(t))
		if err != nil {
			t.Fatalf("step %d: poll: %v", step, err)
		}
		n := serving(poolByName(t, snap, "billing"))
		sawNone = sawNone || n == 0
		sawBack = sawBack || (sawNone && n > 0)
		f.Step()
	}
	if !sawNone || !sawBack {
		t.Errorf("billing over 200 steps: zero healthy seen %t, recovery after it %t", sawNone, sawBack)
	}
}

// TestNGINXStatesOverSteps checks that every documented peer state shows
// up, reading the simulation directly (rendering 200 polls would only
// slow the test).
func TestNGINXStatesOverSteps(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 9)
	seen := map[string]bool{}
	walk(f, 200, func() {
		for _, u := range f.more.ngx.ups {
			for _, p := range u.peers {
				seen[p.state(f.sim.n)] = true
			}
		}
	})
	for _, st := range []string{"up", "draining", "down", "unavail", "checking", "unhealthy"} {
		if !seen[st] {
			t.Errorf("state %q never seen in 200 steps; saw %v", st, seen)
		}
	}
}

func TestNGINXActionsThroughSource(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	src := nginx.New("demo-nginx", f.NGINXURL(), nil)
	f.sim.mu.Lock()
	p := f.more.ngx.upstream("http", "websocket").peers[0]
	p.steady, p.fault = true, fault{}
	addr := p.server
	f.sim.mu.Unlock()

	ref := model.BackendRef{Source: src.Name(), Pool: "websocket", Backend: addr}
	health := func() model.Backend {
		t.Helper()
		snap, err := src.Poll(pollCtx(t))
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		return backendByName(t, poolByName(t, snap, "websocket"), addr)
	}
	if b := health(); b.Health != model.Healthy {
		t.Fatalf("%s before any action: %v (%s), want healthy", addr, b.Health, b.Reason)
	}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionDrain, Ref: ref}); err != nil {
		t.Fatalf("drain %s: %v", ref, err)
	}
	f.Step()
	if b := health(); b.Health != model.Draining {
		t.Errorf("%s after drain: %v (%s), want draining", addr, b.Health, b.Reason)
	}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionReady, Ref: ref}); err != nil {
		t.Fatalf("ready %s: %v", ref, err)
	}
	f.Step()
	if b := health(); b.Health == model.Draining || b.Health == model.Down {
		t.Errorf("%s after ready ({\"down\":false}): %v, want back in rotation", addr, b.Health)
	}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionMaint, Ref: ref}); err != nil {
		t.Fatalf("maint %s: %v", ref, err)
	}
	if b := health(); b.Health != model.Down {
		t.Errorf("%s after maint: %v, want down", addr, b.Health)
	}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionWeight, Ref: ref, Weight: 7}); err != nil {
		t.Fatalf("weight 7 on %s: %v", ref, err)
	}
	if b := health(); b.Weight != 7 {
		t.Errorf("%s weight after set weight 7: %d", addr, b.Weight)
	}
	missing := model.BackendRef{Source: src.Name(), Pool: "websocket", Backend: "10.99.99.99:1"}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionDrain, Ref: missing}); err == nil {
		t.Errorf("drain of an unknown server: want an error")
	}
	noPool := model.BackendRef{Source: src.Name(), Pool: "nosuch", Backend: addr}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionDrain, Ref: noPool}); err == nil || !strings.Contains(err.Error(), "UpstreamNotFound") {
		t.Errorf("drain in an unknown upstream: %v, want UpstreamNotFound", err)
	}
}

// ngxErrorBody is NGINX's error JSON.
type ngxErrorBody struct {
	Error struct {
		Status int    `json:"status"`
		Text   string `json:"text"`
		Code   string `json:"code"`
	} `json:"error"`
	RequestID string `json:"request_id"`
	Href      string `json:"href"`
}

func TestNGINXAPIErrors(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	api := f.NGINXURL() + "/9"
	reqID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown upstream", "GET", "/http/upstreams/nosuch", "", 404, "UpstreamNotFound"},
		{"unknown upstream servers", "GET", "/http/upstreams/nosuch/servers", "", 404, "UpstreamNotFound"},
		{"http name under stream", "GET", "/stream/upstreams/billing", "", 404, "UpstreamNotFound"},
		{"unknown server id", "PATCH", "/http/upstreams/billing/servers/99", `{"drain":true}`, 404, "UpstreamServerNotFound"},
		{"bad server id", "GET", "/http/upstreams/billing/servers/x", "", 400, "UpstreamBadServerId"},
		{"weight 0", "PATCH", "/http/upstreams/billing/servers/0", `{"weight":0}`, 400, "UpstreamBadWeight"},
		{"weight too big", "PATCH", "/http/upstreams/billing/servers/0", `{"weight":1000001}`, 400, "UpstreamBadWeight"},
		{"weight a string", "PATCH", "/http/upstreams/billing/servers/0", `{"weight":"5"}`, 400, "UpstreamConfFormatError"},
		{"unknown parameter", "PATCH", "/http/upstreams/billing/servers/0", `{"drained":true}`, 400, "UpstreamConfFormatError"},
		{"nested value", "PATCH", "/http/upstreams/billing/servers/0", `{"down":{"x":1}}`, 400, "UpstreamConfFormatError"},
		{"drain on stream", "PATCH", "/stream/upstreams/postgres/servers/0", `{"drain":true}`, 400, "UpstreamConfFormatError"},
		{"not JSON", "PATCH", "/http/upstreams/billing/servers/0", `drain`, 415, "JsonError"},
		{"JSON array", "PATCH", "/http/upstreams/billing/servers/0", `[1]`, 415, "JsonError"},
		{"POST on read-only path", "POST", "/http/upstreams", `{}`, 405, "MethodDisabled"},
		{"DELETE a server", "DELETE", "/http/upstreams/billing/servers/0", "", 405, "MethodDisabled"},
		{"PATCH an upstream", "PATCH", "/http/upstreams/billing", `{"down":true}`, 405, "MethodDisabled"},
		{"unknown path", "GET", "/http/nosuch", "", 404, "PathNotFound"},
	}
	for _, c := range cases {
		code, body := httpBody(t, c.method, api+c.path, c.body)
		var e ngxErrorBody
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Errorf("%s: body is not error JSON: %v: %q", c.name, err, body)
			continue
		}
		if code != c.status || e.Error.Status != c.status || e.Error.Code != c.code || e.Error.Text == "" {
			t.Errorf("%s: %s %s: got %d %+v, want %d %s", c.name, c.method, c.path, code, e.Error, c.status, c.code)
		}
		if !reqID.MatchString(e.RequestID) || e.Href != ngxErrorHref {
			t.Errorf("%s: request_id %q href %q", c.name, e.RequestID, e.Href)
		}
	}
	code, body := httpBody(t, "GET", f.NGINXURL()+"/10/", "")
	if code != 404 || !strings.Contains(body, `"UnknownVersion"`) {
		t.Errorf("API version 10: %d %s", code, body)
	}
	// A rejected PATCH changes nothing, even the valid part of its body.
	code, _ = httpBody(t, "PATCH", api+"/http/upstreams/billing/servers/0", `{"down":true,"weight":0}`)
	_, conf := httpBody(t, "GET", api+"/http/upstreams/billing/servers/0", "")
	if code != 400 || !strings.Contains(conf, `"down":false`) {
		t.Errorf("PATCH down+weight 0: status %d, then the server reads %s", code, conf)
	}
}

func TestNGINXPatchAnswersConfServer(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	url := f.NGINXURL() + "/9/http/upstreams/api-gateway/servers/3"
	code, body := httpBody(t, "PATCH", url, `{"weight":4,"max_fails":2,"fail_timeout":"30s","route":"a","drain":true}`)
	var c map[string]any
	if err := json.Unmarshal([]byte(body), &c); err != nil || code != 200 {
		t.Fatalf("PATCH: %d %q (%v)", code, body, err)
	}
	want := map[string]any{"id": 3.0, "weight": 4.0, "max_fails": 2.0, "fail_timeout": "30s", "route": "a", "drain": true, "down": false, "backup": false}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("PATCH answer %s = %v, want %v (%s)", k, c[k], v, body)
		}
	}
	if _, again := httpBody(t, "GET", url, ""); again != body {
		t.Errorf("GET after PATCH differs:\n%s\n%s", again, body)
	}
	code, body = httpBody(t, "PATCH", url, `{"down":false}`)
	if code != 200 || strings.Contains(body, `"drain"`) {
		t.Errorf(`{"down":false} on a draining server: %d %s; want drain cleared`, code, body)
	}
}

// ngxDigest is the NGINX state that must not depend on anything but the
// seed and the steps taken (rendered JSON carries wall-clock times).
func ngxDigest(f *Fleet) string {
	var b strings.Builder
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	for _, u := range f.more.ngx.ups {
		for _, p := range u.peers {
			fmt.Fprintf(&b, "%s/%d %s %s %d %d %d;", u.spec.name, p.id, p.server, p.state(f.sim.n), p.c.requests, p.fails, p.hcChecks)
		}
	}
	for _, s := range f.more.prom.eval(`sum by (instance, proxy, server) (rate(haproxy_server_sessions_total[1m]))`) {
		fmt.Fprintf(&b, "%s=%g;", s.labels.key(), s.value)
	}
	return b.String()
}

func TestNGINXAndPrometheusDeterministicForSeed(t *testing.T) {
	t.Parallel()
	assertDeterministic(t, 10, ngxDigest)
}
