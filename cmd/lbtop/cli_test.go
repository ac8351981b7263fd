package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// runEnv runs lbtop in-process with the given environment.
func runEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCLIMessages: every usage error is exit 1 and exactly one line on
// stderr naming the flag or word and what to do; nothing on stdout.
func TestCLIMessages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--demo", "--interval", "2"}, nil, `invalid --interval "2": a duration needs a unit, e.g. 2s`},
		{[]string{"--demo", "--interval", "0"}, nil, `invalid --interval "0": must be positive, e.g. 2s (leave it out for the default)`},
		{[]string{"--demo", "--interval", "-1s"}, nil, `invalid --interval "-1s": must be positive, e.g. 2s (leave it out for the default)`},
		{[]string{"--demo", "--timeout", "0"}, nil, `invalid --timeout "0": must be positive, e.g. 2s (leave it out for the default)`},
		{[]string{"--demo", "--timeout", "soon"}, nil, `invalid --timeout "soon": not a duration, e.g. 2s, 500ms or 1m`},
		{[]string{"--demo", "--timeout", "5s"}, nil, `--timeout 5s is longer than the default interval 2s: a poll must end before the next one starts`},
		{[]string{"--haproxy", "x:1", "--interval", "1s", "--timeout", "3s"}, nil, `--timeout 3s is longer than --interval 1s: a poll must end before the next one starts`},
		{[]string{"--demo"}, map[string]string{"LBTOP_INTERVAL": "2"}, `invalid LBTOP_INTERVAL "2": a duration needs a unit, e.g. 2s`},
		{[]string{"--demo", "-o", "json"}, nil, `-o json needs --once: lbtop --once -o json polls once and prints; without --once lbtop opens the dashboard`},
		{[]string{"--demo", "--strict"}, nil, `--strict needs --once: it sets the exit code of one poll (1 when a source cannot be read)`},
		{[]string{"--demo", "--once", "-o", "yaml"}, nil, `-o "yaml": want table or json`},
		{[]string{"--demo", "--yes"}, nil, `--yes only applies to the action commands drain, ready, maint, weight, proxy-fail, proxy-ok`},
		{[]string{"--demo", "--once=maybe"}, nil, `invalid --once "maybe": want true or false`},
		{[]string{"--demo", "--demo-seed", "x"}, nil, `invalid --demo-seed "x": not a number`},
		{[]string{"--demo", "--floor", "2"}, nil, `--floor 2: want a share between 0 and 1, e.g. 0.5`},
		{[]string{"--intervall", "2s"}, nil, `unknown flag --intervall; did you mean --interval?`},
		{[]string{"--bogus"}, nil, `unknown flag --bogus (see lbtop -h)`},
		{[]string{"--demo", "--interval"}, nil, `--interval needs a value`},
		{[]string{"drian", "web/web1", "--haproxy", "x:1"}, nil, `unknown command "drian"; did you mean "drain"?`},
		{[]string{"--haproxy", "x:1", "wieght", "5", "web/web1"}, nil, `unknown command "wieght"; did you mean "weight"?`},
		{[]string{"--haproxy", "x:1", "web/web1", "drain"}, nil, `unknown command "web/web1": the command comes first, e.g. lbtop drain web/web1 [flags]`},
		{[]string{"--haproxy", "x:1", "web/web1"}, nil, `unknown command "web/web1": a POOL/BACKEND follows a command, e.g. lbtop drain web/web1 [flags]`},
		{[]string{"--demo", "extra"}, nil, `unknown command "extra" (commands: drain, ready, maint, weight, proxy-fail, proxy-ok, why, watch, replay, serve; sources are flags: --haproxy ADDR, --envoy URL, …; see lbtop -h)`},
		{[]string{"--haproxy", "x:1", "drain"}, nil, `usage: lbtop drain POOL/BACKEND [flags] (got 0 arguments after drain)`},
		{[]string{"--haproxy", "x:1", "weight", "web/a"}, nil, `usage: lbtop weight N POOL/BACKEND [flags] (got 1 arguments after weight)`},
		{[]string{"drain", "web", "--haproxy", "x:1"}, nil, `target "web": want POOL/BACKEND, e.g. web/web1 or web/10.0.0.1:80`},
		{[]string{"drain", "web/a", "--haproxy", "x:1", "--once"}, nil, `--once, -o and --strict apply to lbtop --once, not to the action commands`},
		{[]string{"serve", "--demo", "--bell"}, nil, `--bell does not apply to lbtop serve (only to the dashboard, lbtop watch)`},
		{[]string{"serve", "--demo", "--record", "f"}, nil, `--record does not apply to lbtop serve (only to the dashboard, lbtop watch)`},
		{[]string{"why", "--demo", "--bell"}, nil, `--bell does not apply to lbtop why (only to the dashboard, lbtop watch)`},
		{[]string{"why", "web", "--demo", "--once"}, nil, `--once does not apply to lbtop why (only to the dashboard)`},
		{[]string{"watch", "--demo", "--memory-limit", "lots"}, nil, `invalid --memory-limit "lots": memory limit "lots": want a size such as 180MiB, 1GiB or 200MB, or off`},
		{[]string{"watch", "--demo", "--memory-limit", "10MiB"}, nil, `invalid --memory-limit "10MiB": memory limit "10MiB": below 32MiB, lbtop would do little but collect garbage`},
		{[]string{"watch", "--demo"}, map[string]string{"LBTOP_MEMORY_LIMIT": "1TB!"}, `invalid LBTOP_MEMORY_LIMIT: memory limit "1TB!": want a size such as 180MiB, 1GiB or 200MB, or off`},
		{[]string{"why", "--demo", "--floor", "0.5"}, nil, `--floor does not apply to lbtop why (only to the dashboard, the action commands, lbtop serve)`},
		{[]string{"watch", "--demo", "--strict"}, nil, `--strict does not apply to lbtop watch (only to the dashboard)`},
		{[]string{"watch", "--demo", "--read-only"}, nil, `--read-only does not apply to lbtop watch (only to the dashboard, the action commands, lbtop serve)`},
		{[]string{"drain", "web/a", "--haproxy", "x:1", "--record", "f"}, nil, `--record does not apply to the action commands (only to the dashboard, lbtop watch)`},
		{[]string{"--demo", "--once", "--record", "f"}, nil, `--record records the dashboard or lbtop watch, not --once`},
		{[]string{"serve", "--demo", "--idle-timeout", "5"}, nil, `invalid --idle-timeout "5": not a duration, e.g. 2s, 500ms or 1m (a unit is needed)`},
		{[]string{"watch", "--demo", "--history", "30"}, nil, `invalid --history "30": not a duration, e.g. 2s, 500ms or 1m (a unit is needed)`},
		{[]string{"--envoy", "http://u:hunter2@a:1"}, nil, `--envoy http://a:1: address: "http://a:1" (shown without them) carries credentials in the URL: put them under http: (basic_auth, authorization)`},
	}
	for _, tc := range cases {
		code, out, errs := runEnv(t, tc.env, tc.args...)
		prefix := "lbtop: "
		if tc.args[0] == "serve" { // the server names itself in its messages
			prefix = "lbtop serve: "
		}
		if code != exitError || errs != prefix+tc.want+"\n" || out != "" {
			t.Errorf("lbtop %s\nexit %d, stderr:\n%s\nwant exit 1 and:\n%s%s", strings.Join(tc.args, " "), code, errs, prefix, tc.want)
		}
	}
}

