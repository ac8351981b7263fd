package kubernetes

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/kubernetes/kubetest"
)

// route creates HTTPRoute name with one rule splitting between refs, and
// returns the Gateway API client.
func (f *fixture) route(name string, refs ...gwv1.HTTPBackendRef) gwclient.Interface {
	f.t.Helper()
	gw, err := gwclient.NewForConfig(f.c.Config)
	if err != nil {
		f.t.Fatal(err)
	}
	rt := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: name}}
	rt.Spec.Rules = []gwv1.HTTPRouteRule{{BackendRefs: refs}}
	if _, err := gw.GatewayV1().HTTPRoutes(f.ns).Create(testCtx(f.t), rt, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	return gw
}

// apiWrite is one write request as the API server received it.
type apiWrite struct {
	method, url, contentType, body string
}

// apiRecorder is a relay in front of the test API server that records
// every request other than a read, as it reached the server: lbtop's
// kubeconfig points at the relay, which forwards everything (watches too).
type apiRecorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	writes []apiWrite
}

// startAPIRecorder starts the relay and returns it with a kubeconfig
// (the cluster's admin token) that reaches the API server through it.
func startAPIRecorder(t *testing.T, c *kubetest.Cluster) (*apiRecorder, string) {
	t.Helper()
	upstream, err := url.Parse(c.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rest.TransportFor(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	rec := &apiRecorder{}
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(upstream) },
		Transport:     tr,
		FlushInterval: -1, // watches stream
	}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec.mu.Lock()
			rec.writes = append(rec.writes, apiWrite{r.Method, "http://" + r.Host + r.URL.RequestURI(), r.Header.Get("Content-Type"), string(body)})
			rec.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.srv.Close)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["relay"] = &clientcmdapi.Cluster{Server: rec.srv.URL}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: c.Config.BearerToken}
	cfg.Contexts["relay"] = &clientcmdapi.Context{Cluster: "relay", AuthInfo: "admin"}
	cfg.CurrentContext = "relay"
	path := filepath.Join(t.TempDir(), "relay.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return rec, path
}

// since returns the writes recorded after the first n.
func (r *apiRecorder) since(n int) []apiWrite {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]apiWrite(nil), r.writes[n:]...)
}

func (r *apiRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes)
}

// described splits what Describe printed into the parts of a request.
var described = regexp.MustCompile(`^Kubernetes API: (\S+) (\S+) \(([^)]+)\) (.+)$`)

// sentTimeIn finds the condition time a status patch carried.
var sentTimeIn = regexp.MustCompile(`"lastTransitionTime":"([^"]+)"`)

