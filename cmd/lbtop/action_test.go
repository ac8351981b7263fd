package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// actRun runs an action subcommand with stdin and an environment whose
// state dir is a temporary directory.
func actRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	state := t.TempDir()
	getenv := func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return ""
	}
	var out, errb bytes.Buffer
	code := runAction(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// actAudit reads an audit log, failing on any line that is not JSON, and
// returns its outcome lines: every confirmed or not-applied line must
// follow a "sent" line for the same action, which is left out.
func actAudit(t *testing.T, path string) []actions.Entry {
	t.Helper()
	sent := map[string]int{}
	var out []actions.Entry
	for _, e := range actAuditAll(t, path) {
		k := e.Source + "\x00" + e.Pool + "\x00" + e.Backend + "\x00" + e.Action
		switch e.Result {
		case actions.Sent:
			sent[k]++
			continue
		case actions.Confirmed, actions.NotApplied:
			if sent[k] == 0 {
				t.Errorf("outcome line without a sent line before it: %+v", e)
			}
			sent[k]--
		}
		out = append(out, e)
	}
	return out
}

// actAuditAll reads every line of an audit log, failing on any that is
// not JSON.
func actAuditAll(t *testing.T, path string) []actions.Entry {
	t.Helper()
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) || len(raw) == 0 {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []actions.Entry
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		var e actions.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func actFleet() haproxytest.Config {
	return haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "a", Weight: 10}, {Name: "b", Weight: 10}}},
		{Name: "solo", Servers: []haproxytest.Server{{Name: "only"}}},
	}}
}

func actStart(t *testing.T) *haproxytest.Instance {
	t.Helper()
	inst := haproxytest.Start(t, actFleet())
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" && inst.Status(t, "solo", "only") == "UP" })
	return inst
}

func TestActionDrainConfirmed(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	log := filepath.Join(t.TempDir(), "audit.log")
	code, out, errs := actRun(t, "", "drain", "web/a", "--haproxy", inst.Addr, "--yes", "--reason", "deploy 42", "--audit-log", log)
	if code != exitOK || !strings.Contains(out, "confirmed: drain") || !strings.Contains(out, "after    1 of 2 backends serving") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if got := inst.Status(t, "web", "a"); got != "DRAIN" {
		t.Errorf("show stat: %s", got)
	}
	es := actAudit(t, log)
	if len(es) != 1 || es[0].Action != "drain" || es[0].Reason != "deploy 42" || es[0].Result != actions.Confirmed || es[0].After.Admin.String() != "drain" {
		t.Errorf("audit %+v", es)
	}
	// ready through the prompt: "y" on stdin.
	code, out, errs = actRun(t, "y\n", "ready", "--audit-log", log, "web/a", "--haproxy", inst.Addr)
	if code != exitOK || inst.Status(t, "web", "a") != "UP" {
		t.Fatalf("ready: exit %d\n%s\n%s", code, out, errs)
	}
	// declined at the prompt: nothing sent, nothing logged.
	code, _, errs = actRun(t, "n\n", "maint", "web/a", "--haproxy", inst.Addr, "--audit-log", log)
	if code != exitError || !strings.Contains(errs, "not confirmed: nothing was sent") || inst.Status(t, "web", "a") != "UP" {
		t.Errorf("declined: exit %d %s", code, errs)
	}
	if n := len(actAudit(t, log)); n != 2 {
		t.Errorf("audit has %d lines, want 2", n)
	}
}

func TestActionLastHealthyGuard(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	log := filepath.Join(t.TempDir(), "audit.log")
	code, _, errs := actRun(t, "", "drain", "solo/only", "--haproxy", inst.Addr, "--yes", "--audit-log", log)
	if code != exitError || !strings.Contains(errs, "only is the last healthy backend of pool solo") || !strings.Contains(errs, "--force") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := inst.Status(t, "solo", "only"); got != "UP" {
		t.Errorf("guarded server changed: %s", got)
	}
	if es := actAudit(t, log); len(es) != 1 || es[0].Result != actions.Refused {
		t.Errorf("audit: %+v", es)
	}
	// --force without --yes asks for the pool name; "y" is not enough.
	code, _, errs = actRun(t, "y\n", "drain", "solo/only", "--haproxy", inst.Addr, "--force", "--audit-log", log)
	if code != exitError || !strings.Contains(errs, `type the pool name "solo"`) || inst.Status(t, "solo", "only") != "UP" {
		t.Fatalf("force with y: exit %d %s", code, errs)
	}
	code, _, errs = actRun(t, "solo\n", "drain", "solo/only", "--haproxy", inst.Addr, "--force", "--audit-log", log)
	if code != exitOK || inst.Status(t, "solo", "only") != "DRAIN" {
		t.Fatalf("force with pool name: exit %d %s", code, errs)
	}
}

func TestActionDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	log := filepath.Join(t.TempDir(), "audit.log")
	code, out, errs := actRun(t, "", "weight", "5", "web/b", "--haproxy", inst.Addr, "--dry-run", "--audit-log", log)
	want := fmt.Sprintf(`request  HAProxy runtime API %s: "set server web/b weight 5"`, inst.Addr)
	if code != exitOK || !strings.Contains(out, want) || !strings.Contains(out, "dry run: nothing was sent") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if w := inst.Row(t, "web", "b")["weight"]; w != "10" {
		t.Errorf("weight changed to %s", w)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Errorf("dry run touched the audit log: %v", err)
	}
}

// TestActionBadInput: every bad input exits 1 with a message naming the
// value, and sends nothing (weights and states are unchanged, no audit
// line).
func TestActionBadInput(t *testing.T) {
	t.Parallel()
	h1, h2 := actStart(t), actStart(t)
	plus := fakePlus(t)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"haproxy weight too high", []string{"weight", "257", "web/a", "--haproxy", h1.Addr}, `weight 257 out of range for haproxy source "haproxy:` + h1.Addr + `": must be 0–256; nothing sent`},
		{"negative weight", []string{"weight", "-1", "web/a", "--haproxy", h1.Addr}, "weight -1 out of range for haproxy"},
		{"weight not a number", []string{"weight", "ten", "web/a", "--haproxy", h1.Addr}, `weight "ten" is not a whole number`},
		{"nginx plus weight 0", []string{"weight", "0", "app/10.0.0.1:80", "--nginx", plus}, "weight 0 out of range for nginx source"},
		{"unknown pool", []string{"drain", "wbe/a", "--haproxy", h1.Addr}, `unknown pool "wbe"`},
		{"unknown backend", []string{"drain", "web/zz", "--haproxy", h1.Addr}, `unknown backend "zz" in pool "web" (known: a, b)`},
		{"ambiguous", []string{"drain", "web/a", "--haproxy", h1.Addr, "--haproxy", h2.Addr, "--yes"}, "ambiguous target: web/a is on 2 sources"},
		{"unknown source", []string{"drain", "web/a", "--haproxy", h1.Addr, "--source", "nope"}, `--source "nope": no such source`},
		{"no slash", []string{"drain", "weba", "--haproxy", h1.Addr}, `target "weba": want POOL/BACKEND`},
		{"missing target", []string{"drain", "--haproxy", h1.Addr}, "usage: lbtop drain POOL/BACKEND"},
		{"weight missing N", []string{"weight", "web/a", "--haproxy", h1.Addr}, "usage: lbtop weight N POOL/BACKEND"},
		{"read-only", []string{"drain", "web/a", "--haproxy", h1.Addr, "--read-only", "--yes"}, "read-only mode"},
		{"no sources", []string{"drain", "web/a"}, "no sources"},
		{"bad floor", []string{"drain", "web/a", "--haproxy", h1.Addr, "--floor", "2"}, "--floor 2"},
	} {
		log := filepath.Join(t.TempDir(), "audit.log")
		code, out, errs := actRun(t, "y\n", append(c.args, "--audit-log", log)...)
		if code != exitError || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q (stdout %q)", c.name, code, errs, c.want, out)
		}
		if _, err := os.Stat(log); !os.IsNotExist(err) {
			t.Errorf("%s: audit log written", c.name)
		}
	}
	for _, inst := range []*haproxytest.Instance{h1, h2} {
		if r := inst.Row(t, "web", "a"); r["status"] != "UP" || r["weight"] != "10" {
			t.Errorf("something was sent: %s %s", r["status"], r["weight"])
		}
	}
}

