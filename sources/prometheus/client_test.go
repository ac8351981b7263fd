package prometheus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Explainer = (*Source)(nil)
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "prometheus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeAPI answers /api/v1/query with one fixed status and body.
func fakeAPI(t *testing.T, status int, contentType string, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPollErrors(t *testing.T) {
	const jsonType = "application/json"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        []byte
		want        []string // substrings of the error
	}{
		{"bad_data envelope", http.StatusBadRequest, jsonType, readTestdata(t, "api-v1-error-constructed.json"),
			[]string{"HTTP 400 bad_data", "<human readable message, e.g. a PromQL parse error>", `query "max by (instance, proxy, server, state) (haproxy_server_status) == 1"`, "(haproxy)"}},
		{"execution error", http.StatusUnprocessableEntity, jsonType, []byte(`{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}`),
			[]string{"HTTP 422 execution", "many-to-many matching not allowed"}},
		{"timeout", http.StatusServiceUnavailable, jsonType, []byte(`{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`),
			[]string{"HTTP 503 timeout", "query timed out in expression evaluation"}},
		{"proxy error page", http.StatusBadGateway, "text/html", []byte("<html>\n<body>Bad   Gateway</body></html>"),
			[]string{"HTTP 502 server_error", "server error: 502", "<html> <body>Bad Gateway</body></html>"}},
		{"not the API", http.StatusOK, jsonType, []byte(`not json`),
			[]string{"bad_response"}},
		{"matrix result", http.StatusOK, jsonType, readTestdata(t, "api-v1-query_range-matrix.json"),
			[]string{"result type matrix, want an instant vector"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeAPI(t, tc.status, tc.contentType, tc.body)
			src, err := New("prom", url, nil, Options{Presets: []string{PresetHAProxy}, Concurrency: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Poll(t.Context())
			if err == nil {
				t.Fatal("poll succeeded, want an error")
			}
			for _, w := range append(tc.want, url) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPollRedactsPassword(t *testing.T) {
	url := fakeAPI(t, http.StatusBadRequest, "application/json", readTestdata(t, "api-v1-error-constructed.json"))
	withPass := strings.Replace(url, "http://", "http://lbtop:hunter2@", 1)
	src, err := New("prom", withPass, nil, Options{Presets: []string{PresetEnvoy}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Poll(t.Context())
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "prometheus "+url+" ") {
		t.Fatalf("error %v: want the endpoint with its password redacted", err)
	}
}

func TestPollVectorAndWarnings(t *testing.T) {
	// The api.md example vector has no pool labels: nothing to join, and
	// no error. Warnings reach the snapshot note once each.
	body := strings.Replace(string(readTestdata(t, "api-v1-query-vector-from-api.md.json")),
		`"status" : "success",`, `"status" : "success", "warnings": ["results may be incomplete"],`, 1)
	src, err := New("prom", fakeAPI(t, http.StatusOK, "application/json", []byte(body)), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Pools) != 0 || snap.Note != "Prometheus warnings: results may be incomplete" {
		t.Fatalf("pools %v note %q", snap.Pools, snap.Note)
	}
}

func TestPollDeadline(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })
	src, err := New("prom", srv.URL, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := src.Poll(ctx); err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("error %v: want a deadline error naming %s", err, srv.URL)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name, url string
		opts      Options
		want      string
	}{
		{"no scheme", "prometheus:9090", Options{}, "want an http:// or https:// URL"},
		{"password in bad URL", "ftp://u:secret@h", Options{}, `"ftp://h"`},
		{"password that does not parse", "http://u:secret%zz@h", Options{}, `"http://h"`},
		{"unknown preset", "http://p:9090", Options{Presets: []string{"traefik"}}, `unknown preset "traefik"`},
		{"bad window", "http://p:9090", Options{RateWindow: "1.5m"}, `rate_window "1.5m"`},
		{"bad mapping", "http://p:9090", Options{Mappings: []Mapping{{Name: "x", PoolLabel: "a", BackendLabel: "b"}}}, "mappings[0]: mapping \"x\": health is missing"},
		{"duplicate mapping", "http://p:9090", Options{Mappings: []Mapping{
			{Name: "x", PoolLabel: "a", BackendLabel: "b", Health: "up"},
			{Name: "x", PoolLabel: "a", BackendLabel: "b", Health: "up"},
		}}, `mappings[1]: name "x" is used twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New("prom", tc.url, nil, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error reveals the password: %v", err)
			}
		})
	}
}

func TestMappingValidate(t *testing.T) {
	ok := Mapping{Name: "m", PoolLabel: "svc", BackendLabel: "pod", Health: "up"}
	tests := []struct {
		name   string
		change func(*Mapping)
		want   string // "" for valid
	}{
		{"valid", func(*Mapping) {}, ""},
		{"no instance", func(m *Mapping) { m.InstanceLabel = "-" }, ""},
		{"no name", func(m *Mapping) { m.Name = " " }, "name is missing"},
		{"no pool label", func(m *Mapping) { m.PoolLabel = "" }, "pool_label is missing"},
		{"no backend label", func(m *Mapping) { m.BackendLabel = "" }, "backend_label is missing"},
		{"same labels", func(m *Mapping) { m.BackendLabel = "svc" }, "must differ"},
		{"bad label", func(m *Mapping) { m.PoolLabel = "\xff" }, "pool_label"},
		{"bad instance label", func(m *Mapping) { m.InstanceLabel = "\xff" }, "instance_label"},
		{"no health", func(m *Mapping) { m.Health = "" }, "health is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.change(&m)
			err := m.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestUnsupported(t *testing.T) {
	src, err := New("fleet", "http://p:9090", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ok, why := sources.Supports(src, model.ActionDrain)
	if ok || !strings.Contains(why, "Prometheus is read-only") || !strings.Contains(why, "haproxy/nginx/envoy source") {
		t.Fatalf("Supports = %v, %q", ok, why)
	}
}
