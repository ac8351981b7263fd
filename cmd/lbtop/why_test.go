package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// TestOnceJSONCarriesDiagnosis: every pool of --once -o json has a
// diagnosis object with the four documented fields; state is one of the
// five words and evidence is a list, never null.
func TestOnceJSONCarriesDiagnosis(t *testing.T) {
	t.Parallel()
	_, out, errs := runCLI(t, "--demo", "--once", "-o", "json")
	var raw struct {
		Pools []struct {
			Name      string         `json:"name"`
			Diagnosis map[string]any `json:"diagnosis"`
		} `json:"pools"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v; stderr %s", err, errs)
	}
	if len(raw.Pools) == 0 {
		t.Fatal("no pools")
	}
	states := []string{"ok", "warning", "degraded", "down", "unknown"}
	for _, p := range raw.Pools {
		d := p.Diagnosis
		for _, k := range []string{"state", "cause", "summary", "evidence"} {
			if _, ok := d[k]; !ok {
				t.Fatalf("pool %s: diagnosis lacks %q: %v", p.Name, k, d)
			}
		}
		if s, _ := d["state"].(string); !slices.Contains(states, s) {
			t.Errorf("pool %s: state %v", p.Name, d["state"])
		}
		if _, ok := d["evidence"].([]any); !ok {
			t.Errorf("pool %s: evidence is %T, want a list", p.Name, d["evidence"])
		}
	}
}

// TestWriteWhy prints a diagnosed pool: verdict line, summary, evidence,
// then the backends not serving with the system's reason and who took
// them out, with control characters from the source made visible.
func TestWriteWhy(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	p := &model.PoolRow{Key: "haproxy/api", Name: "api", Kind: model.KindHAProxy, Sources: []string{"lb1"}, Healthy: 0, Total: 3,
		Diagnosis: model.Diagnosis{State: model.DiagDown, Cause: model.CauseMixed,
			Summary:  "no backend serves: 2 refuse connections, 1 drained",
			Evidence: []string{"api-1, api-2 (lb1): L4CON Connection refused", "api-3 (lb1): DRAIN\x1b[31m"}},
		Backends: []model.BackendRow{
			{Backend: model.Backend{Name: "api-1", Health: model.Unhealthy, Reason: "DOWN: L4CON (Connection refused)"}, Source: "lb1", Pool: "api"},
			{Backend: model.Backend{Name: "api-3", Health: model.Draining, Reason: "DRAIN", Admin: model.AdminDrain}, Source: "lb1", Pool: "api"},
			{Backend: model.Backend{Name: "api-4", Health: model.Healthy, Reason: "UP", Weight: 1}, Source: "lb1", Pool: "api"},
		}}
	by := map[model.BackendRef]actions.Entry{
		{Source: "lb1", Pool: "api", Backend: "api-3"}: {Time: now.Add(-12 * time.Minute), User: actions.Who{Login: "ana"}, Action: "drain", Reason: "deploy 4.2"},
	}
	var b bytes.Buffer
	if err := writeWhy(&b, p, by, now); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"haproxy/api  down  mixed  (0/3 healthy, lb1)\n",
		"  no backend serves: 2 refuse connections, 1 drained\n",
		"  - api-1, api-2 (lb1): L4CON Connection refused\n",
		"  not serving:\n",
		"api-1  lb1  unhealthy  DOWN: L4CON (Connection refused)",
		"drained 12m ago by ana: deploy 4.2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") || strings.Contains(got, "api-4") {
		t.Errorf("raw escape or a healthy backend in\n%s", got)
	}
}

// TestWhyDemo runs `lbtop why` on the demo: a pool in outage exits 2 and
// names its failing backends; every problem pool is listed without a
// pool; an unknown pool and extra arguments exit 1; the audit log names
// who drained a backend. It is not parallel: five demo fleets at once
// slow the real-HAProxy action tests beyond their poll deadlines.
func TestWhyDemo(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.log")
	e := actions.Entry{Time: time.Now().Add(-5 * time.Minute), User: actions.Who{Login: "ana"}, Source: "demo-haproxy",
		Kind: "haproxy", Pool: "checkout-api", Backend: "checkout-api-02", Action: "drain", Reason: "canary", Result: actions.Confirmed}
	line, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(audit, append(line, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		out  []string
		err  string
	}{
		{"outage", []string{"why", "legacy-soap", "--demo"}, exitNoHealthy, []string{"haproxy/legacy-soap", "(0/2 healthy, demo-haproxy)", "not serving:", "legacy-soap-01"}, ""},
		{"all problems", []string{"why", "--demo"}, exitNoHealthy, []string{"haproxy/legacy-soap", "envoy/recommendations", "haproxy/checkout-api"}, ""},
		{"audit", []string{"why", "--demo", "--audit-log", audit, "checkout-api"}, exitOK, []string{"checkout-api-02", "DRAIN", "drained 5m ago by ana: canary"}, ""},
		{"unknown pool", []string{"why", "--demo", "nosuch"}, exitError, nil, `pool "nosuch": no such pool (have: `},
		{"two pools", []string{"why", "--demo", "a", "b"}, exitError, nil, "usage: lbtop why [POOL]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, c.code, out, errs)
			}
			for _, w := range c.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errs, c.err) {
				t.Errorf("stderr lacks %q: %s", c.err, errs)
			}
		})
	}
}
