package demo

import (
	"context"
	"encoding/csv"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// startFleet starts a fleet that moves only on Step, closed at cleanup.
func startFleet(t *testing.T, seed int64) *Fleet {
	t.Helper()
	f, err := Start(t.Context(), Options{Seed: seed, Tick: -1})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// cli sends one line to an HAProxy-style runtime API and returns the whole
// answer, read until the server closes the connection.
func cli(t *testing.T, addr, line string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial runtime API %s: %v", addr, err)
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	_ = c.SetDeadline(dl)
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatalf("write %q to %s: %v", line, addr, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read answer to %q from %s: %v", line, addr, err)
	}
	return string(b)
}

// httpDo sends one request without a body and returns status and body.
func httpDo(t *testing.T, method, url string) (int, string) {
	t.Helper()
	return httpBody(t, method, url, "")
}

// stat is one parsed `show stat` row, by column name.
type stat map[string]string

// showStat runs `show stat` and parses it with encoding/csv, checking the
// framing HAProxy uses: a "# " header, a trailing comma, a final empty line.
func showStat(t *testing.T, addr string) []stat {
	t.Helper()
	out := cli(t, addr, "show stat")
	if !strings.HasPrefix(out, "# pxname,") || !strings.HasSuffix(out, ",\n\n") {
		t.Fatalf("show stat framing: want \"# pxname,\" … \",\\n\\n\"; got start %.20q end %q", out, out[max(0, len(out)-10):])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# "))).ReadAll()
	if err != nil {
		t.Fatalf("show stat is not CSV: %v", err)
	}
	head := recs[0]
	var rows []stat
	for _, r := range recs[1:] {
		if len(r) != len(head) {
			t.Fatalf("row %v has %d fields, header %d", r[:2], len(r), len(head))
		}
		m := stat{}
		for i, v := range r {
			m[head[i]] = v
		}
		rows = append(rows, m)
	}
	return rows
}

func find(t *testing.T, rows []stat, px, sv string) stat {
	t.Helper()
	for _, r := range rows {
		if r["pxname"] == px && r["svname"] == sv {
			return r
		}
	}
	t.Fatalf("no row %s/%s in show stat", px, sv)
	return nil
}

func TestListenersAreLoopback(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1)
	for _, addr := range []string{f.HAProxyAddr(), strings.TrimPrefix(f.EnvoyURL(), "http://")} {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Errorf("listener %q: want 127.0.0.1, got %q (%v)", addr, host, err)
		}
	}
}

// refused reports whether nothing listens on addr any more, polling with
// a bounded deadline.
func refused(t *testing.T, addr string) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		_ = c.Close()
		runtime.Gosched()
	}
	return false
}

func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	f, err := Start(t.Context(), Options{Seed: 3, Tick: time.Millisecond})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ha, env := f.HAProxyAddr(), strings.TrimPrefix(f.EnvoyURL(), "http://")
	_ = cli(t, ha, "show stat")
	if code, _ := httpDo(t, http.MethodGet, f.EnvoyURL()+"/clusters?format=json"); code != http.StatusOK {
		t.Fatalf("/clusters: status %d", code)
	}
	// An idle client holding a connection open must not block Close.
	idle, err := net.Dial("tcp", ha)
	if err != nil {
		t.Fatalf("dial %s: %v", ha, err)
	}
	defer idle.Close()
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, addr := range []string{ha, env} {
		if !refused(t, addr) {
			t.Errorf("%s still accepts connections after Close", addr)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, before)
}

func TestContextCancelStopsEverything(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	f, err := Start(ctx, Options{Seed: 4, Tick: time.Millisecond})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	cancel()
	for _, addr := range []string{f.HAProxyAddr(), strings.TrimPrefix(f.EnvoyURL(), "http://")} {
		if !refused(t, addr) {
			t.Errorf("%s still accepts connections after ctx cancel", addr)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close after cancel: %v", err)
	}
}

// waitGoroutines waits, within a bounded time, for the goroutine count to
// fall back to at most want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d after Close, %d before\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

func TestTickerAdvances(t *testing.T) {
	t.Parallel()
	f, err := Start(t.Context(), Options{Seed: 1, Tick: time.Millisecond})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer f.Close()
	steps := func() int64 {
		f.sim.mu.Lock()
		defer f.sim.mu.Unlock()
		return f.sim.n
	}
	for deadline := time.Now().Add(5 * time.Second); steps() < warmupSteps+3; {
		if time.Now().After(deadline) {
			t.Fatalf("ticker did not advance the simulation: %d steps", steps())
		}
		time.Sleep(time.Millisecond) // polling the ticker's progress
	}
}

func TestSizes(t *testing.T) {
	t.Parallel()
	f, err := Start(t.Context(), Options{Seed: 1, Tick: -1, Pools: 20, Scale: 2})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer f.Close()
	backends := map[string]bool{}
	servers := 0
	for _, r := range showStat(t, f.HAProxyAddr()) {
		if r["type"] == "1" {
			backends[r["pxname"]] = true
		}
		if r["pxname"] == "cart" && r["type"] == "2" {
			servers++
		}
	}
	if len(backends) != 20 || !backends["svc-20"] || servers != 20 {
		t.Errorf("Pools 20, Scale 2: %d backends (svc-20 %t), cart has %d servers; want 20, true, 20", len(backends), backends["svc-20"], servers)
	}
	if n := len(getClusters(t, f).ClusterStatuses); n != 20 {
		t.Errorf("Envoy clusters: %d, want 20", n)
	}
}
