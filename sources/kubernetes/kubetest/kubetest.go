// Package kubetest runs a real etcd and kube-apiserver on 127.0.0.1 for
// tests, built from the Go module proxy by testdata/kubeapiserver/build.sh
// (see /work/shared/KUBE-APISERVER.md). It is meant for tests only.
//
// The binaries are found, in order, in $LBTOP_KUBE_BIN, or in build.sh's
// cache (build.sh --check). A cold build takes 10–30 minutes, far beyond
// go test's default timeout, so tests never start one unless
// LBTOP_KUBE_BUILD=1: CI runs build.sh before go test. When the binaries
// are unavailable the tests skip, or fail when CI=true.
//
// No kube-controller-manager or kubelet runs: tests create EndpointSlices
// and set Pod status themselves.
package kubetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// LimitedUser is a user with a token but no RBAC bindings; tests grant it
// what they need through LimitedKubeconfig.
const LimitedUser = "lbtop-limited"

// Cluster is one running etcd + kube-apiserver.
type Cluster struct {
	// Kubeconfig is an admin (system:masters) kubeconfig; context "admin".
	Kubeconfig string
	// LimitedKubeconfig authenticates as LimitedUser; context "limited".
	LimitedKubeconfig string
	// Config is the admin REST config (raised QPS for test setup).
	Config *rest.Config
	// Client is an admin clientset.
	Client kubernetes.Interface
	// Dynamic is an admin dynamic client.
	Dynamic dynamic.Interface

	dir     string
	ownsDir bool
	procs   []*proc
}

// proc is one child process and the channel closed when it exits.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// Start runs a cluster for one test (or benchmark) and stops it in
// t.Cleanup. Prefer Shared to start one cluster per test binary.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin := binaries(t)
	c, err := start(bin, t.TempDir(), false)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Shared starts one cluster on first use and keeps it for the test
// binary's lifetime. Its zero value is ready; call Stop from TestMain
// after m.Run.
type Shared struct {
	mu  sync.Mutex
	c   *Cluster
	err error
}

// Get returns the shared cluster, starting it on the first call. It skips
// or fails t (CI=true) when the binaries are unavailable, and fails t when
// the cluster did not start.
func (s *Shared) Get(t testing.TB) *Cluster {
	t.Helper()
	bin := binaries(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil && s.err == nil {
		dir, err := os.MkdirTemp("", "lbtop-kubetest-")
		if err != nil {
			s.err = err
		} else {
			s.c, s.err = start(bin, dir, true)
		}
	}
	if s.err != nil {
		t.Fatalf("kubetest: %v", s.err)
	}
	return s.c
}

// Stop stops the shared cluster if it was started.
func (s *Shared) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		s.c.Stop()
		s.c = nil
	}
}

// Namespace creates a fresh namespace for one test. Namespaces are not
// deleted: without kube-controller-manager they would stay Terminating.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubetest: creating a namespace: %v", err)
	}
	return ns.Name
}

// binaries returns the directory holding kube-apiserver and etcd, or
// skips/fails t as the package doc says.
func binaries(t testing.TB) string {
	t.Helper()
	dir, err := findBinaries()
	if err == nil {
		return dir
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("kubetest: %v", err)
	}
	t.Skipf("kubetest: %v", err)
	return ""
}

func findBinaries() (string, error) {
	if dir := os.Getenv("LBTOP_KUBE_BIN"); dir != "" {
		return dir, haveBinaries(dir)
	}
	script, err := buildScript()
	if err != nil {
		return "", err
	}
	args := []string{"--check"}
	if os.Getenv("LBTOP_KUBE_BUILD") == "1" {
		args = nil
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(script, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 {
			return "", fmt.Errorf("kube-apiserver and etcd are not built: run %s first (about 20 CPU-minutes; LBTOP_KUBE_BUILD=1 lets the test build them)", script)
		}
		return "", fmt.Errorf("%s: %v: %s", script, err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(out.String())
	return dir, haveBinaries(dir)
}

func haveBinaries(dir string) error {
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("no %s in %s: %w", name, dir, err)
		}
	}
	return nil
}

// buildScript finds testdata/kubeapiserver/build.sh above the working
// directory (a package directory inside the repository under go test).
func buildScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "testdata", "kubeapiserver", "build.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testdata/kubeapiserver/build.sh not found above the working directory; set LBTOP_KUBE_BIN")
		}
		dir = parent
	}
}

