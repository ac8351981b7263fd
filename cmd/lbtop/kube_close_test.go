package main

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/sources/kubernetes/kubetest"
)

// kubeGoroutines counts the goroutines a Kubernetes source started (its
// informer watcher and its API server liveness check), which only its
// Close stops.
func kubeGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "created by github.com/lbtop/lbtop/sources/kubernetes.")
}

// waitNoKubeGoroutines fails unless the Kubernetes sources' goroutines
// are gone within a few seconds (Close waits for them; the last may still
// be returning when it does).
func waitNoKubeGoroutines(t *testing.T, after string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for kubeGoroutines() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d goroutines of a Kubernetes source still run: it was never closed", after, kubeGoroutines())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKubeSourcesClosed: --once (the dashboard's own run path, runWith)
// and an action command close the Kubernetes source they built, which
// stops its informers. Not parallel: other tests' sources would count.
func TestKubeSourcesClosed(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	kubeService(t, c, ns, "two", "a", "b")
	kube := []string{"--kube", "--kubeconfig", c.Kubeconfig, "--namespace", ns}
	waitNoKubeGoroutines(t, "the start")

	code, out, errs := runCLI(t, append([]string{"--once"}, kube...)...)
	if code != exitOK || !strings.Contains(out, ns+"/two") {
		t.Fatalf("--once: exit %d\n%s\n%s", code, out, errs)
	}
	waitNoKubeGoroutines(t, "--once")

	code, out, errs = actRun(t, "", append([]string{"drain", ns + "/two/a", "--dry-run"}, kube...)...)
	if code != exitOK {
		t.Fatalf("drain --dry-run: exit %d\n%s\n%s", code, out, errs)
	}
	waitNoKubeGoroutines(t, "drain --dry-run")
}
