// Package haproxytest starts a real HAProxy on loopback for tests: a
// configuration built from a short description of backends and servers,
// small Go HTTP servers behind it that pass or fail health checks, an
// admin-level runtime API on TCP and on a unix socket, and optionally the
// built-in Prometheus exporter. It talks to the runtime API with its own
// minimal client so tests can verify the code under test independently.
//
// It is meant only for tests (it imports testing).
package haproxytest

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Health is how a server's backend answers HAProxy's health checks.
type Health uint8

// Server behaviours. The zero value is Healthy.
const (
	Healthy   Health = iota // an HTTP server answering 200: UP (L7OK 200)
	Unhealthy               // an HTTP server answering 503: DOWN (L7STS 503)
	Refused                 // a closed port: DOWN (L4CON)
	Unchecked               // an HTTP server answering 200, no check configured: "no check"
	Erroring                // an HTTP server answering 503, no check: in rotation, counting 5xx responses
)

// String names the behaviour.
func (h Health) String() string {
	switch h {
	case Healthy:
		return "healthy"
	case Unhealthy:
		return "unhealthy"
	case Refused:
		return "refused"
	case Unchecked:
		return "unchecked"
	case Erroring:
		return "erroring"
	}
	return "health(" + strconv.Itoa(int(h)) + ")"
}

// State is a server's administrative state right after start.
type State uint8

// Initial administrative states. The zero value is Ready.
const (
	Ready State = iota // normal rotation
	Drain              // set with "set server b/s state drain" once HAProxy is up
	Maint              // the "disabled" keyword: MAINT from the start
)

// String returns the runtime API word for the state.
func (s State) String() string {
	switch s {
	case Ready:
		return "ready"
	case Drain:
		return "drain"
	case Maint:
		return "maint"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Server describes one HAProxy server line.
type Server struct {
	Name    string
	Health  Health
	Weight  int // configured weight; 0 leaves HAProxy's default (1)
	State   State
	Backup  bool
	Options string // extra server keywords appended verbatim, e.g. "rise 3 fall 3"
	// Addr, when set, is the server's address written verbatim (a host
	// name, a test's own listener) instead of a started HTTP backend.
	Addr string
}

// Backend describes one HAProxy backend section.
type Backend struct {
	Name    string
	Balance string // load-balancing algorithm; roundrobin when empty
	Servers []Server
	Options string // extra lines for the backend section, verbatim
}

// Config describes the HAProxy to start.
type Config struct {
	Backends []Backend
	// Metrics adds a frontend named lbtop_metrics serving the built-in
	// Prometheus exporter at Instance.MetricsURL. Without the exporter in
	// the binary the test is skipped (failed under CI=true).
	Metrics bool
	// Frontend, when set, names the backend an HTTP frontend named
	// lbtop_web at Instance.FrontendURL sends every request to, for
	// generating traffic.
	Frontend string
	// Extra is configuration appended verbatim: a resolvers section,
	// more frontends.
	Extra string
}

// Instance is a running HAProxy. It is stopped in t.Cleanup.
type Instance struct {
	Addr        string // runtime API, host:port on 127.0.0.1 (level admin)
	Socket      string // runtime API, unix socket path (level admin)
	MetricsURL  string // http://127.0.0.1:port/metrics when Config.Metrics
	FrontendURL string // http://127.0.0.1:port/ when Config.Frontend is set
	Version     string // e.g. "2.6.12-1+deb12u4"
	Binary      string // path of the haproxy executable
	ConfigFile  string // path of the generated configuration
	// Backends maps "backend/server" to the HTTP server behind it; servers
	// with Health Refused have none.
	Backends map[string]*HTTPBackend
}

// startAttempts bounds retries when a port picked as free was taken
// before HAProxy could bind it.
const startAttempts = 3

// startTimeout bounds how long HAProxy may take to answer on its socket.
const startTimeout = 15 * time.Second

// Binary returns the path of the haproxy executable: from PATH, else
// /usr/sbin/haproxy. Without one the test is skipped, or fails when the
// environment variable CI is "true".
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	const fallback = "/usr/sbin/haproxy"
	if _, err := os.Stat(fallback); err == nil {
		return fallback
	}
	missing(t, "haproxy binary not found in PATH or at "+fallback)
	return ""
}

// missing skips the test, or fails it under CI where every server binary
// must be present.
func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal("haproxytest: " + why + " (CI=true: required)")
	}
	t.Skip("haproxytest: " + why)
}

