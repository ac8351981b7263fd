package haproxy_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

var update = flag.Bool("update", false, "rewrite testdata/haproxy/show-stat-<version>.csv from the real HAProxy")

// fleet is the configuration most live tests share: one server in every
// steady state HAProxy can be put in from a config, plus a backend whose
// only server is down.
func fleet() haproxytest.Config {
	return haproxytest.Config{
		Frontend: "app",
		Backends: []haproxytest.Backend{
			{Name: "app", Servers: []haproxytest.Server{
				{Name: "ok", Weight: 10},
				{Name: "bad", Health: haproxytest.Unhealthy},
				{Name: "refused", Health: haproxytest.Refused},
				{Name: "mnt", State: haproxytest.Maint},
				{Name: "drn", State: haproxytest.Drain},
				{Name: "nc", Health: haproxytest.Unchecked},
				{Name: "w0", Options: "weight 0"},
				{Name: "bk", Backup: true},
			}},
			{Name: "dead", Servers: []haproxytest.Server{{Name: "d1", Health: haproxytest.Unhealthy}}},
		},
	}
}

// settled reports whether every checked server's first health check has
// run, so statuses no longer change by themselves.
func settled(t testing.TB, inst *haproxytest.Instance) func() bool {
	return func() bool {
		for _, r := range inst.ShowStat(t) {
			if r["type"] != "2" || r["status"] == "MAINT" || r["status"] == "no check" {
				continue
			}
			if r["check_status"] == "" || r["check_status"] == "INI" || strings.Contains(r["status"], "/") {
				return false
			}
		}
		return inst.Status(t, "app", "bad") == "DOWN" && inst.Status(t, "dead", "BACKEND") == "DOWN"
	}
}

func poll(t testing.TB, src *haproxy.Source) map[string]model.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := src.Poll(ctx)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	pools := map[string]model.Pool{}
	for _, p := range snap.Pools {
		pools[p.Name] = p
	}
	return pools
}

