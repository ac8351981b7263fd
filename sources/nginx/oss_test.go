package nginx

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
)

const nginxBin = "/usr/sbin/nginx"

// startNGINX runs the real Debian nginx on a free loopback port with a
// stub_status location, everything (pid, logs, temp paths) in a temp dir
// so it works as root or not and touches nothing in /var. It returns the
// base URL; the process is stopped at cleanup.
func startNGINX(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(nginxBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and nginx is missing: %v", err)
		}
		t.Skipf("nginx not installed: %v", err)
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nginx binds it next; a clash shows up as a startup error
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
lock_file %[1]s/nginx.lock;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
        location = /status { stub_status; }
        location / { return 200 "ok\n"; }
    }
}
`, dir, addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(nginxBin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s%s", err, stderr.String(), log)
		default:
		}
		resp, err := http.Get(base + "/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx on %s not ready after 10s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline, not synchronising on time
	}
}

// TestOSSRealNGINX polls a real nginx through the Source twice, with
// real requests in between, and checks the Store's request rate.
func TestOSSRealNGINX(t *testing.T) {
	t.Parallel()
	base := startNGINX(t)
	src := New("web1", base+"/status", nil)
	// A fake clock one second apart makes the rate deterministic.
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	store := model.NewStore(func() time.Time { return at })

	poll := func() model.Snapshot {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		snap, err := src.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		snap.Source, snap.Kind, snap.At = src.Name(), src.Kind(), at
		return snap
	}
	first := poll()
	if len(first.Pools) != 0 || first.Note != ossNote {
		t.Fatalf("OSS snapshot = %+v, want no pools and the note", first)
	}
	names := make([]string, len(first.Metrics))
	for i, m := range first.Metrics {
		names[i] = m.Name
		if m.Counter != (m.Name == "accepts" || m.Name == "handled" || m.Name == "requests") {
			t.Errorf("metric %s Counter = %v", m.Name, m.Counter)
		}
	}
	if got := strings.Join(names, ","); got != "active,reading,writing,waiting,accepts,handled,requests" {
		t.Fatalf("metrics = %s", got)
	}
	if metric(t, first, "active") < 1 || metric(t, first, "writing") < 1 {
		t.Errorf("the poll itself should be an active, writing connection: %+v", first.Metrics)
	}
	store.Ingest(first)

	const extra = 5
	for range extra {
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	at = at.Add(time.Second)
	second := poll()
	if d := metric(t, second, "requests") - metric(t, first, "requests"); d < extra+1 {
		t.Errorf("requests grew by %v, want at least %d", d, extra+1)
	}
	fleet := store.Ingest(second)
	st, ok := fleet.Source("web1")
	if !ok || !st.OK || st.Note != ossNote || st.Pools != 0 {
		t.Fatalf("source status = %+v", st)
	}
	for _, m := range st.Metrics {
		if m.Name == "requests" && (!m.HasRate || m.Rate < extra) {
			t.Errorf("requests rate = %v (HasRate %v), want ≥ %d/s", m.Rate, m.HasRate, extra)
		}
		if !m.Counter && m.HasRate {
			t.Errorf("gauge %s has a rate", m.Name)
		}
	}
}

func metric(t *testing.T, s model.Snapshot, name string) float64 {
	t.Helper()
	for _, m := range s.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("no metric %q in %+v", name, s.Metrics)
	return 0
}
