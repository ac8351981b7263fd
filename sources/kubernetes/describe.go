package kubernetes

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbtop/lbtop/model"
)

// Describe says exactly what an action sends, without sending it, for
// --dry-run and the confirmation: the JSON patch of an HTTPRoute
// backendRef's weight (guarded by resourceVersion and the ref's name,
// both read when it is sent), or the status patch of the readiness-gate
// condition of the Pod behind a Service endpoint, found in the caches. It
// refuses what SetWeight and SetState refuse.
func (s *Source) Describe(a model.Action) (string, error) {
	ref := a.Ref
	switch a.Kind {
	case model.ActionWeight:
		ns, name, rule, ok := parseRoutePool(ref.Pool)
		if !ok {
			return "", fmt.Errorf("kubernetes %s: pool %q is a Service: weights belong to HTTPRoute backendRefs (pools named %q); drain a Service endpoint instead",
				s.name, ref.Pool, "route <namespace>/<name> rule <N>")
		}
		if a.Weight < minWeight || a.Weight > maxWeight {
			return "", fmt.Errorf("kubernetes %s: weight %d out of range %d–%d", s.name, a.Weight, minWeight, maxWeight)
		}
		if s.gw == nil {
			return "", fmt.Errorf("kubernetes %s: the Gateway API (HTTPRoute) is not installed in this cluster", s.name)
		}
		return fmt.Sprintf("Kubernetes API: PATCH (json-patch, field manager lbtop) HTTPRoute %s/%s: test /metadata/resourceVersion; test /spec/rules/%d/backendRefs/{index of %s}/name; add …/weight = %s",
			ns, name, rule, ref.Backend, strconv.Itoa(a.Weight)), nil
	case model.ActionDrain, model.ActionReady:
		if _, _, _, isRoute := parseRoutePool(ref.Pool); isRoute {
			return "", fmt.Errorf("kubernetes %s: %s is an HTTPRoute backend: set its weight to 0 to drain it, or drain the Service's endpoints", s.name, ref)
		}
		ns, pod, err := s.endpointPod(ref)
		if err != nil {
			return "", err
		}
		status, reason := corev1.ConditionFalse, drainReason
		if a.Kind == model.ActionReady {
			status, reason = corev1.ConditionTrue, readyReason
		}
		return fmt.Sprintf("Kubernetes API: PATCH (strategic merge, field manager lbtop) pod %s/%s status: condition %s=%s reason %s",
			ns, pod, s.gate, status, reason), nil
	}
	if why := s.Unsupported(a.Kind); why != "" {
		return "", fmt.Errorf("kubernetes %s: %s %s: %s", s.name, a.Kind, ref, why)
	}
	return "", fmt.Errorf("kubernetes %s: cannot %s %s", s.name, a.Kind, ref)
}
