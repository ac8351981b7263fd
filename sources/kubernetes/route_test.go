package kubernetes

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/lbtop/lbtop/model"
)

func backendRef(name string, weight int32) gwv1.HTTPBackendRef {
	return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{
		BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name), Port: ptr.To[gwv1.PortNumber](80)},
		Weight:                 ptr.To(weight),
	}}
}

func TestHTTPRouteWeights(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.service("foo-v1", nil)
	f.service("foo-v2", nil)
	f.slice(sliceOf("foo-v1", endpoint{"", true, true, false}, endpoint{"", true, true, false}))
	f.slice(sliceOf("foo-v2", endpoint{"", false, false, false}))
	gw := f.route("foo-route", backendRef("foo-v1", 90), backendRef("foo-v2", 10))
	ctx := testCtx(t)
	src := newSource(t, f.c.Kubeconfig, f.ns)
	pool := "route " + f.ns + "/foo-route rule 0"
	snap, _ := waitSnapshot(t, src, "the route pool", func(s model.Snapshot) bool {
		_, ok := findPool(s, pool)
		return ok
	})
	p, _ := findPool(snap, pool)
	v1, _ := findBackend(p, "foo-v1")
	v2, _ := findBackend(p, "foo-v2")
	if v1.Weight != 90 || v1.Health != model.Healthy || v2.Weight != 10 || v2.Health != model.Unhealthy || v2.Reason != "0 ready endpoints (of 1)" {
		t.Errorf("route backends: %+v", p.Backends)
	}

	if err := src.SetWeight(ctx, model.BackendRef{Source: "test", Pool: pool, Backend: "foo-v2"}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := gw.GatewayV1().HTTPRoutes(f.ns).Get(ctx, "foo-route", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	refs := got.Spec.Rules[0].BackendRefs
	if *refs[0].Weight != 90 || *refs[1].Weight != 0 {
		t.Errorf("weights read back: %d %d, want 90 0", *refs[0].Weight, *refs[1].Weight)
	}
	waitSnapshot(t, src, "weight 0 seen by the informer", func(s model.Snapshot) bool {
		p, _ := findPool(s, pool)
		b, _ := findBackend(p, "foo-v2")
		return b.Weight == 0
	})

	if err := src.SetWeight(ctx, model.BackendRef{Pool: pool, Backend: "foo-v1"}, 0); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, src, "the no-traffic note", func(s model.Snapshot) bool {
		p, _ := findPool(s, pool)
		return strings.Contains(p.Note, "every backendRef has weight 0")
	})

	errTests := []struct {
		name string
		ref  model.BackendRef
		want string
	}{
		{"service pool", model.BackendRef{Pool: f.ns + "/foo-v1", Backend: "10.9.0.1"}, "is a Service: weights belong to HTTPRoute backendRefs"},
		{"unknown ref", model.BackendRef{Pool: pool, Backend: "foo-v3"}, `backendRef "foo-v3" not found`},
		{"no such rule", model.BackendRef{Pool: "route " + f.ns + "/foo-route rule 4", Backend: "foo-v1"}, "has 1 rules, no rule 4"},
		{"no such route", model.BackendRef{Pool: "route " + f.ns + "/nope rule 0", Backend: "foo-v1"}, "not found"},
	}
	for _, tc := range errTests {
		err := src.SetWeight(ctx, tc.ref, 5)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