// Start writes a configuration for cfg in t.TempDir(), starts the HTTP
// backends and HAProxy, waits until the runtime API answers, applies
// initial drain states and returns the running instance.
func Start(t testing.TB, cfg Config) *Instance {
	t.Helper()
	bin := Binary(t)
	if err := validate(cfg); err != nil {
		t.Fatalf("haproxytest: %v", err)
	}
	inst := &Instance{Binary: bin, Version: version(t, bin), Backends: map[string]*HTTPBackend{}}
	if cfg.Metrics && !hasPromex(t, bin) {
		missing(t, bin+" is built without the Prometheus exporter (no prometheus-exporter in haproxy -vv)")
	}
	targets := map[string]string{} // "be/srv" -> host:port
	for _, b := range cfg.Backends {
		for _, s := range b.Servers {
			key := b.Name + "/" + s.Name
			if s.Addr != "" {
				targets[key] = s.Addr
				continue
			}
			switch s.Health {
			case Unhealthy, Erroring:
				hb := StartHTTP(t, http.StatusServiceUnavailable)
				inst.Backends[key], targets[key] = hb, hb.Addr
			case Refused:
				targets[key] = ClosedPort(t)
			default:
				hb := StartHTTP(t, http.StatusOK)
				inst.Backends[key], targets[key] = hb, hb.Addr
			}
		}
	}
	dir := t.TempDir()
	inst.Socket = socketPath(t, dir)
	inst.ConfigFile = filepath.Join(dir, "haproxy.cfg")
	var lastErr error
	for range startAttempts {
		ports := ports{admin: freeAddr(t), metrics: freeAddr(t), frontend: freeAddr(t)}
		text := configText(cfg, targets, inst.Socket, ports)
		if err := os.WriteFile(inst.ConfigFile, []byte(text), 0o600); err != nil {
			t.Fatalf("haproxytest: write config: %v", err)
		}
		lastErr = inst.run(t, dir)
		if lastErr == nil {
			inst.Addr = ports.admin
			if cfg.Metrics {
				inst.MetricsURL = "http://" + ports.metrics + "/metrics"
			}
			if cfg.Frontend != "" {
				inst.FrontendURL = "http://" + ports.frontend + "/"
			}
			break
		}
		if !errors.Is(lastErr, errBind) {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("haproxytest: start %s: %v\nconfig:\n%s", bin, lastErr, readFile(inst.ConfigFile))
	}
	for _, b := range cfg.Backends {
		for _, s := range b.Servers {
			if s.State == Drain {
				if out := inst.Cmd(t, "set server "+b.Name+"/"+s.Name+" state drain"); strings.TrimSpace(out) != "" {
					t.Fatalf("haproxytest: drain %s/%s: %s", b.Name, s.Name, out)
				}
			}
		}
	}
	return inst
}

// errBind marks a start that failed because a port was taken.
var errBind = errors.New("a port was taken")

// run starts HAProxy with the configuration already written and waits for
// its TCP runtime API to answer. On success the process is stopped in
// t.Cleanup.
func (inst *Instance) run(t testing.TB, dir string) error {
	t.Helper()
	logPath := filepath.Join(dir, "haproxy.stderr")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create %s: %w", logPath, err)
	}
	defer func() { _ = logFile.Close() }()
	// -db: stay in the foreground; the test owns the process.
	cmd := exec.Command(inst.Binary, "-db", "-f", inst.ConfigFile)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Ready when both sockets answer with this process's pid: a TCP port
	// could be answered by another test's HAProxy.
	pid := strconv.Itoa(cmd.Process.Pid)
	addr := adminAddr(readFile(inst.ConfigFile))
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if infoPid("unix", inst.Socket) == pid {
			if other := infoPid("tcp", addr); other == pid {
				break
			} else if other != "" {
				_ = cmd.Process.Kill()
				<-exited
				return fmt.Errorf("%w: %s answered by pid %s", errBind, addr, other)
			}
		}
		select {
		case werr := <-exited:
			out := readFile(logPath)
			if strings.Contains(out, "cannot bind") || strings.Contains(out, "Address already in use") {
				return fmt.Errorf("%w: %s", errBind, out)
			}
			return fmt.Errorf("haproxy exited (%v):\n%s", werr, out)
		case <-deadline.C:
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("runtime API %s did not answer within %s:\n%s", addr, startTimeout, readFile(logPath))
		case <-tick.C:
		}
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return nil
}

