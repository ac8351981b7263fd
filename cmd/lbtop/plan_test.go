package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/envoy"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/nginx"
	"github.com/lbtop/lbtop/ui"
)

// recorder is a TCP relay in front of a real HAProxy's runtime API that
// keeps the first line of every connection: the command sent.
type recorder struct {
	addr string
	mu   sync.Mutex
	cmds []string
}

func startRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	r := &recorder{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.relay(c, target)
		}
	}()
	return r
}

func (r *recorder) relay(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil && line == "" {
		return
	}
	r.mu.Lock()
	r.cmds = append(r.cmds, strings.TrimRight(line, "\r\n"))
	r.mu.Unlock()
	if _, err := io.WriteString(up, line); err != nil {
		return
	}
	go func() { _, _ = io.Copy(up, br) }()
	_, _ = io.Copy(c, up)
}

// sent returns the commands other than reads (show …).
func (r *recorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.cmds {
		if !strings.HasPrefix(c, "show ") {
			out = append(out, c)
		}
	}
	return out
}

// plusFake is an NGINX Plus API with an http upstream "app" and a stream
// upstream "db" that records every PATCH as "PATCH path body".
type plusFake struct {
	srv     *httptest.Server
	mu      sync.Mutex
	patches []string
}

func startPlusFake(t *testing.T) *plusFake {
	t.Helper()
	f := &plusFake{}
	peers := func(a, b string) string {
		return `{"peers":[{"id":3,"server":"` + a + `","name":"` + a + `","state":"up","weight":5,"active":0},` +
			`{"id":7,"server":"` + b + `","name":"` + b + `","state":"up","weight":5,"active":0}]}`
	}
	servers := func(a, b string) string {
		return `[{"id":3,"server":"` + a + `","weight":5},{"id":7,"server":"` + b + `","weight":5}]`
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		p := r.URL.EscapedPath()
		switch {
		case r.Method == http.MethodGet && p == "/api":
			fmt.Fprint(w, "[8,9]")
		case r.Method == http.MethodGet && p == "/api/9/http/upstreams":
			fmt.Fprint(w, `{"app":`+peers("10.0.0.1:80", "10.0.0.2:80")+`}`)
		case r.Method == http.MethodGet && p == "/api/9/stream/upstreams":
			fmt.Fprint(w, `{"db":`+peers("10.0.1.1:5432", "10.0.1.2:5432")+`}`)
		case r.Method == http.MethodGet && p == "/api/9/http/upstreams/app/servers":
			fmt.Fprint(w, servers("10.0.0.1:80", "10.0.0.2:80"))
		case r.Method == http.MethodGet && p == "/api/9/stream/upstreams/db/servers":
			fmt.Fprint(w, servers("10.0.1.1:5432", "10.0.1.2:5432"))
		case r.Method == http.MethodPatch:
			body, _ := io.ReadAll(r.Body)
			f.mu.Lock()
			f.patches = append(f.patches, "PATCH "+p+" "+string(body))
			f.mu.Unlock()
			fmt.Fprint(w, "{}")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *plusFake) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.patches) == 0 {
		return ""
	}
	return f.patches[len(f.patches)-1]
}

// dryRunRequest runs the CLI with --dry-run and returns its request line.
func dryRunRequest(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := actRun(t, "", append(args, "--dry-run")...)
	if code != exitOK {
		t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errs)
	}
	for line := range strings.Lines(out) {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "request  "); ok {
			return r
		}
	}
	t.Fatalf("%v: no request line in\n%s", args, out)
	return ""
}

