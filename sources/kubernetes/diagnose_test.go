package kubernetes

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/lbtop/lbtop/model"
)

// diagnosis merges snapshots into a Store, as the engine does, and
// returns the diagnosis of the named pool.
func diagnosis(t *testing.T, pool string, snaps ...model.Snapshot) model.Diagnosis {
	t.Helper()
	st := model.NewStore(nil)
	var f *model.Fleet
	for _, s := range snaps {
		s.Source, s.Kind, s.At = "kube", model.KindKubernetes, time.Now()
		f = st.Ingest(s)
	}
	p := f.Pool("kubernetes/" + pool)
	if p == nil {
		t.Fatalf("no pool %s", pool)
	}
	return p.Diagnosis
}

func checkDiagnosis(t *testing.T, d model.Diagnosis, state model.DiagState, cause model.Cause, fact string) {
	t.Helper()
	if d.State != state || d.Cause != cause || !strings.Contains(d.Summary+"\n"+strings.Join(d.Evidence, "\n"), fact) {
		t.Errorf("%s/%s %q %s\n  evidence %q\nwant %s/%s with %q", d.State, d.Cause, d.Short, d.Summary, d.Evidence, state, cause, fact)
	}
}

// The same three situations from the mapping alone, without an API
// server: what the informer cache would hold.
func TestDiagnoseServicesFromCache(t *testing.T) {
	t.Parallel()
	es := func(svc string, eps ...endpoint) *discoveryv1.EndpointSlice {
		s := sliceOf(svc, eps...)
		s.Namespace = "shop"
		return s
	}
	probe := podWith("shop", "web-1", func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": "web"}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, Message: "Readiness probe failed: HTTP probe failed with statuscode: 503"}}
	})
	v := &fakeView{
		eps: []*discoveryv1.EndpointSlice{
			es("notready", endpoint{"web-1", false, false, false}, endpoint{"web-2", false, false, false}),
			es("leaving", endpoint{"web-3", false, true, true}, endpoint{"web-4", false, false, true}),
		},
		podsList: []*corev1.Pod{probe},
	}
	snap := model.Snapshot{Pools: []model.Pool{
		servicePool(v, service("shop", "lonely", map[string]string{"app": "nothing"})),
		servicePool(v, service("shop", "notready", map[string]string{"app": "web"})),
		servicePool(v, service("shop", "leaving", map[string]string{"app": "web"})),
	}}
	checkDiagnosis(t, diagnosis(t, "shop/lonely", snap), model.DiagDown, model.CauseNoMatchingPods, "selector app=nothing matches no pods")
	checkDiagnosis(t, diagnosis(t, "shop/notready", snap), model.DiagDown, model.CausePodsNotReady, "Readiness probe failed: HTTP probe failed with statuscode: 503")
	checkDiagnosis(t, diagnosis(t, "shop/leaving", snap), model.DiagDown, model.CauseTerminating, "2 of 2 are terminating")
}

// TestDiagnoseServicesRealAPIServer: a selector that matches nothing, pods
// that are not ready and endpoints that are all terminating, written to a
// real API server and read back through the informers.
func TestDiagnoseServicesRealAPIServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.service("lonely", map[string]string{"app": "nothing"})
	for _, p := range []string{"web-1", "web-2", "web-3", "web-4"} {
		f.pod(p, false)
	}
	const probeMsg = "Readiness probe failed: HTTP probe failed with statuscode: 503"
	f.podStatus("web-1", corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: probeMsg})
	f.service("notready", map[string]string{"app": "web"})
	f.slice(sliceOf("notready", endpoint{"web-1", false, false, false}, endpoint{"web-2", false, false, false}))
	f.service("leaving", map[string]string{"app": "web"})
	f.slice(sliceOf("leaving", endpoint{"web-3", false, true, true}, endpoint{"web-4", false, false, true}))
	src := newSource(t, f.c.Kubeconfig, f.ns)
	snap, _ := waitSnapshot(t, src, "three services with their endpoints", func(s model.Snapshot) bool {
		_, a := findPool(s, f.ns+"/lonely")
		b, _ := findPool(s, f.ns+"/notready")
		c, _ := findPool(s, f.ns+"/leaving")
		nr, _ := findBackend(b, "web-1")
		return a && len(b.Backends) == 2 && len(c.Backends) == 2 && strings.HasPrefix(nr.Reason, probeMsg)
	})
	checkDiagnosis(t, diagnosis(t, f.ns+"/lonely", snap), model.DiagDown, model.CauseNoMatchingPods, "selector app=nothing matches no pods")
	checkDiagnosis(t, diagnosis(t, f.ns+"/notready", snap), model.DiagDown, model.CausePodsNotReady, probeMsg)
	checkDiagnosis(t, diagnosis(t, f.ns+"/leaving", snap), model.DiagDown, model.CauseTerminating, "2 of 2 are terminating")
}
