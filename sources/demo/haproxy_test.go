package demo

import (
	"strings"
	"testing"
)

func TestStatHeaderMatchesColumns(t *testing.T) {
	t.Parallel()
	names := strings.Split(strings.TrimSuffix(strings.TrimPrefix(statHeader, "# "), ","), ",")
	if len(names) != numFields {
		t.Fatalf("header has %d columns, constants %d", len(names), numFields)
	}
	for i, want := range map[int]string{fPxname: "pxname", fStatus: "status", fCheckStatus: "check_status",
		fAddr: "addr", fUweight: "uweight", fAggCheckStatus: "agg_check_status", fEnd: "-", fLastChk: "last_chk"} {
		if names[i] != want {
			t.Errorf("column %d: constant says %s, header says %s", i, want, names[i])
		}
	}
}

func TestShowStatRows(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	rows := showStat(t, f.HAProxyAddr())
	types := map[string]int{}
	pools := map[string]int{}
	for _, r := range rows {
		types[r["type"]]++
		if r["type"] == "2" {
			pools[r["pxname"]]++
			// HAProxy shows no address for a server whose name does not resolve.
			if (r["addr"] == "") != (r["status"] == "MAINT (resolution)") || r["lastchg"] == "" || r["status"] == "" {
				t.Errorf("server %s/%s lacks addr, lastchg or status: %v", r["pxname"], r["svname"], r)
			}
		}
	}
	if types["0"] != 2 || types["1"] != 14 || types["2"] < 100 {
		t.Errorf("rows by type: %v; want 2 frontends, 14 backends, 100+ servers", types)
	}
	if len(pools) != 14 {
		t.Errorf("backends with servers: %d, want 14", len(pools))
	}
	if r := find(t, rows, "checkout-api", "checkout-api-02"); r["status"] != "DRAIN" {
		t.Errorf("checkout-api-02 status %q, want DRAIN", r["status"])
	}
	if r := find(t, rows, "payments", "payments-03"); r["status"] != "MAINT" || r["check_status"] != "" || r["check_rise"] != "" {
		t.Errorf("payments-03: want MAINT with blank check columns, got status %q check %q rise %q", r["status"], r["check_status"], r["check_rise"])
	}
	if r := find(t, rows, "auth", "auth-backup"); r["bck"] != "1" || r["act"] != "0" {
		t.Errorf("auth-backup: bck %q act %q, want 1 and 0", r["bck"], r["act"])
	}
	if r := find(t, rows, "cdn-origin", "cdn-origin-01"); r["status"] != "no check" || r["check_status"] != "" {
		t.Errorf("cdn-origin-01: status %q check %q, want \"no check\" and none", r["status"], r["check_status"])
	}
	if r := find(t, rows, "legacy-soap", "BACKEND"); r["status"] != "DOWN" || r["act"] != "0" {
		t.Errorf("legacy-soap starts in an outage: BACKEND status %q act %q", r["status"], r["act"])
	}
	if r := find(t, rows, "legacy-soap", "BACKEND"); r["algo"] != "static-rr" {
		t.Errorf("legacy-soap algo %q", r["algo"])
	}
	if r := find(t, rows, "https-in", "FRONTEND"); r["status"] != "OPEN" || r["type"] != "0" {
		t.Errorf("https-in frontend: %q type %q", r["status"], r["type"])
	}
}

