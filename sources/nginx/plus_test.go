package nginx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// Compile-time checks: one type serves both modes, so it has every
// capability method and Capable narrows them at run time.
var (
	_ sources.Source      = (*Source)(nil)
	_ sources.StateSetter = (*Source)(nil)
	_ sources.Weighter    = (*Source)(nil)
	_ sources.Explainer   = (*Source)(nil)
	_ sources.Capable     = (*Source)(nil)
)

func plusRoutes(t *testing.T) map[string]call {
	t.Helper()
	return map[string]call{
		"/api":                    ok(readPayload(t, "plus-api-GET-root-constructed.json")),
		"/api/9/http/upstreams":   ok(readPayload(t, "plus-api9-GET-http-upstreams-all-states-constructed.json")),
		"/api/9/stream/upstreams": ok(readPayload(t, "plus-api9-GET-stream-upstreams-constructed.json")),
		"/api/8/http/upstreams":   ok(readPayload(t, "plus-api9-GET-http-upstreams.json")),
		"/api/8/stream/upstreams": ok([]byte("{}")),
		"/api/7/http/upstreams":   ok([]byte("{}")),
	}
}

func poolNames(s model.Snapshot) []string {
	var out []string
	for _, p := range s.Pools {
		out = append(out, p.Name)
	}
	return out
}

func TestPlusPoll(t *testing.T) {
	t.Parallel()
	_, srv := newRoutes(t, plusRoutes(t))
	src := New("lb1", srv.URL+"/api/", nil)
	if ok, why := sources.Supports(src, model.ActionDrain); ok || !strings.Contains(why, "not been polled successfully yet") {
		t.Fatalf("before the first poll Supports = %v, %q", ok, why)
	}
	snap, err := src.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(poolNames(snap), ","); got != "backend,empty,stream:dns" {
		t.Fatalf("pools = %s", got)
	}
	if snap.Note != "" || len(snap.Metrics) != 0 {
		t.Errorf("Plus snapshot has OSS fields: %+v", snap)
	}
	for _, k := range []model.ActionKind{model.ActionDrain, model.ActionReady, model.ActionMaint, model.ActionWeight} {
		if ok, why := sources.Supports(src, k); !ok {
			t.Errorf("Plus Supports(%s) = false, %q", k, why)
		}
	}
	if ok, why := sources.Supports(src, model.ActionProxyFail); ok || !strings.Contains(why, "NGINX Plus has no API to fail the whole proxy") {
		t.Errorf("Supports(proxy-fail) = %v, %q", ok, why)
	}
}

func TestPlusVersionSelectionAndStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		root      string
		stream    *call // nil: the stream path is absent (404)
		wantPools string
		wantErr   string
	}{
		{name: "highest of 6-9 chosen", root: "[1,2,3,4,5,6,7,8]", wantPools: "upstream_backend"},
		{name: "stream module absent is fine", root: "[7]", wantPools: ""},
		{name: "stream empty is fine", root: "[8]", stream: &call{status: 200, resp: []byte("{}")}, wantPools: "upstream_backend"},
		{name: "stream failing is an error", root: "[8]", stream: &call{status: 500, resp: []byte("boom")}, wantErr: "GET /api/8/stream/upstreams: 500 Internal Server Error: boom"},
		{name: "unsupported versions named", root: "[1,2,3,4,5]", wantErr: "API versions [1 2 3 4 5] offered, none of 6–9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := plusRoutes(t)
			m["/api"] = ok([]byte(tc.root))
			delete(m, "/api/8/stream/upstreams")
			if tc.stream != nil {
				m["/api/8/stream/upstreams"] = *tc.stream
			}
			_, srv := newRoutes(t, m)
			snap, err := New("lb1", srv.URL+"/api", nil).Poll(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(poolNames(snap), ","); got != tc.wantPools {
				t.Fatalf("pools = %q, want %q", got, tc.wantPools)
			}
		})
	}
}

