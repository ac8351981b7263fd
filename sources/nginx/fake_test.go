package nginx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// call is one request a scripted fake expects, and its answer.
type call struct {
	method, path string
	body         string // exact request body expected (PATCH)
	status       int
	resp         []byte
}

// newScripted starts an NGINX API fake that expects exactly calls, in
// order: an unexpected or out-of-order request fails the test, and so
// does a call never made (checked at cleanup).
func newScripted(t *testing.T, calls ...call) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	next := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if next >= len(calls) {
			t.Errorf("unexpected request %s %s %s", r.Method, r.URL.EscapedPath(), body)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		c := calls[next]
		next++
		if r.Method != c.method || r.URL.EscapedPath() != c.path || string(body) != c.body {
			t.Errorf("request %d = %s %s %q; want %s %s %q", next, r.Method, r.URL.EscapedPath(), body, c.method, c.path, c.body)
		}
		if c.body != "" && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d Content-Type = %q, want application/json", next, r.Header.Get("Content-Type"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(c.status)
		_, _ = w.Write(c.resp)
	}))
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range calls[next:] {
			t.Errorf("expected request never made: %s %s %s", c.method, c.path, c.body)
		}
	})
	return srv
}

// routes is a fake NGINX serving fixed answers by path, any number of
// times; unknown paths get NGINX's 404. Answers can be changed while it
// runs.
type routes struct {
	mu sync.Mutex
	m  map[string]call
}

func newRoutes(t *testing.T, m map[string]call) (*routes, *httptest.Server) {
	t.Helper()
	rt := &routes{m: m}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.mu.Lock()
		c, ok := rt.m[r.URL.EscapedPath()]
		rt.mu.Unlock()
		if !ok || r.Method != http.MethodGet {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"status":404,"text":"path not found","code":"PathNotFound"},"request_id":"x","href":"https://nginx.org/en/docs/http/ngx_http_api_module.html"}`))
			return
		}
		if c.status == 0 {
			c.status = http.StatusOK
		}
		w.WriteHeader(c.status)
		_, _ = w.Write(c.resp)
	}))
	t.Cleanup(srv.Close)
	return rt, srv
}

// set replaces the answers.
func (rt *routes) set(m map[string]call) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.m = m
}

func ok(body []byte) call { return call{status: http.StatusOK, resp: body} }
