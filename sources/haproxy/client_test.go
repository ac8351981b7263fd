package haproxy_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy"
)

// fakeCLI is a TCP server on loopback that plays one scripted runtime API
// reply per connection and records the commands it received.
type fakeCLI struct {
	addr     string
	accepted atomic.Int64
	mu       sync.Mutex
	commands []string
}

// startFake serves reply to every connection: it reads the command line,
// then writes reply and closes. With stall set it accepts and never
// answers until the test ends.
func startFake(t *testing.T, reply string, stall bool) *fakeCLI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeCLI{addr: ln.Addr().String()}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.accepted.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = conn.Close() }()
				if stall {
					<-done
					return
				}
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err != nil {
					return
				}
				f.mu.Lock()
				f.commands = append(f.commands, strings.TrimSuffix(line, "\n"))
				f.mu.Unlock()
				_, _ = io.WriteString(conn, reply)
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		_ = ln.Close()
		wg.Wait()
	})
	return f
}

func (f *fakeCLI) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func TestNewNetwork(t *testing.T) {
	t.Parallel()
	cases := []struct{ addr, network string }{
		{"/run/haproxy/admin.sock", "unix"},
		{"./admin.sock", "unix"},
		{"../run/stats", "unix"},
		{"haproxy.sock", "unix"},
		{"127.0.0.1:9999", "tcp"},
		{"[::1]:9999", "tcp"},
		{"lb.internal:9999", "tcp"},
	}
	for _, c := range cases {
		s := haproxy.New("lb", c.addr)
		if s.Network() != c.network || s.Addr() != c.addr || s.Name() != "lb" || s.Kind() != model.KindHAProxy {
			t.Errorf("New(%q) = %s %s %s %s; want network %s", c.addr, s.Name(), s.Kind(), s.Network(), s.Addr(), c.network)
		}
	}
	if lo, hi := haproxy.New("lb", "x.sock").WeightRange(); lo != 0 || hi != 256 {
		t.Errorf("WeightRange = %d, %d; want 0, 256", lo, hi)
	}
}

// TestStalledServerHonoursDeadline: a server that accepts and never
// answers must not hold a poll or an action past ctx's deadline, or past
// a cancellation when ctx has no deadline.
func TestStalledServerHonoursDeadline(t *testing.T) {
	t.Parallel()
	f := startFake(t, "", true)
	src := haproxy.New("lb", f.addr)
	ref := model.BackendRef{Pool: "be", Backend: "s1"}
	calls := map[string]func(context.Context) error{
		"Poll":      func(ctx context.Context) error { _, err := src.Poll(ctx); return err },
		"SetWeight": func(ctx context.Context) error { return src.SetWeight(ctx, ref, 5) },
		"SetState":  func(ctx context.Context) error { return src.SetState(ctx, ref, model.ActionDrain) },
	}
	for name, call := range calls {
		t.Run(name+"/deadline", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			err := call(ctx)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "haproxy "+f.addr+": ") {
				t.Errorf("%s on a stalled server: %v; want a deadline error naming %s", name, err, f.addr)
			}
		})
		t.Run(name+"/cancel", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			result := make(chan error, 1)
			// Counted before the call starts: read after, the accept could
			// already have happened and the wait below would never end.
			start := f.accepted.Load()
			go func() { result <- call(ctx) }()
			// Cancel once the server holds the connection (bounded: 10 s).
			for i := 0; f.accepted.Load() == start; i++ {
				if i == 2000 {
					cancel()
					t.Fatalf("%s: the stalled server never accepted the connection", name)
				}
				select {
				case err := <-result:
					t.Fatalf("%s returned before connecting: %v", name, err)
				case <-time.After(5 * time.Millisecond):
				}
			}
			cancel()
			select {
			case err := <-result:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("%s after cancel: %v; want context.Canceled", name, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s still blocked 5s after cancel", name)
			}
		})
	}
}

