package demo

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/envoy"
	"github.com/lbtop/lbtop/sources/haproxy"
)

// These tests poll the demo through lbtop's own sources, the way
// `lbtop --demo` does.

func pollCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func poolByName(t *testing.T, snap model.Snapshot, name string) model.Pool {
	t.Helper()
	for _, p := range snap.Pools {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("%s: no pool %q", snap.Source, name)
	return model.Pool{}
}

func backendByName(t *testing.T, p model.Pool, name string) model.Backend {
	t.Helper()
	for _, b := range p.Backends {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("pool %s: no backend %q", p.Name, name)
	return model.Backend{}
}

func backendCount(snap model.Snapshot) int {
	n := 0
	for _, p := range snap.Pools {
		n += len(p.Backends)
	}
	return n
}

func serving(p model.Pool) int {
	n := 0
	for _, b := range p.Backends {
		if b.Health.Serving() {
			n++
		}
	}
	return n
}

func TestHAProxySourceReadsDemo(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	src := haproxy.New("demo-haproxy", f.HAProxyAddr())
	snap, err := src.Poll(pollCtx(t))
	if err != nil {
		t.Fatalf("poll demo HAProxy: %v", err)
	}
	f.sim.mu.Lock()
	wantPools, wantBackends := len(f.sim.ha.backends), 0
	for _, b := range f.sim.ha.backends {
		wantBackends += len(b.servers)
	}
	f.sim.ha.backend("cart").server("cart-01").steady = true
	f.sim.mu.Unlock()
	if len(snap.Pools) != wantPools || backendCount(snap) != wantBackends {
		t.Errorf("pools/backends: got %d/%d, want %d/%d", len(snap.Pools), backendCount(snap), wantPools, wantBackends)
	}
	if p := poolByName(t, snap, "legacy-soap"); serving(p) != 0 {
		t.Errorf("legacy-soap starts in an outage, but %d backends serve", serving(p))
	}
	for name, want := range map[string]model.Health{"checkout-api-02": model.Draining} {
		if got := backendByName(t, poolByName(t, snap, "checkout-api"), name).Health; got != want {
			t.Errorf("checkout-api/%s: %v, want %v", name, got, want)
		}
	}
	if got := backendByName(t, poolByName(t, snap, "payments"), "payments-03").Health; got != model.Down {
		t.Errorf("payments-03 (MAINT): %v, want down", got)
	}

	ref := model.BackendRef{Source: src.Name(), Pool: "cart", Backend: "cart-01"}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionDrain, Ref: ref}); err != nil {
		t.Fatalf("drain %s: %v", ref, err)
	}
	f.Step()
	snap, err = src.Poll(pollCtx(t))
	if err != nil {
		t.Fatalf("poll after drain: %v", err)
	}
	if got := backendByName(t, poolByName(t, snap, "cart"), "cart-01").Health; got != model.Draining {
		t.Errorf("cart-01 after drain through the source: %v, want draining", got)
	}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionWeight, Ref: ref, Weight: 300}); err == nil {
		t.Errorf("weight 300 through the source: want an error")
	}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionReady, Ref: model.BackendRef{Source: src.Name(), Pool: "cart", Backend: "nosuch"}}); err == nil {
		t.Errorf("ready on an unknown server: want an error")
	}
}

func TestEnvoySourceReadsDemo(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	src := envoy.New("demo-envoy", f.EnvoyURL(), nil)
	snap, err := src.Poll(pollCtx(t))
	if err != nil {
		t.Fatalf("poll demo Envoy: %v", err)
	}
	f.sim.mu.Lock()
	wantPools, wantBackends := len(f.sim.env.clusters), 0
	for _, c := range f.sim.env.clusters {
		wantBackends += len(c.hosts)
	}
	f.sim.mu.Unlock()
	if len(snap.Pools) != wantPools || backendCount(snap) != wantBackends {
		t.Errorf("pools/backends: got %d/%d, want %d/%d", len(snap.Pools), backendCount(snap), wantPools, wantBackends)
	}
	if p := poolByName(t, snap, "recommendations"); serving(p) != 0 {
		t.Errorf("recommendations starts in an outage, but %d hosts serve", serving(p))
	}
	health := map[model.Health]int{}
	for _, p := range snap.Pools {
		for _, b := range p.Backends {
			health[b.Health]++
		}
	}
	for _, h := range []model.Health{model.Healthy, model.Degraded, model.Draining, model.Unhealthy} {
		if health[h] == 0 {
			t.Errorf("no Envoy host mapped to %v; got %v", h, health)
		}
	}

	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionProxyFail, Ref: model.BackendRef{Source: src.Name()}}); err != nil {
		t.Fatalf("proxy-fail through the source: %v", err)
	}
	if code, body := httpDo(t, http.MethodGet, f.EnvoyURL()+"/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/ready after proxy-fail: %d %q", code, body)
	}
	if err := sources.Do(pollCtx(t), src, model.Action{Kind: model.ActionProxyOK, Ref: model.BackendRef{Source: src.Name()}}); err != nil {
		t.Fatalf("proxy-ok through the source: %v", err)
	}
	if code, _ := httpDo(t, http.MethodGet, f.EnvoyURL()+"/ready"); code != http.StatusOK {
		t.Errorf("/ready after proxy-ok: %d", code)
	}
}
