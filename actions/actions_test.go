package actions_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultPath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"xdg", map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, "/s/lbtop/audit.log"},
		{"relative xdg ignored", map[string]string{"XDG_STATE_HOME": "s", "HOME": "/h"}, "/h/.local/state/lbtop/audit.log"},
		{"home", map[string]string{"HOME": "/h"}, "/h/.local/state/lbtop/audit.log"},
	} {
		got, err := actions.DefaultPath(env(c.env))
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestCurrentUserSSH(t *testing.T) {
	t.Parallel()
	w := actions.CurrentUser(env(map[string]string{"SSH_CONNECTION": "10.1.2.3 52000 10.0.0.1 22", "USER": "alice"}))
	if w.SSHClient != "10.1.2.3" || w.Login == "" {
		t.Errorf("CurrentUser = %+v", w)
	}
	if w := actions.CurrentUser(env(nil)); w.SSHClient != "" {
		t.Errorf("no SSH_CONNECTION: %+v", w)
	}
}

// TestAuditConcurrentAppends writes from 50 goroutines through 50
// separately opened logs (as 50 processes would) and one shared log.
func TestAuditConcurrentAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "audit.log")
	shared, err := actions.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shared.Close() }()
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			l, err := actions.Open(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer func() { _ = l.Close() }()
			if err := l.Append(actions.Entry{Backend: strings.Repeat("x", 5000), Pool: "own", Action: "drain", Reason: string(rune('a' + i%26))}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if err := shared.Append(actions.Entry{Pool: "shared", Action: "ready"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 2*n {
		t.Fatalf("%d lines, want %d", len(lines), 2*n)
	}
	for _, l := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line is not JSON: %v", err)
		}
		for _, k := range []string{"time", "user", "host", "source", "pool", "backend", "action", "before", "after", "reason", "result", "error"} {
			if _, ok := e[k]; !ok {
				t.Errorf("line lacks %q: %s", k, l[:min(len(l), 120)])
			}
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if err := shared.Close(); err != nil {
		t.Fatal(err)
	}
	if err := shared.Append(actions.Entry{}); err == nil {
		t.Error("Append after Close succeeded")
	}
}

func TestReadEntriesSkipsTornLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	good := `{"time":"2026-01-01T00:00:00Z","user":{"login":"a"},"pool":"p","backend":"b","action":"drain","result":"confirmed"}`
	if err := os.WriteFile(path, []byte(good+"\n"+good+"\n{\"time\":\"20"), 0o600); err != nil {
		t.Fatal(err)
	}
	es, bad, err := actions.ReadEntries(path, 1)
	if err != nil || bad != 1 || len(es) != 1 || es[0].User.Login != "a" || es[0].Result != actions.Confirmed {
		t.Fatalf("ReadEntries = %+v, %d, %v", es, bad, err)
	}
	if es, _, err := actions.ReadEntries(filepath.Join(t.TempDir(), "none"), 0); err != nil || es != nil {
		t.Errorf("missing file: %v, %v", es, err)
	}
}

func TestLastBy(t *testing.T) {
	t.Parallel()
	zero, five := 0, 5
	e := func(be, action string, w *int, res actions.Outcome) actions.Entry {
		return actions.Entry{Source: "s", Pool: "p", Backend: be, Action: action, Weight: w, Result: res, User: actions.Who{Login: "bob"}}
	}
	got := actions.LastBy([]actions.Entry{
		e("a", "drain", nil, actions.Confirmed),
		e("b", "drain", nil, actions.Confirmed), e("b", "ready", nil, actions.Confirmed),
		e("c", "weight", &zero, actions.NotApplied),
		e("d", "weight", &five, actions.Confirmed),
		e("e", "maint", nil, actions.Failed),
	})
	if len(got) != 2 || got[ref("s", "p", "a")].Action != "drain" || got[ref("s", "p", "c")].Action != "weight" {
		t.Errorf("LastBy = %+v", got)
	}
}

func TestReachedUsesAdminState(t *testing.T) {
	t.Parallel()
	drain := model.Action{Kind: model.ActionDrain}
	for _, c := range []struct {
		name string
		a    model.Action
		b    model.Backend
		want bool
	}{
		{"weight 0 is not a drain", drain, model.Backend{Health: model.Draining, Reason: "weight 0", Admin: model.AdminReady}, false},
		{"drained and down", drain, model.Backend{Health: model.Unhealthy, Reason: "DOWN", Admin: model.AdminDrain}, true},
		{"no admin state: health decides", drain, model.Backend{Health: model.Draining}, true},
		{"maint", model.Action{Kind: model.ActionMaint}, model.Backend{Health: model.Down, Admin: model.AdminMaint}, true},
		{"ready but failing checks", model.Action{Kind: model.ActionReady}, model.Backend{Health: model.Unhealthy, Admin: model.AdminReady}, true},
		{"ready without admin needs serving", model.Action{Kind: model.ActionReady}, model.Backend{Health: model.Unhealthy}, false},
		{"weight", model.Action{Kind: model.ActionWeight, Weight: 4}, model.Backend{Weight: 4}, true},
		{"weight differs", model.Action{Kind: model.ActionWeight, Weight: 4}, model.Backend{Weight: 5}, false},
	} {
		if got := actions.Reached(c.a, c.b); got != c.want {
			t.Errorf("%s: Reached = %v", c.name, got)
		}
	}
}

// TestVerifyIgnoresEarlyPolls: a poll that began before the write, or
// failed, proves nothing even if it shows the new state.
func TestVerifyIgnoresEarlyPolls(t *testing.T) {
	t.Parallel()
	sent := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	a := model.Action{Kind: model.ActionDrain, Ref: ref("s", "p", "b")}
	snap := model.Snapshot{Pools: []model.Pool{{Name: "p", Backends: []model.Backend{{Name: "b", Admin: model.AdminDrain}}}}}
	snap.At, snap.Took = sent.Add(time.Second), 2*time.Second // started before the write
	if out, _, _ := actions.Verify(a, sent, snap); out != actions.Pending {
		t.Errorf("early poll: %v", out)
	}
	snap.Took = time.Second / 2
	if out, b, ok := actions.Verify(a, sent, snap); out != actions.Confirmed || !ok || b.Name != "b" {
		t.Errorf("later poll: %v %v", out, ok)
	}
	snap.Err = errors.New("x")
	if out, _, _ := actions.Verify(a, sent, snap); out != actions.Pending {
		t.Errorf("failed poll: %v", out)
	}
}

func pool(bs ...model.BackendRow) *model.PoolRow {
	return &model.PoolRow{Key: "haproxy/p", Name: "p", Kind: model.KindHAProxy, Backends: bs}
}

func row(src, name string, h model.Health, w int) model.BackendRow {
	return model.BackendRow{Source: src, Pool: "p", Backend: model.Backend{Name: name, Address: "10.0.0." + name + ":80", Health: h, Weight: w, Admin: model.AdminReady}}
}

func TestAssessFloor(t *testing.T) {
	t.Parallel()
	p := pool(row("s", "1", model.Healthy, 1), row("s", "2", model.Healthy, 1), row("s", "3", model.Healthy, 2), row("s", "4", model.Unhealthy, 1),
		row("other", "1", model.Healthy, 1))
	drain := func(b model.BackendRow) model.Action { return model.Action{Kind: model.ActionDrain, Ref: b.Ref()} }
	im := actions.Assess(p, p.Backends[0], drain(p.Backends[0]), 0)
	// 4 backends on "s", 3 serving; after: 2 of 4 = 50%, not below.
	if im.Total != 4 || im.HealthyBefore != 3 || im.HealthyAfter != 2 || im.Risky() || im.Shares[1].Share != 2.0/3 {
		t.Errorf("first drain: %+v", im)
	}
	im = actions.Assess(p, p.Backends[0], drain(p.Backends[0]), 0.6)
	if !im.BelowFloor || im.LastHealthy || !strings.Contains(im.Why(), "below the 60% floor") {
		t.Errorf("floor 60%%: %+v %q", im, im.Why())
	}
	// Draining a backend already out takes nothing away.
	if im := actions.Assess(p, p.Backends[3], drain(p.Backends[3]), 0.9); im.Risky() {
		t.Errorf("drain of an unhealthy backend is risky: %+v", im)
	}
	w := model.Action{Kind: model.ActionWeight, Weight: 5, Ref: p.Backends[0].Ref()}
	if im := actions.Assess(p, p.Backends[0], w, 0); im.Risky() || im.Shares[0].Weight != 5 || !im.Shares[0].Target {
		t.Errorf("weight 5: %+v", im)
	}
	lines := actions.Assess(p, p.Backends[0], drain(p.Backends[0]), 0.9).Lines(1)
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "RISK") {
		t.Errorf("Lines = %q", lines)
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	st := model.NewStore(nil)
	for _, src := range []string{"h1", "h2"} {
		st.Ingest(model.Snapshot{Source: src, Kind: model.KindHAProxy, At: time.Now(), Pools: []model.Pool{{Name: "web", Backends: []model.Backend{{Name: "a", Address: "10.0.0.1:80"}}}}})
	}
	f := st.Ingest(model.Snapshot{Source: "h3", Kind: model.KindHAProxy, At: time.Now(), Pools: []model.Pool{{Name: "api", Backends: []model.Backend{{Name: "x"}}}}})
	for _, c := range []struct{ pool, be, src, want string }{
		{"wbe", "a", "", `unknown pool "wbe" (known: web, api)`},
		{"we", "a", "", `unknown pool "we" (did you mean: web)`},
		{"web", "zz", "", `unknown backend "zz" in pool "web" (known: a, a)`},
		{"web", "a", "", "ambiguous target: web/a is on 2 sources (h1, h2): name one with --source NAME, or --source all for every one"},
		{"web", "a", "h3", `backend web/a is not on source "h3" (it is on h1, h2)`},
	} {
		_, err := actions.Resolve(f, c.pool, c.be, c.src)
		if err == nil || err.Error() != c.want {
			t.Errorf("Resolve(%s, %s, %q) = %v\nwant %s", c.pool, c.be, c.src, err, c.want)
		}
	}
	if ms, err := actions.Resolve(f, "web", "10.0.0.1:80", "h2"); err != nil || len(ms) != 1 || ms[0].Row.Source != "h2" {
		t.Errorf("by address: %v %v", ms, err)
	}
}

func TestOutOfRotation(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	st := model.NewStore(func() time.Time { return now })
	f := st.Ingest(model.Snapshot{Source: "h", Kind: model.KindHAProxy, At: now, Pools: []model.Pool{{Name: "web", Backends: []model.Backend{
		{Name: "ok", Health: model.Healthy, Weight: 1},
		{Name: "drn", Health: model.Draining, Admin: model.AdminDrain, Weight: 1, Since: now.Add(-90 * time.Minute)},
		{Name: "w0", Health: model.Draining, Weight: 0},
		{Name: "mnt", Health: model.Down, Admin: model.AdminMaint, Weight: 1},
	}}}})
	by := map[model.BackendRef]actions.Entry{ref("h", "web", "drn"): {Action: "drain", Time: now.Add(-12 * time.Minute), User: actions.Who{Login: "alice"}}}
	seen := map[model.BackendRef]time.Time{ref("h", "web", "w0"): now.Add(-3 * time.Hour)}
	outs, next := actions.OutOfRotation(f, seen, by, now)
	notes := map[string]string{}
	for _, o := range outs {
		notes[o.Row.Name] = o.Note(now)
	}
	want := map[string]string{"drn": "drained 12m ago by alice", "w0": "out 3h (seen by lbtop)", "mnt": "out 0s (seen by lbtop)"}
	if len(outs) != 3 || len(next) != 3 {
		t.Fatalf("outs %d, next %d", len(outs), len(next))
	}
	for k, v := range want {
		if notes[k] != v {
			t.Errorf("%s: note %q, want %q", k, notes[k], v)
		}
	}
}