// TestDescribeIsWhatIsSentLive: for each Kubernetes action, what
// Describe says (--dry-run's request line) is the write the real API
// server then receives from the same action: method, URL with its query,
// patch type and body, once the placeholders are filled with what was
// read when it was sent. Describe also refuses, from the caches, what the
// write would refuse after reading the object.
func TestDescribeIsWhatIsSentLive(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.pod("gated", true)
	f.pod("other", true)
	f.pod("plain", false)
	ready := corev1.PodCondition{Type: DefaultGateCondition, Status: corev1.ConditionTrue}
	f.podStatus("gated", ready)
	f.podStatus("other", ready)
	f.service("web", map[string]string{"app": "web"})
	f.slice(sliceOf("web", endpoint{"gated", true, true, false}, endpoint{"other", true, true, false}, endpoint{"plain", true, true, false}))
	f.service("foo-v1", nil)
	f.service("foo-v2", nil)
	gw := f.route("foo-route", backendRef("foo-v1", 90), backendRef("foo-v2", 10))
	ctx := testCtx(t)

	rec, kubeconfig := startAPIRecorder(t, f.c)
	src := newSource(t, kubeconfig, f.ns)
	hub, err := sources.NewHub([]sources.Entry{{Source: src}})
	if err != nil {
		t.Fatal(err)
	}
	pool, route := f.ns+"/web", "route "+f.ns+"/foo-route rule 0"
	waitSnapshot(t, src, "the service and the route", func(s model.Snapshot) bool {
		p, _ := findPool(s, pool)
		_, ok := findPool(s, route)
		return ok && len(p.Backends) == 3
	})
	routeRV := func() string {
		t.Helper()
		got, err := gw.GatewayV1().HTTPRoutes(f.ns).Get(ctx, "foo-route", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got.ResourceVersion
	}

	for _, c := range []struct {
		name  string
		a     model.Action
		index string // the backendRef's index in its rule, for a weight
	}{
		{"weight", model.Action{Kind: model.ActionWeight, Weight: 0, Ref: model.BackendRef{Source: "test", Pool: route, Backend: "foo-v2"}}, "1"},
		{"weight again", model.Action{Kind: model.ActionWeight, Weight: 35, Ref: model.BackendRef{Source: "test", Pool: route, Backend: "foo-v1"}}, "0"},
		{"drain", model.Action{Kind: model.ActionDrain, Ref: model.BackendRef{Source: "test", Pool: pool, Backend: "gated"}}, ""},
		{"ready", model.Action{Kind: model.ActionReady, Ref: model.BackendRef{Source: "test", Pool: pool, Backend: "gated"}}, ""},
	} {
		desc, err := hub.Describe("test", c.a)
		if err != nil {
			t.Fatalf("%s: Describe: %v", c.name, err)
		}
		t.Logf("%s: %s", c.name, desc)
		rv, n, start := routeRV(), rec.count(), time.Now()
		if err := hub.Do(ctx, c.a); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sent := rec.since(n)
		if len(sent) != 1 {
			t.Fatalf("%s: %d writes reached the API server, want 1: %+v", c.name, len(sent), sent)
		}
		// The placeholders, filled with what was read when it was sent.
		want := strings.NewReplacer(sentResourceVersion, rv, sentIndex(c.a.Ref.Backend), c.index,
			sentTime, sentAt(t, sent[0], start)).Replace(desc)
		m := described.FindStringSubmatch(want)
		if m == nil {
			t.Fatalf("%s: Describe said %q: not a request", c.name, desc)
		}
		for _, part := range []struct{ what, said, got string }{
			{"method", m[1], sent[0].method},
			{"URL", m[2], sent[0].url},
			{"patch type", m[3], sent[0].contentType},
			{"body", m[4], sent[0].body},
		} {
			if part.said != part.got {
				t.Errorf("%s: %s: Describe said\n  %s\nthe API server received\n  %s", c.name, part.what, part.said, part.got)
			}
		}
	}

	// Describe refuses, from the caches, what the write refuses once it
	// has read the object: both give the same words, and nothing is sent.
	for _, a := range []model.Action{
		{Kind: model.ActionDrain, Ref: model.BackendRef{Source: "test", Pool: pool, Backend: "plain"}},
		{Kind: model.ActionWeight, Weight: 5, Ref: model.BackendRef{Source: "test", Pool: route, Backend: "foo-v3"}},
		{Kind: model.ActionWeight, Weight: 5, Ref: model.BackendRef{Source: "test", Pool: "route " + f.ns + "/foo-route rule 2", Backend: "foo-v1"}},
	} {
		n := rec.count()
		_, derr := hub.Describe("test", a)
		werr := hub.Do(ctx, a)
		if derr == nil || werr == nil || !strings.HasSuffix(werr.Error(), derr.Error()) {
			t.Errorf("%s: Describe %v, write %v", a, derr, werr)
		}
		if w := rec.since(n); len(w) != 0 {
			t.Errorf("%s: a refused write reached the API server: %+v", a, w)
		}
	}
}

// sentAt is the condition time a status patch carried ("" for another
// request), checked to be when it was sent, not earlier.
func sentAt(t *testing.T, sent apiWrite, start time.Time) string {
	t.Helper()
	m := sentTimeIn.FindStringSubmatch(sent.body)
	if m == nil {
		return ""
	}
	at, err := time.Parse(time.RFC3339, m[1])
	if err != nil || at.Before(start.Truncate(time.Second)) || at.After(time.Now()) {
		t.Errorf("lastTransitionTime %q is not when it was sent (%v)", m[1], err)
	}
	return m[1]
}

// TestPlanOnLiveKubernetes: actions.Plan, which --dry-run and the dialog
// both call, on a real API server's data: draining a Service's last
// ready endpoint is risky (refused without --force, so --dry-run exits 1
// saying why), readying a ready endpoint is refused as a no-op, and a
// plain drain carries the exact request.
func TestPlanOnLiveKubernetes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.pod("solo", true)
	f.pod("a", true)
	f.pod("b", true)
	for _, p := range []string{"solo", "a", "b"} {
		f.podStatus(p, corev1.PodCondition{Type: DefaultGateCondition, Status: corev1.ConditionTrue})
	}
	f.service("one", map[string]string{"app": "web"})
	f.slice(sliceOf("one", endpoint{"solo", true, true, false}))
	f.service("two", nil)
	f.slice(sliceOf("two", endpoint{"a", true, true, false}, endpoint{"b", true, true, false}))
	src := newSource(t, f.c.Kubeconfig, f.ns)
	hub, err := sources.NewHub([]sources.Entry{{Source: src}})
	if err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, src, "both services", func(s model.Snapshot) bool {
		one, _ := findPool(s, f.ns+"/one")
		two, _ := findPool(s, f.ns+"/two")
		return healthyCount(one) == 1 && healthyCount(two) == 2
	})
	st := model.NewStore(nil)
	st.Register("test", model.KindKubernetes)
	fleet := st.Ingest(hub.PollNow(testCtx(t), "test"))
	plan := func(kind model.ActionKind, pool, backend string) (actions.Planned, error) {
		t.Helper()
		ms, err := actions.Resolve(fleet, pool, backend, "")
		if err != nil {
			t.Fatal(err)
		}
		return actions.Plan(fleet, hub, model.Action{Kind: kind}, ms, "", 0)
	}

	p, err := plan(model.ActionDrain, f.ns+"/one", "solo")
	if err != nil || !p.Risky() || !strings.Contains(p.Why(), "last healthy backend") {
		t.Errorf("drain of the last ready endpoint: risky %v (%q), err %v", p.Risky(), p.Why(), err)
	}
	if _, err := plan(model.ActionReady, f.ns+"/two", "a"); err == nil || !strings.Contains(err.Error(), "already ready: nothing to change") {
		t.Errorf("ready on a ready endpoint: %v", err)
	}
	p, err = plan(model.ActionDrain, f.ns+"/two", "a")
	if err != nil || p.Risky() || len(p.Wire) != 1 || !strings.Contains(p.Wire[0], "/namespaces/"+f.ns+"/pods/a/status?fieldManager=lbtop") {
		t.Errorf("drain of one of two: %+v, err %v", p, err)
	}
}
