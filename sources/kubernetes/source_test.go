package kubernetes

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/kubernetes/kubetest"
)

// cluster is the one API server this test binary shares; each test works
// in its own namespace.
var cluster kubetest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

// waitBound caps every wait for the informers to see a change. Changes
// normally show in milliseconds; the bound only keeps a broken test from
// hanging on a loaded machine.
const waitBound = 15 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newSource starts a source on one namespace with the given kubeconfig.
func newSource(t testing.TB, kubeconfig string, namespaces ...string) *Source {
	t.Helper()
	s, err := New(testCtx(t), Options{Name: "test", Kubeconfig: kubeconfig, Namespaces: namespaces})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitSnapshot polls the source until cond holds for a snapshot, and
// returns it with the time it took.
func waitSnapshot(t *testing.T, s *Source, what string, cond func(model.Snapshot) bool) (model.Snapshot, time.Duration) {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var last model.Snapshot
	for time.Since(start) < waitBound {
		snap, err := s.Poll(testCtx(t))
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		if cond(snap) {
			return snap, time.Since(start)
		}
		last = snap
		<-tick.C
	}
	t.Fatalf("after %v: still waiting for %s; last snapshot: note %q pools %+v", waitBound, what, last.Note, last.Pools)
	return model.Snapshot{}, 0
}

func findPool(s model.Snapshot, name string) (model.Pool, bool) {
	for _, p := range s.Pools {
		if p.Name == name {
			return p, true
		}
	}
	return model.Pool{}, false
}

func findBackend(p model.Pool, name string) (model.Backend, bool) {
	for _, b := range p.Backends {
		if b.Name == name {
			return b, true
		}
	}
	return model.Backend{}, false
}

// fixture creates objects in one namespace with the admin client.
type fixture struct {
	t  *testing.T
	c  *kubetest.Cluster
	ns string
}

func newFixture(t *testing.T) *fixture {
	c := cluster.Get(t)
	return &fixture{t: t, c: c, ns: c.Namespace(t)}
}

func (f *fixture) pod(name string, gate bool) *corev1.Pod {
	f.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app"}}},
	}
	if gate {
		p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: DefaultGateCondition}}
	}
	p, err := f.c.Client.CoreV1().Pods(f.ns).Create(testCtx(f.t), p, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// podStatus replaces a pod's status conditions (nothing else writes them
// here: no kubelet runs).
func (f *fixture) podStatus(name string, conds ...corev1.PodCondition) {
	f.t.Helper()
	p, err := f.c.Client.CoreV1().Pods(f.ns).Get(testCtx(f.t), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	p.Status.Conditions = conds
	if _, err := f.c.Client.CoreV1().Pods(f.ns).UpdateStatus(testCtx(f.t), p, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) service(name string, selector map[string]string) {
	f.t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	if _, err := f.c.Client.CoreV1().Services(f.ns).Create(testCtx(f.t), svc, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// endpoint describes one endpoint of a test EndpointSlice.
type endpoint struct {
	pod                         string
	ready, serving, terminating bool
}

func sliceOf(service string, eps ...endpoint) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: service + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
	}
	for i, e := range eps {
		ep := discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.9.0.%d", i+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Serving: ptr.To(e.serving), Terminating: ptr.To(e.terminating)},
			NodeName:   ptr.To("node-1"),
		}
		if e.pod != "" {
			ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: e.pod}
		}
		es.Endpoints = append(es.Endpoints, ep)
	}
	return es
}

func (f *fixture) slice(es *discoveryv1.EndpointSlice) {
	f.t.Helper()
	if _, err := f.c.Client.DiscoveryV1().EndpointSlices(f.ns).Create(testCtx(f.t), es, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) updateSlice(es *discoveryv1.EndpointSlice) {
	f.t.Helper()
	cur, err := f.c.Client.DiscoveryV1().EndpointSlices(f.ns).Get(testCtx(f.t), es.Name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	cur.Endpoints = es.Endpoints
	if _, err := f.c.Client.DiscoveryV1().EndpointSlices(f.ns).Update(testCtx(f.t), cur, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func TestServiceEndpointHealthThroughInformers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, p := range []string{"web-0", "web-1", "web-2"} {
		f.pod(p, false)
	}
	f.service("web", map[string]string{"app": "web"})
	all := []endpoint{{"web-0", true, true, false}, {"web-1", true, true, false}, {"web-2", true, true, false}}
	f.slice(sliceOf("web", all...))
	src := newSource(t, f.c.Kubeconfig, f.ns)
	pool := f.ns + "/web"

	waitSnapshot(t, src, "3/3 healthy", func(s model.Snapshot) bool {
		p, ok := findPool(s, pool)
		return ok && len(p.Backends) == 3 && healthyCount(p) == 3
	})

	const probeMsg = "Readiness probe failed: HTTP probe failed with statuscode: 503"
	f.podStatus("web-1", corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: probeMsg})
	all[1].ready, all[1].serving = false, false
	f.updateSlice(sliceOf("web", all...))
	_, took := waitSnapshot(t, src, "web-1 unhealthy with the probe message", func(s model.Snapshot) bool {
		p, _ := findPool(s, pool)
		b, ok := findBackend(p, "web-1")
		return ok && b.Health == model.Unhealthy && b.Reason == probeMsg+" (node node-1)"
	})
	t.Logf("not-ready endpoint seen through the informers %v after the update", took)

	all[2].ready, all[2].terminating = false, true
	f.updateSlice(sliceOf("web", all...))
	waitSnapshot(t, src, "web-2 draining", func(s model.Snapshot) bool {
		p, _ := findPool(s, pool)
		b, ok := findBackend(p, "web-2")
		return ok && b.Health == model.Draining && strings.HasPrefix(b.Reason, "terminating")
	})
}

func healthyCount(p model.Pool) int {
	n := 0
	for _, b := range p.Backends {
		if b.Health == model.Healthy {
			n++
		}
	}
	return n
}

func TestSelectorWithoutPods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.service("lonely", map[string]string{"app": "nothing"})
	f.service("manual", nil)
	src := newSource(t, f.c.Kubeconfig, f.ns)
	snap, _ := waitSnapshot(t, src, "both services", func(s model.Snapshot) bool {
		_, a := findPool(s, f.ns+"/lonely")
		_, b := findPool(s, f.ns+"/manual")
		return a && b
	})
	for name, note := range map[string]string{"lonely": "selector app=nothing matches no pods", "manual": "no selector and no EndpointSlices"} {
		p, _ := findPool(snap, f.ns+"/"+name)
		if len(p.Backends) != 0 || !strings.Contains(p.Note, note) {
			t.Errorf("%s: %d backends, note %q; want 0 and %q", name, len(p.Backends), p.Note, note)
		}
	}
}

func TestReadinessGateDrainAndReady(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.pod("gated", true)
	f.pod("plain", false)
	f.podStatus("gated", corev1.PodCondition{Type: DefaultGateCondition, Status: corev1.ConditionTrue})
	f.service("web", map[string]string{"app": "web"})
	f.slice(sliceOf("web", endpoint{"gated", true, true, false}, endpoint{"plain", true, true, false}))
	src := newSource(t, f.c.Kubeconfig, f.ns)
	pool := f.ns + "/web"
	waitSnapshot(t, src, "2 endpoints", func(s model.Snapshot) bool {
		p, _ := findPool(s, pool)
		return len(p.Backends) == 2
	})
	ctx := testCtx(t)
	gateStatus := func() corev1.PodCondition {
		t.Helper()
		p, err := f.c.Client.CoreV1().Pods(f.ns).Get(ctx, "gated", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c := findCondition(p, DefaultGateCondition); c != nil {
			return *c
		}
		t.Fatalf("pod gated has no %s condition: %+v", DefaultGateCondition, p.Status.Conditions)
		return corev1.PodCondition{}
	}

	ref := model.BackendRef{Source: "test", Pool: pool, Backend: "gated"}
	if err := src.SetState(ctx, ref, model.ActionDrain); err != nil {
		t.Fatal(err)
	}
	if c := gateStatus(); c.Status != corev1.ConditionFalse || c.Reason != drainReason || c.Message != drainMessage {
		t.Errorf("after drain: %+v", c)
	}
	if err := src.SetState(ctx, ref, model.ActionReady); err != nil {
		t.Fatal(err)
	}
	if c := gateStatus(); c.Status != corev1.ConditionTrue || c.Reason != readyReason {
		t.Errorf("after ready: %+v", c)
	}

	errTests := []struct {
		name   string
		ref    model.BackendRef
		action model.ActionKind
		want   string
	}{
		{"no gate", model.BackendRef{Pool: pool, Backend: "plain"}, model.ActionDrain,
			"pod " + f.ns + "/plain has no readiness gate lbtop.dev/serving: drain needs the gate (see README 'Kubernetes: readiness-gate drain')"},
		{"maint", ref, model.ActionMaint, "no maintenance state"},
		{"unknown endpoint", model.BackendRef{Pool: pool, Backend: "ghost"}, model.ActionDrain, `has no endpoint "ghost"`},
		{"route backend", model.BackendRef{Pool: "route " + f.ns + "/r rule 0", Backend: "web"}, model.ActionDrain, "set its weight to 0"},
	}
	for _, tc := range errTests {
		err := src.SetState(ctx, tc.ref, tc.action)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	p, err := f.c.Client.CoreV1().Pods(f.ns).Get(ctx, "plain", metav1.GetOptions{})
	if err != nil || p.Labels["app"] != "web" || p.DeletionTimestamp != nil {
		t.Errorf("pod plain was changed: %v %+v", err, p.ObjectMeta)
	}
}

func TestForbiddenEndpointSlicesReported(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.service("web", nil)
	grantLimited(t, f, "get", "list", "watch")
	src, err := New(testCtx(t), Options{Name: "limited", Kubeconfig: f.c.LimitedKubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	const want = "kubernetes limited: cannot list endpointslices.discovery.k8s.io in all namespaces: forbidden"
	snap, _ := waitSnapshot(t, src, "only the endpointslices error, services served", func(s model.Snapshot) bool {
		_, ok := findPool(s, f.ns+"/web")
		return ok && s.Note == want
	})
	p, _ := findPool(snap, f.ns+"/web")
	if !strings.Contains(p.Note, "EndpointSlices unreadable") {
		t.Errorf("pool note %q does not say the endpoints are unknown", p.Note)
	}
}

// grantLimited gives kubetest.LimitedUser the verbs on services, pods and
// httproutes cluster-wide, but nothing on endpointslices.
func grantLimited(t *testing.T, f *fixture, verbs ...string) {
	t.Helper()
	ctx := testCtx(t)
	name := "lbtop-limited-" + f.ns
	role := fmt.Sprintf(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":%q},"rules":[
		{"apiGroups":[""],"resources":["services","pods"],"verbs":%s},
		{"apiGroups":["gateway.networking.k8s.io"],"resources":["httproutes"],"verbs":%s}]}`, name, jsonList(verbs), jsonList(verbs))
	binding := fmt.Sprintf(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":%q},
		"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":%q},
		"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":%q}]}`, name, name, kubetest.LimitedUser)
	rbac := f.c.Client.RbacV1()
	if _, err := rbac.ClusterRoles().Patch(ctx, name, types.ApplyPatchType, []byte(role), metav1.PatchOptions{FieldManager: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Patch(ctx, name, types.ApplyPatchType, []byte(binding), metav1.PatchOptions{FieldManager: "test"}); err != nil {
		t.Fatal(err)
	}
}

func jsonList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ",") + "]"
}
