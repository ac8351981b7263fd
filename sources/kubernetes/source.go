// Package kubernetes reads Service endpoints and Gateway API HTTPRoute
// traffic splits from a Kubernetes API server through informers (watches,
// not polls), and acts on them: HTTPRoute backendRef weights, and drain
// through a Pod readiness-gate condition.
//
// Each Service is a pool whose backends are the endpoints of all its
// EndpointSlices; each HTTPRoute rule that splits traffic is a pool whose
// backends are the referenced Services. Poll reads the informer caches and
// makes no API call.
package kubernetes

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/lbtop/lbtop/model"
)

// DefaultGateCondition is the Pod readiness-gate condition type lbtop sets
// to drain and restore an endpoint.
const DefaultGateCondition = "lbtop.dev/serving"

// Options configures a Kubernetes source.
type Options struct {
	// Name is the source's unique name; the kubeconfig context name when empty.
	Name string
	// Kubeconfig is a kubeconfig file. Empty means the standard loading
	// rules: $KUBECONFIG, then ~/.kube/config, then the in-cluster config.
	Kubeconfig string
	// Context selects a kubeconfig context; empty means the current one.
	Context string
	// Namespaces limits the watch; empty means all namespaces.
	Namespaces []string
	// GateCondition is the readiness-gate condition type used for drain
	// (DefaultGateCondition when empty).
	GateCondition string
}

// Source watches one cluster. It is safe for concurrent use.
type Source struct {
	name   string
	gate   string
	client k8s.Interface
	gw     gwclient.Interface // nil when the Gateway API is not installed
	nss    []*nsCache
	stop   context.CancelFunc
	done   sync.WaitGroup
	once   sync.Once

	infs []tracked // every informer, for error and sync tracking

	mu     sync.Mutex
	errs   map[string]watchErr // by tracked.key
	server serverState         // the last probe of the API server (liveness.go)
}

// watchErr is the last error of one informer, kept until it syncs anew.
type watchErr struct {
	msg string
	rv  string // the informer's resource version when the error happened
}

// nsCache is the informers of one watched namespace (or of all of them).
type nsCache struct {
	ns     string // metav1.NamespaceAll for all
	svc    cache.SharedIndexInformer
	slices cache.SharedIndexInformer
	pods   cache.SharedIndexInformer
	routes cache.SharedIndexInformer // nil without the Gateway API
}

// serviceIndex indexes EndpointSlices by "namespace/service-name".
const serviceIndex = "lbtop-service"

// gatewayGroupVersion is discovered to decide whether to watch HTTPRoutes.
const gatewayGroupVersion = "gateway.networking.k8s.io/v1"

// New connects to the cluster, starts the informers and waits, bounded by
// ctx, until each has either synced or reported an error (a missing RBAC
// permission is reported by Poll; the rest keeps working). The informers
// run until Close.
func New(ctx context.Context, opts Options) (*Source, error) {
	cfg, ctxName, err := restConfig(opts)
	if err != nil {
		return nil, err
	}
	name := cmp.Or(opts.Name, ctxName, "kubernetes")
	client, err := k8s.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes %s: %w", name, err)
	}
	s := &Source{name: name, gate: cmp.Or(opts.GateCondition, DefaultGateCondition), client: client, errs: map[string]watchErr{}}
	hasRoutes, err := s.discoverRoutes(ctx)
	if err != nil {
		return nil, err
	}
	if hasRoutes {
		if s.gw, err = gwclient.NewForConfig(cfg); err != nil {
			return nil, fmt.Errorf("kubernetes %s: gateway API client: %w", name, err)
		}
	}
	nss := slices.Clone(opts.Namespaces)
	if len(nss) == 0 {
		nss = []string{metav1.NamespaceAll}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	for _, ns := range nss {
		if err := s.startNamespace(runCtx, ns); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.waitSettled(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.watchServer(runCtx)
	return s, nil
}

// restConfig loads the kubeconfig (or the in-cluster config) and returns
// the context name it used.
func restConfig(opts Options) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.Kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		where := cmp.Or(opts.Kubeconfig, "default kubeconfig")
		return nil, "", fmt.Errorf("kubernetes: loading %s (context %q): %w", where, opts.Context, err)
	}
	ctxName := opts.Context
	if ctxName == "" {
		if raw, err := cc.RawConfig(); err == nil {
			ctxName = raw.CurrentContext
		}
	}
	cfg.UserAgent = "lbtop"
	// API deprecation warnings would go to stderr, under the UI.
	cfg.WarningHandler = rest.NoWarnings{}
	// Informers list once then watch; keep actions snappy on a busy server.
	cfg.QPS, cfg.Burst = cmp.Or(cfg.QPS, 20), cmp.Or(cfg.Burst, 40)
	return cfg, ctxName, nil
}

