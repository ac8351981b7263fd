package actions_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// rig is a Runner over real HAProxy instances, each a source named after
// its index ("h0", "h1"), with an audit log in a temporary directory.
type rig struct {
	insts   []*haproxytest.Instance
	entries []sources.Entry
	hub     *sources.Hub
	runner  *actions.Runner
	log     string
}

func newRig(t *testing.T, n int, cfg haproxytest.Config) *rig {
	t.Helper()
	r := &rig{log: filepath.Join(t.TempDir(), "audit.log")}
	for i := range n {
		inst := haproxytest.Start(t, cfg)
		r.insts = append(r.insts, inst)
		r.entries = append(r.entries, sources.Entry{Source: haproxy.New("h"+string(rune('0'+i)), inst.Addr), Timeout: 5 * time.Second})
	}
	hub, err := sources.NewHub(r.entries)
	if err != nil {
		t.Fatal(err)
	}
	l, err := actions.Open(r.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	r.hub = hub
	r.runner = &actions.Runner{
		Do: hub.Do,
		Poll: func(ctx context.Context, name string) model.Snapshot {
			for _, e := range r.entries {
				if e.Source.Name() == name {
					return sources.PollOnce(ctx, e)
				}
			}
			return model.Snapshot{Err: errors.New("no source " + name)}
		},
		Log: l, User: actions.Who{Login: "tester"}, Host: "testhost",
		VerifyTimeout: 3 * time.Second, PollEvery: 20 * time.Millisecond,
	}
	return r
}

// fleet polls every instance and merges them.
func (r *rig) fleet(t *testing.T) *model.Fleet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := model.NewStore(nil)
	var f *model.Fleet
	for _, s := range r.hub.PollAll(ctx) {
		if s.Err != nil {
			t.Fatalf("poll %s: %v", s.Source, s.Err)
		}
		f = st.Ingest(s)
	}
	return f
}

// request builds the request for a on the backend as read now.
func (r *rig) request(t *testing.T, a model.Action) actions.Request {
	t.Helper()
	ms, err := actions.Resolve(r.fleet(t), a.Ref.Pool, a.Ref.Backend, a.Ref.Source)
	if err != nil {
		t.Fatal(err)
	}
	return actions.Request{Action: a, Kind: model.KindHAProxy, Before: ms[0].Row.Backend, Reason: "test"}
}

func (r *rig) audit(t *testing.T) []actions.Entry {
	t.Helper()
	es, bad, err := actions.ReadEntries(r.log, 0)
	if err != nil || bad != 0 {
		t.Fatalf("read audit log: %d bad lines, %v", bad, err)
	}
	return actions.Outcomes(t, es)
}

func webConfig() haproxytest.Config {
	return haproxytest.Config{Backends: []haproxytest.Backend{{Name: "web", Servers: []haproxytest.Server{
		{Name: "a", Weight: 10}, {Name: "b", Weight: 20}, {Name: "c", Weight: 30},
	}}, {Name: "solo", Servers: []haproxytest.Server{{Name: "only"}, {Name: "dead", Health: haproxytest.Refused}}}}}
}

func ref(src, pool, be string) model.BackendRef {
	return model.BackendRef{Source: src, Pool: pool, Backend: be}
}

// TestActionsVerifiedByShowStat runs each action through the Runner and
// checks the result against `show stat` read by the harness's own parser.
func TestActionsVerifiedByShowStat(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1, webConfig())
	inst := r.insts[0]
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" && inst.Status(t, "solo", "dead") == "DOWN" })
	ctx := context.Background()
	for _, c := range []struct {
		action       model.Action
		status, wght string
	}{
		{model.Action{Kind: model.ActionDrain, Ref: ref("h0", "web", "a")}, "DRAIN", "10"},
		{model.Action{Kind: model.ActionReady, Ref: ref("h0", "web", "a")}, "UP", "10"},
		{model.Action{Kind: model.ActionMaint, Ref: ref("h0", "web", "b")}, "MAINT", "20"},
		{model.Action{Kind: model.ActionReady, Ref: ref("h0", "web", "b")}, "UP", "20"},
		{model.Action{Kind: model.ActionWeight, Weight: 7, Ref: ref("h0", "web", "c")}, "UP", "7"},
		{model.Action{Kind: model.ActionWeight, Weight: 0, Ref: ref("h0", "web", "c")}, "UP", "0"},
		{model.Action{Kind: model.ActionDrain, Ref: ref("h0", "solo", "dead")}, "DOWN", "1"}, // drained yet DOWN: Admin decides
	} {
		res := r.runner.Run(ctx, r.request(t, c.action))
		if res.Outcome != actions.Confirmed || res.AuditErr != nil {
			t.Fatalf("%s: %s (audit %v)", c.action, res.Summary(), res.AuditErr)
		}
		row := inst.Row(t, c.action.Ref.Pool, c.action.Ref.Backend)
		// After "set server state ready" HAProxy may show a short
		// transition while the first check runs; poll for the final word.
		inst.WaitFor(t, func() bool {
			row = inst.Row(t, c.action.Ref.Pool, c.action.Ref.Backend)
			return row["status"] == c.status
		})
		if row["weight"] != c.wght {
			t.Errorf("%s: show stat weight %s, want %s", c.action, row["weight"], c.wght)
		}
	}
	if got := inst.Cmd(t, "show servers state solo"); !strings.Contains(got, " dead ") {
		t.Fatalf("show servers state: %q", got)
	}
	es := r.audit(t)
	if len(es) != 7 {
		t.Fatalf("audit log has %d lines, want 7 (one per attempt)", len(es))
	}
	for _, e := range es {
		if e.Result != actions.Confirmed || e.User.Login != "tester" || e.Host != "testhost" || e.Before == nil || e.After == nil || e.Reason != "test" {
			t.Errorf("audit entry %+v", e)
		}
	}
}

