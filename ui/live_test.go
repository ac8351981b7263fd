package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/envoy"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// envoyStandIn is an Envoy admin API that keeps its health-check state:
// /clusters?format=json, /ready (LIVE, or DRAINING after
// /healthcheck/fail) and the two POSTs, which it records.
type envoyStandIn struct {
	srv     *httptest.Server
	failing atomic.Bool
	mu      sync.Mutex
	posts   []string
}

func startEnvoyStandIn(t *testing.T) *envoyStandIn {
	t.Helper()
	e := &envoyStandIn{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/clusters":
			fmt.Fprint(w, `{"cluster_statuses":[{"name":"payments","host_statuses":[`+
				`{"address":{"socket_address":{"address":"10.1.0.1","port_value":443}},"health_status":{"eds_health_status":"HEALTHY"},"weight":1},`+
				`{"address":{"socket_address":{"address":"10.1.0.2","port_value":443}},"health_status":{"eds_health_status":"HEALTHY"},"weight":1}]}]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/ready":
			if e.failing.Load() {
				http.Error(w, "DRAINING", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "LIVE")
		case r.Method == http.MethodPost && (r.URL.Path == "/healthcheck/fail" || r.URL.Path == "/healthcheck/ok"):
			e.mu.Lock()
			e.posts = append(e.posts, r.Method+" "+r.URL.Path)
			e.mu.Unlock()
			e.failing.Store(r.URL.Path == "/healthcheck/fail")
			fmt.Fprintln(w, "OK")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// liveRig is the dashboard's action path with real sources: a Hub, the
// Runner with its audit log, a Store fed by polls, and the model.
type liveRig struct {
	hub    *sources.Hub
	runner *actions.Runner
	store  *model.Store
	log    *actions.Log
	ctx    context.Context // the program's root (Options.Context); nil: none
}

func newLiveRig(t *testing.T, srcs ...sources.Source) *liveRig {
	t.Helper()
	var es []sources.Entry
	for _, s := range srcs {
		es = append(es, sources.Entry{Source: s, Timeout: 5 * time.Second})
	}
	hub, err := sources.NewHub(es)
	if err != nil {
		t.Fatal(err)
	}
	log, err := actions.Open(filepath.Join(t.TempDir(), "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	r := &liveRig{hub: hub, store: model.NewStore(time.Now), log: log,
		runner: &actions.Runner{Do: hub.Do, Poll: hub.PollNow, Log: log, User: actions.Who{Login: "ana"}, Host: "test", VerifyTimeout: 5 * time.Second}}
	return r
}

// model starts the dashboard model on a fresh poll of every source.
func (r *liveRig) model(t *testing.T, audit []actions.Entry) Model {
	t.Helper()
	m := New(r.hub, Options{Executor: r.runner, NoColor: true, Floor: 0.3, User: "ana", Audit: audit, Context: r.ctx})
	m = update(t, m, tea.WindowSizeMsg{Width: 160, Height: 40})
	return r.repoll(t, m)
}

// repoll feeds the model a fleet from a fresh poll of every source, as
// the engine does with the Hub's snapshots.
func (r *liveRig) repoll(t *testing.T, m Model) Model {
	t.Helper()
	var f *model.Fleet
	for _, snap := range r.hub.PollAll(context.Background()) {
		if snap.Err != nil {
			t.Fatalf("poll %s: %v", snap.Source, snap.Err)
		}
		f = r.store.Ingest(snap)
	}
	return update(t, m, FleetMsg{Fleet: f})
}

// apply sends the key that confirms the open dialog and runs its Cmd (the
// Executor) to the end, delivering the result.
func apply(t *testing.T, m Model, key string) (Model, actions.Result) {
	t.Helper()
	m, cmd := updateCmd(t, m, keyMsg(key))
	if cmd == nil || m.dialog.open {
		t.Fatalf("%s did not apply: dialog open %v, message %q\n%s", key, m.dialog.open, m.msg.text, view(m))
	}
	msg, ok := cmd().(ActionResultMsg)
	if !ok {
		t.Fatalf("the Cmd returned %T", msg)
	}
	return update(t, m, msg), msg.Result
}

func (r *liveRig) audit(t *testing.T) []actions.Entry {
	t.Helper()
	es, bad, err := actions.ReadEntries(r.log.Path(), 0)
	if err != nil || bad != 0 {
		t.Fatalf("audit: %d bad lines, %v", bad, err)
	}
	return es
}

func results(es []actions.Entry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action+":"+e.Result.String())
	}
	return strings.Join(out, " ")
}

// TestProxyFailEndToEnd: F needs the proxy's name typed (y is a letter
// there); the Runner sends it, audits "sent" then the outcome, verified
// by reading Envoy's own state back; the header and o show it, also to a
// restarted lbtop (r on its row of o offers to restore it), and a
// lists it; u restores it, audited the same way.
func TestProxyFailEndToEnd(t *testing.T) {
	t.Parallel()
	env := startEnvoyStandIn(t)
	rig := newLiveRig(t, envoy.New("edge", env.srv.URL, nil))
	m := press(t, rig.model(t, nil), "F")
	if !m.dialog.open || !m.dialog.danger || !strings.Contains(view(m), "type the proxy name to apply") {
		t.Fatalf("F: no proxy dialog asking for the name:\n%s", view(m))
	}
	m = press(t, m, "y") // a letter of the name field, not "apply"
	if !m.dialog.open || env.failing.Load() {
		t.Fatal("y alone applied a whole-proxy action")
	}
	m, res := apply(t, typeText(t, press(t, m, "backspace"), "edge"), "enter")
	if res.Outcome != actions.Confirmed || !env.failing.Load() {
		t.Fatalf("F: %s; stand-in failing %v", res.Summary(), env.failing.Load())
	}
	if got := results(rig.audit(t)); got != "proxy-fail:sent proxy-fail:confirmed" {
		t.Fatalf("audit after F: %s", got)
	}
	m = rig.repoll(t, m)
	if v := view(m); !strings.Contains(v, "PROXY edge FAILING health checks (since ") || !strings.Contains(v, "by ana)") {
		t.Fatalf("header does not show the failing proxy:\n%s", v)
	}
	if v := view(press(t, m, "o")); !strings.Contains(v, "PROXY edge FAILING") {
		t.Fatalf("o does not list the failing proxy:\n%s", v)
	}
	if o := press(t, m, "o", "r"); !o.dialog.open || !strings.Contains(view(o), "Restore the whole proxy edge") {
		t.Fatalf("r on the proxy's row of o: %q\n%s", o.msg.text, view(o))
	}
	if v := view(press(t, m, "a")); !strings.Contains(v, "confirmed: proxy-fail edge — the proxy now FAILS its health check") {
		t.Fatalf("a does not list the proxy-fail:\n%s", v)
	}
	// A restarted lbtop reads the state from Envoy and who from the audit.
	again := rig.model(t, rig.audit(t))
	if v := view(again); !strings.Contains(v, "PROXY edge FAILING health checks (since ") {
		t.Fatalf("after a restart:\n%s", v)
	}
	m = press(t, m, "u")
	if !m.dialog.open || !strings.Contains(view(m), "Restore the whole proxy edge") {
		t.Fatalf("u: %q\n%s", m.msg.text, view(m))
	}
	m, res = apply(t, typeText(t, m, "edge"), "enter")
	if res.Outcome != actions.Confirmed || env.failing.Load() {
		t.Fatalf("u: %s; stand-in failing %v", res.Summary(), env.failing.Load())
	}
	if got := results(rig.audit(t)); got != "proxy-fail:sent proxy-fail:confirmed proxy-ok:sent proxy-ok:confirmed" {
		t.Fatalf("audit after u: %s", got)
	}
	if v := view(rig.repoll(t, m)); strings.Contains(v, "PROXY edge FAILING") {
		t.Fatalf("header still shows the proxy failing:\n%s", v)
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	if strings.Join(env.posts, ",") != "POST /healthcheck/fail,POST /healthcheck/ok" {
		t.Fatalf("requests %v", env.posts)
	}
}

// TestUndoSkipsFailedRealHAProxy: a drain is confirmed, then HAProxy
// itself refuses a weight (a static-rr backend takes only 0%/100%): u
// undoes the drain, noting the failed action it skipped.
func TestUndoSkipsFailedRealHAProxy(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "a", Weight: 10}, {Name: "b", Weight: 10}, {Name: "c", Weight: 10}}},
		{Name: "fixed", Balance: "static-rr", Servers: []haproxytest.Server{{Name: "x", Weight: 10}, {Name: "y", Weight: 10}}},
	}})
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" && inst.Status(t, "fixed", "x") == "UP" })
	rig := newLiveRig(t, haproxy.New("h", inst.Addr))
	m := press(t, cursorTo(t, openPoolNamed(t, rig.model(t, nil), "web"), "a"), "d")
	m, res := apply(t, m, "y")
	if res.Outcome != actions.Confirmed || inst.Status(t, "web", "a") != "DRAIN" {
		t.Fatalf("drain: %s", res.Summary())
	}
	m = rig.repoll(t, press(t, m, "esc"))
	m = typeText(t, press(t, cursorTo(t, openPoolNamed(t, m, "fixed"), "x"), "w", "ctrl+u"), "5")
	m = press(t, m, "enter")
	m, res = apply(t, m, "y")
	if res.Outcome != actions.Failed {
		t.Fatalf("weight on static-rr: %s", res.Summary())
	}
	m = press(t, m, "u")
	v := view(m)
	if !m.dialog.open || !strings.Contains(v, "Undo drain h:web/a") || !strings.Contains(v, "skipped failed weight 5 h:fixed/x") {
		t.Fatalf("u after a failed action: %q\n%s", m.msg.text, v)
	}
	_, res = apply(t, m, "y")
	if res.Outcome != actions.Confirmed || inst.Status(t, "web", "a") != "UP" {
		t.Fatalf("undo: %s; web/a is %s", res.Summary(), inst.Status(t, "web", "a"))
	}
	if got := results(rig.audit(t)); got != "drain:sent drain:confirmed weight:failed ready:sent ready:confirmed" {
		t.Fatalf("audit: %s", got)
	}
}

// TestQuitWithActionPending: q asks; "quit anyway" leaves an abandoned
// line (written by main through Runner.Abandon); "wait" quits once the
// outcome line is written.
func TestQuitWithActionPending(t *testing.T) {
	t.Parallel()
	env := startEnvoyStandIn(t)
	rig := newLiveRig(t, envoy.New("edge", env.srv.URL, nil))
	release := make(chan struct{})
	do := rig.runner.Do
	rig.runner.Do = func(ctx context.Context, a model.Action) error {
		<-release // the proxy is slow to answer
		return do(ctx, a)
	}
	m := typeText(t, press(t, rig.model(t, nil), "F"), "edge")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	m, quit := updateCmd(t, m, keyMsg("q"))
	if quit != nil || !strings.Contains(view(m), "1 action pending.") || !strings.Contains(view(m), "w wait for the outcome · q quit anyway") {
		t.Fatalf("q with an action pending did not ask:\n%s", view(m))
	}
	// Wait: nothing quits until the result arrives, then the model quits.
	m = press(t, m, "w")
	for rig.runner.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	_, after := updateCmd(t, m, <-done)
	if after == nil {
		t.Fatal("no Cmd after the last pending result: the wait never quits")
	}
	if _, ok := after().(tea.QuitMsg); !ok {
		t.Fatal("the last pending result did not quit")
	}
	if got := results(rig.audit(t)); got != "proxy-fail:sent proxy-fail:confirmed" {
		t.Fatalf("audit after wait: %s", got)
	}

	// The outcome arrives while the question is open: the question
	// closes (nothing left to wait for), the outcome shows, q quits.
	rig3 := newLiveRig(t, envoy.New("edge", env.srv.URL, nil))
	release3 := make(chan struct{})
	do3 := rig3.runner.Do
	rig3.runner.Do = func(ctx context.Context, a model.Action) error {
		<-release3
		return do3(ctx, a)
	}
	m = typeText(t, press(t, rig3.model(t, nil), "F"), "edge")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	go func() { done <- cmd() }()
	m = press(t, m, "q")
	for rig3.runner.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release3)
	m, after = updateCmd(t, m, <-done)
	if after != nil {
		if _, ok := after().(tea.QuitMsg); ok {
			t.Fatal("the result quit while the question was open: nobody said w or q")
		}
	}
	if v := view(m); strings.Contains(v, "Quit?") || !strings.Contains(v, "confirmed: proxy-") {
		t.Fatalf("after the last result the question stays or the outcome is hidden:\n%s", v)
	}
	if _, quit = updateCmd(t, m, keyMsg("q")); quit == nil {
		t.Fatal("q after the question closed did not quit")
	}

	// Quit anyway: the pending action gets an abandoned line (main calls
	// Abandon once the program ends), then main cancels the program's
	// root context, which ends the action still running at once.
	rig2 := newLiveRig(t, envoy.New("edge", env.srv.URL, nil))
	root, cancelRoot := context.WithCancel(context.Background())
	defer cancelRoot()
	rig2.ctx = root
	rig2.runner.Do = func(ctx context.Context, a model.Action) error {
		<-ctx.Done() // the proxy never answers
		return ctx.Err()
	}
	m = typeText(t, press(t, rig2.model(t, nil), "F"), "edge") // the proxy fails now: F restores it
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	go func() { done <- cmd() }()
	for rig2.runner.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	m = press(t, m, "q")
	_, quit = updateCmd(t, m, keyMsg("q"))
	if quit == nil {
		t.Fatal("q, q did not quit")
	}
	if _, ok := quit().(tea.QuitMsg); !ok {
		t.Fatal("q, q: the Cmd does not quit")
	}
	if ab := rig2.runner.Abandon(); len(ab) != 1 || ab[0].Outcome != actions.Abandoned {
		t.Fatalf("Abandon: %+v", ab)
	}
	cancelRoot()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the action still runs 5 s after the program's root context ended")
	}
	rig2.runner.Wait()
	if got := results(rig2.audit(t)); got != "proxy-ok:abandoned" && got != "proxy-fail:abandoned" {
		t.Fatalf("audit after quit anyway: %s", got)
	}
}
