package kubernetes

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/lbtop/lbtop/sources/kubernetes/kubetest"
)

// Scale of the start-up benchmark: Services, each with one EndpointSlice
// of this many endpoints.
const (
	scaleServices  = 1000
	scaleEndpoints = 10
)

// scaleNamespace is filled once per test binary: creating 2,000 objects
// takes tens of seconds on a loaded machine and the benchmark function
// runs several times.
var scaleNamespace struct {
	once sync.Once
	ns   string
	err  error
}

func populateScale(b *testing.B, c *kubetest.Cluster) string {
	b.Helper()
	scaleNamespace.once.Do(func() {
		ns := c.Namespace(b)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		jobs := make(chan int)
		errs := make(chan error, 8)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					if err := createScaled(ctx, c, ns, i); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	feed:
		for i := range scaleServices {
			select {
			case jobs <- i:
			case err := <-errs:
				scaleNamespace.err = err
				break feed
			}
		}
		close(jobs)
		wg.Wait()
		select {
		case err := <-errs:
			scaleNamespace.err = err
		default:
		}
		scaleNamespace.ns = ns
	})
	if scaleNamespace.err != nil {
		b.Fatal(scaleNamespace.err)
	}
	return scaleNamespace.ns
}

func createScaled(ctx context.Context, c *kubetest.Cluster, ns string, i int) error {
	name := fmt.Sprintf("svc-%04d", i)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	if _, err := c.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return err
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
	}
	for j := range scaleEndpoints {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", 100+i/250, i%250, j+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: fmt.Sprintf("%s-%d", name, j)},
		})
	}
	_, err := c.Client.DiscoveryV1().EndpointSlices(ns).Create(ctx, es, metav1.CreateOptions{})
	return err
}

// BenchmarkNewSynced measures start-up: New (discovery, informers' list
// and watch) until every cache has synced, then the first Poll, against a
// real API server holding 1,000 Services × 10 endpoints. Run with
// -benchtime=5x; each iteration is one full start.
func BenchmarkNewSynced(b *testing.B) {
	c := cluster.Get(b)
	ns := populateScale(b, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.ResetTimer()
	for range b.N {
		s, err := New(ctx, Options{Name: "bench", Kubeconfig: c.Kubeconfig, Namespaces: []string{ns}})
		if err != nil {
			b.Fatal(err)
		}
		snap, err := s.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := len(snap.Pools); n != scaleServices {
			b.Fatalf("%d pools, want %d", n, scaleServices)
		}
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkPollCached measures one Poll over the synced caches (no API
// call) at 1,000 Services × 10 endpoints.
func BenchmarkPollCached(b *testing.B) {
	c := cluster.Get(b)
	ns := populateScale(b, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := New(ctx, Options{Name: "bench", Kubeconfig: c.Kubeconfig, Namespaces: []string{ns}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