// fakePlus serves the two NGINX Plus API reads a poll makes and fails the
// test on anything else: the bad-input case must send nothing.
func fakePlus(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api":
			fmt.Fprint(w, "[8,9]")
		case r.Method == http.MethodGet && r.URL.Path == "/api/9/http/upstreams":
			fmt.Fprint(w, `{"app":{"zone":"app","peers":[{"id":0,"server":"10.0.0.1:80","name":"10.0.0.1:80","state":"up","weight":1,"active":0}]}}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/9/stream/upstreams":
			http.NotFound(w, r)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			http.Error(w, "unexpected", http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api"
}

// TestActionFanOut drains the same backend on two instances with
// --source all, then reports a partial failure when one is gone.
func TestActionFanOut(t *testing.T) {
	t.Parallel()
	h1, h2 := actStart(t), actStart(t)
	log := filepath.Join(t.TempDir(), "audit.log")
	code, out, errs := actRun(t, "", "drain", "web/a", "--haproxy", h1.Addr, "--haproxy", h2.Addr, "--source", "all", "--yes", "--audit-log", log)
	if code != exitOK || !strings.Contains(out, "confirmed on all 2 instances") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, inst := range []*haproxytest.Instance{h1, h2} {
		if got := inst.Status(t, "web", "a"); got != "DRAIN" {
			t.Errorf("%s: %s", inst.Addr, got)
		}
	}
	if es := actAudit(t, log); len(es) != 2 || es[0].Source == es[1].Source {
		t.Errorf("audit: %+v", es)
	}
}

// TestActionConcurrentAudit runs 50 CLI actions at once against one real
// HAProxy, all appending to one audit file: 50 lines, all JSON, all
// confirmed.
func TestActionConcurrentAudit(t *testing.T) {
	t.Parallel()
	const n = 50
	var servers []haproxytest.Server
	for i := range n {
		servers = append(servers, haproxytest.Server{Name: fmt.Sprintf("s%d", i), Health: haproxytest.Unchecked})
	}
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{{Name: "big", Servers: servers}}})
	log := filepath.Join(t.TempDir(), "audit.log")
	codes := make([]int, n)
	errs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A generous deadline: 50 polls at once on a loaded 2-core
			// machine under -race missed the 2 s default; the audit
			// lines, not the speed, are what this tests.
			codes[i], _, errs[i] = actRun(t, "", "weight", fmt.Sprint(i+2), fmt.Sprintf("big/s%d", i), "--haproxy", inst.Addr,
				"--yes", "--audit-log", log, "--interval", "15s", "--timeout", "15s")
		}()
	}
	wg.Wait()
	for i := range n {
		if codes[i] != exitOK {
			t.Errorf("action %d: exit %d: %s", i, codes[i], errs[i])
		}
	}
	es := actAudit(t, log)
	if len(es) != n {
		t.Fatalf("%d audit lines, want %d", len(es), n)
	}
	seen := map[string]bool{}
	for _, e := range es {
		if e.Result != actions.Confirmed || e.Weight == nil || e.Backend != fmt.Sprintf("s%d", *e.Weight-2) {
			t.Errorf("entry %+v", e)
		}
		seen[e.Backend] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct backends logged", len(seen))
	}
	for i := range n {
		if w := inst.Row(t, "big", fmt.Sprintf("s%d", i))["weight"]; w != fmt.Sprint(i+2) {
			t.Errorf("s%d weight %s", i, w)
		}
	}
}

// TestReadyOnReadyIsRefusedUnasked: ready on a backend real HAProxy
// reports ready is refused before any confirmation (no prompt, even
// without --yes) as "already ready", exit 1, and leaves no audit line.
func TestReadyOnReadyIsRefusedUnasked(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	log := filepath.Join(t.TempDir(), "audit.log")
	code, out, errs := actRun(t, "y\n", "ready", "web/a", "--haproxy", inst.Addr, "--audit-log", log)
	if code != exitError || !strings.Contains(errs, "a on haproxy:"+inst.Addr+" is already ready: nothing to change") ||
		strings.Contains(errs, "apply?") || strings.Contains(out, "confirmed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if es := actAuditAll(t, log); len(es) != 0 {
		t.Errorf("a refused no-op was audited: %+v", es)
	}
	if got := inst.Status(t, "web", "a"); got != "UP" {
		t.Errorf("show stat: %s", got)
	}
}