// TestBadConfigEveryProblem: a bad file starts nothing and every problem
// is one stderr line, in file order.
func TestBadConfigEveryProblem(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lbtop.yaml")
	text := "interval: 2\nsources:\n  - kind: haproxy\n    adress: /run/haproxy.sock\n  - kind: envoy\n    address: http://127.0.0.1:9901\n    interval: 1s\n    timeout: 1h\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "--config", path, "--once")
	want := "lbtop: " + path + `:1: interval: "2" needs a unit (e.g. 2s)` + "\n" +
		"lbtop: " + path + `:4: sources[0]: unknown field "adress" (did you mean "address"?)` + "\n" +
		"lbtop: " + path + `:8: sources[1].timeout: 1h0m0s is longer than the interval 1s: a poll must end before the next one starts` + "\n"
	if code != exitError || errs != want || out != "" {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, errs, want)
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"--haproxy", "x:1", "drain", "-h"}} {
		code, out, errs := runCLI(t, args...)
		if code != exitOK || errs != "" || !strings.HasPrefix(out, "lbtop — live load-balancer") {
			t.Errorf("lbtop %v: exit %d stderr %q stdout %.80q", args, code, errs, out)
		}
		fs := docFlagSet()
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out, "\n  "+flagName(f.Name)+" ") {
				t.Errorf("lbtop %v does not document %s", args, flagName(f.Name))
			}
		})
	}
	for _, args := range [][]string{{"--version"}, {"version"}, {"--demo", "--version"}} {
		code, out, errs := runCLI(t, args...)
		if code != exitOK || errs != "" || !strings.HasPrefix(out, "lbtop ") || !strings.Contains(out, "\nbuilt with go") {
			t.Errorf("lbtop %v: exit %d stderr %q stdout %q", args, code, errs, out)
		}
	}
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/lbtop/lbtop", Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
		{Key: "vcs.revision", Value: "63f7ab3c0ffee"}, {Key: "vcs.time", Value: "2026-12-01T14:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	want := "lbtop v1.2.3 (commit 63f7ab3c0ffee, 2026-12-01T14:00:00Z, modified)\nbuilt with go1.26.8 linux/arm64\n"
	if got := versionText(bi, true); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bi = &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}, {Key: "vcs.modified", Value: "false"}}}
	if got, want := versionText(bi, true), "lbtop (devel)\nbuilt with go1.26.8 linux/amd64\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := versionText(nil, false); !strings.HasPrefix(got, "lbtop (no build information) go") {
		t.Errorf("got %q", got)
	}
}

