package nginx

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
)

// TestDiagnoseMaxFails polls NGINX Plus peers at max_fails (constructed
// payload) and the docs' recorded upstream with an unhealthy peer, and
// checks the diagnosis of each upstream.
func TestDiagnoseMaxFails(t *testing.T) {
	t.Parallel()
	_, srv := newRoutes(t, map[string]call{
		"/api":                    ok(readPayload(t, "plus-api-GET-root-constructed.json")),
		"/api/9/http/upstreams":   ok(readPayload(t, "plus-api9-GET-http-upstreams-max-fails-constructed.json")),
		"/api/9/stream/upstreams": ok([]byte("{}")),
	})
	_, recSrv := newRoutes(t, map[string]call{
		"/api":                    ok([]byte("[6,7,8]")),
		"/api/8/http/upstreams":   ok(readPayload(t, "plus-api9-GET-http-upstreams.json")),
		"/api/8/stream/upstreams": ok([]byte("{}")),
	})
	st := model.NewStore(nil)
	for _, src := range []*Source{New("lb1", srv.URL+"/api/", nil), New("lb2", recSrv.URL+"/api/", nil)} {
		snap, err := src.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		snap.Source, snap.Kind, snap.At = src.Name(), model.KindNGINX, time.Now() // as the poller stamps it
		st.Ingest(snap)
	}
	f := st.Fleet()
	cases := []struct {
		pool     string
		state    model.DiagState
		cause    model.Cause
		evidence string
	}{
		{"pay", model.DiagDown, model.CauseMaxFails, "fails 3, unavail 2"},
		{"api", model.DiagDegraded, model.CauseMaxFails, "1 of 2 are unavailable after max_fails: 10.0.3.2:8080"},
		{"upstream_backend", model.DiagDegraded, model.CauseHealthChecks, "checks failed 26284"},
	}
	for _, tc := range cases {
		p := f.Pool("nginx/" + tc.pool)
		if p == nil {
			t.Fatalf("no pool %s", tc.pool)
		}
		d := p.Diagnosis
		if d.State != tc.state || d.Cause != tc.cause || !strings.Contains(strings.Join(d.Evidence, "\n"), tc.evidence) {
			t.Errorf("%s: %s/%s %q %s\n  evidence %q\nwant %s/%s with %q", tc.pool, d.State, d.Cause, d.Short, d.Summary, d.Evidence, tc.state, tc.cause, tc.evidence)
		}
	}
	if b := f.Pool("nginx/pay").Backends[0]; b.Facts == nil || b.Facts.Limit != 100 || b.Facts.Downtime < 9*time.Second {
		t.Errorf("pay peer facts %+v; want max_conns 100 and the downtime", b.Facts)
	}
}

func TestPeerFaultTable(t *testing.T) {
	t.Parallel()
	for state, want := range map[string]model.Fault{
		"up": model.FaultNone, "unavail": model.FaultMaxFails, "unhealthy": model.FaultCheck, "checking": model.FaultCheck,
		"down": model.FaultAdmin, "draining": model.FaultAdmin, "busy": model.FaultOther,
	} {
		if got := peerFault(state); got != want {
			t.Errorf("peerFault(%q) = %s, want %s", state, got, want)
		}
	}
}