// TestRejectsInjection: names reach a line-based protocol, so anything
// that could end or split the command is refused before connecting.
func TestRejectsInjection(t *testing.T) {
	t.Parallel()
	f := startFake(t, "\n", false)
	src := haproxy.New("lb", f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	bad := []model.BackendRef{
		{Pool: "be", Backend: "s1; shutdown sessions server be/s2"},
		{Pool: "be", Backend: "s1\nset server be/s2 state maint"},
		{Pool: "be x", Backend: "s1"},
		{Pool: "be", Backend: "s1\tx"},
		{Pool: "be", Backend: "s1\x00"},
		{Pool: "be", Backend: "s1\u0085"},
		{Pool: "be/s2", Backend: "s1"},
		{Pool: "", Backend: "s1"},
		{Pool: "be", Backend: ""},
	}
	for _, ref := range bad {
		for _, err := range []error{src.SetWeight(ctx, ref, 1), src.SetState(ctx, ref, model.ActionDrain)} {
			if err == nil {
				t.Errorf("ref %+v accepted; want a refusal", ref)
				continue
			}
			value := ref.Backend
			if strings.Contains(err.Error(), "backend name") {
				value = ref.Pool
			}
			want := fmt.Sprintf("%q", value)
			if value == "" {
				want = "name is empty"
			}
			if !strings.HasPrefix(err.Error(), "haproxy "+f.addr+": ") || !strings.Contains(err.Error(), want) {
				t.Errorf("ref %+v: %v; want a refusal with %s", ref, err, want)
			}
		}
	}
	if n := f.accepted.Load(); n != 0 {
		t.Errorf("%d connections made for refused names; want none (commands %q)", n, f.sent())
	}
}

func TestCommandsSent(t *testing.T) {
	t.Parallel()
	f := startFake(t, "\n", false)
	src := haproxy.New("lb", f.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ref := model.BackendRef{Pool: "be-1", Backend: "srv.a:1"}
	for _, err := range []error{
		src.SetState(ctx, ref, model.ActionDrain),
		src.SetState(ctx, ref, model.ActionReady),
		src.SetState(ctx, ref, model.ActionMaint),
		src.SetWeight(ctx, ref, 42),
		src.SetWeight(ctx, model.BackendRef{Pool: "#3", Backend: "#1"}, 0),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"set server be-1/srv.a:1 state drain",
		"set server be-1/srv.a:1 state ready",
		"set server be-1/srv.a:1 state maint",
		"set server be-1/srv.a:1 weight 42",
		"set server #3/#1 weight 0",
	}
	got := f.sent()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPollBadReplies(t *testing.T) {
	t.Parallel()
	header := "# pxname,svname,status,type,\n"
	cases := []struct {
		name, reply, want string
		notStat           bool
	}{
		{"permission denied", "Permission denied\n\n", `Permission denied`, true},
		{"empty", "", "empty reply", true},
		{"truncated", header + "be,s1,UP,2,\nbe,s2,UP", "reply truncated", false},
		{"no final empty line", header + "be,s1,UP,2,\n", "reply truncated", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, c.reply, false)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := haproxy.New("lb", f.addr).Poll(ctx)
			prefix := "haproxy " + f.addr + ": show stat: "
			if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.want) || errors.Is(err, haproxy.ErrNotStat) != c.notStat {
				t.Errorf("Poll = %v; want %q…%q (ErrNotStat %v)", err, prefix, c.want, c.notStat)
			}
		})
	}
	// A complete reply parses.
	f := startFake(t, header+"be,s1,UP,2,\nbe,BACKEND,UP,1,\n\n", false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := haproxy.New("lb", f.addr).Poll(ctx)
	if err != nil || len(snap.Pools) != 1 || len(snap.Pools[0].Backends) != 1 {
		t.Errorf("Poll = %+v, %v; want one pool with one backend", snap, err)
	}
	if got := f.sent(); len(got) != 1 || got[0] != "show stat" {
		t.Errorf("commands = %q; want [show stat]", got)
	}
}