// infoPid returns the Pid line of `show info` on a socket, or "".
func infoPid(network, addr string) string {
	out, err := command(network, addr, "show info", time.Second)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(line, "Pid: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// adminAddr finds the TCP stats socket address in a generated config.
func adminAddr(cfg string) string {
	for line := range strings.Lines(cfg) {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "stats" && f[1] == "socket" && strings.HasPrefix(f[2], "ipv4@") {
			return strings.TrimPrefix(f[2], "ipv4@")
		}
	}
	return ""
}

type ports struct{ admin, metrics, frontend string }

// configText renders the HAProxy configuration.
func configText(cfg Config, targets map[string]string, socket string, p ports) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    nbthread 1
    # without SO_REUSEPORT a port another test's HAProxy holds fails to bind
    # instead of silently sharing its connections
    noreuseport
    stats socket ipv4@%s level admin
    stats socket %s level admin mode 600
    stats timeout 10s

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
    # fast checks so states settle within a fraction of a second
    default-server inter 100ms fastinter 100ms downinter 100ms rise 1 fall 1
`, p.admin, socket)
	for _, be := range cfg.Backends {
		balance := be.Balance
		if balance == "" {
			balance = "roundrobin"
		}
		fmt.Fprintf(&b, "\nbackend %s\n    balance %s\n    option httpchk GET /health\n", be.Name, balance)
		if be.Options != "" {
			b.WriteString(be.Options + "\n")
		}
		for _, s := range be.Servers {
			fmt.Fprintf(&b, "    server %s %s", s.Name, targets[be.Name+"/"+s.Name])
			if s.Health != Unchecked && s.Health != Erroring {
				b.WriteString(" check")
			}
			if s.Weight != 0 {
				fmt.Fprintf(&b, " weight %d", s.Weight)
			}
			if s.Backup {
				b.WriteString(" backup")
			}
			if s.State == Maint {
				b.WriteString(" disabled")
			}
			if s.Options != "" {
				b.WriteString(" " + s.Options)
			}
			b.WriteString("\n")
		}
	}
	if cfg.Metrics {
		fmt.Fprintf(&b, "\nfrontend lbtop_metrics\n    bind %s\n    http-request use-service prometheus-exporter if { path /metrics }\n    http-request return status 404\n", p.metrics)
	}
	if cfg.Frontend != "" {
		fmt.Fprintf(&b, "\nfrontend lbtop_web\n    bind %s\n    default_backend %s\n", p.frontend, cfg.Frontend)
	}
	if cfg.Extra != "" {
		b.WriteString("\n" + cfg.Extra + "\n")
	}
	return b.String()
}

// validate rejects descriptions HAProxy would refuse with a less clear
// message.
func validate(cfg Config) error {
	seen := map[string]bool{}
	for _, be := range cfg.Backends {
		if be.Name == "" || strings.ContainsAny(be.Name, " \t\n/") {
			return fmt.Errorf("invalid backend name %q", be.Name)
		}
		if seen[be.Name] {
			return fmt.Errorf("backend %q declared twice", be.Name)
		}
		seen[be.Name] = true
		for _, s := range be.Servers {
			if s.Name == "" || strings.ContainsAny(s.Name, " \t\n/") {
				return fmt.Errorf("backend %q: invalid server name %q", be.Name, s.Name)
			}
		}
	}
	if cfg.Frontend != "" && !seen[cfg.Frontend] {
		return fmt.Errorf("frontend routes to unknown backend %q", cfg.Frontend)
	}
	return nil
}

// socketPath returns a unix socket path under dir, or under a shorter
// temporary directory when dir would exceed the 107-byte sun_path limit.
func socketPath(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "admin.sock")
	if len(p) < 100 {
		return p
	}
	short, err := os.MkdirTemp("", "hap")
	if err != nil {
		t.Fatalf("haproxytest: socket dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(short) })
	return filepath.Join(short, "admin.sock")
}

// version returns the version word of `haproxy -v`.
func version(t testing.TB, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		t.Fatalf("haproxytest: %s -v: %v: %s", bin, err, out)
	}
	// "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/"
	f := strings.Fields(string(out))
	if len(f) >= 3 && f[1] == "version" {
		return f[2]
	}
	return strings.TrimSpace(string(out))
}

// hasPromex reports whether haproxy -vv lists the Prometheus exporter.
func hasPromex(t testing.TB, bin string) bool {
	t.Helper()
	out, err := exec.Command(bin, "-vv").CombinedOutput()
	if err != nil {
		t.Fatalf("haproxytest: %s -vv: %v: %s", bin, err, out)
	}
	return strings.Contains(string(out), "prometheus-exporter")
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(b)
}
