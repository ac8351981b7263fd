package haproxy_test

import (
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy"
)

// The facts the diagnosis needs, read from show stat recorded from a real
// HAProxy 2.6.12 (testdata/haproxy/show-stat-2.6.12.csv).
func TestFactsFromRecordedShowStat(t *testing.T) {
	t.Parallel()
	pools := map[string]model.Pool{}
	for _, p := range haproxy.Pools(parseFile(t, "show-stat-2.6.12.csv"), time.Now()) {
		pools[p.Name] = p
	}
	app := pools["app"]
	cases := []struct {
		name  string
		fault model.Fault
		check string
		code  int
		fails uint64
		facts bool
	}{
		{"ok", model.FaultNone, "", 0, 0, false},
		{"bad", model.FaultCheck, "L7STS", 503, 1, true},
		{"refused", model.FaultRefused, "L4CON", 0, 1, true},
		{"mnt", model.FaultAdmin, "", 0, 0, true},
		{"drn", model.FaultAdmin, "", 0, 0, true},
		{"w0", model.FaultNone, "", 0, 0, false},
		{"trk", model.FaultAdmin, "", 0, 0, true},
		{"flap", model.FaultNone, "", 0, 0, false}, // UP 999/1000: still serving
	}
	for _, tc := range cases {
		b := backendByName(t, app, tc.name)
		if b.Fault != tc.fault || (b.Facts != nil) != tc.facts {
			t.Errorf("%s: fault %s facts %+v; want %s, facts %v", tc.name, b.Fault, b.Facts, tc.fault, tc.facts)
			continue
		}
		if f := model.FactsOf(&b); f.CheckStatus != tc.check || f.CheckCode != tc.code || f.CheckFails != tc.fails {
			t.Errorf("%s: check %q %d fails %d; want %q %d %d", tc.name, f.CheckStatus, f.CheckCode, f.CheckFails, tc.check, tc.code, tc.fails)
		}
	}
	if f := backendByName(t, pools["dead"], "d1").Facts; f == nil || f.CheckDuration != 2*time.Millisecond {
		t.Errorf("dead/d1 check duration: %+v; want 2ms", f)
	}
	f := app.Facts
	if f == nil || f.Counters[model.CtrRequests] != 26 || f.Counters[model.CtrErrors] != 4 || f.SessionLimit != 999 || f.Has&(1<<model.CtrErrors) == 0 {
		t.Fatalf("app BACKEND facts = %+v; want 26 requests, 4 5xx, slim 999", f)
	}
}

func TestServerFaultTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status, check string
		want          model.Fault
	}{
		{"MAINT (resolution)", "", model.FaultDNS},
		{"MAINT(resolution)", "", model.FaultDNS},
		{"MAINT", "L7OK", model.FaultAdmin},
		{"MAINT (via a/b)", "", model.FaultAdmin},
		{"DRAIN", "L4CON", model.FaultAdmin},
		{"NOLB", "L7OK", model.FaultAdmin},
		{"DOWN", "L4CON", model.FaultRefused},
		{"DOWN", "SOCKERR", model.FaultRefused},
		{"DOWN", "L4TOUT", model.FaultTimeout},
		{"DOWN", "L7TOUT", model.FaultTimeout},
		{"DOWN", "L7STS", model.FaultCheck},
		{"DOWN", "L7RSP", model.FaultCheck},
		{"DOWN 1/2", "L7OK", model.FaultOther},
		{"DOWN (agent)", "", model.FaultCheck},
		{"DOWN", "", model.FaultOther},
		{"UP", "L7OK", model.FaultNone},
		{"UP 1/3", "L7STS", model.FaultNone},
		{"no check", "", model.FaultNone},
	}
	for _, tc := range cases {
		h, _ := haproxy.StatusHealth(tc.status)
		if got := haproxy.ServerFault(tc.status, tc.check, h); got != tc.want {
			t.Errorf("ServerFault(%q, %q) = %s; want %s", tc.status, tc.check, got, tc.want)
		}
	}
}
