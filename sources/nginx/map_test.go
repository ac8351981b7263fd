package nginx

import (
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
)

// TestStateTable maps one peer in every documented state, plus one NGINX
// Plus does not document, through ruleFor.
func TestStateTable(t *testing.T) {
	t.Parallel()
	ups, err := parseUpstreams(readPayload(t, "plus-api9-GET-http-upstreams-all-states-constructed.json"))
	if err != nil {
		t.Fatal(err)
	}
	pools := toPools(ups, false)
	if len(pools) != 2 || pools[0].Name != "backend" || pools[1].Name != "empty" {
		t.Fatalf("pools = %+v, want backend and empty", pools)
	}
	if len(pools[1].Backends) != 0 {
		t.Errorf("empty upstream has backends: %+v", pools[1].Backends)
	}
	if pools[0].Note != "1 removed servers still finishing requests (zombies)" {
		t.Errorf("zombie note = %q", pools[0].Note)
	}
	tests := []struct {
		state  string
		health model.Health
		reason string
		since  time.Time
	}{
		{state: "up", health: model.Healthy, reason: "up"},
		{state: "draining", health: model.Draining, reason: "draining"},
		{state: "down", health: model.Down, reason: "down (admin)"},
		{state: "unavail", health: model.Unhealthy, reason: "unavail: max_fails reached (fails 3)", since: time.Date(2026, 11, 24, 9, 59, 56, 123e6, time.UTC)},
		{state: "checking", health: model.Unhealthy, reason: "checking: awaiting a passing health check (checks 0, fails 0)", since: time.Date(2026, 11, 24, 9, 59, 58, 500e6, time.UTC)},
		{state: "unhealthy", health: model.Unhealthy, reason: "unhealthy: health check failed (checks 12, fails 4, last_passed false)", since: time.Date(2026, 11, 24, 9, 59, 30, 0, time.UTC)},
		{state: "busy", health: model.Unknown, reason: `state "busy" (not known to lbtop)`},
	}
	bs := pools[0].Backends
	if len(bs) != len(tests) {
		t.Fatalf("%d backends, want %d", len(bs), len(tests))
	}
	for i, tc := range tests {
		b := bs[i]
		if b.Health != tc.health || b.Reason != tc.reason || !b.Since.Equal(tc.since) {
			t.Errorf("state %s: health %s, reason %q, since %v; want %s, %q, %v", tc.state, b.Health, b.Reason, b.Since, tc.health, tc.reason, tc.since)
		}
	}
	// The down peer has a downstart from an earlier outage: admin down is
	// not dated by it.
	if !bs[2].Since.IsZero() {
		t.Errorf("down peer Since = %v, want zero", bs[2].Since)
	}
	up := bs[0]
	want := model.Backend{Name: "10.0.0.1:80", Address: "10.0.0.1:80", Health: model.Healthy, Reason: "up", Weight: 5, Active: 3, Requests: 1000, Errors: 6, Counters: true}
	if up != want {
		t.Errorf("up backend = %+v, want %+v", up, want)
	}
	if !bs[5].Backup {
		t.Errorf("backup flag lost: %+v", bs[5])
	}
}

func TestPeerHealthEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		p      peer
		health model.Health
		reason string
	}{
		{name: "no state", p: peer{}, health: model.Unknown, reason: "no state reported"},
		{name: "unhealthy without health_checks", p: peer{State: "unhealthy"}, health: model.Unhealthy, reason: "unhealthy: health check failed"},
		{name: "checking without health_checks", p: peer{State: "checking"}, health: model.Unhealthy, reason: "checking"},
		{name: "case matters", p: peer{State: "UP"}, health: model.Unknown, reason: `state "UP" (not known to lbtop)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, reason, _ := peerHealth(&tc.p)
			if h != tc.health || reason != tc.reason {
				t.Fatalf("peerHealth = %s, %q; want %s, %q", h, reason, tc.health, tc.reason)
			}
		})
	}
}

func TestStreamPools(t *testing.T) {
	t.Parallel()
	ups, err := parseUpstreams(readPayload(t, "plus-api9-GET-stream-upstreams-constructed.json"))
	if err != nil {
		t.Fatal(err)
	}
	pools := toPools(ups, true)
	if len(pools) != 1 || pools[0].Name != "stream:dns" || len(pools[0].Backends) != 2 {
		t.Fatalf("pools = %+v, want stream:dns with 2 backends", pools)
	}
	b0, b1 := pools[0].Backends[0], pools[0].Backends[1]
	if b0.Requests != 321 || b0.Errors != 0 || !b0.Counters || b0.Weight != 2 || b0.Active != 4 {
		t.Errorf("stream backend = %+v, want connections as requests", b0)
	}
	if b1.Reason != "unavail: max_fails reached (fails 2)" || !b1.Since.Equal(time.UnixMilli(1795989590000)) {
		t.Errorf("stream unavail backend = %+v, want epoch-ms downstart", b1)
	}
	if m, u := splitPool(pools[0].Name); m != "stream" || u != "dns" {
		t.Errorf("splitPool = %s, %s", m, u)
	}
	if m, u := splitPool("upstream_backend"); m != "http" || u != "upstream_backend" {
		t.Errorf("splitPool = %s, %s", m, u)
	}
}
