package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// cacheView reads the informer caches of every watched namespace.
type cacheView struct{ s *Source }

var _ view = cacheView{}

// covering returns the caches that hold objects of namespace ns.
func (v cacheView) covering(ns string) []*nsCache {
	var out []*nsCache
	for _, c := range v.s.nss {
		if c.ns == metav1.NamespaceAll || c.ns == ns {
			out = append(out, c)
		}
	}
	return out
}

func (v cacheView) slices(ns, service string) []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for _, c := range v.covering(ns) {
		objs, err := c.slices.GetIndexer().ByIndex(serviceIndex, ns+"/"+service)
		if err != nil {
			continue // the index is registered before start; cannot happen
		}
		for _, o := range objs {
			if es, ok := o.(*discoveryv1.EndpointSlice); ok {
				out = append(out, es)
			}
		}
	}
	return out
}

func (v cacheView) pod(ns, name string) *corev1.Pod {
	return byKey[corev1.Pod](v, ns, name, func(c *nsCache) cache.SharedIndexInformer { return c.pods })
}

// byKey finds ns/name in the informer inf picks from each cache covering
// ns; nil when no cache holds it as a *T.
func byKey[T any](v cacheView, ns, name string, inf func(*nsCache) cache.SharedIndexInformer) *T {
	for _, c := range v.covering(ns) {
		if o, ok, _ := inf(c).GetIndexer().GetByKey(ns + "/" + name); ok {
			if t, isT := o.(*T); isT {
				return t
			}
		}
	}
	return nil
}

func (v cacheView) podsMatching(ns string, sel labels.Selector) int {
	n := 0
	for _, c := range v.covering(ns) {
		objs, err := c.pods.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
		if err != nil {
			continue
		}
		for _, o := range objs {
			if p, ok := o.(*corev1.Pod); ok && sel.Matches(labels.Set(p.Labels)) {
				n++
			}
		}
	}
	return n
}

func (v cacheView) service(ns, name string) *corev1.Service {
	return byKey[corev1.Service](v, ns, name, func(c *nsCache) cache.SharedIndexInformer { return c.svc })
}

// strip is the informers' transform: it drops what lbtop never reads
// before objects enter the caches. Pods shrink to their labels, readiness
// gates, conditions and container states; every object loses its managed
// fields and annotations (kubectl's last-applied copy can be large).
func strip(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return stripPod(o), nil
	case *corev1.Service:
		stripMeta(&o.ObjectMeta)
	case *discoveryv1.EndpointSlice:
		stripMeta(&o.ObjectMeta)
	case *gwv1.HTTPRoute:
		stripMeta(&o.ObjectMeta)
		o.Status = gwv1.HTTPRouteStatus{}
	}
	return obj, nil
}

func stripMeta(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	m.Annotations = nil
}

// stripPod keeps the fields notReadyReason and the drain action read.
func stripPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              p.Name,
			Namespace:         p.Namespace,
			UID:               p.UID,
			ResourceVersion:   p.ResourceVersion,
			Labels:            p.Labels,
			DeletionTimestamp: p.DeletionTimestamp,
		},
		Spec: corev1.PodSpec{
			NodeName:       p.Spec.NodeName,
			ReadinessGates: p.Spec.ReadinessGates,
		},
		Status: corev1.PodStatus{
			Phase:      p.Status.Phase,
			PodIP:      p.Status.PodIP,
			Conditions: p.Status.Conditions,
		},
	}
	for _, cs := range p.Status.ContainerStatuses {
		out.Status.ContainerStatuses = append(out.Status.ContainerStatuses, corev1.ContainerStatus{
			Name:  cs.Name,
			Ready: cs.Ready,
			State: corev1.ContainerState{Waiting: cs.State.Waiting},
		})
	}
	return out
}