func TestSetServerShowsInNextShowStat(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 2)
	addr := f.HAProxyAddr()
	for _, line := range []string{
		"set server cart/cart-01 state drain",
		"set server cart/cart-02 state maint",
		"set server cart/cart-03 weight 0",
		"set server cart/cart-04 weight 50%",
		"set weight cart/cart-05 7",
	} {
		if got := cli(t, addr, line); got != "\n" {
			t.Fatalf("%q: want an empty line, got %q", line, got)
		}
	}
	f.sim.mu.Lock()
	f.sim.ha.backend("cart").servers[0].steady = true // keep it up so DRAIN (not DOWN) shows
	f.sim.mu.Unlock()
	for range 5 {
		f.Step()
	}
	rows := showStat(t, addr)
	for _, tc := range []struct{ sv, col, want string }{
		{"cart-01", "status", "DRAIN"},
		{"cart-02", "status", "MAINT"},
		{"cart-02", "check_status", ""},
		{"cart-03", "weight", "0"},
		{"cart-03", "uweight", "0"},
		{"cart-04", "weight", "50"},
		{"cart-05", "weight", "7"},
	} {
		if got := find(t, rows, "cart", tc.sv)[tc.col]; got != tc.want {
			t.Errorf("cart/%s %s = %q, want %q", tc.sv, tc.col, got, tc.want)
		}
	}
	if got := cli(t, addr, "get weight cart/cart-03"); got != "0 (initial 100)\n\n" {
		t.Errorf("get weight: %q", got)
	}
	if got := cli(t, addr, "set server cart/cart-01 state ready; set server cart/cart-02 state ready"); got != "\n\n" {
		t.Errorf("two commands: want two empty answers, got %q", got)
	}
	f.Step()
	rows = showStat(t, addr)
	if got := find(t, rows, "cart", "cart-01")["status"]; got != "UP" {
		t.Errorf("cart-01 after ready: %q, want UP", got)
	}
	if got := find(t, rows, "cart", "cart-02")["check_status"]; got == "" {
		t.Errorf("cart-02 after ready: checks did not resume")
	}
}

// TestCLIReplies pins the exact bytes HAProxy 2.6 answers (captured from
// /usr/sbin/haproxy; TestConformsToRealHAProxy re-checks them live).
func TestCLIReplies(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	for _, tc := range []struct{ line, want string }{
		{"set server cart/cart-01 weight 300", "Absolute weight can only be between 0 and 256 inclusive.\n\n"},
		{"set server cart/cart-01 weight -1", "Absolute weight can only be between 0 and 256 inclusive.\n\n"},
		{"set server cart/cart-01 weight abc", "Empty weight string empty or preceded by garbage\n"},
		{"set server cart/cart-01 weight 5x", "Trailing garbage in weight string\n"},
		{"set server cart/cart-01 weight -5%", "Relative weight must be positive.\n\n"},
		{"set server cart/cart-01 weight", "Require <weight> or <weight%>.\n\n"},
		{"set server legacy-soap/legacy-soap-01 weight 5", "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n"},
		{"set server legacy-soap/legacy-soap-01 weight 0", "\n"},
		{"set server cart/nosuch state drain", "No such server.\n\n"},
		{"set server nosuch/cart-01 state drain", "No such backend.\n\n"},
		{"set server cart state drain", "Require 'backend/server'.\n\n"},
		{"set server cart/cart-01 state foo", "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"},
		{"set server cart/cart-01 weight 3; set server cart/zz weight 1", "\nNo such server.\n\n"},
		{`set server cart/cart-01 state\ drain`, "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n\n"},
		{"set server #8/#1 weight 9", "\n"},
	} {
		if got := cli(t, f.HAProxyAddr(), tc.line); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.line, got, tc.want)
		}
	}
	if got := cli(t, f.HAProxyAddr(), "frobnicate"); !strings.HasPrefix(got, "Unknown command") || !strings.HasSuffix(got, "\n\n") {
		t.Errorf("unknown command: %q", got)
	}
}

func TestMaintStopsChecksAndFreezesHealth(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 5)
	addr := f.HAProxyAddr()
	if got := cli(t, addr, "set server graphql/graphql-01 state maint"); got != "\n" {
		t.Fatalf("maint: %q", got)
	}
	f.sim.mu.Lock()
	sv := f.sim.ha.backend("graphql").server("graphql-01")
	health := sv.health
	f.sim.mu.Unlock()
	for range 30 {
		f.Step()
	}
	r := find(t, showStat(t, addr), "graphql", "graphql-01")
	if r["status"] != "MAINT" || r["check_status"] != "" || r["check_health"] != "" {
		t.Errorf("after 30 steps in MAINT: status %q check %q health %q", r["status"], r["check_status"], r["check_health"])
	}
	f.sim.mu.Lock()
	defer f.sim.mu.Unlock()
	if sv.health != health {
		t.Errorf("check health moved while in MAINT: %d -> %d", health, sv.health)
	}
}

func TestSplitCommands(t *testing.T) {
	t.Parallel()
	got := splitCommands(`show stat;  set server a/b  weight 3 ;x\;y z`)
	want := [][]string{{"show", "stat"}, {"set", "server", "a/b", "weight", "3"}, {"x;y", "z"}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("command %d: got %q, want %q", i, got[i], want[i])
		}
	}
}
