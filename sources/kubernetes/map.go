package kubernetes

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/lbtop/lbtop/model"
)

// view is what the mapping functions may read: lookups into the informer
// caches, or into fixtures in tests. Every method is a pure read.
type view interface {
	// slices returns the EndpointSlices labelled with the Service's name.
	slices(ns, service string) []*discoveryv1.EndpointSlice
	// pod returns a Pod by name, or nil when it is not cached.
	pod(ns, name string) *corev1.Pod
	// podsMatching counts the Pods in ns whose labels match sel.
	podsMatching(ns string, sel labels.Selector) int
	// service returns a Service by name, or nil.
	service(ns, name string) *corev1.Service
}

// routePoolPrefix starts the name of every pool made from an HTTPRoute rule.
const routePoolPrefix = "route "

// servicePoolName is the pool name of a Service.
func servicePoolName(ns, name string) string { return ns + "/" + name }

// routePoolName is the pool name of one HTTPRoute rule, by its index in
// spec.rules so that an action can find it again.
func routePoolName(ns, name string, rule int) string {
	return routePoolPrefix + ns + "/" + name + " rule " + strconv.Itoa(rule)
}

// parseRoutePool is the inverse of routePoolName.
func parseRoutePool(pool string) (ns, name string, rule int, ok bool) {
	rest, found := strings.CutPrefix(pool, routePoolPrefix)
	if !found {
		return "", "", 0, false
	}
	ref, idx, found := strings.Cut(rest, " rule ")
	if !found {
		return "", "", 0, false
	}
	ns, name, found = strings.Cut(ref, "/")
	n, err := strconv.Atoi(idx)
	if !found || err != nil || n < 0 {
		return "", "", 0, false
	}
	return ns, name, n, true
}

// servicePool maps one Service and its EndpointSlices to a pool.
func servicePool(v view, svc *corev1.Service) model.Pool {
	p := model.Pool{Name: servicePoolName(svc.Namespace, svc.Name)}
	var notes []string
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		notes = append(notes, "headless")
	}
	if len(svc.Spec.Ports) > 0 {
		ports := make([]string, 0, len(svc.Spec.Ports))
		for _, sp := range svc.Spec.Ports {
			ports = append(ports, portLabel(sp.Name, sp.Port))
		}
		notes = append(notes, "ports "+strings.Join(ports, ","))
	}
	seen := map[string]bool{}
	sl := v.slices(svc.Namespace, svc.Name)
	slices.SortFunc(sl, func(a, b *discoveryv1.EndpointSlice) int { return cmp.Compare(a.Name, b.Name) })
	for _, es := range sl {
		port := ""
		if len(es.Ports) > 0 && es.Ports[0].Port != nil {
			port = strconv.Itoa(int(*es.Ports[0].Port))
		}
		for i := range es.Endpoints {
			ep := &es.Endpoints[i]
			if len(ep.Addresses) == 0 {
				continue
			}
			b := endpointBackend(v, es.Namespace, ep, port)
			if seen[b.Name] { // dual-stack: the same pod in an IPv4 and an IPv6 slice
				b.Name += " " + b.Address
			}
			seen[b.Name] = true
			p.Backends = append(p.Backends, b)
		}
	}
	if len(p.Backends) == 0 {
		notes = append(notes, emptyServiceNote(v, svc, len(sl)))
		p.Facts = selectorFacts(v, svc)
	}
	p.Note = strings.Join(notes, "; ")
	return p
}

// emptyServiceNote explains why a Service has no endpoints.
func emptyServiceNote(v view, svc *corev1.Service, slices int) string {
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		return "ExternalName " + svc.Spec.ExternalName + ": no endpoints"
	case len(svc.Spec.Selector) == 0 && slices == 0:
		return "no selector and no EndpointSlices"
	case len(svc.Spec.Selector) == 0:
		return "no selector; its EndpointSlices list no endpoints"
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	n := v.podsMatching(svc.Namespace, sel)
	switch {
	case n == 0:
		return "selector " + sel.String() + " matches no pods"
	case slices == 0:
		return fmt.Sprintf("selector %s matches %d pods but there are no EndpointSlices", sel, n)
	default:
		return fmt.Sprintf("selector %s matches %d pods but no endpoint is listed", sel, n)
	}
}