// discoverRoutes asks the discovery endpoint whether HTTPRoutes are served.
func (s *Source) discoverRoutes(ctx context.Context) (bool, error) {
	var list metav1.APIResourceList
	err := s.client.Discovery().RESTClient().Get().AbsPath("/apis/" + gatewayGroupVersion).Do(ctx).Into(&list)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("kubernetes %s: discovering %s: %w", s.name, gatewayGroupVersion, err)
	}
	for _, r := range list.APIResources {
		if r.Name == "httproutes" {
			return true, nil
		}
	}
	return false, nil
}

// startNamespace creates and starts the informers of one namespace.
func (s *Source) startNamespace(ctx context.Context, ns string) error {
	f := informers.NewSharedInformerFactoryWithOptions(s.client, 0, informers.WithNamespace(ns), informers.WithTransform(strip))
	c := &nsCache{
		ns:     ns,
		svc:    f.Core().V1().Services().Informer(),
		slices: f.Discovery().V1().EndpointSlices().Informer(),
		pods:   f.Core().V1().Pods().Informer(),
	}
	if err := c.slices.AddIndexers(cache.Indexers{serviceIndex: sliceServiceKey}); err != nil {
		return fmt.Errorf("kubernetes %s: %w", s.name, err)
	}
	s.onError(c.svc, "services", ns)
	s.onError(c.slices, "endpointslices.discovery.k8s.io", ns)
	s.onError(c.pods, "pods", ns)
	f.Start(ctx.Done())
	s.shutdownWhenDone(ctx, f.Shutdown)
	if s.gw != nil {
		g := gwinformers.NewSharedInformerFactoryWithOptions(s.gw, 0, gwinformers.WithNamespace(ns), gwinformers.WithTransform(strip))
		c.routes = g.Gateway().V1().HTTPRoutes().Informer()
		s.onError(c.routes, "httproutes.gateway.networking.k8s.io", ns)
		g.Start(ctx.Done())
		s.shutdownWhenDone(ctx, g.Shutdown)
	}
	s.nss = append(s.nss, c)
	return nil
}

// shutdownWhenDone calls shutdown (an informer factory's) once ctx ends,
// on a goroutine that s.done waits for.
func (s *Source) shutdownWhenDone(ctx context.Context, shutdown func()) {
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		<-ctx.Done()
		shutdown()
	}()
}

// sliceServiceKey indexes an EndpointSlice under its Service.
func sliceServiceKey(obj any) ([]string, error) {
	es, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, nil
	}
	svc := es.Labels[discoveryv1.LabelServiceName]
	if svc == "" {
		return nil, nil
	}
	return []string{es.Namespace + "/" + svc}, nil
}

// onError records an informer's list/watch errors so Poll can report them
// by verb and resource while the other informers keep serving. It replaces
// client-go's default handler, which would write to stderr under the UI.
func (s *Source) onError(inf cache.SharedIndexInformer, resource, ns string) {
	where := "in all namespaces"
	if ns != metav1.NamespaceAll {
		where = "in namespace " + ns
	}
	key := resource + " " + where
	s.infs = append(s.infs, tracked{key: key, inf: inf})
	_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
		var msg string
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.Canceled),
			apierrors.IsResourceExpired(err), apierrors.IsGone(err):
			return // a watch that ended normally; the reflector resumes it
		case apierrors.IsForbidden(err):
			msg = fmt.Sprintf("kubernetes %s: cannot list %s %s: forbidden", s.name, resource, where)
		case apierrors.IsUnauthorized(err):
			msg = fmt.Sprintf("kubernetes %s: cannot list %s %s: unauthorized (credentials rejected)", s.name, resource, where)
		default:
			msg = fmt.Sprintf("kubernetes %s: watching %s %s: %v", s.name, resource, where, err)
		}
		s.mu.Lock()
		s.errs[key] = watchErr{msg: msg, rv: inf.LastSyncResourceVersion()}
		s.mu.Unlock()
	})
}

