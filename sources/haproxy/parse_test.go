package haproxy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy"
)

func parseFile(t *testing.T, name string) []haproxy.Stat {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "haproxy", name))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	stats, err := haproxy.Parse(f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return stats
}

type wantBackend struct {
	name     string
	health   model.Health
	reason   string
	weight   int
	backup   bool
	requests uint64
	errors   uint64
}

func checkPool(t *testing.T, p model.Pool, want []wantBackend) {
	t.Helper()
	if len(p.Backends) != len(want) {
		t.Fatalf("pool %s has %d backends; want %d", p.Name, len(p.Backends), len(want))
	}
	for i, w := range want {
		b := p.Backends[i]
		got := wantBackend{b.Name, b.Health, b.Reason, b.Weight, b.Backup, b.Requests, b.Errors}
		if got != w {
			t.Errorf("%s backend %d =\n%+v\nwant\n%+v", p.Name, i, got, w)
		}
	}
}

// TestParseRecorded26 reads show-stat-2.6.12.csv, captured by
// TestCaptureRealShowStat from HAProxy 2.6.12-1+deb12u4 (Debian 12), whose
// header runs past uweight to agg_*, "-" and the ssl/h2/h1 module columns.
func TestParseRecorded26(t *testing.T) {
	t.Parallel()
	stats := parseFile(t, "show-stat-2.6.12.csv")
	if len(stats) != 16 {
		t.Fatalf("got %d rows; want 16", len(stats))
	}
	pools := haproxy.Pools(stats, time.Now())
	if len(pools) != 2 || pools[0].Name != "app" || pools[1].Name != "dead" {
		t.Fatalf("pools = %+v; want app and dead", pools)
	}
	checkPool(t, pools[0], []wantBackend{
		{"ok", model.Healthy, "UP", 10, false, 20, 0},
		{"bad", model.Unhealthy, "DOWN: L7STS 503 (Service Unavailable)", 1, false, 0, 0},
		{"refused", model.Unhealthy, "DOWN: L4CON (Connection refused)", 1, false, 0, 0},
		{"mnt", model.Down, "MAINT", 1, false, 0, 0},
		{"drn", model.Draining, "DRAIN", 1, false, 0, 0},
		{"nc", model.Healthy, "no check", 1, false, 2, 0},
		{"w0", model.Draining, "weight 0", 0, false, 0, 0},
		{"bk", model.Healthy, "UP", 1, true, 0, 0},
		{"flap", model.Degraded, "UP 999/1000 going down: L7STS 503 (Service Unavailable)", 1, false, 2, 2},
		{"rec", model.Unhealthy, "DOWN 1/1000 going up", 1, false, 0, 0},
		{"trk", model.Down, "MAINT (via app/mnt)", 1, false, 0, 0},
		{"err", model.Healthy, "no check", 1, false, 2, 2},
	})
	checkPool(t, pools[1], []wantBackend{{"d1", model.Unhealthy, "DOWN: L7STS 503 (Service Unavailable)", 1, false, 0, 0}})
	if pools[1].Note != "backend DOWN" {
		t.Errorf("dead note = %q; want %q", pools[1].Note, "backend DOWN")
	}
	for _, b := range pools[0].Backends {
		if !strings.HasPrefix(b.Address, "127.0.0.1:") {
			t.Errorf("%s address = %q; want 127.0.0.1:port", b.Name, b.Address)
		}
	}
}