func portLabel(name string, port int32) string {
	if name == "" {
		return strconv.Itoa(int(port))
	}
	return name + ":" + strconv.Itoa(int(port))
}

// endpointBackend maps one endpoint. Its name is the pod's, or its address
// when it has no Pod target.
func endpointBackend(v view, ns string, ep *discoveryv1.Endpoint, port string) model.Backend {
	addr := ep.Addresses[0]
	if port != "" {
		addr = net.JoinHostPort(addr, port)
	}
	b := model.Backend{Name: ep.Addresses[0], Address: addr, Weight: -1}
	if ep.Zone != nil {
		b.Zone = *ep.Zone
	}
	var pod *corev1.Pod
	if t := ep.TargetRef; t != nil && t.Kind == "Pod" && t.Name != "" {
		b.Name = t.Name
		tns := cmp.Or(t.Namespace, ns)
		pod = v.pod(tns, t.Name)
	}
	b.Health, b.Reason = endpointHealth(ep.Conditions, pod)
	b.Fault = endpointFault(ep.Conditions)
	if ep.NodeName != nil && *ep.NodeName != "" {
		b.Reason += " (node " + *ep.NodeName + ")"
	}
	return b
}

// endpointHealth is the one table from EndpointSlice conditions to Health:
//
//	ready nil/true                      → Healthy
//	ready false, serving, terminating   → Draining "terminating"
//	ready false, terminating            → Unhealthy "terminating"
//	ready false                         → Unhealthy, reason from the pod
func endpointHealth(c discoveryv1.EndpointConditions, pod *corev1.Pod) (model.Health, string) {
	ready := c.Ready == nil || *c.Ready
	terminating := c.Terminating != nil && *c.Terminating
	serving := ready
	if c.Serving != nil {
		serving = *c.Serving
	}
	switch {
	case ready:
		return model.Healthy, "ready"
	case terminating && serving:
		return model.Draining, "terminating"
	case terminating:
		return model.Unhealthy, "terminating"
	}
	return model.Unhealthy, notReadyReason(pod)
}

// notReadyReason says why a pod is not ready, in Kubernetes' own words:
// deletion, false readiness gates, waiting containers, then the message of
// the ContainersReady or Ready condition (a failing readiness probe).
func notReadyReason(pod *corev1.Pod) string {
	if pod == nil {
		return "not ready"
	}
	if pod.DeletionTimestamp != nil {
		return "terminating"
	}
	var parts []string
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			parts = append(parts, "container "+cs.Name+": "+w.Reason)
		}
	}
	if msg := conditionMessage(pod); msg != "" {
		parts = append(parts, msg)
	}
	for _, g := range pod.Spec.ReadinessGates {
		c := findCondition(pod, g.ConditionType)
		switch {
		case c == nil:
			parts = append(parts, "readiness gate "+string(g.ConditionType)+" not set")
		case c.Status != corev1.ConditionTrue:
			s := "readiness gate " + string(g.ConditionType) + " " + string(c.Status)
			if c.Message != "" {
				s += ": " + c.Message
			} else if c.Reason != "" {
				s += ": " + c.Reason
			}
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "not ready"
	}
	return strings.Join(parts, "; ")
}

// conditionMessage is the message of a false ContainersReady or Ready
// condition, skipping the kubelet's generic readiness-gate message (the
// gate itself is reported with its own message).
func conditionMessage(pod *corev1.Pod) string {
	for _, t := range []corev1.PodConditionType{corev1.ContainersReady, corev1.PodReady} {
		c := findCondition(pod, t)
		if c == nil || c.Status == corev1.ConditionTrue || c.Message == "" || c.Reason == "ReadinessGatesNotReady" {
			continue
		}
		return c.Message
	}
	return ""
}

func findCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// hasGate reports whether the pod declares a readiness gate of type t.
func hasGate(pod *corev1.Pod, t string) bool {
	for _, g := range pod.Spec.ReadinessGates {
		if string(g.ConditionType) == t {
			return true
		}
	}
	return false
}

// splitRule reports whether an HTTPRoute rule is a traffic split worth a
// pool: two or more backendRefs, or any explicit weight.
func splitRule(r *gwv1.HTTPRouteRule) bool {
	if len(r.BackendRefs) >= 2 {
		return true
	}
	for _, b := range r.BackendRefs {
		if b.Weight != nil {
			return true
		}
	}
	return false
}

