package haproxy_test

import (
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/haproxy"
)

// Compile-time checks that Source has the capabilities the UI looks for.
var (
	_ sources.Source      = (*haproxy.Source)(nil)
	_ sources.StateSetter = (*haproxy.Source)(nil)
	_ sources.Weighter    = (*haproxy.Source)(nil)
)

func TestStatusHealth(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status string
		health model.Health
		reason string
	}{
		{"UP", model.Healthy, "UP"},
		{"UP 1/3", model.Degraded, "UP 1/3 going down"},
		{"UP 999/1000", model.Degraded, "UP 999/1000 going down"},
		{"DOWN", model.Unhealthy, "DOWN"},
		{"DOWN 1/2", model.Unhealthy, "DOWN 1/2 going up"},
		{"DOWN (agent)", model.Unhealthy, "DOWN (agent)"},
		{"NOLB", model.Draining, "NOLB"},
		{"NOLB 2/3", model.Draining, "NOLB 2/3 going down"},
		{"DRAIN", model.Draining, "DRAIN"},
		{"DRAIN 1/3", model.Draining, "DRAIN 1/3 going down"},
		{"DRAIN (agent)", model.Draining, "DRAIN (agent)"},
		{"MAINT", model.Down, "MAINT"},
		{"MAINT (via be/s1)", model.Down, "MAINT (via be/s1)"},
		{"MAINT(via be/s1)", model.Down, "MAINT(via be/s1)"}, // spelling in management.txt
		{"MAINT (resolution)", model.Down, "MAINT (resolution)"},
		{"MAINT(resolution)", model.Down, "MAINT (resolution)"},
		{"no check", model.Healthy, "no check"},
		// Anything else is Unknown with the raw status, never Healthy.
		{"", model.Unknown, "no status"},
		{"OPEN", model.Unknown, "OPEN"},
		{"STOPPED", model.Unknown, "STOPPED"},
		{"UP 1/x", model.Unknown, "UP 1/x"},
		{"FOO 1/2", model.Unknown, "FOO 1/2"},
		{"up", model.Unknown, "up"},
	}
	for _, c := range cases {
		t.Run(c.status, func(t *testing.T) {
			t.Parallel()
			h, reason := haproxy.StatusHealth(c.status)
			if h != c.health || reason != c.reason {
				t.Errorf("StatusHealth(%q) = %v, %q; want %v, %q", c.status, h, reason, c.health, c.reason)
			}
		})
	}
}

func TestBackendReason(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		stat   haproxy.Stat
		health model.Health
		reason string
	}{
		{"healthy", haproxy.Stat{Status: "UP", Weight: 1, CheckStatus: "L7OK", CheckCode: "200"}, model.Healthy, "UP"},
		{"going down", haproxy.Stat{Status: "UP 1/3", Weight: 1, CheckStatus: "L7STS", CheckCode: "503"}, model.Degraded, "UP 1/3 going down: L7STS 503"},
		{"going down with last_chk", haproxy.Stat{Status: "UP 2/3", Weight: 1, CheckStatus: "L7STS", CheckCode: "503", LastChk: "Service Unavailable"}, model.Degraded, "UP 2/3 going down: L7STS 503 (Service Unavailable)"},
		{"refused", haproxy.Stat{Status: "DOWN", Weight: 1, CheckStatus: "L4CON", LastChk: "Connection refused", CheckDesc: "Layer4 connection problem"}, model.Unhealthy, "DOWN: L4CON (Connection refused)"},
		{"timeout falls back to check_desc", haproxy.Stat{Status: "DOWN", Weight: 1, CheckStatus: "L4TOUT", CheckDesc: "Layer4 timeout"}, model.Unhealthy, "DOWN: L4TOUT (Layer4 timeout)"},
		{"check in progress mark removed by Parse", haproxy.Stat{Status: "DOWN", Weight: 1, CheckStatus: "L4TOUT"}, model.Unhealthy, "DOWN: L4TOUT"},
		{"check in progress: code 0 says nothing", haproxy.Stat{Status: "DOWN", Weight: 1, CheckStatus: "L7STS", CheckCode: "0", CheckDesc: "Layer7 wrong status"}, model.Unhealthy, "DOWN: L7STS (Layer7 wrong status)"},
		{"going up after passing check", haproxy.Stat{Status: "DOWN 1/2", Weight: 1, CheckStatus: "L7OK", CheckCode: "200"}, model.Unhealthy, "DOWN 1/2 going up"},
		{"maint hides check", haproxy.Stat{Status: "MAINT", Weight: 1, CheckStatus: "L4CON"}, model.Down, "MAINT"},
		{"drain", haproxy.Stat{Status: "DRAIN", Weight: 1, CheckStatus: "L7OK"}, model.Draining, "DRAIN"},
		{"no check", haproxy.Stat{Status: "no check", Weight: 1}, model.Healthy, "no check"},
		{"weight 0 up", haproxy.Stat{Status: "UP", Weight: 0, CheckStatus: "L7OK"}, model.Draining, "weight 0"},
		{"weight 0 no check", haproxy.Stat{Status: "no check", Weight: 0}, model.Draining, "weight 0"},
		{"weight 0 going down", haproxy.Stat{Status: "UP 1/3", Weight: 0, CheckStatus: "L7STS", CheckCode: "500"}, model.Draining, "weight 0; UP 1/3 going down: L7STS 500"},
		{"weight 0 down stays unhealthy", haproxy.Stat{Status: "DOWN", Weight: 0, CheckStatus: "L4CON"}, model.Unhealthy, "DOWN: L4CON"},
		{"unknown status", haproxy.Stat{Status: "WEIRD", Weight: 1}, model.Unknown, "WEIRD"},
		{"unknown status with failing check", haproxy.Stat{Status: "WEIRD", Weight: 1, CheckStatus: "L7TOUT"}, model.Unknown, "WEIRD: L7TOUT"},
		{"initializing", haproxy.Stat{Status: "DOWN", Weight: 1, CheckStatus: "INI", CheckDesc: "Initializing"}, model.Unhealthy, "DOWN: INI (Initializing)"},
		{"junk check_status ignored", haproxy.Stat{Status: "DOWN", Weight: 1, CheckStatus: "1"}, model.Unhealthy, "DOWN"},
		{"external check ok", haproxy.Stat{Status: "UP 1/2", Weight: 1, CheckStatus: "PROCOK"}, model.Degraded, "UP 1/2 going down"},
		{"unknown weight", haproxy.Stat{Status: "UP", Weight: -1}, model.Healthy, "UP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := haproxy.Backend(&c.stat, time.Now())
			if b.Health != c.health || b.Reason != c.reason {
				t.Errorf("Backend(%+v) = %v, %q; want %v, %q", c.stat, b.Health, b.Reason, c.health, c.reason)
			}
		})
	}
}

