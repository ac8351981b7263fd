package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// needTool returns the path of a client tool the SSH tests drive; it
// skips without one, or fails under CI=true.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (CI=true: required)", name)
		}
		t.Skipf("%s not found", name)
	}
	return p
}

// syncBuf is a bytes.Buffer safe for the server goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveRig is `lbtop serve` running in the test process against a real
// HAProxy, with keys made by ssh-keygen: ana (operator), vic (viewer)
// and eve (in no keys file).
type serveRig struct {
	dir, addr, port, audit string
	out, errs              *syncBuf
	cancel                 context.CancelFunc
	done                   chan int
	ssh, tmux              string
}

func startServe(t *testing.T, haproxyAddr string, extra ...string) *serveRig {
	t.Helper()
	r := &serveRig{dir: t.TempDir(), out: &syncBuf{}, errs: &syncBuf{}, done: make(chan int, 1),
		ssh: needTool(t, "ssh"), tmux: needTool(t, "tmux")}
	keygen := needTool(t, "ssh-keygen")
	for _, n := range []string{"ana", "vic", "eve"} {
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", n, "-f", r.key(n)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	r.keysFile(t, "operators", "ana")
	r.keysFile(t, "viewers", "vic")
	r.audit = filepath.Join(r.dir, "audit.log")
	args := append([]string{"--listen", "127.0.0.1:0", "--operator-keys", filepath.Join(r.dir, "operators"),
		"--viewer-keys", filepath.Join(r.dir, "viewers"), "--host-key", filepath.Join(r.dir, "host_key"),
		"--audit-log", r.audit, "--haproxy", haproxyAddr, "--interval", "300ms"}, extra...)
	getenv := func(string) string { return "" }
	o, so, cfg := parseServe(t, getenv, args...)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- serve(ctx, o, so, cfg, getenv, slog.New(slog.DiscardHandler), r.out, r.errs) }()
	t.Cleanup(func() { r.stop(t) })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.out.String(), "listening on ") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s %s", r.out, r.errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat("id_ed25519"); err == nil {
		t.Fatal("serve wrote a host key to ./id_ed25519 instead of using --host-key")
	}
	line := strings.SplitN(strings.SplitN(r.out.String(), "listening on ", 2)[1], "\n", 2)[0]
	r.addr = line
	_, r.port, _ = net.SplitHostPort(line)
	return r
}

// parseServe parses args as `lbtop serve` does and loads the config.
func parseServe(t *testing.T, getenv func(string) string, args ...string) (*options, *serveOpts, *config.Config) {
	t.Helper()
	o, so, err := parseServeFlags(args, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	return o, so, cfg
}

// stop ends the server as SIGTERM does and waits for it (once).
func (r *serveRig) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return code
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s of its context ending")
	}
	return -1
}

func (r *serveRig) key(name string) string { return filepath.Join(r.dir, name) }