// refWeight is a backendRef's weight; the API's default is 1.
func refWeight(b *gwv1.HTTPBackendRef) int {
	if b.Weight == nil {
		return 1
	}
	return int(*b.Weight)
}

// refName is the backend name of a backendRef inside its rule: the
// Service name, with its namespace when it differs from the route's.
func refName(routeNS string, b *gwv1.HTTPBackendRef) string {
	name := string(b.Name)
	if b.Namespace != nil && string(*b.Namespace) != routeNS {
		name = string(*b.Namespace) + "/" + name
	}
	return name
}

// refIsService reports whether a backendRef points at a core Service.
func refIsService(b *gwv1.HTTPBackendRef) bool {
	return (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service")
}

// routePools maps an HTTPRoute's split rules to pools whose backends are
// the referenced Services with their weights and ready-endpoint counts.
func routePools(v view, rt *gwv1.HTTPRoute) []model.Pool {
	var out []model.Pool
	for ri := range rt.Spec.Rules {
		rule := &rt.Spec.Rules[ri]
		if !splitRule(rule) {
			continue
		}
		p := model.Pool{Name: routePoolName(rt.Namespace, rt.Name, ri)}
		var notes []string
		if rule.Name != nil {
			notes = append(notes, "rule "+string(*rule.Name))
		}
		weighted, weightedReady := 0, 0
		for bi := range rule.BackendRefs {
			ref := &rule.BackendRefs[bi]
			b := refBackend(v, rt.Namespace, ref)
			if b.Weight > 0 {
				weighted++
				if b.Health == model.Healthy {
					weightedReady++
				}
			}
			p.Backends = append(p.Backends, b)
		}
		if weighted > 0 && weightedReady == 0 {
			notes = append(notes, "all weighted backends have 0 ready endpoints: no healthy upstream")
		} else if weighted == 0 {
			notes = append(notes, "every backendRef has weight 0: no traffic")
		}
		p.Note = strings.Join(notes, "; ")
		out = append(out, p)
	}
	return out
}

// refBackend maps one backendRef to a backend: Healthy when its Service
// has at least one ready endpoint.
func refBackend(v view, routeNS string, ref *gwv1.HTTPBackendRef) model.Backend {
	ns := routeNS
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	b := model.Backend{Name: refName(routeNS, ref), Weight: refWeight(ref)}
	b.Address = string(ref.Name) + "." + ns
	if ref.Port != nil {
		b.Address = net.JoinHostPort(b.Address, strconv.Itoa(int(*ref.Port)))
	}
	if !refIsService(ref) {
		kind := "Service"
		if ref.Kind != nil {
			kind = string(*ref.Kind)
		}
		b.Health, b.Reason = model.Unknown, "backendRef kind "+kind+" is not a Service: lbtop cannot count its endpoints"
		return b
	}
	if v.service(ns, string(ref.Name)) == nil {
		b.Health, b.Reason = model.Unhealthy, "service "+ns+"/"+string(ref.Name)+" not found"
		return b
	}
	ready, total := 0, 0
	for _, es := range v.slices(ns, string(ref.Name)) {
		for _, ep := range es.Endpoints {
			total++
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				ready++
			}
		}
	}
	if ready == 0 {
		b.Health, b.Reason = model.Unhealthy, fmt.Sprintf("0 ready endpoints (of %d)", total)
	} else {
		b.Health, b.Reason = model.Healthy, fmt.Sprintf("%d/%d ready endpoints", ready, total)
	}
	if b.Weight == 0 {
		b.Reason += "; weight 0: no traffic"
	}
	return b
}

// TrafficSplit returns each weight's share of traffic in percent, the way
// the Gateway API computes it (weight / sum of weights). Negative weights
// count as 0; when every weight is 0 every share is 0.
func TrafficSplit(weights []int) []float64 {
	sum := 0
	for _, w := range weights {
		sum += max(w, 0)
	}
	out := make([]float64, len(weights))
	if sum == 0 {
		return out
	}
	for i, w := range weights {
		out[i] = float64(max(w, 0)) * 100 / float64(sum)
	}
	return out
}
