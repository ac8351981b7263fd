package demo

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy"
)

const haproxyBin = "/usr/sbin/haproxy"

// freePort reserves a loopback port and releases it for a child process.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("reserve a port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRealHAProxy runs /usr/sbin/haproxy with backends named like the
// demo's, so the same commands can be sent to both. It returns the runtime
// API address.
func startRealHAProxy(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(haproxyBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", haproxyBin, err)
		}
		t.Skipf("%s not installed: %v", haproxyBin, err)
	}
	cliPort, fePort, dead, deadDNS := freePort(t), freePort(t), freePort(t), freePort(t)
	cfg := fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
resolvers nowhere
    nameserver ns1 127.0.0.1:%[4]d
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend https-in
    bind 127.0.0.1:%[2]d
    default_backend cart
backend cart
    balance roundrobin
    option httpchk GET /
    server cart-01 127.0.0.1:%[3]d weight 100
    server cart-02 127.0.0.1:%[3]d weight 100 check inter 100 rise 2 fall 3
backend legacy-soap
    balance static-rr
    server legacy-soap-01 127.0.0.1:%[3]d weight 100
backend notifications
    option httpchk GET /
    server notifications-01 notifications-01.invalid:8080 resolvers nowhere init-addr none check
backend image-resize
    server image-resize-01 127.0.0.1:%[3]d weight 100 maxconn 3
