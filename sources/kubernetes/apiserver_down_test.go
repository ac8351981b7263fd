package kubernetes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/envoy"
	"github.com/lbtop/lbtop/sources/faulttest"
	"github.com/lbtop/lbtop/sources/kubernetes/kubetest"
)

// TestAPIServerKilledAfterSync: the API server dies after the caches have
// synced. The source goes stale with an error naming what it was watching
// and why, the Store keeps its last pools, a healthy source next to it in
// the same Hub keeps updating, and when the API server returns on the same
// port the source recovers by itself.
func TestAPIServerKilledAfterSync(t *testing.T) {
	c := kubetest.Start(t) // its own cluster: this test kills its API server
	f := &fixture{t: t, c: c, ns: c.Namespace(t)}
	f.service("web", map[string]string{"app": "web"})
	f.slice(sliceOf("web", endpoint{ready: true, serving: true}))
	kube := newSource(t, c.Kubeconfig, f.ns)
	pool := f.ns + "/web"
	waitSnapshot(t, kube, "service web with its endpoint", func(s model.Snapshot) bool {
		p, ok := findPool(s, pool)
		return ok && len(p.Backends) == 1
	})

	good, err := faulttest.Start(faulttest.Envoy, faulttest.Good, faulttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = good.Close() })
	const interval = 200 * time.Millisecond
	hub, err := sources.NewHub([]sources.Entry{
		{Source: kube, Interval: interval, Timeout: time.Second},
		{Source: envoy.New("edge", good.Addr(), nil), Interval: interval, Timeout: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	snaps := hub.Run(ctx)
	store := model.NewStore(time.Now)
	var fleet *model.Fleet
	// until feeds snapshots to the store until cond holds for the
	// kubernetes source's status, and counts the healthy neighbour's
	// good snapshots meanwhile.
	until := func(what string, bound time.Duration, cond func(model.SourceStatus) bool) (edgeOK int) {
		t.Helper()
		deadline := time.After(bound)
		for {
			select {
			case s := <-snaps:
				fleet = store.Ingest(s)
				if s.Source == "edge" && s.Err == nil {
					edgeOK++
				}
				if st, ok := fleet.Source(kube.Name()); ok && s.Source == kube.Name() && cond(st) {
					return edgeOK
				}
			case <-deadline:
				st, _ := fleet.Source(kube.Name())
				t.Fatalf("after %v: still waiting for %s; kubernetes source status %+v", bound, what, st)
			}
		}
	}
	until("a good poll", 10*time.Second, func(st model.SourceStatus) bool { return st.OK })

	restart, err := c.KillAPIServer()
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	until("the source to go stale", 30*time.Second, func(st model.SourceStatus) bool { return !st.OK })
	t.Logf("stale %v after the kill", time.Since(killed).Round(time.Millisecond))
	st, _ := fleet.Source(kube.Name())
	for _, want := range []string{"kubernetes test", "API server not answering", "refused"} {
		if !strings.Contains(st.Err, want) {
			t.Errorf("stale error %q does not say %q", st.Err, want)
		}
	}
	if fleet.Pool(string(model.KindKubernetes)+"/"+pool) == nil {
		t.Errorf("the store dropped pool %s when its source went stale; want the last data kept", pool)
	}
	// While the API server is down, the neighbour keeps its cadence.
	edgeOK := until("two more failed polls", 10*time.Second, func(st model.SourceStatus) bool {
		return !st.OK && time.Since(killed) > 3*interval
	})
	if edgeOK == 0 {
		t.Error("the healthy source did not update while the API server was down")
	}

	rctx, rcancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer rcancel()
	if err := restart(rctx); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	// client-go's reflectors retry a failed list with back-off (up to 30 s).
	until("recovery", 60*time.Second, func(st model.SourceStatus) bool { return st.OK })
	t.Logf("recovered %v after the API server was ready again", time.Since(back).Round(time.Millisecond))
	f.slice(sliceOf("web2"))
	f.service("web2", map[string]string{"app": "web2"})
	waitSnapshot(t, kube, "a service created after the restart", func(s model.Snapshot) bool {
		_, ok := findPool(s, f.ns+"/web2")
		return ok
	})
}
