package main

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/lbtop/lbtop/sources/kubernetes"
	"github.com/lbtop/lbtop/sources/kubernetes/kubetest"
)

// kubeService creates, in ns of a real API server, a Service whose
// EndpointSlice lists one ready endpoint per pod, each pod declaring
// lbtop's readiness gate with the condition True.
func kubeService(t *testing.T, c *kubetest.Cluster, ns, name string, pods ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gate := corev1.PodConditionType(kubernetes.DefaultGateCondition)
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
	}
	for i, pod := range pods {
		p, err := c.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: pod},
			Spec: corev1.PodSpec{
				Containers:     []corev1.Container{{Name: "app", Image: "example.invalid/app"}},
				ReadinessGates: []corev1.PodReadinessGate{{ConditionType: gate}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: gate, Status: corev1.ConditionTrue}}
		if _, err := c.Client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{"10.9.0." + string(rune('1'+i))},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod},
		})
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	if _, err := c.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.DiscoveryV1().EndpointSlices(ns).Create(ctx, es, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestDryRunKubernetes: lbtop's CLI against a real API server. A dry
// run of a drain of a Service's last ready endpoint exits 1, saying it
// would be refused without --force and why; a dry run of an ordinary
// drain exits 0 and prints the Pod status patch; ready on a ready
// endpoint is refused as a no-op, maint and a weight on a Service as
// beyond Kubernetes; the dashboard over the same sources says the same before any
// confirmation; nothing changes on the server.
func TestDryRunKubernetes(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	kubeService(t, c, ns, "one", "solo")
	kubeService(t, c, ns, "two", "a", "b")
	kube := []string{"--kube", "--kubeconfig", c.Kubeconfig, "--namespace", ns}
	serviceWeight := `pool "` + ns + `/two" is a Service: weights belong to HTTPRoute backendRefs`
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"drain", ns + "/one/solo", "--dry-run"}, exitError,
			[]string{"dry run: would be refused without --force: solo is the last healthy backend of pool " + ns + "/one"}},
		{[]string{"drain", ns + "/two/a", "--dry-run"}, exitOK,
			[]string{"request  Kubernetes API: PATCH https://", "/api/v1/namespaces/" + ns + "/pods/a/status?fieldManager=lbtop (application/strategic-merge-patch+json)", `"status":"False","reason":"LbtopDrain"`, "dry run: nothing was sent"}},
		{[]string{"ready", ns + "/two/b", "--dry-run"}, exitError,
			[]string{"dry run: would be refused: b on k8s is already ready: nothing to change"}},
		{[]string{"maint", ns + "/two/b", "--dry-run"}, exitError,
			[]string{"Kubernetes has no maintenance state for an endpoint"}},
		{[]string{"weight", "5", ns + "/two/b", "--dry-run"}, exitError,
			[]string{"dry run: would be refused: weight refused: ", serviceWeight}},
	} {
		code, out, errs := actRun(t, "", append(tc.args, kube...)...)
		for _, w := range tc.want {
			if code != tc.code || !strings.Contains(out+errs, w) {
				t.Errorf("%v: exit %d, want %d saying %q\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, w, out, errs)
			}
		}
	}
	// The dashboard over the same sources refuses the same actions with
	// the same words before any confirmation (both call actions.Plan),
	// and asks for the pool name where the CLI wants --force.
	hub, fleet := cliFleet(t, &options{kube: true, kubeconfig: c.Kubeconfig, namespaces: []string{ns}})
	for _, tc := range []struct {
		pool, backend string // the filters that put the cursor on it (ns/two holds a b)
		keys          []string
		want          string
		asks          bool // a confirmation opens (a risky one)
	}{
		{ns + "/one", "10.9.0.1:8080", []string{"d"}, "RISK     the last healthy backend: nothing serves " + ns + "/one after this", true},
		{ns + "/two", "10.9.0.2:8080", []string{"r"}, "b on k8s is already ready: nothing to change", false},
		{ns + "/two", "10.9.0.2:8080", []string{"m"}, "Kubernetes has no maintenance state for an endpoint", false},
		{ns + "/two", "10.9.0.2:8080", []string{"w", "5", "enter"}, serviceWeight, false},
	} {
		v := dialogSays(t, hub, fleet, tc.pool, tc.backend, tc.keys...)
		if !strings.Contains(v, tc.want) || strings.Contains(v, "Confirm ") != tc.asks {
			t.Errorf("dialog %s/%s %v: want %q, confirmation %v\n%s", tc.pool, tc.backend, tc.keys, tc.want, tc.asks, v)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, pod := range []string{"solo", "a"} {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cond := range p.Status.Conditions {
			if string(cond.Type) == kubernetes.DefaultGateCondition && cond.Status != corev1.ConditionTrue {
				t.Errorf("a dry run changed pod %s: %+v", pod, cond)
			}
		}
	}
}