// TestFlagGroupsComplete: lbtop -h and the README list every flag once.
func TestFlagGroupsComplete(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for _, g := range flagGroups {
		for _, d := range g.flags {
			seen[d.name]++
		}
	}
	fs := docFlagSet()
	fs.VisitAll(func(f *flag.Flag) {
		if seen[f.Name] != 1 {
			t.Errorf("flag %s is in %d groups, want 1", flagName(f.Name), seen[f.Name])
		}
		delete(seen, f.Name)
	})
	delete(seen, "h")
	for name := range seen {
		t.Errorf("group lists %s, which is no flag", name)
	}
}

// TestArgsAnyOrder: global flags before, between and after the command
// parse the same (kubectl order), and "--" ends the flags.
func TestArgsAnyOrder(t *testing.T) {
	t.Parallel()
	orders := [][]string{
		{"drain", "web/web1", "--haproxy", "x:1", "--yes", "--reason", "r"},
		{"--haproxy", "x:1", "drain", "web/web1", "--yes", "--reason", "r"},
		{"--haproxy", "x:1", "--yes", "drain", "--reason", "r", "web/web1"},
		{"--reason", "r", "--haproxy=x:1", "--yes", "drain", "--", "web/web1"},
	}
	for _, args := range orders {
		o, a, err := parseArgs(args, func(string) string { return "" })
		if err != nil || a == nil || a.verb != "drain" || a.pool != "web" || a.backend != "web1" || !a.yes || a.reason != "r" || len(o.haproxy) != 1 || o.haproxy[0] != "x:1" {
			t.Errorf("%v: %+v %+v %v", args, o, a, err)
		}
	}
	for _, args := range [][]string{{"weight", "-1", "web/a", "--haproxy", "x:1"}, {"--haproxy", "x:1", "weight", "-1", "web/a"}, {"--haproxy", "x:1", "weight", "--", "-1", "web/a"}} {
		_, a, err := parseArgs(args, func(string) string { return "" })
		if err != nil || a == nil || a.weight != -1 || a.pool != "web" {
			t.Errorf("%v: %+v %v", args, a, err)
		}
	}
	// A flag's value that reads like a command stays the flag's value.
	o, a, err := parseArgs([]string{"--namespace", "drain", "--kube"}, func(string) string { return "" })
	if err != nil || a != nil || len(o.namespaces) != 1 || o.namespaces[0] != "drain" {
		t.Errorf("--namespace drain: %+v %+v %v", o, a, err)
	}
}

// TestActionGlobalFlagsFirst runs a real drain written in kubectl order.
func TestActionGlobalFlagsFirst(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	log := filepath.Join(t.TempDir(), "audit.log")
	code, out, errs := runCLI(t, "--haproxy", inst.Addr, "--audit-log", log, "drain", "web/a", "--yes")
	if code != exitOK || !strings.Contains(out, "confirmed: drain") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if got := inst.Status(t, "web", "a"); got != "DRAIN" {
		t.Errorf("show stat: %s", got)
	}
	if n := len(actAudit(t, log)); n != 1 {
		t.Errorf("%d audit lines, want 1", n)
	}
}

