package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8sscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwscheme "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/scheme"

	"github.com/lbtop/lbtop/model"
)

// fieldManager names lbtop as the writer of what it patches.
const fieldManager = "lbtop"

// Placeholders in a described request for what is read only when it is
// sent: Describe works from the caches and reads nothing.
const (
	sentResourceVersion = "{resourceVersion read when sent}"
	sentTime            = "{time when sent}"
)

// sentIndex is the placeholder of a backendRef's index in its rule, found
// when the route is read just before the patch.
func sentIndex(backend string) string { return "{index of " + backend + "}" }

// patchRequest is one PATCH lbtop sends to the API server. SetWeight and
// SetState send it; Describe prints it, with placeholders for what is read
// when it is sent. The URL is built as the typed clients build it.
type patchRequest struct {
	req  *rest.Request
	kind types.PatchType
	body []byte
}

// String is the request as --dry-run and the confirmation show it.
func (p patchRequest) String() string {
	return "Kubernetes API: PATCH " + p.req.URL().String() + " (" + string(p.kind) + ") " + string(p.body)
}

// send performs the request.
func (p patchRequest) send(ctx context.Context) error {
	return p.req.Body(p.body).Do(ctx).Error()
}

// weightPatch is SetWeight's request: a JSON patch of HTTPRoute ns/name
// that tests the resourceVersion rv and the name of backendRef idx of
// rule, then sets its weight, so a concurrent edit is never overwritten.
func (s *Source) weightPatch(ns, name, rv string, rule int, idx, refName string, weight int) (patchRequest, error) {
	base := "/spec/rules/" + strconv.Itoa(rule) + "/backendRefs/" + idx
	body, err := json.Marshal([]jsonPatchOp{
		{Op: "test", Path: "/metadata/resourceVersion", Value: rv},
		{Op: "test", Path: base + "/name", Value: refName},
		{Op: "add", Path: base + "/weight", Value: weight},
	})
	req := s.gw.GatewayV1().RESTClient().Patch(types.JSONPatchType).
		Namespace(ns).Resource("httproutes").Name(name).
		VersionedParams(&metav1.PatchOptions{FieldManager: fieldManager}, gwscheme.ParameterCodec)
	return patchRequest{req: req, kind: types.JSONPatchType, body: body}, err
}

// gateCondition is the readiness-gate condition SetState writes.
type gateCondition struct {
	Type               string                 `json:"type"`
	Status             corev1.ConditionStatus `json:"status"`
	Reason             string                 `json:"reason"`
	Message            string                 `json:"message"`
	LastTransitionTime string                 `json:"lastTransitionTime"`
}

// gateValues is the condition a drain or ready writes; ok is false for
// any other action.
func gateValues(action model.ActionKind) (status corev1.ConditionStatus, reason, message string, ok bool) {
	switch action {
	case model.ActionDrain:
		return corev1.ConditionFalse, drainReason, drainMessage, true
	case model.ActionReady:
		return corev1.ConditionTrue, readyReason, readyMessage, true
	}
	return "", "", "", false
}

// gatePatch is SetState's request: a strategic-merge patch of pod ns/pod's
// status that sets the readiness-gate condition (merged by type, so the
// Pod's other conditions stay), stamped at.
func (s *Source) gatePatch(ns, pod string, action model.ActionKind, at string) (patchRequest, error) {
	status, reason, message, _ := gateValues(action)
	body, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": []gateCondition{{
		Type: s.gate, Status: status, Reason: reason, Message: message, LastTransitionTime: at,
	}}}})
	req := s.client.CoreV1().RESTClient().Patch(types.StrategicMergePatchType).
		Namespace(ns).Resource("pods").Name(pod).SubResource("status").
		VersionedParams(&metav1.PatchOptions{FieldManager: fieldManager}, k8sscheme.ParameterCodec)
	return patchRequest{req: req, kind: types.StrategicMergePatchType, body: body}, err
}