// start runs etcd and kube-apiserver in dir and waits until the API
// server is ready and the Gateway API CRDs are served.
func start(bin, dir string, ownsDir bool) (_ *Cluster, err error) {
	c := &Cluster{dir: dir, ownsDir: ownsDir}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, metricsPort, apiPort := ports[0], ports[1], ports[2], ports[3]
	if err := writeSAKeys(dir); err != nil {
		return nil, err
	}
	adminToken, limitedToken := randomToken(), randomToken()
	tokens := adminToken + ",admin,admin-uid,system:masters\n" + limitedToken + "," + LimitedUser + "," + LimitedUser + "-uid\n"
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return nil, err
	}
	local := func(p int) string { return "http://127.0.0.1:" + strconv.Itoa(p) }
	if err := c.run(filepath.Join(bin, "etcd"), "etcd",
		"--name", "t", "--data-dir", filepath.Join(dir, "etcd"), "--unsafe-no-fsync",
		"--listen-client-urls", local(etcdPort), "--advertise-client-urls", local(etcdPort),
		"--listen-peer-urls", local(peerPort), "--initial-advertise-peer-urls", local(peerPort),
		"--initial-cluster", "t="+local(peerPort), "--listen-metrics-urls", local(metricsPort),
	); err != nil {
		return nil, err
	}
	if err := c.run(filepath.Join(bin, "kube-apiserver"), "kube-apiserver",
		"--etcd-servers="+local(etcdPort),
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort), "--cert-dir="+filepath.Join(dir, "certs"),
		"--endpoint-reconciler-type=none",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.0.0.0/16",
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"), "--authorization-mode=RBAC",
		"--disable-admission-plugins=ServiceAccount",
	); err != nil {
		return nil, err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ca, err := c.waitReady(ctx, server, adminToken, filepath.Join(dir, "certs", "apiserver.crt"))
	if err != nil {
		return nil, err
	}
	if c.Kubeconfig, err = writeKubeconfig(dir, "admin", server, ca, adminToken); err != nil {
		return nil, err
	}
	if c.LimitedKubeconfig, err = writeKubeconfig(dir, "limited", server, ca, limitedToken); err != nil {
		return nil, err
	}
	c.Config = &rest.Config{Host: server, BearerToken: adminToken, TLSClientConfig: rest.TLSClientConfig{CAData: ca}, QPS: 500, Burst: 1000}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if err := c.installCRDs(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// run starts one server process with its output in dir/<name>.log.
func (c *Cluster) run(path, name string, args ...string) error {
	logPath := filepath.Join(c.dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close() // the child holds its own descriptor
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", path, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return nil
}

// waitReady polls /readyz until it answers 200, a process exits, or ctx
// ends. The API server writes its self-signed certificate before it
// serves; that certificate is the CA to trust, and it is returned.
func (c *Cluster) waitReady(ctx context.Context, server, token, caFile string) ([]byte, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var client *http.Client
	var ca []byte
	last := "no answer yet"
	for {
		for _, p := range c.procs {
			select {
			case <-p.done:
				return nil, fmt.Errorf("%s exited during start-up: %s", p.name, tail(p.log))
			default:
			}
		}
		if client == nil {
			if b, err := os.ReadFile(caFile); err == nil {
				pool := x509.NewCertPool()
				if pool.AppendCertsFromPEM(b) {
					ca = b
					client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
					defer client.CloseIdleConnections()
				}
			}
		}
		if client != nil {
			ok, status, err := probe(ctx, client, server+"/readyz", token)
			switch {
			case ok:
				return ca, nil
			case err != nil:
				last = err.Error()
			default:
				last = status
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kube-apiserver at %s not ready (%s): %w; log: %s", server, last, ctx.Err(), tail(c.procs[len(c.procs)-1].log))
		case <-tick.C:
		}
	}
}

// probe GETs url with the bearer token and reports whether it answered 200.
func probe(ctx context.Context, client *http.Client, url, token string) (bool, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return false, "", err
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK, resp.Status, nil
}

// Stop terminates the servers (SIGTERM, then SIGKILL after 10 s) and
// removes the directory it created. It is safe to call more than once.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	c.procs = nil
	if c.ownsDir {
		_ = os.RemoveAll(c.dir)
		c.ownsDir = false
	}
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func freePorts(n int) ([]int, error) {
	var out []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}

// writeSAKeys writes the service-account signing key pair.
func writeSAKeys(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), priv, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600)
}

// writeKubeconfig writes dir/<name>.kubeconfig with one context, <name>.
func writeKubeconfig(dir, name, server string, ca []byte, token string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubetest"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: name}
	cfg.CurrentContext = name
	path := filepath.Join(dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", err
	}
	return path, nil
}
