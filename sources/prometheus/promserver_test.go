package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// promServer is a real Prometheus started by a test on loopback. Targets
// come from file_sd files, so one server can scrape whatever each subtest
// starts; removing a target's file makes Prometheus write staleness
// markers, so its series vanish from instant queries at once.
type promServer struct {
	URL     string // http://127.0.0.1:port
	targets string // file_sd directory
}

// promBinary returns the prometheus executable, or skips (fails under
// CI=true) when there is none.
func promBinary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"prometheus", "/usr/bin/prometheus"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("prometheus binary not found in PATH or /usr/bin (CI=true: required)")
	}
	t.Skip("prometheus binary not found in PATH or /usr/bin")
	return ""
}

// startPrometheus runs Prometheus with the given scrape interval until the
// test ends.
func startPrometheus(t testing.TB, scrapeInterval time.Duration) *promServer {
	t.Helper()
	bin := promBinary(t)
	dir := t.TempDir()
	p := &promServer{targets: filepath.Join(dir, "targets")}
	if err := os.Mkdir(p.targets, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: 1m
scrape_configs:
  - job_name: lbtop
    file_sd_configs:
      - files: ['%[2]s/*.json']
        refresh_interval: 1s
`, scrapeInterval, p.targets)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := freePort(t)
		lastErr = p.run(t, bin, cfgPath, filepath.Join(dir, "data"), addr, filepath.Join(dir, fmt.Sprintf("stderr%d", attempt)))
		if lastErr == nil {
			p.URL = "http://" + addr
			return p
		}
		if !errors.Is(lastErr, errPortTaken) {
			break
		}
	}
	t.Fatalf("start prometheus: %v", lastErr)
	return nil
}

var errPortTaken = errors.New("port taken")

// run starts the process and waits (bounded) for /-/ready.
func (p *promServer) run(t testing.TB, bin, cfgPath, data, addr, logPath string) error {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+data,
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready(t.Context(), "http://"+addr+"/-/ready") {
			t.Cleanup(stop)
			return nil
		}
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logPath)
			if strings.Contains(string(out), "address already in use") {
				return fmt.Errorf("%w: %s", errPortTaken, out)
			}
			return fmt.Errorf("prometheus exited (%v): %s", err, out)
		case <-deadline.C:
			stop()
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("prometheus on %s not ready within 60s: %s", addr, out)
		case <-tick.C:
		}
	}
}

func ready(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// addTarget makes Prometheus scrape http://hostport/metrics with the label
// lbtest=name, until the test ends.
func (p *promServer) addTarget(t testing.TB, name, hostport string) {
	t.Helper()
	path := filepath.Join(p.targets, name+".json")
	body := fmt.Sprintf(`[{"targets":[%q],"labels":{"lbtest":%q}}]`, hostport, name)
	// Write then rename, so the file watcher never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(path) })
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitFor polls cond every 200ms until it reports true, failing the test
// with cond's last explanation after limit.
func waitFor(t testing.TB, limit time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, why := cond()
		if ok {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("not within %s: %s", limit, why)
		case <-tick.C:
		}
	}
}
