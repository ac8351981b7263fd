package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// runCLI runs lbtop in-process with no environment and returns its exit
// code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, func(string) string { return "" }, &out, &errb)
	return code, out.String(), errb.String()
}

// decodeOnce parses --once -o json output strictly into the documented
// shape and checks every health word is one of the six.
func decodeOnce(t *testing.T, s string) onceJSON {
	t.Helper()
	var got onceJSON
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("output is not the documented JSON: %v\n%s", err, s)
	}
	var raw struct {
		Sources []map[string]any `json:"sources"`
		Pools   []map[string]any `json:"pools"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatal(err)
	}
	for _, src := range raw.Sources {
		for _, k := range []string{"name", "kind", "ok", "error"} {
			if _, ok := src[k]; !ok {
				t.Errorf("source lacks %q: %v", k, src)
			}
		}
	}
	for _, p := range raw.Pools {
		for _, k := range []string{"source", "name", "healthy", "total", "backends"} {
			if _, ok := p[k]; !ok {
				t.Errorf("pool lacks %q: %v", k, p)
			}
		}
		for _, b := range p["backends"].([]any) {
			bm := b.(map[string]any)
			for _, k := range []string{"name", "address", "health", "reason", "weight", "active"} {
				if _, ok := bm[k]; !ok {
					t.Errorf("backend lacks %q: %v", k, bm)
				}
			}
			if _, err := model.ParseHealth(bm["health"].(string)); err != nil {
				t.Error(err)
			}
		}
	}
	return got
}

func TestOnceDemoJSONReportsNoHealthyUpstream(t *testing.T) {
	t.Parallel()
	code, out, errs := runCLI(t, "--demo", "--once", "-o", "json")
	if code != exitNoHealthy {
		t.Fatalf("exit %d, want %d (the demo starts with a pool in outage); stderr: %s", code, exitNoHealthy, errs)
	}
	got := decodeOnce(t, out)
	if len(got.Sources) < 2 {
		t.Fatalf("sources = %+v", got.Sources)
	}
	for _, s := range got.Sources {
		if !s.OK {
			t.Errorf("demo source %s failed: %s", s.Name, s.Error)
		}
	}
	if len(got.Pools) < 20 || got.NoHealthy == 0 {
		t.Fatalf("%d pools, %d without a healthy backend", len(got.Pools), got.NoHealthy)
	}
	if first := got.Pools[0]; first.Healthy != 0 || !first.NoHealthy {
		t.Errorf("the first pool should be a broken one: %+v", first)
	}
}

func TestOnceRealHAProxy(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "w1"}, {Name: "w2"}, {Name: "w3", State: haproxytest.Drain}}},
		{Name: "api", Servers: []haproxytest.Server{{Name: "a1"}, {Name: "a2", Health: haproxytest.Unhealthy}}},
	}})
	inst.WaitFor(t, func() bool {
		return inst.Status(t, "api", "a2") == "DOWN" && strings.HasPrefix(inst.Status(t, "web", "w1"), "UP")
	})

	code, out, errs := runCLI(t, "--haproxy", inst.Addr, "--once", "-o", "json")
	if code != exitOK {
		t.Fatalf("all pools serve: exit %d, want 0; stderr %s\n%s", code, errs, out)
	}
	got := decodeOnce(t, out)
	health := map[string]model.Health{}
	for _, p := range got.Pools {
		for _, b := range p.Backends {
			health[p.Name+"/"+b.Name] = b.Health
		}
	}
	want := map[string]model.Health{"web/w1": model.Healthy, "web/w2": model.Healthy, "web/w3": model.Draining, "api/a1": model.Healthy, "api/a2": model.Unhealthy}
	for k, w := range want {
		if health[k] != w {
			t.Errorf("%s = %v, want %v", k, health[k], w)
		}
	}

	// Take the last healthy api server away behind lbtop's back: exit 2.
	if reply := strings.TrimSpace(inst.Cmd(t, "set server api/a1 state maint")); reply != "" {
		t.Fatalf("haproxy: %s", reply)
	}
	code, out, _ = runCLI(t, "--haproxy", inst.Addr, "--once")
	if code != exitNoHealthy {
		t.Fatalf("exit %d, want %d\n%s", code, exitNoHealthy, out)
	}
	if !strings.Contains(out, "✘ no healthy upstream") || !strings.Contains(out, "MAINT") {
		t.Errorf("table does not show the broken pool and why:\n%s", out)
	}
}

func TestOnceNoSourceReadable(t *testing.T) {
	t.Parallel()
	code, _, errs := runCLI(t, "--haproxy", haproxytest.ClosedPort(t), "--once", "--timeout", "2s")
	if code != exitError || !strings.Contains(errs, "connection refused") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the error", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no sources"},
		{[]string{"--demo", "--once", "-o", "yaml"}, `-o "yaml"`},
		{[]string{"--envoy", "localhost:9901"}, "localhost:9901"},
		{[]string{"--haproxy", "nowhere"}, `"nowhere"`},
		{[]string{"--demo", "extra"}, `"extra"`},
		{[]string{"--config", "/nonexistent/lbtop.yaml"}, "/nonexistent/lbtop.yaml"},
		{[]string{"--bogus"}, "bogus"},
	}
	for _, tc := range cases {
		code, _, errs := runCLI(t, tc.args...)
		if code != exitError || !strings.Contains(errs, tc.want) {
			t.Errorf("lbtop %v: exit %d stderr %q, want 1 mentioning %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestConfigFileWithFlags(t *testing.T) {
	t.Parallel()
	o, _, err := parseArgs([]string{"--config", "../../testdata/lbtop.yaml", "--haproxy", "127.0.0.1:1", "--interval", "5s", "--read-only"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	last := c.Sources[len(c.Sources)-1]
	if last.Name != "haproxy:127.0.0.1:1" || !last.ReadOnly || last.Interval.Seconds() != 5 || !c.Sources[0].ReadOnly {
		t.Fatalf("flags not merged: %+v", last)
	}
}

func TestEnvMirrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{"LBTOP_INTERVAL": "7s", "LBTOP_READ_ONLY": "1"}
	o, _, err := parseArgs([]string{"--demo"}, func(k string) string { return env[k] })
	if err != nil || o.interval.Seconds() != 7 || !o.readOnly {
		t.Fatalf("env not mirrored: %+v %v", o, err)
	}
}
