package envoy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// Compile-time checks of the capabilities this source has, and lacks.
var (
	_ sources.Source            = (*Source)(nil)
	_ sources.ProxyHealthSetter = (*Source)(nil)
	_ sources.Explainer         = (*Source)(nil)
)

// guard bounds how long a test waits for a call that must return on its
// own; reaching it is a failure, not a measurement.
const guard = 10 * time.Second

func TestSourceIdentity(t *testing.T) {
	t.Parallel()
	var s any = New("edge-1", "http://127.0.0.1:9901", nil)
	if _, ok := s.(sources.StateSetter); ok {
		t.Error("Envoy source must not claim to set one host's state")
	}
	if _, ok := s.(sources.Weighter); ok {
		t.Error("Envoy source must not claim to set one host's weight")
	}
	src := s.(*Source)
	if src.Name() != "edge-1" || src.Kind() != model.KindEnvoy {
		t.Errorf("Name, Kind = %q, %q", src.Name(), src.Kind())
	}
}

func TestPollOK(t *testing.T) {
	t.Parallel()
	body := readRecorded(t, "clusters-json-streaming-from-clusters_request_test.json")
	tests := []struct {
		name   string
		prefix string // admin mounted under a path
		suffix string // what the user typed after it
	}{
		{"root", "", ""},
		{"trailing slash", "", "/"},
		{"path prefix", "/envoy-admin", "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && r.URL.Path == tc.prefix+readyPath {
					_, _ = w.Write([]byte("LIVE\n")) // the proxy's own state, read on every poll
					return
				}
				if r.Method == http.MethodGet && r.URL.Path == tc.prefix+"/stats" && r.URL.Query().Get("filter") == statsFilter {
					_, _ = w.Write(readRecorded(t, "stats-text-constructed-diagnosis-1.txt"))
					return
				}
				if r.Method != http.MethodGet || r.URL.Path != tc.prefix+"/clusters" || r.URL.RawQuery != "format=json" {
					t.Errorf("request %s %s, want GET %s/clusters?format=json", r.Method, r.URL, tc.prefix)
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			}))
			t.Cleanup(srv.Close)
			src := New("edge", srv.URL+tc.prefix+tc.suffix, srv.Client())
			for range 2 { // the second poll reuses the first poll's buffer
				snap, err := src.Poll(t.Context())
				if err != nil {
					t.Fatalf("Poll: %v", err)
				}
				if snap.Source != "edge" || snap.Kind != model.KindEnvoy || len(snap.Pools) != 2 {
					t.Fatalf("snapshot %q %q with %d pools, want edge envoy with 2", snap.Source, snap.Kind, len(snap.Pools))
				}
				if b := snap.Pools[1].Backends[0]; b.Name != "test_hostname" || b.Health != model.Unhealthy {
					t.Errorf("backend %+v", b)
				}
				if snap.Note != "" {
					t.Errorf("note %q: the stats request failed", snap.Note)
				}
			}
		})
	}
}

func TestPollSchemeAssumed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	src := New("edge", strings.TrimPrefix(srv.URL, "http://"), nil) // also exercises the private default client
	if _, err := src.Poll(t.Context()); err != nil {
		t.Fatalf("Poll without scheme: %v", err)
	}
}

func TestPollErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		maxBody int64
		want    []string // substrings of the error
	}{
		{"404", http.StatusNotFound, "invalid path: /clusters\n", 0,
			[]string{"GET http://", "/clusters?format=json", "404 Not Found", `"invalid path: /clusters"`}},
		{"503 without body", http.StatusServiceUnavailable, "", 0,
			[]string{"/clusters?format=json", "503 Service Unavailable"}},
		{"malformed body", http.StatusOK, `{"cluster_statuses":[{"name":`, 0,
			[]string{"GET http://", "/clusters?format=json", "malformed clusters JSON"}},
		{"empty body", http.StatusOK, "", 0,
			[]string{"/clusters?format=json", "malformed clusters JSON (0 bytes)"}},
		{"html error page", http.StatusOK, "<html>upstream connect error</html>", 0,
			[]string{"/clusters?format=json", "malformed"}},
		{"body over the limit", http.StatusOK, `{"cluster_statuses":[` + strings.Repeat(`{"name":"c"},`, 200) + `{"name":"c"}]}`, 1024,
			[]string{"/clusters?format=json", "reply larger than 1 KiB limit"}},
		{"body over the limit, announced", http.StatusOK, strings.Repeat(" ", 1025), 1024,
			[]string{"/clusters?format=json", "reply larger than 1 KiB limit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			src := New("edge", srv.URL, sources.Policy{MaxResponseBytes: tc.maxBody}.HTTPClient(srv.Client()))
			snap, err := src.Poll(t.Context())
			if err == nil {
				t.Fatalf("Poll = %+v, want an error", snap)
			}
			t.Logf("error: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestPollBodyAtTheLimit(t *testing.T) {
	t.Parallel()
	body := `{"cluster_statuses":[]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	src := New("edge", srv.URL, sources.Policy{MaxResponseBytes: int64(len(body))}.HTTPClient(srv.Client()))
	if _, err := src.Poll(t.Context()); err != nil {
		t.Fatalf("a body of exactly max_response_bytes must pass: %v", err)
	}
}

// TestErrorsHideCredentials: a password in the admin URL never reaches an
// error, whatever fails.
func TestErrorsHideCredentials(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close() // nothing listens there now: the dial fails

	const secret = "s3cret-pw"
	for _, base := range []string{
		strings.Replace(srv.URL, "http://", "http://admin:"+secret+"@", 1),
		strings.Replace(closedURL, "http://", "http://admin:"+secret+"@", 1),
		"http://admin:" + secret + "@[::1", // unparsable
	} {
		src := New("edge", base, nil)
		_, err := src.Poll(t.Context())
		if err == nil {
			t.Fatalf("Poll %s: want an error", srv.URL)
		}
		t.Logf("error: %v", err)
		if strings.Contains(err.Error(), secret) {
			t.Errorf("poll error reveals the password: %v", err)
		}
		err = src.SetProxyHealth(t.Context(), false)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("action error %v: want an error without the password", err)
		}
	}
}

// stall serves a handler that blocks until the client gives up or the
// test ends. afterHeaders sends the status and part of the body first, to
// prove the body read also honours the deadline.
func stall(t *testing.T, afterHeaders bool) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if afterHeaders {
			_, _ = w.Write([]byte(`{"cluster_statuses":[`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: unblocks handlers so Close returns
	return srv
}

func TestPollHonoursDeadline(t *testing.T) {
	t.Parallel()
	for _, afterHeaders := range []bool{false, true} {
		name := map[bool]string{false: "before headers", true: "mid body"}[afterHeaders]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := stall(t, afterHeaders)
			src := New("edge", srv.URL, srv.Client())
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := src.Poll(ctx)
				done <- err
			}()
			select {
			case err := <-done:
				t.Logf("error: %v", err)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Poll error %v, want context.DeadlineExceeded", err)
				}
				if err != nil && !strings.Contains(err.Error(), srv.URL+"/clusters?format=json") {
					t.Errorf("error %q does not name the endpoint", err)
				}
			case <-time.After(guard):
				t.Fatal("Poll ignored its context deadline")
			}
		})
	}
}

// expectedCall is one request a scripted fake admin API expects, and its
// reply.
type expectedCall struct {
	method, path string
	status       int
	body         string
}

// scriptedAdmin is a fake Envoy admin API that expects exactly the given
// calls in order: an unexpected call fails the test at once, a missing
// one when the test ends.
func scriptedAdmin(t *testing.T, calls ...expectedCall) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	next := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if next >= len(calls) {
			t.Errorf("unexpected call %s %s (all %d expected calls done)", r.Method, r.URL, len(calls))
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		c := calls[next]
		next++
		if r.Method != c.method || r.URL.RequestURI() != c.path {
			t.Errorf("call %d: %s %s, want %s %s", next, r.Method, r.URL.RequestURI(), c.method, c.path)
		}
		w.WriteHeader(c.status)
		_, _ = w.Write([]byte(c.body))
	}))
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range calls[next:] {
			t.Errorf("expected call %s %s was not made", c.method, c.path)
		}
	})
	return srv
}

func TestProxyHealthActions(t *testing.T) {
	t.Parallel()
	srv := scriptedAdmin(t,
		expectedCall{http.MethodPost, "/healthcheck/fail", http.StatusOK, "OK\n"},
		expectedCall{http.MethodPost, "/healthcheck/ok", http.StatusOK, "OK\n"},
	)
	src := New("edge", srv.URL, srv.Client())
	for _, k := range []model.ActionKind{model.ActionProxyFail, model.ActionProxyOK} {
		if ok, why := sources.Supports(src, k); !ok {
			t.Fatalf("Supports(%s) = false: %s", k, why)
		}
		if err := sources.Do(t.Context(), src, model.Action{Kind: k, Ref: model.BackendRef{Source: "edge"}}); err != nil {
			t.Fatalf("Do(%s): %v", k, err)
		}
	}
}

func TestProxyHealthRejected(t *testing.T) {
	t.Parallel()
	srv := scriptedAdmin(t,
		expectedCall{http.MethodPost, "/healthcheck/fail", http.StatusNotFound, "invalid path. admin commands are:\n  /certs: print certs"},
	)
	src := New("edge", srv.URL, srv.Client())
	err := src.SetProxyHealth(t.Context(), false)
	if err == nil {
		t.Fatal("SetProxyHealth: want an error for HTTP 404")
	}
	for _, w := range []string{"POST " + srv.URL + "/healthcheck/fail", "404 Not Found", "invalid path"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestProxyHealthHonoursDeadline(t *testing.T) {
	t.Parallel()
	srv := stall(t, false)
	src := New("edge", srv.URL, srv.Client())
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- src.SetProxyHealth(ctx, false) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(guard):
		t.Fatal("SetProxyHealth ignored its context deadline")
	}
}

// TestPerHostActionsRefused: drain, ready, maint and weight are refused
// with the explanation, and nothing reaches Envoy.
func TestPerHostActionsRefused(t *testing.T) {
	t.Parallel()
	srv := scriptedAdmin(t) // no call expected
	src := New("edge", srv.URL, srv.Client())
	ref := model.BackendRef{Source: "edge", Pool: "api", Backend: "10.0.0.1:80"}
	for _, k := range []model.ActionKind{model.ActionDrain, model.ActionReady, model.ActionMaint, model.ActionWeight} {
		t.Run(k.String(), func(t *testing.T) {
			ok, why := sources.Supports(src, k)
			if ok {
				t.Fatalf("Supports(%s) = true, want false", k)
			}
			for _, w := range []string{"Envoy's admin API cannot", "control plane", "EDS", "whole proxy", "key F", "every cluster"} {
				if !strings.Contains(why, w) {
					t.Errorf("explanation %q does not say %q", why, w)
				}
			}
			err := sources.Do(t.Context(), src, model.Action{Kind: k, Ref: ref, Weight: 10})
			if !errors.Is(err, sources.ErrUnsupported) || !strings.Contains(err.Error(), why) {
				t.Errorf("Do(%s) = %v, want ErrUnsupported with the explanation", k, err)
			}
		})
	}
}