// TestParseDatadogFixture reads an old version's dump (header ends at
// srv_abrt: no addr, last_chk or check_desc), from DataDog's haproxy
// integration tests.
func TestParseDatadogFixture(t *testing.T) {
	t.Parallel()
	stats := parseFile(t, "show-stat-statuses-datadog-fixture.csv")
	if len(stats) != 9 {
		t.Fatalf("got %d rows; want 9", len(stats))
	}
	pools := haproxy.Pools(stats, time.Now())
	// "a" is a frontend and a backend with no servers: a listen section, not a pool.
	if len(pools) != 1 || pools[0].Name != "b" {
		t.Fatalf("pools = %+v; want only b", pools)
	}
	checkPool(t, pools[0], []wantBackend{
		{"i-1", model.Degraded, "UP 1/2 going down", 1, false, 1, 0},
		{"i-2", model.Degraded, "UP 1/2 going down", 1, false, 1, 0},
		{"i-3", model.Healthy, "UP", 1, false, 1, 0},
		{"i-4", model.Unhealthy, "DOWN", 1, false, 1, 0},
		{"i-5", model.Down, "MAINT", 1, false, 1, 0},
	})
	if b := pools[0].Backends[1]; b.Active != 1 || b.Address != "" {
		t.Errorf("i-2 active %d address %q; want 1 and no address", b.Active, b.Address)
	}
}

func TestParseColumnsFromHeader(t *testing.T) {
	t.Parallel()
	// Columns in an unusual order, an unknown column, a quoted field with a
	// comma, a check in progress and a row shorter than the header.
	in := "# svname,future_col,type,status,pxname,weight,check_status,last_chk,addr,lastchg,\n" +
		"s1,x,2,DOWN,be,3,* L4TOUT,\"timeout, after 1s\",10.0.0.1:80,12,\n" +
		"s2,x,2,UP,be\n" +
		"BACKEND,x,1,DOWN,be,3,,,,12,\n\n"
	stats, err := haproxy.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []haproxy.Stat{
		{Proxy: "be", Name: "s1", Type: haproxy.TypeServer, Status: "DOWN", Addr: "10.0.0.1:80", Weight: 3, LastChg: 12, CheckStatus: "L4TOUT", LastChk: "timeout, after 1s", Slim: -1, Downtime: -1, CheckDuration: -1},
		{Proxy: "be", Name: "s2", Type: haproxy.TypeServer, Status: "UP", Weight: -1, LastChg: -1, Slim: -1, Downtime: -1, CheckDuration: -1},
		{Proxy: "be", Name: "BACKEND", Type: haproxy.TypeBackend, Status: "DOWN", Weight: 3, LastChg: 12, Slim: -1, Downtime: -1, CheckDuration: -1},
	}
	if len(stats) != len(want) {
		t.Fatalf("got %d rows; want %d", len(stats), len(want))
	}
	for i := range want {
		if stats[i] != want[i] {
			t.Errorf("row %d =\n%+v\nwant\n%+v", i, stats[i], want[i])
		}
	}
	b := haproxy.Backend(&stats[0], time.Now())
	if b.Reason != "DOWN: L4TOUT (timeout, after 1s)" {
		t.Errorf("reason = %q", b.Reason)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      string
		notStat bool
		want    string
	}{
		{"empty", "", true, "empty reply"},
		{"permission denied", "Permission denied\n\n", true, `"Permission denied"`},
		{"unknown command", "Unknown command: 'show stat', but maybe one of the following:\n", true, "Unknown command"},
		{"no status column", "# pxname,svname,type,\nbe,s1,2,\n", false, "lacks required column(s) status"},
		{"bad number", "# pxname,svname,type,status,weight,\nbe,s1,2,UP,heavy,\n", false, `show stat line 2: be/s1: column weight: invalid number "heavy"`},
		{"bad type", "# pxname,svname,type,status,\nbe,s1,9999,UP,\n", false, `column type: invalid value "9999"`},
		{"bad quoting", "# pxname,svname,type,status,\nbe,\"s1,2,UP,\n", false, "show stat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := haproxy.Parse(strings.NewReader(c.in))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded; want an error", c.in)
			}
			if errors.Is(err, haproxy.ErrNotStat) != c.notStat || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse(%q) = %v; want ErrNotStat=%v and %q", c.in, err, c.notStat, c.want)
			}
		})
	}
}