func TestBackendFields(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := haproxy.Stat{
		Proxy: "be", Name: "s1", Type: haproxy.TypeServer, Status: "UP", Addr: "10.0.0.1:80",
		Weight: 7, Backup: true, Scur: 3, Stot: 100, Hrsp5xx: 4, LastChg: 90,
	}
	got := haproxy.Backend(&s, now)
	want := model.Backend{
		Name: "s1", Address: "10.0.0.1:80", Health: model.Healthy, Reason: "UP", Weight: 7,
		Active: 3, Backup: true, Requests: 100, Errors: 4, Counters: true,
		Since: now.Add(-90 * time.Second), Admin: model.AdminReady,
	}
	if got != want {
		t.Errorf("Backend =\n%+v\nwant\n%+v", got, want)
	}
	s.LastChg = -1
	if b := haproxy.Backend(&s, now); !b.Since.IsZero() {
		t.Errorf("Since = %v with lastchg unset; want zero", b.Since)
	}
}

func TestPools(t *testing.T) {
	t.Parallel()
	stats := []haproxy.Stat{
		{Proxy: "fe", Name: "FRONTEND", Type: haproxy.TypeFrontend, Status: "OPEN"},
		{Proxy: "app", Name: "a1", Type: haproxy.TypeServer, Status: "UP", Weight: 1},
		{Proxy: "app", Name: "a2", Type: haproxy.TypeServer, Status: "DOWN", Weight: 1},
		{Proxy: "app", Name: "BACKEND", Type: haproxy.TypeBackend, Status: "UP"},
		{Proxy: "dead", Name: "d1", Type: haproxy.TypeServer, Status: "DOWN", Weight: 1},
		{Proxy: "dead", Name: "BACKEND", Type: haproxy.TypeBackend, Status: "DOWN"},
		{Proxy: "empty", Name: "BACKEND", Type: haproxy.TypeBackend, Status: "UP"},
		// A listen section with no servers (the stats page) is not a pool.
		{Proxy: "stats", Name: "FRONTEND", Type: haproxy.TypeFrontend, Status: "OPEN"},
		{Proxy: "stats", Name: "sock-1", Type: haproxy.TypeListener, Status: "OPEN"},
		{Proxy: "stats", Name: "BACKEND", Type: haproxy.TypeBackend, Status: "UP"},
	}
	pools := haproxy.Pools(stats, time.Now())
	type summary struct {
		name, note string
		backends   int
	}
	want := []summary{{"app", "", 2}, {"dead", "backend DOWN", 1}, {"empty", "no servers", 0}}
	if len(pools) != len(want) {
		t.Fatalf("got %d pools %+v; want %d", len(pools), pools, len(want))
	}
	for i, w := range want {
		got := summary{pools[i].Name, pools[i].Note, len(pools[i].Backends)}
		if got != w {
			t.Errorf("pool %d = %+v; want %+v", i, got, w)
		}
	}
}