// TestUndoRestoresExactly changes weight and state, undoes both, and
// compares show stat with what it was.
func TestUndoRestoresExactly(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1, webConfig())
	inst := r.insts[0]
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "b") == "UP" })
	// b starts drained, so undoing a maint must put it back to DRAIN, not UP.
	inst.Cmd(t, "set server web/b state drain")
	before := inst.Row(t, "web", "b")
	ctx := context.Background()
	for _, a := range []model.Action{
		{Kind: model.ActionWeight, Weight: 3, Ref: ref("h0", "web", "b")},
		{Kind: model.ActionMaint, Ref: ref("h0", "web", "b")},
	} {
		res := r.runner.Run(ctx, r.request(t, a))
		if !res.Done() {
			t.Fatalf("%s", res.Summary())
		}
		undo, err := res.Undo()
		if err != nil {
			t.Fatal(err)
		}
		if u := r.runner.Run(ctx, undo); !u.Done() {
			t.Fatalf("undo: %s", u.Summary())
		}
		after := inst.Row(t, "web", "b")
		if after["status"] != before["status"] || after["weight"] != before["weight"] {
			t.Errorf("after undo of %s: status %q weight %q; before: %q %q", a, after["status"], after["weight"], before["status"], before["weight"])
		}
	}
	es := r.audit(t)
	if len(es) != 4 || !es[1].Undo || !es[3].Undo || es[3].Action != "drain" {
		t.Errorf("audit: %+v", es)
	}
}

// TestChangedBehindOurBack: another operator readies the server between
// lbtop's drain and its verifying poll; lbtop must not call it confirmed.
func TestChangedBehindOurBack(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1, webConfig())
	inst := r.insts[0]
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" })
	do := r.runner.Do
	r.runner.Do = func(ctx context.Context, a model.Action) error {
		err := do(ctx, a)
		inst.Cmd(t, "set server web/a state ready") // someone else, right after
		return err
	}
	r.runner.VerifyTimeout = 500 * time.Millisecond
	res := r.runner.Run(context.Background(), r.request(t, model.Action{Kind: model.ActionDrain, Ref: ref("h0", "web", "a")}))
	if res.Outcome != actions.NotApplied || !res.HasAfter || res.After.Admin != model.AdminReady {
		t.Fatalf("got %s", res.Summary())
	}
	if !strings.Contains(res.Summary(), "haproxy reports healthy (UP)") {
		t.Errorf("summary %q does not say what HAProxy reports", res.Summary())
	}
	if es := r.audit(t); len(es) != 1 || es[0].Result != actions.NotApplied || es[0].After == nil {
		t.Errorf("audit: %+v", es)
	}
}

// TestSourceKilledBeforeWrite kills HAProxy after the confirmation (the
// request is built) and before the write.
func TestSourceKilledBeforeWrite(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1, webConfig())
	inst := r.insts[0]
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" })
	req := r.request(t, model.Action{Kind: model.ActionDrain, Ref: ref("h0", "web", "a")})
	killHAProxy(t, inst)
	res := r.runner.Run(context.Background(), req)
	if res.Outcome != actions.Failed || res.Done() || res.Err == nil {
		t.Fatalf("got %s", res.Summary())
	}
	if !strings.Contains(res.Err.Error(), inst.Addr) || !strings.Contains(res.Summary(), "failed") {
		t.Errorf("error %q does not name the endpoint", res.Err)
	}
	es := r.audit(t)
	if len(es) != 1 || es[0].Result != actions.Failed || es[0].Error == "" || es[0].After != nil {
		t.Errorf("audit: %+v", es)
	}
}

