package envoy

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
)

func TestParseClusterStats(t *testing.T) {
	t.Parallel()
	data := append(readRecorded(t, "stats-text-constructed-diagnosis-1.txt"),
		// What an unfiltered /stats also holds: skipped, not errors.
		"cluster.overflow.upstream_rq_time: P0(nan,1) P25(nan,1.025)\n"+
			"cluster_manager.cds.version_text: \"2021-11-16T06:54:31Z/19\"\n"+
			"cluster.overflow.circuit_breakers.low.cx_open: 1\n"+
			"cluster.overflow.upstream_cx_total: 12\n"+
			"server.live: 1\r\n\n"...)
	facts, err := parseClusterStats(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 7 {
		t.Fatalf("%d clusters, want 7: %v", len(facts), facts)
	}
	o := facts["overflow"]
	if o.BreakerPending != 1 || o.BreakerConnections != 0 || o.Counters[model.CtrPendingOverflow] != 10 || o.Members != 2 || o.MembersHealthy != 2 {
		t.Errorf("overflow facts %+v", o)
	}
	if e := facts["ejected"]; e.OutlierEjected != 2 || e.Members != 3 || e.MembersHealthy != 1 {
		t.Errorf("ejected facts %+v", e)
	}
	if c := facts["checks"]; c.Counters[model.CtrCheckFailures] != 20 || c.Has&(1<<model.CtrCheckFailures) == 0 || c.Has&(1<<model.CtrPanic) != 0 {
		t.Errorf("checks facts %+v", c)
	}
	if _, ok := facts["outbound|80||web.shop.svc.cluster.local"]; !ok {
		t.Error("a cluster name with dots was not recognised")
	}
	if _, err := parseClusterStats([]byte("<html><body>admin</body></html>\n")); !errors.Is(err, errNotStats) {
		t.Errorf("HTML body: err %v, want errNotStats", err)
	}
	if f, err := parseClusterStats(nil); err != nil || len(f) != 0 {
		t.Errorf("empty body: %v, %v", f, err)
	}
}

// TestDiagnoseEnvoyClusters polls an admin endpoint serving constructed
// payloads (testdata/envoy/README.md) twice, as the poller does, and
// checks each cluster's diagnosis.
func TestDiagnoseEnvoyClusters(t *testing.T) {
	t.Parallel()
	clusters := readRecorded(t, "clusters-json-constructed-diagnosis.json")
	stats := [][]byte{readRecorded(t, "stats-text-constructed-diagnosis-1.txt"), readRecorded(t, "stats-text-constructed-diagnosis-2.txt")}
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/clusters":
			_, _ = w.Write(clusters)
		case "/stats":
			_, _ = w.Write(stats[min(int(polls.Add(1))-1, 1)])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	src := New("edge", srv.URL, srv.Client())
	st := model.NewStore(nil)
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	var f *model.Fleet
	for i := range 2 {
		snap, err := src.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		snap.At = at.Add(time.Duration(i) * 2 * time.Second)
		f = st.Ingest(snap)
	}
	cases := []struct {
		pool     string
		state    model.DiagState
		cause    model.Cause
		evidence string
	}{
		{"empty", model.DiagDown, model.CauseNoEndpoints, "1.0 empty membership updates/s"},
		{"ejected", model.DiagDegraded, model.CauseOutlier, "2 ejected by outlier detection now"},
		{"panic", model.DiagDegraded, model.CausePanic, "30.0 req/s balanced in panic mode"},
		{"overflow", model.DiagDegraded, model.CauseOverloaded, "circuit breaker open: pending requests"},
		{"checks", model.DiagDown, model.CauseHealthChecks, "5.0 failed health checks/s"},
		{"timeouts", model.DiagDown, model.CauseTimeout, "2.0 connection timeouts/s"},
		{"outbound|80||web.shop.svc.cluster.local", model.DiagOK, model.CauseOK, ""},
	}
	for _, tc := range cases {
		p := f.Pool("envoy/" + tc.pool)
		if p == nil {
			t.Errorf("no pool %s", tc.pool)
			continue
		}
		d := p.Diagnosis
		ev := strings.Join(d.Evidence, "\n")
		if d.State != tc.state || d.Cause != tc.cause || !strings.Contains(ev, tc.evidence) {
			t.Errorf("%s: %s/%s %q %s\n  evidence %q\nwant %s/%s with %q", tc.pool, d.State, d.Cause, d.Short, d.Summary, d.Evidence, tc.state, tc.cause, tc.evidence)
		}
	}
}

// TestStatsFailureKeepsHosts: a /stats that fails leaves the hosts and
// says so in the note.
func TestStatsFailureKeepsHosts(t *testing.T) {
	t.Parallel()
	clusters := readRecorded(t, "clusters-json-constructed-diagnosis.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/clusters" {
			_, _ = w.Write(clusters)
			return
		}
		http.Error(w, "no stats here", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	snap, err := New("edge", srv.URL, srv.Client()).Poll(t.Context())
	if err != nil || len(snap.Pools) != 7 {
		t.Fatalf("poll: %v, %d pools", err, len(snap.Pools))
	}
	if !strings.Contains(snap.Note, "cluster stats unavailable") || !strings.Contains(snap.Note, "403") {
		t.Errorf("note %q", snap.Note)
	}
}

// clusterStatsText renders n clusters' filtered /stats, Istio-style names.
func clusterStatsText(n int) []byte {
	var b strings.Builder
	for i := range n {
		c := fmt.Sprintf("outbound|8080||svc-%04d.ns-%02d.svc.cluster.local", i, i%50)
		for _, s := range []string{
			"circuit_breakers.default.cx_open", "circuit_breakers.default.rq_open", "circuit_breakers.default.rq_pending_open",
			"circuit_breakers.high.cx_open", "circuit_breakers.high.rq_open", "circuit_breakers.high.rq_pending_open",
			"health_check.failure", "health_check.network_failure", "lb_healthy_panic", "membership_healthy", "membership_total",
			"outlier_detection.ejections_active", "update_empty", "upstream_cx_connect_fail", "upstream_cx_connect_timeout",
			"upstream_cx_none_healthy", "upstream_cx_overflow", "upstream_rq_pending_overflow",
		} {
			fmt.Fprintf(&b, "cluster.%s.%s: %d\n", c, s, i*7%1000)
		}
	}
	return []byte(b.String())
}

// BenchmarkParseClusterStats1k measures the /stats parse for 1,000
// clusters (target: 20 ms).
func BenchmarkParseClusterStats1k(b *testing.B) {
	data := clusterStatsText(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if f, err := parseClusterStats(data); err != nil || len(f) != 1000 {
			b.Fatalf("%d clusters, %v", len(f), err)
		}
	}
}
