package main

import (
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// Two real HAProxy nodes serving the same backend become one pool line;
// opening it shows one row per server per node, and a drain on one node
// only is visible at a glance.
func TestTwoHAProxyInstancesMergeIntoOnePool(t *testing.T) {
	t.Parallel()
	cfg := haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "w1"}, {Name: "w2"}}},
	}}
	a, b := haproxytest.Start(t, cfg), haproxytest.Start(t, cfg)
	if reply := strings.TrimSpace(a.Cmd(t, "set server web/w1 state drain")); reply != "" {
		t.Fatalf("haproxy: %s", reply)
	}
	for _, inst := range []*haproxytest.Instance{a, b} {
		inst.WaitFor(t, func() bool { return strings.HasPrefix(inst.Status(t, "web", "w2"), "UP") })
	}

	code, out, errs := runCLI(t, "--haproxy", a.Addr, "--haproxy", b.Addr, "--once", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d; stderr %s", code, errs)
	}
	got := decodeOnce(t, out)
	if len(got.Pools) != 1 {
		t.Fatalf("want one merged pool line, got %d: %+v", len(got.Pools), got.Pools)
	}
	p := got.Pools[0]
	srcA, srcB := "haproxy:"+a.Addr, "haproxy:"+b.Addr
	if p.Name != "web" || p.Total != 4 || p.Healthy != 3 || len(p.Sources) != 2 || p.Source != srcA+","+srcB {
		t.Fatalf("merged pool = %+v", p)
	}
	rows := map[string]model.Health{}
	for _, be := range p.Backends {
		rows[be.Source+" "+be.Name] = be.Health
	}
	want := map[string]model.Health{srcA + " w1": model.Draining, srcA + " w2": model.Healthy, srcB + " w1": model.Healthy, srcB + " w2": model.Healthy}
	for k, w := range want {
		if rows[k] != w {
			t.Errorf("%s = %v, want %v (rows %v)", k, rows[k], w, rows)
		}
	}
	if first := p.Backends[0]; first.Source != srcA || first.Name != "w1" {
		t.Errorf("the drained instance's row should come first, got %+v", first)
	}

	code, table, _ := runCLI(t, "--haproxy", a.Addr, "--haproxy", b.Addr, "--once")
	if code != exitOK || !strings.Contains(table, "2 instances") {
		t.Errorf("table should say 2 instances:\n%s", table)
	}
}