// killHAProxy kills the instance's process (the test started it) and
// waits until its socket stops answering.
func killHAProxy(t *testing.T, inst *haproxytest.Instance) {
	t.Helper()
	var pid int
	for line := range strings.Lines(inst.Cmd(t, "show info")) {
		if v, ok := strings.CutPrefix(line, "Pid: "); ok {
			for _, c := range strings.TrimSpace(v) {
				pid = pid*10 + int(c-'0')
			}
		}
	}
	if pid <= 0 {
		t.Fatal("no Pid in show info")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	src := haproxy.New("probe", inst.Addr)
	haproxytest.WaitFor(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := src.Poll(ctx)
		return err != nil
	})
}

// TestFanOutTwoInstances drains the same backend on two HAProxy nodes,
// then shows a partial failure naming which one changed.
func TestFanOutTwoInstances(t *testing.T) {
	t.Parallel()
	r := newRig(t, 2, webConfig())
	for _, inst := range r.insts {
		inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" })
	}
	_, err := actions.Resolve(r.fleet(t), "web", "a", "")
	if !errors.Is(err, actions.ErrAmbiguous) {
		t.Fatalf("Resolve without a source: %v, want ambiguous", err)
	}
	ms, err := actions.Resolve(r.fleet(t), "web", "a", actions.AllSources)
	if err != nil || len(ms) != 2 {
		t.Fatalf("Resolve all: %d matches, %v", len(ms), err)
	}
	if peers := actions.Peers(ms[0].Pool, ms[0].Row); len(peers) != 2 {
		t.Fatalf("Peers: %d, want 2", len(peers))
	}
	reqs := func(kind model.ActionKind) []actions.Request {
		var out []actions.Request
		for _, m := range ms {
			out = append(out, actions.Request{Action: model.Action{Kind: kind, Ref: m.Row.Ref()}, Kind: model.KindHAProxy, Before: m.Row.Backend})
		}
		return out
	}
	rs := r.runner.RunAll(context.Background(), reqs(model.ActionDrain))
	for i, inst := range r.insts {
		if !rs[i].Done() || inst.Status(t, "web", "a") != "DRAIN" {
			t.Errorf("instance %d: %s, show stat %s", i, rs[i].Summary(), inst.Status(t, "web", "a"))
		}
	}
	if s := actions.FanOutSummary(rs); s != "confirmed on all 2 instances" {
		t.Errorf("summary %q", s)
	}
	killHAProxy(t, r.insts[1])
	rs = r.runner.RunAll(context.Background(), reqs(model.ActionReady))
	if !rs[0].Done() || rs[1].Outcome != actions.Failed {
		t.Fatalf("partial: %s / %s", rs[0].Summary(), rs[1].Summary())
	}
	if s := actions.FanOutSummary(rs); s != "PARTIAL: changed on h0; NOT on h1 (failed)" {
		t.Errorf("summary %q", s)
	}
	if got := r.insts[0].Status(t, "web", "a"); got != "UP" {
		t.Errorf("h0 after ready: %s", got)
	}
	if es := r.audit(t); len(es) != 4 {
		t.Errorf("audit: %d lines, want 4", len(es))
	}
}

// TestLastHealthyGuard: the only serving server of "solo" is guarded, the
// guard is the same whether the action comes from the UI or the CLI.
func TestLastHealthyGuard(t *testing.T) {
	t.Parallel()
	r := newRig(t, 1, webConfig())
	inst := r.insts[0]
	inst.WaitFor(t, func() bool { return inst.Status(t, "solo", "dead") == "DOWN" && inst.Status(t, "solo", "only") == "UP" })
	f := r.fleet(t)
	ms, err := actions.Resolve(f, "solo", "only", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []model.Action{
		{Kind: model.ActionDrain, Ref: ms[0].Row.Ref()},
		{Kind: model.ActionMaint, Ref: ms[0].Row.Ref()},
		{Kind: model.ActionWeight, Weight: 0, Ref: ms[0].Row.Ref()},
	} {
		im := actions.Assess(ms[0].Pool, ms[0].Row, a, 0)
		if !im.Risky() || !im.LastHealthy || !strings.Contains(im.Why(), "last healthy backend of pool solo") {
			t.Errorf("%s: impact %+v", a, im)
		}
	}
	ms, _ = actions.Resolve(f, "web", "a", "")
	im := actions.Assess(ms[0].Pool, ms[0].Row, model.Action{Kind: model.ActionDrain, Ref: ms[0].Row.Ref()}, 0)
	if im.Risky() || im.HealthyAfter != 2 || len(im.Shares) != 2 || im.Shares[0].Share != 0.4 {
		t.Errorf("drain web/a: %+v", im)
	}
}