`, cliPort, fePort, dead, deadDNS)
	dir := t.TempDir()
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, haproxyBin, "-f", path, "-db")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", haproxyBin, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", cliPort)
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy runtime API %s never came up: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a child process's startup
	}
}

// TestConformsToRealHAProxy sends the same commands to HAProxy and to the
// emulation and compares the answers byte for byte.
func TestConformsToRealHAProxy(t *testing.T) {
	t.Parallel()
	real := startRealHAProxy(t)
	f := startFleet(t, 1)
	for _, line := range []string{
		"set server cart/cart-01 weight 300",
		"set server cart/cart-01 weight -1",
		"set server cart/cart-01 weight abc",
		"set server cart/cart-01 weight 5x",
		"set server cart/cart-01 weight 10%x",
		"set server cart/cart-01 weight -5%",
		"set server cart/cart-01 weight",
		"set server cart/cart-01 weight 0",
		"get weight cart/cart-01",
		"set server cart/cart-01 weight 50%",
		"get weight cart/cart-01",
		"set server legacy-soap/legacy-soap-01 weight 5",
		"set server legacy-soap/legacy-soap-01 weight 0%",
		"set server legacy-soap/legacy-soap-01 weight 100%",
		"set server cart/nosuch state drain",
		"set server nosuch/cart-01 state drain",
		"set server cart state drain",
		"set server cart/cart-01 state foo",
		"set server cart/cart-01 frob",
		"set server cart/cart-01 state drain",
		"set server cart/cart-01 state maint",
		"set server cart/cart-01 state ready",
		"set server cart/cart-01 weight 3; set server cart/zz weight 1; set server cart/cart-01 weight 100",
	} {
		want, got := cli(t, real, line), cli(t, f.HAProxyAddr(), line)
		if got != want {
			t.Errorf("%q:\n  demo %q\nhaproxy %q", line, got, want)
		}
	}

	// The header: the emulation prints the fixed fields up to "-"; HAProxy
	// then adds per-module counters.
	realOut, demoOut := cli(t, real, "show stat"), cli(t, f.HAProxyAddr(), "show stat")
	realHead, _, _ := strings.Cut(realOut, "\n")
	demoHead, _, _ := strings.Cut(demoOut, "\n")
	if !strings.HasPrefix(realHead, demoHead) {
		t.Errorf("header is not a prefix of HAProxy's:\n  demo %s\nhaproxy %s", demoHead, realHead)
	}
	if !strings.HasSuffix(realOut, ",\n\n") {
		t.Errorf("HAProxy's show stat framing changed: ends %q", realOut[len(realOut)-8:])
	}
}

// cart02Down starts a real HAProxy and the demo fleet with cart/cart-02
// DOWN on a failed check in both, and returns the real one's rows then.
func cart02Down(t *testing.T) (real string, f *Fleet, realRows []stat) {
	t.Helper()
	real = startRealHAProxy(t)
	f = startFleet(t, 1)
	f.sim.mu.Lock()
	sv := f.sim.ha.backend("cart").server("cart-02")
	sv.fault, sv.steady = fault{kind: faultRefused, left: 1000}, false
	f.sim.mu.Unlock()
	for range 5 {
		f.Step()
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		realRows = showStat(t, real)
		if find(t, realRows, "cart", "cart-02")["status"] == "DOWN" {
			return real, f, realRows
		}
		if time.Now().After(deadline) {
			t.Fatalf("real cart-02 never went DOWN")
		}
		time.Sleep(20 * time.Millisecond) // polling HAProxy's own check timer
	}
}

// TestServersStateLikeRealHAProxy: `show servers state` has HAProxy's
// framing and header, and the administrative state lbtop reads from it
// matches HAProxy's for a DOWN server drained, readied and put in
// maintenance by hand; lbtop's HAProxy source then tells a drained DOWN server from
// a ready one on the demo as on a real HAProxy, so r on a DOWN but ready
// server is refused as a no-op there too.
func TestServersStateLikeRealHAProxy(t *testing.T) {
	t.Parallel()
	real, f, _ := cart02Down(t)
	demo := f.HAProxyAddr()
	if got, want := cli(t, demo, "show servers state nosuch"), cli(t, real, "show servers state nosuch"); got != want {
		t.Errorf("unknown backend: demo %q, haproxy %q", got, want)
	}
	src := haproxy.New("demo", demo)
	for _, c := range []struct {
		state string
		admin model.AdminState
	}{{"drain", model.AdminDrain}, {"ready", model.AdminReady}, {"maint", model.AdminMaint}, {"ready", model.AdminReady}} {
		cmd := "set server cart/cart-02 state " + c.state
		if cli(t, real, cmd) != "\n" || cli(t, demo, cmd) != "\n" {
			t.Fatalf("%s refused", cmd)
		}
		states := map[string][]string{}
		for name, addr := range map[string]string{"haproxy": real, "demo": demo} {
			out := cli(t, addr, "show servers state cart")
			lines := strings.Split(strings.TrimSuffix(out, "\n\n"), "\n")
			if len(lines) < 3 || lines[0] != "1" || lines[1] != serversStateHeader || !strings.HasSuffix(out, "\n\n") {
				t.Fatalf("%s: show servers state cart:\n%q", name, out)
			}
			for _, l := range lines[2:] {
				// The operational state of cart-02 right after a change
				// is HAProxy's until its next check: compared for cart-01.
				switch w := strings.Fields(l); {
				case len(w) == 25 && w[1] == "cart" && w[3] == "cart-01":
					states[name] = append(states[name], "cart-01 op "+w[5]+" admin "+w[6])
				case len(w) == 25 && w[1] == "cart" && w[3] == "cart-02":
					states[name] = append(states[name], "cart-02 admin "+w[6])
				}
			}
		}
		if !slices.Equal(states["demo"], states["haproxy"]) {
			t.Errorf("after %s: demo %v, haproxy %v", cmd, states["demo"], states["haproxy"])
		}
		snap, err := src.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if b := findBackend(snap, "cart", "cart-02"); b.Admin != c.admin || (c.state != "maint" && b.Health.Serving()) {
			t.Errorf("after %s lbtop reads cart-02 as %v, admin %v; want admin %v and not serving", cmd, b.Health, b.Admin, c.admin)
		}
	}
}

// findBackend returns the backend of a snapshot, or a zero one.
func findBackend(s model.Snapshot, pool, name string) model.Backend {
	for _, p := range s.Pools {
		for _, b := range p.Backends {
			if p.Name == pool && b.Name == name {
				return b
			}
		}
	}
	return model.Backend{}
}

// TestFilledColumnsMatchRealHAProxy compares which columns HAProxy fills
// for each kind of row (frontend, backend, server without check, server
// DOWN on a failed check) with what the emulation fills.
func TestFilledColumnsMatchRealHAProxy(t *testing.T) {
	t.Parallel()
	_, f, realRows := cart02Down(t)
	demoRows := showStat(t, f.HAProxyAddr())
	filled := func(r stat) []string {
		var out []string
		for k, v := range r {
			if v != "" && k != "" {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	head := strings.Split(strings.TrimSuffix(strings.TrimPrefix(statHeader, "# "), ","), ",")
	fixed := func(cols []string) []string {
		return slices.DeleteFunc(cols, func(c string) bool { return !slices.Contains(head, c) })
	}
	for _, tc := range []struct{ px, sv, demoPx, demoSv string }{
		{"https-in", "FRONTEND", "https-in", "FRONTEND"},
		{"cart", "BACKEND", "cart", "BACKEND"},
		{"cart", "cart-01", "cdn-origin", "cdn-origin-01"},                         // no check
		{"cart", "cart-02", "cart", "cart-02"},                                     // DOWN, L4CON
		{"notifications", "notifications-01", "notifications", "notifications-01"}, // MAINT (resolution)
	} {
		want := fixed(filled(find(t, realRows, tc.px, tc.sv)))
		got := filled(find(t, demoRows, tc.demoPx, tc.demoSv))
		if !slices.Equal(got, want) {
			t.Errorf("%s/%s filled columns differ:\n  demo only %v\nhaproxy only %v", tc.px, tc.sv, minus(got, want), minus(want, got))
		}
	}
}

// TestMaxconnAndResolutionLikeRealHAProxy: a server with maxconn fills
// slim (and nothing else) more than one without, in HAProxy and in the
// emulation; a server whose name does not resolve is "MAINT (resolution)"
// with no address in both.
func TestMaxconnAndResolutionLikeRealHAProxy(t *testing.T) {
	t.Parallel()
	real := startRealHAProxy(t)
	f := startFleet(t, 1)
	realRows, demoRows := showStat(t, real), showStat(t, f.HAProxyAddr())
	filled := func(r stat) map[string]bool {
		out := map[string]bool{}
		for k, v := range r {
			if v != "" && k != "" {
				out[k] = true
			}
		}
		return out
	}
	withLimit, without := filled(find(t, realRows, "image-resize", "image-resize-01")), filled(find(t, realRows, "cart", "cart-01"))
	var extra []string
	for k := range withLimit {
		if !without[k] {
			extra = append(extra, k)
		}
	}
	if !slices.Equal(extra, []string{"slim"}) {
		t.Fatalf("HAProxy fills %v more for a maxconn server; the emulation assumes slim only", extra)
	}
	d := find(t, demoRows, "image-resize", "image-resize-01")
	if d["slim"] != "3" || d["scur"] == "" || d["qcur"] == "" {
		t.Errorf("demo image-resize-01: slim %q scur %q qcur %q, want slim 3", d["slim"], d["scur"], d["qcur"])
	}
	for _, rows := range [][]stat{realRows, demoRows} {
		r := find(t, rows, "notifications", "notifications-01")
		if r["status"] != "MAINT (resolution)" || r["addr"] != "" || r["check_status"] != "" {
			t.Errorf("unresolved server: status %q addr %q check_status %q", r["status"], r["addr"], r["check_status"])
		}
	}
}

func minus(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(s string) bool { return slices.Contains(b, s) })
}