func TestAuditPath(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	cases := []struct {
		args []string
		env  string // LBTOP_AUDIT_LOG
		want string
	}{
		{[]string{"--demo"}, "", filepath.Join(state, "lbtop", "audit-demo.log")},
		{[]string{"--demo"}, "/var/log/lbtop.log", filepath.Join(state, "lbtop", "audit-demo.log")},
		{[]string{"--demo", "--audit-log", "/tmp/x.log"}, "", "/tmp/x.log"},
		{[]string{"--haproxy", "x:1"}, "", filepath.Join(state, "lbtop", "audit.log")},
		{[]string{"--haproxy", "x:1"}, "/var/log/lbtop.log", "/var/log/lbtop.log"},
	}
	for _, tc := range cases {
		env := func(k string) string {
			return map[string]string{"XDG_STATE_HOME": state, "LBTOP_AUDIT_LOG": tc.env}[k]
		}
		o, _, err := parseArgs(tc.args, env)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := o.auditPath(env); err != nil || got != tc.want {
			t.Errorf("%v LBTOP_AUDIT_LOG=%q: %q %v, want %q", tc.args, tc.env, got, err, tc.want)
		}
	}
}

// TestStrictAndSummary: a source that cannot be read is a warning on
// stderr and in the summary; exit 0 unless --strict, then 1.
func TestStrictAndSummary(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "w1"}, {Name: "w2"}}},
	}})
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "w1") == "UP" && inst.Status(t, "web", "w2") == "UP" })
	dead := haproxytest.ClosedPort(t)
	for _, strict := range []bool{false, true} {
		args := []string{"--haproxy", inst.Addr, "--haproxy", dead, "--once", "--timeout", "2s"}
		want := exitOK
		if strict {
			args, want = append(args, "--strict"), exitError
		}
		code, out, errs := runCLI(t, args...)
		if code != want {
			t.Errorf("strict=%v: exit %d, want %d\n%s%s", strict, code, want, out, errs)
		}
		if !strings.HasPrefix(errs, `lbtop: warning: source "haproxy:`+dead+`" cannot be read: `) || strings.Count(errs, "\n") != 1 {
			t.Errorf("stderr %q, want one warning naming the source", errs)
		}
		if !strings.HasSuffix(out, "\n1 pool, 0 with no healthy backend, 1 source unreadable\n") {
			t.Errorf("no summary line:\n%s", out)
		}
	}
}

// TestDemoActionAuditsToDemoLog: an action on the demo fleet lands in
// audit-demo.log, never in the real audit log (neither the default one nor
// LBTOP_AUDIT_LOG's).
func TestDemoActionAuditsToDemoLog(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	real := filepath.Join(t.TempDir(), "real-audit.log")
	env := map[string]string{"XDG_STATE_HOME": state, "LBTOP_AUDIT_LOG": real}
	code, out, errs := runEnv(t, env, "--demo", "--once", "-o", "json")
	if code == exitError {
		t.Fatalf("demo --once: %s", errs)
	}
	target := ""
	for _, p := range decodeOnce(t, out).Pools {
		if p.Kind != model.KindHAProxy || p.Healthy < 3 {
			continue
		}
		for _, b := range p.Backends {
			if b.Health == model.Healthy {
				target = p.Name + "/" + b.Name
				break
			}
		}
		if target != "" {
			break
		}
	}
	if target == "" {
		t.Fatal("no HAProxy pool with 3 healthy backends in the demo")
	}
	code, out, errs = runEnv(t, env, "--demo", "drain", target, "--source", "demo-haproxy", "--yes", "--reason", "demo test")
	if code != exitOK && code != exitNotApplied {
		t.Fatalf("drain %s: exit %d\n%s%s", target, code, out, errs)
	}
	lines := actAudit(t, filepath.Join(state, "lbtop", demoAuditFile))
	if len(lines) != 1 || lines[0].Reason != "demo test" {
		t.Errorf("demo audit log: %+v", lines)
	}
	for _, p := range []string{real, filepath.Join(state, "lbtop", "audit.log")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s written by a demo action (%v)", p, err)
		}
	}
}

// TestVerbHelp: watch, why and serve -h print their usage, their own
// flags and the common flags that apply, on stdout, exit 0.
func TestVerbHelp(t *testing.T) {
	t.Parallel()
	for verb, want := range map[string][]string{
		"watch": {"lbtop watch —", "--history DURATION", "--record", "--bell"},
		"why":   {"lbtop why —", "lbtop why [POOL] SOURCES", "--audit-log"},
		"serve": {"lbtop serve —", "--listen STRING", "--operator-keys", "--idle-timeout DURATION", "--floor"},
	} {
		for _, h := range []string{"-h", "--help"} {
			code, out, errs := runCLI(t, verb, h)
			if code != exitOK || errs != "" {
				t.Errorf("lbtop %s %s: exit %d, stderr %q", verb, h, code, errs)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("lbtop %s %s lacks %q:\n%s", verb, h, w, out)
				}
			}
		}
	}
}
