package kubernetes

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/lbtop/lbtop/model"
)

// fakeView is a view over fixed objects.
type fakeView struct {
	svcs     []*corev1.Service
	eps      []*discoveryv1.EndpointSlice
	podsList []*corev1.Pod
}

func (f *fakeView) slices(ns, service string) []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for _, es := range f.eps {
		if es.Namespace == ns && es.Labels[discoveryv1.LabelServiceName] == service {
			out = append(out, es)
		}
	}
	return out
}

func (f *fakeView) pod(ns, name string) *corev1.Pod {
	for _, p := range f.podsList {
		if p.Namespace == ns && p.Name == name {
			return p
		}
	}
	return nil
}

func (f *fakeView) podsMatching(ns string, sel labels.Selector) int {
	n := 0
	for _, p := range f.podsList {
		if p.Namespace == ns && sel.Matches(labels.Set(p.Labels)) {
			n++
		}
	}
	return n
}

func (f *fakeView) service(ns, name string) *corev1.Service {
	for _, s := range f.svcs {
		if s.Namespace == ns && s.Name == name {
			return s
		}
	}
	return nil
}

func load[T any](t *testing.T, file string) *T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &v
}

func service(ns, name string, sel map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
}

func podWith(ns, name string, mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "example"}}}
	mutate(p)
	return p
}

type row struct {
	name, addr string
	health     model.Health
	reason     string
}

func rows(p model.Pool) []row {
	var out []row
	for _, b := range p.Backends {
		out = append(out, row{b.Name, b.Address, b.Health, b.Reason})
	}
	return out
}

func TestServicePoolConditionsAndReasons(t *testing.T) {
	t.Parallel()
	es := load[discoveryv1.EndpointSlice](t, "endpointslice-v1-terminating-constructed.yaml")
	gate := corev1.PodReadinessGate{ConditionType: DefaultGateCondition}
	tests := []struct {
		name   string
		pod    *corev1.Pod // the third, not-ready endpoint's pod
		reason string
	}{
		{"pod not cached", nil, "not ready (node node-3)"},
		{"readiness gate drained", podWith("default", "example-7d9f-klmno", func(p *corev1.Pod) {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{gate}
			p.Status.Conditions = []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ReadinessGatesNotReady", Message: "corresponding condition of pod readiness gate ... is False"},
				{Type: DefaultGateCondition, Status: corev1.ConditionFalse, Reason: drainReason, Message: drainMessage},
			}
		}), "readiness gate lbtop.dev/serving False: drained by lbtop (node node-3)"},
		{"gate condition missing", podWith("default", "example-7d9f-klmno", func(p *corev1.Pod) {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{gate}
		}), "readiness gate lbtop.dev/serving not set (node node-3)"},
		{"crash loop", podWith("default", "example-7d9f-klmno", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{
				Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s"},
			}}}
		}), "container app: CrashLoopBackOff (node node-3)"},
		{"readiness probe message", podWith("default", "example-7d9f-klmno", func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, Message: "Readiness probe failed: HTTP probe failed with statuscode: 503"}}
		}), "Readiness probe failed: HTTP probe failed with statuscode: 503 (node node-3)"},
		{"deleted pod", podWith("default", "example-7d9f-klmno", func(p *corev1.Pod) {
			p.DeletionTimestamp = &metav1.Time{}
		}), "terminating (node node-3)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := &fakeView{eps: []*discoveryv1.EndpointSlice{es}}
			if tc.pod != nil {
				v.podsList = append(v.podsList, tc.pod)
			}
			p := servicePool(v, service("default", "example", map[string]string{"app": "example"}))
			want := []row{
				{"example-7d9f-abcde", "10.1.2.3:8080", model.Healthy, "ready (node node-1)"},
				{"example-7d9f-fghij", "10.1.2.4:8080", model.Draining, "terminating (node node-2)"},
				{"example-7d9f-klmno", "10.1.2.5:8080", model.Unhealthy, tc.reason},
			}
			if got := rows(p); !slices.Equal(got, want) {
				t.Errorf("backends\n got %+v\nwant %+v", got, want)
			}
			if p.Name != "default/example" || p.Note != "ports http:80" {
				t.Errorf("pool %q note %q", p.Name, p.Note)
			}
			if p.Backends[0].Zone != "us-west2-a" {
				t.Errorf("zone %q", p.Backends[0].Zone)
			}
		})
	}
}