// get sends n requests to url.
func get(t testing.TB, url string, n int) {
	t.Helper()
	for range n {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

func backendByName(t testing.TB, p model.Pool, name string) model.Backend {
	t.Helper()
	for _, b := range p.Backends {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("pool %s has no backend %s", p.Name, name)
	return model.Backend{}
}

func TestPollRealHAProxy(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, fleet())
	inst.WaitFor(t, settled(t, inst))
	// Traffic through the frontend goes to the serving primaries only.
	get(t, inst.FrontendURL, 4)
	for _, addr := range []string{inst.Addr, inst.Socket} {
		t.Run(haproxy.New("x", addr).Network(), func(t *testing.T) {
			pools := poll(t, haproxy.New("lb1", addr))
			polled := time.Now()
			app, dead := pools["app"], pools["dead"]
			cases := []struct {
				name   string
				health model.Health
				reason string
				weight int
				backup bool
			}{
				{"ok", model.Healthy, "UP", 10, false},
				{"bad", model.Unhealthy, "DOWN: L7STS 503 (Service Unavailable)", 1, false},
				{"refused", model.Unhealthy, "DOWN: L4CON (Connection refused)", 1, false},
				{"mnt", model.Down, "MAINT", 1, false},
				{"drn", model.Draining, "DRAIN", 1, false},
				{"nc", model.Healthy, "no check", 1, false},
				{"w0", model.Draining, "weight 0", 0, false},
				{"bk", model.Healthy, "UP", 1, true},
			}
			// While a check runs HAProxy blanks last_chk; check_desc stands in.
			if b := backendByName(t, app, "refused"); b.Reason == "DOWN: L4CON (Layer4 connection problem)" {
				cases[2].reason = b.Reason
			}
			if b := backendByName(t, app, "bad"); b.Reason == "DOWN: L7STS 503 (Layer7 wrong status)" || b.Reason == "DOWN: L7STS (Layer7 wrong status)" {
				cases[1].reason = b.Reason
			}
			if len(app.Backends) != len(cases) {
				t.Errorf("pool app has %d backends; want %d", len(app.Backends), len(cases))
			}
			var requests uint64
			for _, c := range cases {
				b := backendByName(t, app, c.name)
				if b.Health != c.health || b.Reason != c.reason || b.Weight != c.weight || b.Backup != c.backup {
					t.Errorf("%s = %v %q weight %d backup %v; want %v %q weight %d backup %v",
						c.name, b.Health, b.Reason, b.Weight, b.Backup, c.health, c.reason, c.weight, c.backup)
				}
				if hb := inst.Backends["app/"+c.name]; hb != nil && b.Address != hb.Addr {
					t.Errorf("%s address = %q; want %q", c.name, b.Address, hb.Addr)
				}
				if !b.Counters || b.Since.IsZero() || b.Since.After(polled) {
					t.Errorf("%s: Counters %v, Since %v; want counters and a past Since", c.name, b.Counters, b.Since)
				}
				requests += b.Requests
			}
			if requests != 4 {
				t.Errorf("requests over app's servers = %d; want 4", requests)
			}
			if dead.Note != "backend DOWN" || len(dead.Backends) != 1 || dead.Backends[0].Health != model.Unhealthy {
				t.Errorf("pool dead = %+v; want note %q and one unhealthy backend", dead, "backend DOWN")
			}
		})
	}
}

// TestTransitionsRealHAProxy drives servers into "UP n/m" (failing
// checks, not yet down) and "DOWN n/m" (passing checks, not yet up). A
// huge fall/rise keeps them there for the whole test.
func TestTransitionsRealHAProxy(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{{Name: "be", Servers: []haproxytest.Server{
		{Name: "flap", Options: "rise 1 fall 1000"},
		{Name: "rec", Health: haproxytest.Unhealthy, Options: "rise 1000 fall 1"},
	}}}})
	inst.WaitFor(t, func() bool {
		return inst.Status(t, "be", "rec") == "DOWN" && inst.Row(t, "be", "flap")["check_status"] == "L7OK"
	})
	inst.Backends["be/flap"].SetStatus(http.StatusInternalServerError)
	inst.Backends["be/rec"].SetStatus(http.StatusOK)
	inst.WaitFor(t, func() bool {
		return strings.HasPrefix(inst.Status(t, "be", "flap"), "UP ") && strings.HasPrefix(inst.Status(t, "be", "rec"), "DOWN ")
	})
	// While a check runs HAProxy shows its status without the code for a
	// moment ("L7STS (Layer7 wrong status)"): poll again, a bounded number
	// of times, until the code is there.
	var flap, rec model.Backend
	for i := 0; i < 20; i++ {
		be := poll(t, haproxy.New("lb", inst.Addr))["be"]
		flap, rec = backendByName(t, be, "flap"), backendByName(t, be, "rec")
		if strings.Contains(flap.Reason, "L7STS 500") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if flap.Health != model.Degraded || !strings.Contains(flap.Reason, "/1000 going down: L7STS 500 (Internal Server Error)") {
		t.Errorf("flap = %v %q; want degraded, going down: L7STS 500", flap.Health, flap.Reason)
	}
	if rec.Health != model.Unhealthy || !strings.HasPrefix(rec.Reason, "DOWN ") || !strings.HasSuffix(rec.Reason, "/1000 going up") {
		t.Errorf("rec = %v %q; want unhealthy, DOWN n/1000 going up", rec.Health, rec.Reason)
	}
}

// TestCaptureRealShowStat records a `show stat` dump with every status the
// harness can produce. Run with -update to rewrite the recorded file; the
// parse tests read it.
func TestCaptureRealShowStat(t *testing.T) {
	t.Parallel()
	cfg := fleet()
	cfg.Backends[0].Servers = append(cfg.Backends[0].Servers,
		haproxytest.Server{Name: "flap", Options: "rise 1 fall 1000"},
		haproxytest.Server{Name: "rec", Health: haproxytest.Unhealthy, Options: "rise 1000 fall 1"},
		haproxytest.Server{Name: "trk", Health: haproxytest.Unchecked, Options: "track app/mnt"},
		haproxytest.Server{Name: "err", Health: haproxytest.Erroring},
	)
	inst := haproxytest.Start(t, cfg)
	inst.WaitFor(t, func() bool {
		return inst.Status(t, "app", "rec") == "DOWN" && inst.Row(t, "app", "flap")["check_status"] == "L7OK" &&
			inst.Status(t, "app", "refused") == "DOWN" && inst.Status(t, "dead", "BACKEND") == "DOWN"
	})
	inst.Backends["app/flap"].SetStatus(http.StatusServiceUnavailable)
	inst.Backends["app/rec"].SetStatus(http.StatusOK)
	inst.WaitFor(t, func() bool {
		return strings.HasPrefix(inst.Status(t, "app", "flap"), "UP ") && strings.HasPrefix(inst.Status(t, "app", "rec"), "DOWN ")
	})
	get(t, inst.FrontendURL, 26)
	dump := inst.Cmd(t, "show stat")
	stats, err := haproxy.Parse(strings.NewReader(dump))
	if err != nil {
		t.Fatalf("Parse(live show stat): %v", err)
	}
	if n := len(haproxy.Pools(stats, time.Now())); n != 2 {
		t.Errorf("live dump has %d pools; want 2", n)
	}
	if !*update {
		return
	}
	path := filepath.Join("..", "..", "testdata", "haproxy", "show-stat-"+strings.SplitN(inst.Version, "-", 2)[0]+".csv")
	if err := os.WriteFile(path, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s from HAProxy %s", path, inst.Version)
}

func TestActionsRealHAProxy(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{{Name: "be", Servers: []haproxytest.Server{
		{Name: "s1"}, {Name: "s2"},
	}}}})
	ref := model.BackendRef{Source: "lb", Pool: "be", Backend: "s1"}
	for _, addr := range []string{inst.Addr, inst.Socket} {
		src := haproxy.New("lb", addr)
		t.Run(src.Network(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			steps := []struct {
				name   string
				do     func() error
				column string
				want   string
			}{
				{"SetState drain", func() error { return src.SetState(ctx, ref, model.ActionDrain) }, "status", "DRAIN"},
				{"SetState maint", func() error { return src.SetState(ctx, ref, model.ActionMaint) }, "status", "MAINT"},
				{"SetState ready", func() error { return src.SetState(ctx, ref, model.ActionReady) }, "status", "UP"},
				{"SetWeight 7", func() error { return src.SetWeight(ctx, ref, 7) }, "weight", "7"},
				{"SetWeight 0", func() error { return src.SetWeight(ctx, ref, 0) }, "weight", "0"},
				{"Do drain", func() error { return sources.Do(ctx, src, model.Action{Kind: model.ActionDrain, Ref: ref}) }, "status", "DRAIN"},
				{"Do maint", func() error { return sources.Do(ctx, src, model.Action{Kind: model.ActionMaint, Ref: ref}) }, "status", "MAINT"},
				{"Do ready", func() error { return sources.Do(ctx, src, model.Action{Kind: model.ActionReady, Ref: ref}) }, "status", "UP"},
				{"Do weight 256", func() error {
					return sources.Do(ctx, src, model.Action{Kind: model.ActionWeight, Ref: ref, Weight: 256})
				}, "weight", "256"},
				{"Do weight 1", func() error {
					return sources.Do(ctx, src, model.Action{Kind: model.ActionWeight, Ref: ref, Weight: 1})
				}, "weight", "1"},
			}
			for _, s := range steps {
				if err := s.do(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				// ready leaves MAINT through a check: wait for it to pass.
				inst.WaitFor(t, func() bool { return inst.Row(t, "be", "s1")[s.column] == s.want })
			}
		})
	}
}

func TestActionErrorsRealHAProxy(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{{Name: "be", Servers: []haproxytest.Server{{Name: "s1"}}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s1 := model.BackendRef{Source: "lb", Pool: "be", Backend: "s1"}
	cases := []struct {
		name string
		addr string
		do   func(*haproxy.Source) error
		want string
	}{
		{"weight 300 reaches HAProxy", inst.Addr, func(s *haproxy.Source) error { return s.SetWeight(ctx, s1, 300) },
			"haproxy " + inst.Addr + ": set server be/s1 weight 300: Absolute weight can only be between 0 and 256 inclusive."},
		{"negative weight", inst.Socket, func(s *haproxy.Source) error { return s.SetWeight(ctx, s1, -1) },
			"haproxy " + inst.Socket + ": set server be/s1 weight -1: Absolute weight can only be between 0 and 256 inclusive."},
		{"unknown backend", inst.Addr, func(s *haproxy.Source) error {
			return s.SetState(ctx, model.BackendRef{Pool: "nope", Backend: "s1"}, model.ActionDrain)
		}, "haproxy " + inst.Addr + ": set server nope/s1 state drain: No such backend."},
		{"unknown server", inst.Socket, func(s *haproxy.Source) error {
			return s.SetWeight(ctx, model.BackendRef{Pool: "be", Backend: "nope"}, 3)
		}, "haproxy " + inst.Socket + ": set server be/nope weight 3: No such server."},
		{"Do checks the range first", inst.Addr, func(s *haproxy.Source) error {
			return sources.Do(ctx, s, model.Action{Kind: model.ActionWeight, Ref: s1, Weight: 300})
		}, "weight 300 out of range for haproxy: must be 0–256"},
		{"weight is not a state", inst.Addr, func(s *haproxy.Source) error { return s.SetState(ctx, s1, model.ActionWeight) },
			"haproxy " + inst.Addr + ": cannot set state \"weight\" on be/s1: only drain, ready and maint are states"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do(haproxy.New("lb", c.addr))
			if err == nil || err.Error() != c.want {
				t.Errorf("error = %v;\nwant %s", err, c.want)
			}
		})
	}
	if w := inst.Row(t, "be", "s1")["weight"]; w != "1" {
		t.Errorf("weight after refused changes = %s; want 1", w)
	}
}

func TestPollErrorNamesAddress(t *testing.T) {
	t.Parallel()
	addr := haproxytest.ClosedPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := haproxy.New("lb", addr).Poll(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "haproxy "+addr+": show stat: ") {
		t.Errorf("Poll of a closed port: %v; want an error naming %s and the command", err, addr)
	}
	missing := filepath.Join(t.TempDir(), "none.sock")
	_, err = haproxy.New("lb", missing).Poll(ctx)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Poll of a missing socket: %v; want an error naming %s", err, missing)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a refused connection is not a deadline: %v", err)
	}
}
