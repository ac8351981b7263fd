package nginx

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

const serversPath = "/api/9/http/upstreams/backend/servers"

func rootCall(t *testing.T) call {
	t.Helper()
	return call{method: "GET", path: "/api", status: 200, resp: readPayload(t, "plus-api-GET-root-constructed.json")}
}

func serversCall(t *testing.T) call {
	t.Helper()
	return call{method: "GET", path: serversPath, status: 200, resp: readPayload(t, "plus-api9-GET-http-upstreams-backend-servers-constructed.json")}
}

func patched(t *testing.T, path, body string) call {
	t.Helper()
	return call{method: "PATCH", path: path, body: body, status: 200, resp: readPayload(t, "plus-api9-GET-PATCH-http-upstreams-NAME-servers-ID.json")}
}

// setState is an action-table act that sets the backend's state to k.
func setState(k model.ActionKind) func(*Source, model.BackendRef) error {
	return func(s *Source, r model.BackendRef) error {
		return s.SetState(context.Background(), r, k)
	}
}

// TestActionsPatch asserts method, path and body of every action. The
// source has not polled, so each action detects the version first.
func TestActionsPatch(t *testing.T) {
	t.Parallel()
	streamServers := []byte(`[{"id":0,"server":"10.0.1.1:53","weight":2,"down":false},{"id":4,"server":"10.0.1.2:53","weight":1,"down":false}]`)
	tests := []struct {
		name  string
		ref   model.BackendRef
		act   func(*Source, model.BackendRef) error
		calls func(t *testing.T) []call
	}{
		{
			name: "drain",
			ref:  model.BackendRef{Pool: "backend", Backend: "10.0.0.1:80"},
			act:  setState(model.ActionDrain),
			calls: func(t *testing.T) []call {
				return []call{rootCall(t), serversCall(t), patched(t, serversPath+"/0", `{"drain":true}`)}
			},
		},
		{
			name: "maint is down",
			ref:  model.BackendRef{Pool: "backend", Backend: "10.0.0.1:80"},
			act:  setState(model.ActionMaint),
			calls: func(t *testing.T) []call {
				return []call{rootCall(t), serversCall(t), patched(t, serversPath+"/0", `{"down":true}`)}
			},
		},
		{
			name: "ready on a draining server sends down false",
			ref:  model.BackendRef{Pool: "backend", Backend: "10.0.0.2:80"},
			act:  setState(model.ActionReady),
			calls: func(t *testing.T) []call {
				return []call{rootCall(t), serversCall(t), patched(t, serversPath+"/1", `{"down":false}`)}
			},
		},
		{
			name: "weight",
			ref:  model.BackendRef{Pool: "backend", Backend: "10.0.0.2:80"},
			act:  func(s *Source, r model.BackendRef) error { return s.SetWeight(context.Background(), r, 7) },
			calls: func(t *testing.T) []call {
				return []call{rootCall(t), serversCall(t), patched(t, serversPath+"/1", `{"weight":7}`)}
			},
		},
		{
			name: "stream upstream maint",
			ref:  model.BackendRef{Pool: "stream:dns", Backend: "10.0.1.2:53"},
			act:  setState(model.ActionMaint),
			calls: func(t *testing.T) []call {
				return []call{
					rootCall(t),
					{method: "GET", path: "/api/9/stream/upstreams/dns/servers", status: 200, resp: streamServers},
					patched(t, "/api/9/stream/upstreams/dns/servers/4", `{"down":true}`),
				}
			},
		},
		{
			name: "upstream name is path-escaped",
			ref:  model.BackendRef{Pool: "a b/c", Backend: "10.0.0.1:80"},
			act:  func(s *Source, r model.BackendRef) error { return s.SetWeight(context.Background(), r, 1000000) },
			calls: func(t *testing.T) []call {
				return []call{
					rootCall(t),
					{method: "GET", path: "/api/9/http/upstreams/a%20b%2Fc/servers", status: 200, resp: []byte(`[{"id":3,"server":"10.0.0.1:80"}]`)},
					patched(t, "/api/9/http/upstreams/a%20b%2Fc/servers/3", `{"weight":1000000}`),
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newScripted(t, tc.calls(t)...)
			tc.ref.Source = "lb1"
			if err := tc.act(New("lb1", srv.URL+"/api", nil), tc.ref); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestActionErrors checks NGINX's own error reaches the user verbatim
// and that bad targets are refused before any PATCH.
func TestActionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ref     model.BackendRef
		action  model.ActionKind
		weight  int
		calls   func(t *testing.T) []call
		wantErr string // after "nginx <url>"
		wantAPI *APIError
	}{
		{
			name: "write API disabled", ref: model.BackendRef{Pool: "backend", Backend: "10.0.0.1:80"}, action: model.ActionDrain,
			calls: func(t *testing.T) []call {
				return []call{rootCall(t), serversCall(t), {method: "PATCH", path: serversPath + "/0", body: `{"drain":true}`, status: 405, resp: readPayload(t, "plus-api9-error-405-MethodDisabled-constructed.json")}}
			},
			wantErr: "/api: PATCH /api/9/http/upstreams/backend/servers/0: 405 MethodDisabled: method disabled",
			wantAPI: &APIError{Status: 405, Code: "MethodDisabled", Text: "method disabled", RequestID: "d9c1e0a2f5b84c3e9a7f6b5c4d3e2f10"},
		},
		{
			name: "upstream not found", ref: model.BackendRef{Pool: "nope", Backend: "10.0.0.1:80"}, action: model.ActionMaint,
			calls: func(t *testing.T) []call {
				return []call{rootCall(t), {method: "GET", path: "/api/9/http/upstreams/nope/servers", status: 404, resp: readPayload(t, "plus-api9-error-constructed.json")}}
			},
			wantErr: "/api: GET /api/9/http/upstreams/nope/servers: 404 UpstreamNotFound: upstream not found",
			wantAPI: &APIError{Status: 404, Code: "UpstreamNotFound", Text: "upstream not found", RequestID: "<value of $request_id>"},
		},
		{
			name: "backend name not found", ref: model.BackendRef{Pool: "backend", Backend: "10.9.9.9:80"}, action: model.ActionDrain,
			calls:   func(t *testing.T) []call { return []call{rootCall(t), serversCall(t)} },
			wantErr: `/api: http upstream "backend": no server "10.9.9.9:80" (servers: 10.0.0.1:80, 10.0.0.2:80, 10.0.0.9:80, 10.0.0.9:80)`,
		},
		{
			name: "ambiguous backend name", ref: model.BackendRef{Pool: "backend", Backend: "10.0.0.9:80"}, action: model.ActionMaint,
			calls:   func(t *testing.T) []call { return []call{rootCall(t), serversCall(t)} },
			wantErr: `/api: http upstream "backend": 2 servers are "10.0.0.9:80" (ids 7, 8): cannot tell which one to change`,
		},
		{
			name: "stream has no drain", ref: model.BackendRef{Pool: "stream:dns", Backend: "10.0.1.1:53"}, action: model.ActionDrain,
			calls:   func(*testing.T) []call { return nil },
			wantErr: "/api: cannot drain lb1:stream:dns/10.0.1.1:53: NGINX Plus has no drain for stream upstreams; use maint (down) instead",
		},
		{
			name: "weight 0 refused before sending", ref: model.BackendRef{Pool: "backend", Backend: "10.0.0.1:80"}, action: model.ActionWeight, weight: 0,
			calls:   func(*testing.T) []call { return nil },
			wantErr: "/api: weight 0 for lb1:backend/10.0.0.1:80: NGINX accepts 1–1000000 and has no weight 0; drain the server to stop new traffic",
		},
		{
			name: "weight above range refused", ref: model.BackendRef{Pool: "backend", Backend: "10.0.0.1:80"}, action: model.ActionWeight, weight: 1000001,
			calls:   func(*testing.T) []call { return nil },
			wantErr: "weight 1000001",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newScripted(t, tc.calls(t)...)
			src := New("lb1", srv.URL+"/api", nil)
			tc.ref.Source = "lb1"
			var err error
			if tc.action == model.ActionWeight {
				err = src.SetWeight(context.Background(), tc.ref, tc.weight)
			} else {
				err = src.SetState(context.Background(), tc.ref, tc.action)
			}
			if err == nil || !strings.HasPrefix(err.Error(), "nginx "+srv.URL) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v\nwant nginx %s%s", err, srv.URL, tc.wantErr)
			}
			if tc.wantAPI != nil {
				var ae *APIError
				if !errors.As(err, &ae) || *ae != *tc.wantAPI {
					t.Fatalf("APIError = %+v, want %+v", ae, tc.wantAPI)
				}
			}
		})
	}
}

// TestDoThroughSources drives actions the way the Hub does, after a
// poll: weight 0 is refused by the Weighter's range before any request.
func TestDoThroughSources(t *testing.T) {
	t.Parallel()
	srv := newScripted(t,
		rootCall(t),
		call{method: "GET", path: "/api/9/http/upstreams", status: 200, resp: readPayload(t, "plus-api9-GET-http-upstreams.json")},
		call{method: "GET", path: "/api/9/stream/upstreams", status: 404, resp: readPayload(t, "plus-api9-error-constructed.json")},
		call{method: "GET", path: "/api/9/http/upstreams/upstream_backend/servers", status: 200, resp: readPayload(t, "plus-api9-GET-http-upstreams-NAME-servers.json")},
		patched(t, "/api/9/http/upstreams/upstream_backend/servers/1", `{"down":false}`),
	)
	src := New("lb1", srv.URL+"/api", nil)
	if _, err := src.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	ref := model.BackendRef{Source: "lb1", Pool: "upstream_backend", Backend: "10.0.0.1:8089"}
	err := sources.Do(context.Background(), src, model.Action{Kind: model.ActionWeight, Ref: ref, Weight: 0})
	if err == nil || !strings.Contains(err.Error(), "weight 0 out of range for nginx: must be 1–1000000") {
		t.Fatalf("weight 0 error = %v", err)
	}
	if err := sources.Do(context.Background(), src, model.Action{Kind: model.ActionReady, Ref: ref}); err != nil {
		t.Fatal(err)
	}
}

// TestOSSRefusesActions: open-source NGINX is detected and every action
// is refused with the reason, without any write request.
func TestOSSRefusesActions(t *testing.T) {
	t.Parallel()
	stub := readPayload(t, "stub_status-doc-example.txt")
	srv := newScripted(t,
		call{method: "GET", path: "/status", status: 200, resp: stub},
		call{method: "GET", path: "/status", status: 200, resp: stub},
	)
	src := New("web1", srv.URL+"/status", nil)
	ref := model.BackendRef{Source: "web1", Pool: "backend", Backend: "10.0.0.1:80"}
	err := src.SetState(context.Background(), ref, model.ActionDrain)
	if err == nil || !strings.Contains(err.Error(), "cannot drain: "+ossNoActions) {
		t.Fatalf("SetState on OSS = %v", err)
	}
	snap, err := src.Poll(context.Background())
	if err != nil || snap.Note != ossNote || len(snap.Pools) != 0 {
		t.Fatalf("OSS poll = %+v, %v", snap, err)
	}
	for _, k := range []model.ActionKind{model.ActionDrain, model.ActionReady, model.ActionMaint, model.ActionWeight} {
		if ok, why := sources.Supports(src, k); ok || why != ossNoActions {
			t.Errorf("OSS Supports(%s) = %v, %q", k, ok, why)
		}
	}
	if err := sources.Do(context.Background(), src, model.Action{Kind: model.ActionWeight, Ref: ref, Weight: 5}); !errors.Is(err, sources.ErrUnsupported) {
		t.Errorf("Do weight on OSS = %v, want ErrUnsupported", err)
	}
}