// TestRedetectAfter404 replaces NGINX Plus with open-source NGINX at the
// same URL between polls: the 404 drops the cached detection.
func TestRedetectAfter404(t *testing.T) {
	t.Parallel()
	rt, srv := newRoutes(t, plusRoutes(t))
	src := New("lb1", srv.URL+"/api", nil)
	if _, err := src.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	rt.set(map[string]call{"/api": ok(readPayload(t, "stub_status-doc-example.txt"))})
	snap, err := src.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll after the switch: %v", err)
	}
	if len(snap.Pools) != 0 || len(snap.Metrics) != 7 || snap.Note != ossNote {
		t.Fatalf("snapshot after re-detection = %+v, want stub_status metrics", snap)
	}
	if src.Can(model.ActionDrain) {
		t.Error("Can(drain) after detecting OSS")
	}
}

func TestDetectionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		path    string
		answer  call
		wantErr string
	}{
		{name: "html page", path: "/", answer: ok([]byte("<html>welcome to nginx</html>")), wantErr: `neither an NGINX Plus API root (a JSON array of versions) nor a stub_status page; the body starts "<html>welcome to nginx</html>"`},
		{name: "versioned API path", path: "/api/9", answer: ok([]byte(`["nginx","processes","http"]`)), wantErr: "give the API root"},
		{name: "not found", path: "/nope", answer: call{status: 404, resp: []byte("<html>404</html>")}, wantErr: "GET /nope: 404 Not Found: <html>404</html>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, srv := newRoutes(t, map[string]call{tc.path: tc.answer})
			_, err := New("lb1", srv.URL+tc.path, nil).Poll(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "nginx "+srv.URL) {
				t.Fatalf("error = %v, want one naming %s and containing %q", err, srv.URL, tc.wantErr)
			}
		})
	}
}

func TestMalformedUpstreams(t *testing.T) {
	t.Parallel()
	m := plusRoutes(t)
	m["/api/9/http/upstreams"] = ok([]byte(`{"backend":{"peers":[{"id":0,`))
	_, srv := newRoutes(t, m)
	_, err := New("lb1", srv.URL+"/api", nil).Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GET /api/9/http/upstreams: upstreams:") {
		t.Fatalf("error = %v, want the path and a parse error", err)
	}
}

// TestStalledHandlerHonoursDeadline proves Poll returns when its ctx
// expires even if NGINX never answers.
func TestStalledHandlerHonoursDeadline(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // stall until the client gives up
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := New("lb1", srv.URL+"/api", nil).Poll(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "nginx "+srv.URL+"/api: GET /api") {
		t.Fatalf("error = %v, want a deadline error naming the endpoint", err)
	}
}

// TestCredentialsNeverInErrors puts a password, user name and query token
// in the URL and checks none of them reaches an error, while the
// password is still sent as basic auth.
func TestCredentialsNeverInErrors(t *testing.T) {
	t.Parallel()
	gotAuth := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		select {
		case gotAuth <- u + ":" + p:
		default:
		}
		http.Error(w, "nope", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	withCreds := strings.Replace(srv.URL, "http://", "http://opsuser:s3cretpw@", 1) + "/api?token=t0ken"
	_, err := New("lb1", withCreds, nil).Poll(context.Background())
	if err == nil {
		t.Fatal("want an error from a 500")
	}
	if got := <-gotAuth; got != "opsuser:s3cretpw" {
		t.Errorf("basic auth sent = %q", got)
	}
	// A closed port: the transport error must not leak either.
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := strings.Replace(closed.URL, "http://", "http://opsuser:s3cretpw@", 1) + "/api"
	closed.Close()
	_, err2 := New("lb2", closedURL, nil).Poll(context.Background())
	_, err3 := New("lb3", "http://opsuser:s3cretpw@[::1", nil).Poll(context.Background())
	for _, e := range []error{err, err2, err3} {
		if e == nil {
			t.Fatal("want an error")
		}
		for _, secret := range []string{"s3cretpw", "opsuser", "t0ken"} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("error %q leaks %q", e, secret)
			}
		}
	}
}