func TestServicePoolMergesSlicesAndNotes(t *testing.T) {
	t.Parallel()
	doc := load[discoveryv1.EndpointSlice](t, "endpointslice-v1-from-k8s-docs.yaml")
	doc.Namespace = "default"
	second := doc.DeepCopy()
	second.Name = "example-def"
	second.Endpoints[0].Addresses = []string{"10.1.2.9"}
	headless := service("default", "example", nil)
	headless.Spec.ClusterIP = corev1.ClusterIPNone
	tests := []struct {
		name  string
		v     *fakeView
		svc   *corev1.Service
		note  string
		count int
	}{
		{"two slices merged", &fakeView{eps: []*discoveryv1.EndpointSlice{second, doc}}, service("default", "example", map[string]string{"app": "x"}), "ports http:80", 2},
		{"selector matches no pods", &fakeView{}, service("default", "example", map[string]string{"app": "x"}), "ports http:80; selector app=x matches no pods", 0},
		{"pods but no slices", &fakeView{podsList: []*corev1.Pod{podWith("default", "p", func(p *corev1.Pod) { p.Labels["app"] = "x" })}},
			service("default", "example", map[string]string{"app": "x"}), "ports http:80; selector app=x matches 1 pods but there are no EndpointSlices", 0},
		{"no selector no slices", &fakeView{}, service("default", "example", nil), "ports http:80; no selector and no EndpointSlices", 0},
		{"headless", &fakeView{eps: []*discoveryv1.EndpointSlice{doc}}, headless, "headless; ports http:80", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := servicePool(tc.v, tc.svc)
			if p.Note != tc.note || len(p.Backends) != tc.count {
				t.Errorf("got note %q with %d backends, want %q with %d", p.Note, len(p.Backends), tc.note, tc.count)
			}
		})
	}
}

func readySlice(ns, svc string, ready, notReady int) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: svc + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for i := range ready + notReady {
		r := i < ready
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &r}})
	}
	return es
}

func TestRoutePools(t *testing.T) {
	t.Parallel()
	rt := load[gwv1.HTTPRoute](t, "httproute-traffic-split-from-gateway-api-examples.yaml")
	rt.Namespace = "web"
	svcs := []*corev1.Service{service("web", "foo-v1", nil), service("web", "foo-v2", nil)}
	tests := []struct {
		name string
		eps  []*discoveryv1.EndpointSlice
		want []row
		note string
	}{
		{"both ready", []*discoveryv1.EndpointSlice{readySlice("web", "foo-v1", 3, 0), readySlice("web", "foo-v2", 1, 1)}, []row{
			{"foo-v1", "foo-v1.web:8080", model.Healthy, "3/3 ready endpoints"},
			{"foo-v2", "foo-v2.web:8080", model.Healthy, "1/2 ready endpoints"},
		}, ""},
		{"no healthy upstream", []*discoveryv1.EndpointSlice{readySlice("web", "foo-v1", 0, 2)}, []row{
			{"foo-v1", "foo-v1.web:8080", model.Unhealthy, "0 ready endpoints (of 2)"},
			{"foo-v2", "foo-v2.web:8080", model.Unhealthy, "0 ready endpoints (of 0)"},
		}, "all weighted backends have 0 ready endpoints: no healthy upstream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps := routePools(&fakeView{svcs: svcs, eps: tc.eps}, rt)
			if len(ps) != 1 || ps[0].Name != "route web/foo-route rule 0" {
				t.Fatalf("pools %+v", ps)
			}
			if got := rows(ps[0]); !slices.Equal(got, tc.want) {
				t.Errorf("backends\n got %+v\nwant %+v", got, tc.want)
			}
			if w := []int{ps[0].Backends[0].Weight, ps[0].Backends[1].Weight}; !slices.Equal(w, []int{90, 10}) {
				t.Errorf("weights %v", w)
			}
			if ps[0].Note != tc.note {
				t.Errorf("note %q, want %q", ps[0].Note, tc.note)
			}
		})
	}
}

func TestRoutePoolsSkipSingleUnweightedRef(t *testing.T) {
	t.Parallel()
	rt := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "r"}}
	rt.Spec.Rules = []gwv1.HTTPRouteRule{{BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "a"}}}}}}
	if ps := routePools(&fakeView{}, rt); len(ps) != 0 {
		t.Errorf("a single unweighted backendRef is no split, got %+v", ps)
	}
	w := int32(5)
	rt.Spec.Rules[0].BackendRefs[0].Weight = &w
	if ps := routePools(&fakeView{}, rt); len(ps) != 1 || ps[0].Backends[0].Reason != "service web/a not found" {
		t.Errorf("a weighted ref is a pool, got %+v", ps)
	}
}

func TestParseRoutePool(t *testing.T) {
	t.Parallel()
	ns, name, rule, ok := parseRoutePool(routePoolName("web", "foo-route", 3))
	if !ok || ns != "web" || name != "foo-route" || rule != 3 {
		t.Errorf("round trip gave %q %q %d %v", ns, name, rule, ok)
	}
	for _, bad := range []string{"web/foo", "route web/foo", "route webfoo rule 1", "route web/foo rule -1", "route web/foo rule x"} {
		if _, _, _, ok := parseRoutePool(bad); ok {
			t.Errorf("parseRoutePool(%q) accepted", bad)
		}
	}
}

func TestTrafficSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []int
		want []float64
	}{
		{[]int{90, 10}, []float64{90, 10}},
		{[]int{1, 1, 2}, []float64{25, 25, 50}},
		{[]int{0, 0}, []float64{0, 0}},
		{[]int{-5, 5}, []float64{0, 100}},
		{nil, []float64{}},
	}
	for _, tc := range tests {
		if got := TrafficSplit(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("TrafficSplit(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