// tracked is one informer with the key its errors are recorded under.
type tracked struct {
	key string
	inf cache.SharedIndexInformer
}

// errors returns the current informer errors, sorted. An error is
// forgotten once its informer has synced since (its resource version moved).
func (s *Source) errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, t := range s.infs {
		e, ok := s.errs[t.key]
		if !ok {
			continue
		}
		if rv := t.inf.LastSyncResourceVersion(); rv != e.rv && t.inf.HasSynced() {
			delete(s.errs, t.key)
			continue
		}
		out = append(out, e.msg)
	}
	slices.Sort(out)
	return out
}

// settled reports whether every informer has synced or reported an error.
func (s *Source) settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.infs {
		if _, failed := s.errs[t.key]; !failed && !t.inf.HasSynced() {
			return false
		}
	}
	return true
}

// waitSettled waits until every informer has synced or failed, or ctx ends.
func (s *Source) waitSettled(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !s.settled() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("kubernetes %s: waiting for the informer caches to sync: %w", s.name, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// Kind returns model.KindKubernetes.
func (s *Source) Kind() model.Kind { return model.KindKubernetes }

// Close stops the informers and waits for them to finish. It is safe to
// call more than once and always returns nil; it implements io.Closer so
// whoever built the source (cmd/lbtop's cleanup) finds and calls it.
func (s *Source) Close() error {
	s.once.Do(func() {
		s.stop()
		s.done.Wait()
	})
	return nil
}

// Poll builds a snapshot from the informer caches; it makes no API call.
// Informer errors (a missing RBAC permission) are reported in the
// snapshot's Note while the other resources are still served; Poll fails
// when no resource has synced or every watch is failing.
func (s *Source) Poll(ctx context.Context) (model.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return model.Snapshot{}, fmt.Errorf("kubernetes %s: %w", s.name, err)
	}
	if err := s.serverDown(); err != nil {
		return model.Snapshot{}, err
	}
	errs := s.errors()
	synced := 0
	for _, t := range s.infs {
		if t.inf.HasSynced() {
			synced++
		}
	}
	// Every informer failing means the server is gone (or the credentials
	// are): the caches are stale, so the poll fails and the screen greys
	// the source. One failing resource is a note; the rest is current.
	if len(errs) > 0 && (synced == 0 || len(errs) == len(s.infs)) {
		return model.Snapshot{}, errors.New(strings.Join(errs, "; "))
	}
	v := cacheView{s: s}
	var pools []model.Pool
	for _, c := range s.nss {
		for _, obj := range c.svc.GetStore().List() {
			if svc, ok := obj.(*corev1.Service); ok {
				pools = append(pools, servicePool(v, svc))
			}
		}
		if c.routes == nil {
			continue
		}
		for _, obj := range c.routes.GetStore().List() {
			if rt, ok := obj.(*gwv1.HTTPRoute); ok {
				pools = append(pools, routePools(v, rt)...)
			}
		}
	}
	slices.SortFunc(pools, func(a, b model.Pool) int { return cmp.Compare(a.Name, b.Name) })
	if !s.sliceReadable() {
		for i := range pools {
			if !strings.HasPrefix(pools[i].Name, routePoolPrefix) {
				pools[i].Note = joinNote(pools[i].Note, "EndpointSlices unreadable: backends unknown")
			}
		}
	}
	return model.Snapshot{Source: s.name, Kind: model.KindKubernetes, Pools: pools, Note: strings.Join(errs, "; ")}, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// sliceReadable reports whether every EndpointSlice informer has synced.
func (s *Source) sliceReadable() bool {
	for _, c := range s.nss {
		if !c.slices.HasSynced() {
			return false
		}
	}
	return true
}
