package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// Compile-time checks of the capabilities the UI detects.
var (
	_ sources.Source      = (*Source)(nil)
	_ sources.Weighter    = (*Source)(nil)
	_ sources.StateSetter = (*Source)(nil)
	_ sources.Explainer   = (*Source)(nil)
)

// The Gateway API's bounds for backendRefs[].weight.
const (
	minWeight = 0
	maxWeight = 1000000
)

// Drain condition reasons and messages written to the Pod's gate condition.
const (
	drainReason  = "LbtopDrain"
	drainMessage = "drained by lbtop"
	readyReason  = "LbtopReady"
	readyMessage = "restored by lbtop"
)

// weightRetries bounds how often SetWeight re-reads a route that changed
// between its read and its patch.
const weightRetries = 3

// WeightRange is the Gateway API's range for a backendRef weight.
func (s *Source) WeightRange() (lo, hi int) { return minWeight, maxWeight }

// Unsupported explains the actions Kubernetes cannot perform.
func (s *Source) Unsupported(action model.ActionKind) string {
	switch action {
	case model.ActionMaint:
		return "Kubernetes has no maintenance state for an endpoint: drain it (readiness gate " + s.gate + ") or set its HTTPRoute weight to 0"
	case model.ActionProxyFail, model.ActionProxyOK:
		return "Kubernetes has no proxy-level health switch: act on a Service endpoint (drain) or an HTTPRoute backend (weight)"
	}
	return ""
}

// SetWeight sets the weight of one backendRef of an HTTPRoute rule (pool
// "route ns/name rule N", backend the Service name) with a JSON patch that
// tests the resourceVersion and the ref's name first, so a concurrent edit
// is never overwritten; it re-reads and retries a few times on conflict.
func (s *Source) SetWeight(ctx context.Context, ref model.BackendRef, weight int) error {
	ns, name, rule, err := s.checkWeight(ref, weight)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("HTTPRoute %s/%s rule %d backendRef %q", ns, name, rule, ref.Backend)
	for range weightRetries {
		rt, err := s.gw.GatewayV1().HTTPRoutes(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("kubernetes %s: reading HTTPRoute %s/%s: %w", s.name, ns, name, err)
		}
		idx, err := s.refIndex(rt, rule, ref.Backend)
		if err != nil {
			return err
		}
		patch, err := s.weightPatch(ns, name, rt.ResourceVersion, rule, strconv.Itoa(idx), string(rt.Spec.Rules[rule].BackendRefs[idx].Name), weight)
		if err != nil {
			return fmt.Errorf("kubernetes %s: encoding the patch of %s: %w", s.name, what, err)
		}
		err = patch.send(ctx)
		if err == nil {
			return nil
		}
		if !patchConflict(err) {
			return fmt.Errorf("kubernetes %s: setting weight %d on %s: %w", s.name, weight, what, err)
		}
	}
	return fmt.Errorf("kubernetes %s: %s changed %d times while lbtop set its weight; try again", s.name, what, weightRetries)
}

// jsonPatchOp is one RFC 6902 operation.
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// patchConflict reports a failed "test" operation (the object changed
// since it was read) or an ordinary conflict.
func patchConflict(err error) bool {
	if apierrors.IsConflict(err) {
		return true
	}
	var st apierrors.APIStatus
	return errors.As(err, &st) && st.Status().Code == http.StatusUnprocessableEntity && strings.Contains(st.Status().Message, "test")
}

// SetState drains (ActionDrain) or restores (ActionReady) one Service
// endpoint by setting its Pod's readiness-gate condition False or True
// through the status subresource. The Pod must declare the gate in its
// spec; lbtop never deletes or relabels Pods.
func (s *Source) SetState(ctx context.Context, ref model.BackendRef, action model.ActionKind) error {
	status, _, _, ok := gateValues(action)
	if !ok {
		return s.cannot(action, ref)
	}
	ns, pod, err := s.stateTarget(ref)
	if err != nil {
		return err
	}
	p, err := s.client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("kubernetes %s: reading pod %s/%s: %w", s.name, ns, pod, err)
	}
	if !hasGate(p, s.gate) {
		return s.noGate(ns, pod)
	}
	patch, err := s.gatePatch(ns, pod, action, transitionTime(time.Now()))
	if err != nil {
		return fmt.Errorf("kubernetes %s: encoding the status patch of pod %s/%s: %w", s.name, ns, pod, err)
	}
	if err := patch.send(ctx); err != nil {
		return fmt.Errorf("kubernetes %s: setting condition %s=%s on pod %s/%s: %w", s.name, s.gate, status, ns, pod, err)
	}
	return nil
}

// endpointPod finds the Pod behind a Service pool's backend in the caches.
func (s *Source) endpointPod(ref model.BackendRef) (ns, pod string, err error) {
	ns, svc, ok := strings.Cut(ref.Pool, "/")
	if !ok {
		return "", "", fmt.Errorf("kubernetes %s: pool %q is not a Service (want namespace/name)", s.name, ref.Pool)
	}
	for _, es := range (cacheView{s: s}).slices(ns, svc) {
		for _, ep := range es.Endpoints {
			t := ep.TargetRef
			if len(ep.Addresses) == 0 {
				continue
			}
			match := ref.Backend == ep.Addresses[0] ||
				t != nil && (ref.Backend == t.Name || strings.HasPrefix(ref.Backend, t.Name+" "))
			if !match {
				continue
			}
			if t == nil || t.Kind != "Pod" {
				return "", "", fmt.Errorf("kubernetes %s: endpoint %s of service %s/%s is not backed by a pod: nothing to drain", s.name, ref.Backend, ns, svc)
			}
			if t.Namespace != "" {
				ns = t.Namespace
			}
			return ns, t.Name, nil
		}
	}
	return "", "", fmt.Errorf("kubernetes %s: service %s/%s has no endpoint %q", s.name, ns, svc, ref.Backend)
}