func (r *serveRig) keysFile(t *testing.T, file string, names ...string) {
	t.Helper()
	var b []byte
	for _, n := range names {
		pub, err := os.ReadFile(r.key(n) + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, pub...)
	}
	if err := os.WriteFile(filepath.Join(r.dir, file), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshArgs are the OpenSSH client arguments for key (nil: none).
func (r *serveRig) sshArgs(key string, more ...string) []string {
	a := []string{"-F", "none", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-p", r.port}
	if key != "" {
		a = append(a, "-i", r.key(key))
	}
	return append(append(a, more...), "127.0.0.1")
}

// run runs the ssh client to completion: exit status, stdout, stderr.
func (r *serveRig) run(t *testing.T, key string, opts []string, cmd ...string) (int, string, string) {
	t.Helper()
	c := exec.Command(r.ssh, append(r.sshArgs(key, opts...), cmd...)...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// term is an interactive ssh session in its own tmux server.
type term struct {
	t          *testing.T
	tmux, sock string
	name       string
}

var termSeq atomic.Int64

// term opens the dashboard as key in a w×h terminal. The pane's shell
// waits after ssh exits so what it printed last can be read.
func (r *serveRig) term(t *testing.T, key string, w, h int) *term {
	t.Helper()
	sock := filepath.Join(os.TempDir(), "lbtop-serve-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(termSeq.Add(1), 10))
	tm := &term{t: t, tmux: r.tmux, sock: sock, name: "s"}
	cmd := r.ssh + " -t " + strings.Join(r.sshArgs(key), " ") + "; echo ssh exited $?; sleep 600"
	tm.do("new-session", "-d", "-s", tm.name, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), cmd)
	t.Cleanup(func() {
		_ = exec.Command(tm.tmux, "-S", tm.sock, "kill-server").Run()
		_ = os.Remove(tm.sock)
	})
	return tm
}

func (tm *term) do(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.tmux, append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// keys types keys (tmux key names).
func (tm *term) keys(k ...string) { tm.do(append([]string{"send-keys", "-t", tm.name}, k...)...) }

func (tm *term) screen() string { return tm.do("capture-pane", "-p", "-t", tm.name) }

// pid is the ssh client's process id: the child of the pane's shell.
func (tm *term) pid() int {
	sh := strings.TrimSpace(tm.do("display-message", "-p", "-t", tm.name, "#{pane_pid}"))
	kids, err := os.ReadFile("/proc/" + sh + "/task/" + sh + "/children")
	if err != nil {
		tm.t.Fatal(err)
	}
	f := strings.Fields(string(kids))
	if len(f) != 1 {
		tm.t.Fatalf("pane shell %s has children %q, want the one ssh", sh, f)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		tm.t.Fatal(err)
	}
	return n
}

// openWeb opens the pool web.
func (tm *term) openWeb() {
	tm.t.Helper()
	tm.keys("/", "web", "Enter", "Enter")
	tm.waitFor("› haproxy/web", 5*time.Second)
}

// askDrain opens the drain of the backend under the cursor with reason,
// up to its confirmation (y applies).
func (tm *term) askDrain(reason string) {
	tm.t.Helper()
	tm.keys("d")
	tm.waitFor("reason", 5*time.Second)
	tm.keys("Tab", reason, "Enter")
	tm.waitFor("y apply", 5*time.Second)
}

// waitFor waits until the screen contains want and returns it.
func (tm *term) waitFor(want string, within time.Duration) string {
	tm.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := tm.screen()
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never showed %q within %v:\n%s", want, within, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// statCounter is a TCP relay in front of HAProxy's runtime API counting
// the "show stat" commands that pass through it, and holding each for
// delay (nanoseconds) when set.
type statCounter struct {
	addr  string
	count atomic.Int64
	delay atomic.Int64
}

func countStats(t *testing.T, target string) *statCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	c := &statCounter{addr: ln.Addr().String()}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go c.relay(in, target)
		}
	}()
	return c
}

func (c *statCounter) relay(in net.Conn, target string) {
	defer func() { _ = in.Close() }()
	out, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer func() { _ = out.Close() }()
	go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
	buf := make([]byte, 4096)
	var seen []byte
	for {
		n, err := in.Read(buf)
		if n > 0 {
			seen = append(seen, buf[:n]...)
			if i := bytes.LastIndexByte(seen, '\n'); i >= 0 {
				if k := bytes.Count(seen[:i+1], []byte("show stat")); k > 0 {
					c.count.Add(int64(k))
					time.Sleep(time.Duration(c.delay.Load()))
				}
				seen = seen[i+1:]
			}
			if _, werr := out.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			c.count.Add(int64(bytes.Count(seen, []byte("show stat"))))
			return
		}
	}
}

// fleet3 is the HAProxy of the serve tests: web has three servers, so
// draining one needs no typed confirmation; api one.
func fleet3(t *testing.T) *haproxytest.Instance {
	t.Helper()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "w1"}, {Name: "w2"}, {Name: "w3"}}},
		{Name: "api", Servers: []haproxytest.Server{{Name: "a1"}}},
	}})
	inst.WaitFor(t, func() bool {
		return strings.HasPrefix(inst.Status(t, "web", "w1"), "UP") && strings.HasPrefix(inst.Status(t, "api", "a1"), "UP")
	})
	return inst
}
