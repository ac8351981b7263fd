package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/sources/demo"
)

// startDemoEnvoy starts the demo fleet, whose Envoy admin emulation keeps
// the /healthcheck/fail state and reports it on /ready as Envoy does, and
// returns its admin URL and lbtop's name for it.
func startDemoEnvoy(t *testing.T) (url, name string) {
	t.Helper()
	f, err := demo.Start(context.Background(), demo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	url = f.EnvoyURL()
	return url, "envoy:" + strings.TrimPrefix(url, "http://")
}

// envoyReady reads the proxy's own state, GET /ready, as a load balancer
// in front of it would: the test's own reading, not lbtop's.
func envoyReady(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + strings.TrimSpace(string(b))
}

// requestLine is the "request" line of a plan printed by the CLI.
func requestLine(out string) string {
	for line := range strings.Lines(out) {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "request  "); ok {
			return r
		}
	}
	return ""
}

// TestProxyVerbsOnDemoEnvoy: proxy-fail and proxy-ok from the command
// line against the demo's Envoy admin emulation: the dry run prints the
// request and sends nothing; the real run is audited (sent, then
// confirmed) and the proxy's own /ready reads DRAINING, then LIVE again.
func TestProxyVerbsOnDemoEnvoy(t *testing.T) {
	t.Parallel()
	url, name := startDemoEnvoy(t)
	log := filepath.Join(t.TempDir(), "audit.log")

	code, out, errs := actRun(t, "", "proxy-fail", name, "--envoy", url, "--dry-run", "--audit-log", log)
	if code != exitOK || !strings.Contains(out, "dry run: nothing was sent") ||
		requestLine(out) != "Envoy admin API: POST "+url+"/healthcheck/fail" ||
		!strings.Contains(out, "change   proxy health check passing → FAILING") ||
		!strings.Contains(out, "affects  EVERY pool on this proxy (") {
		t.Fatalf("dry run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if got := envoyReady(t, url); got != "200 OK LIVE" {
		t.Fatalf("after the dry run /ready says %q", got)
	}
	if es := actAuditAll(t, log); len(es) != 0 {
		t.Errorf("the dry run wrote to the audit log: %+v", es)
	}

	code, out, errs = actRun(t, "", "proxy-fail", name, "--envoy", url, "--yes", "--reason", "drill 7", "--audit-log", log)
	if code != exitOK || !strings.Contains(out, "confirmed: proxy-fail "+name+" — the proxy now FAILS its health check") {
		t.Fatalf("proxy-fail: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if got := envoyReady(t, url); got != "503 Service Unavailable DRAINING" {
		t.Errorf("after proxy-fail /ready says %q", got)
	}
	all := actAuditAll(t, log)
	if len(all) != 2 || all[0].Result != actions.Sent || all[1].Result != actions.Confirmed {
		t.Fatalf("audit: %+v", all)
	}
	for _, e := range all {
		if e.Action != "proxy-fail" || e.Source != name || e.Kind != "envoy" || e.Reason != "drill 7" || e.Pool != "" || e.Before != nil {
			t.Errorf("audit line %+v", e)
		}
	}

	// Failing a failing proxy is refused as a no-op, dry run or not.
	for _, extra := range []string{"--dry-run", "--yes"} {
		code, out, errs = actRun(t, "", "proxy-fail", name, "--envoy", url, extra, "--audit-log", log)
		if code != exitError || !strings.Contains(out+errs, "proxy "+name+" is already failing its health check: nothing to change") {
			t.Errorf("proxy-fail %s on a failing proxy: exit %d\n%s\n%s", extra, code, out, errs)
		}
	}

	code, out, errs = actRun(t, "", "proxy-ok", name, "--envoy", url, "--dry-run", "--audit-log", log)
	if code != exitOK || requestLine(out) != "Envoy admin API: POST "+url+"/healthcheck/ok" || !strings.Contains(out, "FAILING → passing") {
		t.Fatalf("proxy-ok dry run: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = actRun(t, "", "proxy-ok", name, "--envoy", url, "--yes", "--audit-log", log)
	if code != exitOK || !strings.Contains(out, "confirmed: proxy-ok "+name+" — the proxy now passes its health check") {
		t.Fatalf("proxy-ok: exit %d\n%s\n%s", code, out, errs)
	}
	if got := envoyReady(t, url); got != "200 OK LIVE" {
		t.Errorf("after proxy-ok /ready says %q", got)
	}
	if es := actAudit(t, log); len(es) != 2 || es[1].Action != "proxy-ok" || es[1].Result != actions.Confirmed {
		t.Errorf("audit outcomes: %+v", es)
	}
}

// TestProxyVerbDryRunIsWhatIsSent: the request the dry run prints is the
// POST the Envoy stand-in then receives.
func TestProxyVerbDryRunIsWhatIsSent(t *testing.T) {
	t.Parallel()
	env := startEnvoy(t)
	name := "envoy:" + strings.TrimPrefix(env.srv.URL, "http://")
	log := filepath.Join(t.TempDir(), "audit.log")
	for _, verb := range []string{"proxy-fail", "proxy-ok"} {
		_, out, errs := actRun(t, "", verb, name, "--envoy", env.srv.URL, "--dry-run")
		desc := requestLine(out)
		if env.last() != "" && verb == "proxy-fail" {
			t.Fatalf("the dry run sent %s", env.last())
		}
		code, _, errs2 := actRun(t, "", verb, name, "--envoy", env.srv.URL, "--yes", "--audit-log", log)
		if want := "Envoy admin API: " + strings.Replace(env.last(), "POST ", "POST "+env.srv.URL, 1); code != exitOK || desc != want {
			t.Errorf("%s: exit %d, dry run %q, sent %q\n%s%s", verb, code, desc, want, errs, errs2)
		}
	}
}

// TestProxyVerbRefusals: read-only mode, an unknown source, a source
// that is not an Envoy, a script without --yes and the backend commands'
// flags are refused, exit 1, each naming the value, and nothing is sent.
func TestProxyVerbRefusals(t *testing.T) {
	t.Parallel()
	env := startEnvoy(t)
	name := "envoy:" + strings.TrimPrefix(env.srv.URL, "http://")
	inst := actStart(t)
	hap := "haproxy:" + inst.Addr
	log := filepath.Join(t.TempDir(), "audit.log")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy-fail", name, "--envoy", env.srv.URL, "--yes", "--read-only"}, "read-only mode (--read-only, LBTOP_READ_ONLY or read_only in the config): proxy-fail refused, nothing sent"},
		{[]string{"proxy-fail", name, "--envoy", env.srv.URL, "--dry-run", "--read-only"}, "proxy-fail refused, nothing sent"},
		{[]string{"proxy-fail", "edge", "--envoy", env.srv.URL, "--yes"}, `proxy-fail "edge": no such source (have: ` + name + ")"},
		{[]string{"proxy-ok", "edge", "--envoy", env.srv.URL, "--dry-run"}, `proxy-ok "edge": no such source`},
		{[]string{"proxy-fail", hap, "--haproxy", inst.Addr, "--envoy", env.srv.URL, "--yes"}, `proxy-fail refused: haproxy source "` + hap + `" cannot proxy-fail`},
		{[]string{"proxy-fail", hap, "--haproxy", inst.Addr, "--dry-run"}, `dry run: would be refused: proxy-fail refused: haproxy source "` + hap + `"`},
		{[]string{"proxy-fail", name, "--envoy", env.srv.URL}, "proxy-fail " + name + " needs the proxy's name typed at a terminal, and stdin is not one: give --yes in scripts; nothing was sent"},
		{[]string{"proxy-ok", name, "--envoy", env.srv.URL, "--yes"}, "proxy " + name + " is already passing its health check: nothing to change"},
		{[]string{"proxy-fail", name, "--envoy", env.srv.URL, "--yes", "--force"}, "--force does not apply to proxy-fail"},
		{[]string{"proxy-fail", "--source", name, "--envoy", env.srv.URL, "--yes"}, "usage: lbtop proxy-fail NAME [flags], NAME a source's name (got 0 arguments after proxy-fail)"},
		{[]string{"proxy-fail", name, "--source", name, "--envoy", env.srv.URL}, `--source "` + name + `": proxy-fail takes the source as its argument`},
		{[]string{"proxy-fail", name, "extra", "--envoy", env.srv.URL}, "got 2 arguments after proxy-fail"},
	} {
		code, out, errs := actRun(t, "y\n"+name+"\n", append(c.args, "--audit-log", log)...)
		if code != exitError || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: exit %d, want 1 saying %q\nstdout:\n%s\nstderr:\n%s", c.args, code, c.want, out, errs)
		}
	}
	if p := env.last(); p != "" {
		t.Errorf("a refused proxy action sent %s", p)
	}
	if es := actAuditAll(t, log); len(es) != 0 {
		t.Errorf("refusals before anything was planned wrote audit lines: %+v", es)
	}
}

// TestProxyVerbNonEnvoyNamesSourceAndKind: a source that has no proxy
// health switch of its own words refuses with its name and system.
func TestProxyVerbNonEnvoyNamesSourceAndKind(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ source, want string }{
		{"demo-nginx", `NGINX Plus has no API to fail the whole proxy's health; drain or take down its servers instead (source "demo-nginx", nginx)`},
		{"demo-prometheus", `Prometheus is read-only: to proxy-fail, act through the haproxy/nginx/envoy source`},
		{"demo-haproxy", `haproxy source "demo-haproxy" cannot proxy-fail`},
	} {
		code, out, errs := actRun(t, "", "proxy-fail", c.source, "--demo", "--yes")
		if code != exitError || !strings.Contains(errs, "proxy-fail refused: "+c.want) || !strings.Contains(errs, c.source) {
			t.Errorf("%s: exit %d, want 1 saying %q\n%s\n%s", c.source, code, c.want, out, errs)
		}
	}
}

// TestProxyVerbTypedName: at a real terminal (a pty) without --yes, the
// proxy's name typed in full applies the action; "y" does not.
func TestProxyVerbTypedName(t *testing.T) {
	t.Parallel()
	env := startEnvoy(t)
	name := "envoy:" + strings.TrimPrefix(env.srv.URL, "http://")
	log := filepath.Join(t.TempDir(), "audit.log")
	typed := func(line string) (int, string) {
		t.Helper()
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		defer tty.Close()
		go func() { _, _ = io.Copy(io.Discard, ptmx) }() // the echo
		if _, err := ptmx.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		code := runAction(ctx, []string{"proxy-fail", name, "--envoy", env.srv.URL, "--audit-log", log}, func(string) string { return "" }, tty, &out, &errb)
		return code, out.String() + errb.String()
	}
	code, out := typed("y")
	if code != exitError || !strings.Contains(out, "FAIL THE WHOLE PROXY "+name+`: type its name "`+name+`" to apply`) || !strings.Contains(out, "not confirmed: nothing was sent") || env.last() != "" {
		t.Fatalf("y at the prompt: exit %d, sent %q\n%s", code, env.last(), out)
	}
	code, out = typed(name)
	if code != exitOK || env.last() != "POST /healthcheck/fail" || !strings.Contains(out, "confirmed: proxy-fail") {
		t.Fatalf("name typed: exit %d, sent %q\n%s", code, env.last(), out)
	}
}

// TestProxyVerbOutcomes: a proxy that acknowledges the POST but keeps
// passing its health check is "not applied", exit 3, audited sent then
// not_applied; one that refuses the POST is "failed", exit 1, audited
// failed.
func TestProxyVerbOutcomes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		answer int
		code   int
		say    string
		audit  []actions.Outcome
	}{
		{http.StatusOK, exitNotApplied, "not applied: proxy-fail ", []actions.Outcome{actions.Sent, actions.NotApplied}},
		{http.StatusInternalServerError, exitError, "failed: proxy-fail ", []actions.Outcome{actions.Failed}},
	} {
		env := startEnvoy(t)
		env.mu.Lock()
		env.answer = c.answer
		env.mu.Unlock()
		name := "envoy:" + strings.TrimPrefix(env.srv.URL, "http://")
		log := filepath.Join(t.TempDir(), "audit.log")
		code, out, errs := actRun(t, "", "proxy-fail", name, "--envoy", env.srv.URL, "--yes", "--audit-log", log)
		if code != c.code || !strings.Contains(errs, c.say+name) || env.last() != "POST /healthcheck/fail" {
			t.Errorf("POST answered %d: exit %d, want %d saying %q\n%s\n%s", c.answer, code, c.code, c.say, out, errs)
		}
		var got []actions.Outcome
		for _, e := range actAuditAll(t, log) {
			got = append(got, e.Result)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.audit) {
			t.Errorf("POST answered %d: audit %v, want %v", c.answer, got, c.audit)
		}
	}
}