// transitionTime is a condition's lastTransitionTime as the API stores it.
func transitionTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Describe says exactly what an action sends, without sending it, for
// --dry-run and the confirmation: the PATCH that SetWeight or SetState
// sends, built by the same code, with placeholders for the route's
// resourceVersion and the backendRef's index (read just before the
// patch) and the condition's time. The Pod behind a Service endpoint is
// found in the caches. It refuses what SetWeight and SetState refuse.
func (s *Source) Describe(a model.Action) (string, error) {
	ref := a.Ref
	switch a.Kind {
	case model.ActionWeight:
		ns, name, rule, err := s.checkWeight(ref, a.Weight)
		if err != nil {
			return "", err
		}
		if rt := s.cachedRoute(ns, name); rt != nil {
			if _, err := s.refIndex(rt, rule, ref.Backend); err != nil {
				return "", err
			}
		}
		refName := ref.Backend
		if i := strings.LastIndexByte(refName, '/'); i >= 0 { // "namespace/service" across namespaces
			refName = refName[i+1:]
		}
		p, err := s.weightPatch(ns, name, sentResourceVersion, rule, sentIndex(ref.Backend), refName, a.Weight)
		if err != nil {
			return "", err
		}
		return p.String(), nil
	case model.ActionDrain, model.ActionReady:
		ns, pod, err := s.stateTarget(ref)
		if err != nil {
			return "", err
		}
		if p := (cacheView{s: s}).pod(ns, pod); p != nil && !hasGate(p, s.gate) {
			return "", s.noGate(ns, pod)
		}
		p, err := s.gatePatch(ns, pod, a.Kind, sentTime)
		if err != nil {
			return "", err
		}
		return p.String(), nil
	}
	return "", s.cannot(a.Kind, ref)
}

// checkWeight refuses what SetWeight refuses before reading anything and
// returns the route's namespace, name and rule.
func (s *Source) checkWeight(ref model.BackendRef, weight int) (ns, name string, rule int, err error) {
	ns, name, rule, ok := parseRoutePool(ref.Pool)
	switch {
	case !ok:
		return "", "", 0, fmt.Errorf("kubernetes %s: pool %q is a Service: weights belong to HTTPRoute backendRefs (pools named %q); drain a Service endpoint instead",
			s.name, ref.Pool, "route <namespace>/<name> rule <N>")
	case weight < minWeight || weight > maxWeight:
		return "", "", 0, fmt.Errorf("kubernetes %s: weight %d out of range %d–%d", s.name, weight, minWeight, maxWeight)
	case s.gw == nil:
		return "", "", 0, fmt.Errorf("kubernetes %s: the Gateway API (HTTPRoute) is not installed in this cluster", s.name)
	}
	return ns, name, rule, nil
}

// stateTarget refuses what SetState refuses before reading anything and
// returns the Pod behind the Service endpoint, from the caches.
func (s *Source) stateTarget(ref model.BackendRef) (ns, pod string, err error) {
	if _, _, _, isRoute := parseRoutePool(ref.Pool); isRoute {
		return "", "", fmt.Errorf("kubernetes %s: %s is an HTTPRoute backend: set its weight to 0 to drain it, or drain the Service's endpoints", s.name, ref)
	}
	return s.endpointPod(ref)
}

// cannot is the refusal of an action Kubernetes has no request for.
func (s *Source) cannot(action model.ActionKind, ref model.BackendRef) error {
	if why := s.Unsupported(action); why != "" {
		return fmt.Errorf("kubernetes %s: %s %s: %s", s.name, action, ref, why)
	}
	return fmt.Errorf("kubernetes %s: cannot %s %s", s.name, action, ref)
}

// noGate refuses a drain or ready of a Pod that does not declare the gate.
func (s *Source) noGate(ns, pod string) error {
	return fmt.Errorf("kubernetes %s: pod %s/%s has no readiness gate %s: drain needs the gate (see README 'Kubernetes: readiness-gate drain')", s.name, ns, pod, s.gate)
}

// cachedRoute is HTTPRoute ns/name from the caches, or nil.
func (s *Source) cachedRoute(ns, name string) *gwv1.HTTPRoute {
	for _, c := range (cacheView{s: s}).covering(ns) {
		if c.routes == nil { // no Gateway API
			return nil
		}
	}
	return byKey[gwv1.HTTPRoute](cacheView{s: s}, ns, name, func(c *nsCache) cache.SharedIndexInformer { return c.routes })
}

// refIndex finds backend (as lbtop names it: refName) in rule of rt, the
// route just read (SetWeight) or cached (Describe).
func (s *Source) refIndex(rt *gwv1.HTTPRoute, rule int, backend string) (int, error) {
	what := fmt.Sprintf("HTTPRoute %s/%s rule %d backendRef %q", rt.Namespace, rt.Name, rule, backend)
	if rule >= len(rt.Spec.Rules) {
		return 0, fmt.Errorf("kubernetes %s: HTTPRoute %s/%s has %d rules, no rule %d", s.name, rt.Namespace, rt.Name, len(rt.Spec.Rules), rule)
	}
	idx := -1
	refs := rt.Spec.Rules[rule].BackendRefs
	for i := range refs {
		if refName(rt.Namespace, &refs[i]) != backend {
			continue
		}
		if idx >= 0 {
			return 0, fmt.Errorf("kubernetes %s: %s is ambiguous: the rule references it twice", s.name, what)
		}
		idx = i
	}
	if idx < 0 {
		return 0, fmt.Errorf("kubernetes %s: %s not found", s.name, what)
	}
	return idx, nil
}