// sendOne sends a through a hub over src, as the Runner does, after one
// poll (NGINX detects its API version on it).
func sendOne(t *testing.T, src sources.Source, a model.Action) {
	t.Helper()
	hub, err := sources.NewHub([]sources.Entry{{Source: src}})
	if err != nil {
		t.Fatal(err)
	}
	if snap := hub.PollNow(context.Background(), src.Name()); snap.Err != nil {
		t.Fatal(snap.Err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hub.Do(ctx, a); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
}

// TestDryRunIsWhatIsSent: the request --dry-run prints is the one the
// source then sends: captured from a real HAProxy (through a relay), a
// fake NGINX Plus (http and stream upstreams) and an Envoy stand-in.
func TestDryRunIsWhatIsSent(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	rec := startRecorder(t, inst.Addr)
	for _, c := range []struct {
		args []string
		a    model.Action
	}{
		{[]string{"drain", "web/a"}, model.Action{Kind: model.ActionDrain, Ref: model.BackendRef{Pool: "web", Backend: "a"}}},
		{[]string{"weight", "7", "web/b"}, model.Action{Kind: model.ActionWeight, Weight: 7, Ref: model.BackendRef{Pool: "web", Backend: "b"}}},
	} {
		src := "haproxy:" + rec.addr
		desc := dryRunRequest(t, append(c.args, "--haproxy", rec.addr)...)
		c.a.Ref.Source = src
		before := len(rec.sent())
		sendOne(t, haproxy.New(src, rec.addr), c.a)
		got := rec.sent()[before:]
		if want := "HAProxy runtime API " + rec.addr + ": " + strconv.Quote(strings.Join(got, "")); len(got) != 1 || desc != want {
			t.Errorf("haproxy %v: dry run %q, sent %q", c.args, desc, got)
		}
	}

	plus := startPlusFake(t)
	api := plus.srv.URL + "/api"
	for _, c := range []struct {
		args []string
		a    model.Action
		id   string
	}{
		{[]string{"drain", "app/10.0.0.1:80"}, model.Action{Kind: model.ActionDrain, Ref: model.BackendRef{Pool: "app", Backend: "10.0.0.1:80"}}, "3"},
		{[]string{"weight", "9", "app/10.0.0.2:80"}, model.Action{Kind: model.ActionWeight, Weight: 9, Ref: model.BackendRef{Pool: "app", Backend: "10.0.0.2:80"}}, "7"},
		{[]string{"maint", "stream:db/10.0.1.2:5432"}, model.Action{Kind: model.ActionMaint, Ref: model.BackendRef{Pool: "stream:db", Backend: "10.0.1.2:5432"}}, "7"},
		{[]string{"weight", "2", "stream:db/10.0.1.1:5432"}, model.Action{Kind: model.ActionWeight, Weight: 2, Ref: model.BackendRef{Pool: "stream:db", Backend: "10.0.1.1:5432"}}, "3"},
	} {
		src := "nginx:" + strings.TrimPrefix(plus.srv.URL, "http://")
		desc := dryRunRequest(t, append(c.args, "--nginx", api)...)
		c.a.Ref.Source = src
		sendOne(t, nginx.New(src, api, nil), c.a)
		got := plus.last()
		want := "NGINX Plus API " + api + ": " + strings.Replace(got, "/servers/"+c.id+" ", "/servers/{id of "+c.a.Ref.Backend+"} ", 1)
		if desc != want {
			t.Errorf("nginx %v: dry run %q, sent %q", c.args, desc, got)
		}
	}

	env := startEnvoy(t)
	hub, err := sources.NewHub([]sources.Entry{{Source: envoy.New("edge", env.srv.URL, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []model.ActionKind{model.ActionProxyFail, model.ActionProxyOK} {
		a := model.Action{Kind: k, Ref: model.BackendRef{Source: "edge"}}
		desc, err := hub.Describe("edge", a)
		if err != nil {
			t.Fatal(err)
		}
		if err := hub.Do(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		if got := env.last(); desc != "Envoy admin API: "+strings.Replace(got, "POST ", "POST "+env.srv.URL, 1) {
			t.Errorf("envoy %s: described %q, sent %q", k, desc, got)
		}
	}
}

// envoyFake is an Envoy admin API that keeps its health-check state and
// records the POSTs.
type envoyFake struct {
	srv   *httptest.Server
	mu    sync.Mutex
	fail  bool
	posts []string
	// answer, when set, is the status of every POST, which then changes
	// nothing: 200 for a proxy that acknowledges but does not act.
	answer int
}

func startEnvoy(t *testing.T) *envoyFake {
	t.Helper()
	e := &envoyFake{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/clusters":
			fmt.Fprint(w, `{"cluster_statuses":[{"name":"payments","host_statuses":[`+
				`{"address":{"socket_address":{"address":"10.1.0.1","port_value":443}},"health_status":{"eds_health_status":"HEALTHY"},"weight":1}]}]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/ready":
			if e.fail {
				http.Error(w, "DRAINING", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "LIVE")
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/healthcheck/"):
			e.posts = append(e.posts, "POST "+r.URL.Path)
			if e.answer != 0 {
				http.Error(w, http.StatusText(e.answer), e.answer)
				return
			}
			e.fail = r.URL.Path == "/healthcheck/fail"
			fmt.Fprintln(w, "OK")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *envoyFake) last() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.posts) == 0 {
		return ""
	}
	return e.posts[len(e.posts)-1]
}

// TestDryRunRefusedExitsOne: a dry run of an action that would be refused
// says why, once, and exits 1; nothing is sent.
func TestDryRunRefusedExitsOne(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	plus := startPlusFake(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"drain", "stream:db/10.0.1.1:5432", "--nginx", plus.srv.URL + "/api"}, "NGINX Plus has no drain for stream upstreams"},
		{[]string{"drain", "solo/only", "--haproxy", inst.Addr}, "would be refused without --force: only is the last healthy backend"},
		{[]string{"ready", "web/a", "--haproxy", inst.Addr}, "already ready"},
	} {
		code, out, errs := actRun(t, "", append(c.args, "--dry-run")...)
		if code != exitError || !strings.Contains(out, "dry run: would be refused") || !strings.Contains(out, c.want) || strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, want 1 saying %q\n%s\n%s", c.args, code, c.want, out, errs)
		}
	}
	if p := plus.last(); p != "" {
		t.Errorf("a dry run sent %s", p)
	}
	if r := inst.Row(t, "solo", "only"); r["status"] != "UP" {
		t.Errorf("solo/only is %s", r["status"])
	}
}

// dialogSays drives the dashboard over the same sources as the CLI: opens
// pool, puts the cursor on backend, presses the action keys and returns
// the screen (the message line and any dialog).
func dialogSays(t *testing.T, hub *sources.Hub, fleet *model.Fleet, pool, backend string, keys ...string) string {
	t.Helper()
	m := tea.Model(ui.New(hub, ui.Options{Executor: &actions.Runner{}, NoColor: true}))
	send := func(msg tea.Msg) {
		m, _ = m.Update(msg)
	}
	typeKeys := func(s string) {
		for _, r := range s {
			send(tea.KeyPressMsg{Code: r, Text: string(r)})
		}
	}
	enter := tea.KeyPressMsg{Code: tea.KeyEnter}
	send(tea.WindowSizeMsg{Width: 400, Height: 50})
	send(ui.FleetMsg{Fleet: fleet})
	typeKeys("/")
	typeKeys(pool)
	send(enter)
	send(enter)
	typeKeys("/")
	send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // the pool's filter is kept: clear it
	typeKeys(backend)
	send(enter)
	for _, k := range keys {
		if k == "enter" {
			send(enter)
		} else {
			typeKeys(k)
		}
	}
	return m.View().Content
}

// TestPlanRefusalsSameInCLIAndDialog: for each system, the CLI and the
// dialog refuse the same actions with the same words (both call
// actions.Plan), before anything is sent or confirmed.
func TestPlanRefusalsSameInCLIAndDialog(t *testing.T) {
	t.Parallel()
	inst := actStart(t)
	plus := startPlusFake(t)
	env := startEnvoy(t)
	api := plus.srv.URL + "/api"
	cases := []struct {
		system, flag, addr string
		cli                []string
		pool, backend      string
		keys               []string
		want               string // in both
	}{
		{"haproxy", "--haproxy", inst.Addr, []string{"weight", "257", "web/a"}, "web", "a", []string{"w", "257", "enter"}, "weight 257 out of range for haproxy source"},
		{"haproxy", "--haproxy", inst.Addr, []string{"ready", "web/a"}, "web", "a", []string{"r"}, "a on haproxy:" + inst.Addr + " is already ready: nothing to change"},
		{"haproxy", "--haproxy", inst.Addr, []string{"weight", "10", "web/b"}, "web", "b", []string{"w", "10", "enter"}, "is already at weight 10"},
		{"haproxy", "--haproxy", inst.Addr, []string{"drain", "solo/only"}, "solo", "only", []string{"d"}, "RISK     the last healthy backend: nothing serves solo after this"},
		{"nginx", "--nginx", api, []string{"weight", "0", "app/10.0.0.1:80"}, "app", "10.0.0.1:80", []string{"w", "0", "enter"}, "weight 0 out of range for nginx source"},
		{"nginx", "--nginx", api, []string{"drain", "stream:db/10.0.1.1:5432"}, "stream:db", "10.0.1.1:5432", []string{"d"}, "NGINX Plus has no drain for stream upstreams"},
		{"nginx", "--nginx", api, []string{"ready", "app/10.0.0.2:80"}, "app", "10.0.0.2:80", []string{"r"}, "is already ready: nothing to change"},
		{"envoy", "--envoy", env.srv.URL, []string{"drain", "payments/10.1.0.1:443"}, "payments", "10.1.0.1:443", []string{"d"}, "Envoy's admin API cannot drain one host"},
	}
	for _, c := range cases {
		code, out, errs := actRun(t, "", append(c.cli, c.flag, c.addr, "--yes")...)
		if code != exitError || !strings.Contains(out+errs, c.want) {
			t.Errorf("%s CLI %v: exit %d, want 1 saying %q\n%s\n%s", c.system, c.cli, code, c.want, out, errs)
		}
		o := &options{}
		switch c.flag {
		case "--haproxy":
			o.haproxy = append(o.haproxy, c.addr)
		case "--nginx":
			o.nginx = append(o.nginx, c.addr)
		case "--envoy":
			o.envoy = append(o.envoy, c.addr)
		}
		hub, fleet := cliFleet(t, o)
		// Only the risky action gets as far as a confirmation (asking for
		// the pool name); a refusal is said before any.
		asks := strings.HasPrefix(c.want, "RISK")
		if v := dialogSays(t, hub, fleet, c.pool, c.backend, c.keys...); !strings.Contains(v, c.want) || strings.Contains(v, "Confirm ") != asks {
			t.Errorf("%s dialog %v: does not say %q, or a confirmation opened (%v wanted)\n%s", c.system, c.keys, c.want, asks, v)
		}
	}
	if p := plus.last(); p != "" || env.last() != "" {
		t.Errorf("something was sent: %q %q", p, env.last())
	}
}

// cliFleet builds the sources as the CLI does and polls them once.
func cliFleet(t *testing.T, o *options) (*sources.Hub, *model.Fleet) {
	t.Helper()
	cfg, err := o.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	entries, cleanup, err := buildEntries(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	hub, err := sources.NewHub(entries)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pollFleet(context.Background(), hub, "", io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	return hub, f
}
