package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lbtop/lbtop/model"
)

// endpointFault names why an endpoint does not serve, from the same
// conditions as endpointHealth: terminating, or not ready.
func endpointFault(c discoveryv1.EndpointConditions) model.Fault {
	switch {
	case c.Ready == nil || *c.Ready:
		return model.FaultNone
	case c.Terminating != nil && *c.Terminating:
		return model.FaultTerminating
	}
	return model.FaultNotReady
}

// selectorFacts gives the diagnosis a Service's selector and how many pods
// it matches, for a Service without endpoints; nil when it has no
// selector.
func selectorFacts(v view, svc *corev1.Service) *model.PoolFacts {
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	f := model.NewPoolFacts()
	f.Selector = sel.String()
	f.SelectorPods = v.podsMatching(svc.Namespace, sel)
	return &f
}
