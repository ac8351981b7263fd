package haproxy_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

// silentListener accepts connections and never answers: HAProxy's HTTP
// checks against it time out (L7TOUT).
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// hangingHTTP answers every request only when the test ends: long requests
// that hold a connection (and a maxconn slot) open.
func hangingHTTP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		close(release)
		_ = srv.Close()
	})
	return ln.Addr().String()
}

// nxdomainServer is a DNS server on 127.0.0.1 (UDP) that answers every
// query with NXDOMAIN, for HAProxy's resolvers.
func nxdomainServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply := nxdomain(buf[:n]); reply != nil {
				_, _ = pc.WriteTo(reply, addr)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// nxdomain builds the reply to a query: its header and question, with QR,
// RA and RCODE 3 (NXDOMAIN) set and no records (RFC 1035 4.1).
func nxdomain(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	i := 12
	for i < len(q) && q[i] != 0 { // the question's name, label by label
		i += int(q[i]) + 1
	}
	end := i + 1 + 4 // the root label, QTYPE, QCLASS
	if end > len(q) {
		return nil
	}
	r := append([]byte(nil), q[:end]...)
	r[2] = 0x80 | q[2]&0x79 // QR, the query's opcode and RD
	r[3] = 0x80 | 3         // RA, NXDOMAIN
	binary.BigEndian.PutUint16(r[6:], 0)
	binary.BigEndian.PutUint16(r[8:], 0)
	binary.BigEndian.PutUint16(r[10:], 0)
	return r
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// pollInto polls src once into st and returns the fleet.
func pollInto(t *testing.T, st *model.Store, src *haproxy.Source) *model.Fleet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := src.Poll(ctx)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	snap.Source, snap.Kind, snap.At = src.Name(), model.KindHAProxy, time.Now()
	return st.Ingest(snap)
}

// holdRequests sends n requests to url that stay open until the test ends.
func holdRequests(t *testing.T, url string, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_ = resp.Body.Close()
			}
		}()
	}
}

// TestDiagnoseRealHAProxy puts a real HAProxy's backends into each state
// the diagnosis tells apart and checks the cause, state and a piece of
// evidence lbtop gives for each.
func TestDiagnoseRealHAProxy(t *testing.T) {
	t.Parallel()
	dns := nxdomainServer(t)
	slow := hangingHTTP(t)
	queueFE, firstFE := freePort(t), freePort(t)
	inst := haproxytest.Start(t, haproxytest.Config{
		Frontend: "chk503",
		Backends: []haproxytest.Backend{
			{Name: "chk503", Servers: []haproxytest.Server{{Name: "a", Health: haproxytest.Unhealthy}, {Name: "b", Health: haproxytest.Unhealthy}}},
			{Name: "refused", Servers: []haproxytest.Server{{Name: "a", Health: haproxytest.Refused}, {Name: "b", Health: haproxytest.Refused}}},
			{Name: "silent", Servers: []haproxytest.Server{{Name: "a", Addr: silentListener(t)}, {Name: "b", Addr: silentListener(t)}}},
			{Name: "nxdns", Servers: []haproxytest.Server{{Name: "a", Addr: "nx.lbtop.test:80", Options: "resolvers lbtopdns init-addr none"}}},
			{Name: "maint", Servers: []haproxytest.Server{{Name: "a"}, {Name: "b"}}},
			{Name: "zero", Servers: []haproxytest.Server{{Name: "a", Options: "weight 0"}, {Name: "b", Options: "weight 0"}}},
			{Name: "skew", Servers: []haproxytest.Server{{Name: "k1", Weight: 256}, {Name: "k2"}, {Name: "k3"}}},
			{Name: "queue", Options: "    timeout queue 30s", Servers: []haproxytest.Server{{Name: "q1", Addr: slow, Health: haproxytest.Unchecked, Options: "maxconn 1"}}},
			{Name: "first", Balance: "first", Servers: []haproxytest.Server{
				{Name: "u1", Addr: slow, Health: haproxytest.Unchecked, Options: "maxconn 10"},
				{Name: "u2", Addr: slow, Health: haproxytest.Unchecked, Options: "maxconn 10"},
				{Name: "u3", Addr: slow, Health: haproxytest.Unchecked, Options: "maxconn 10"},
			}},
		},
		Extra: fmt.Sprintf(`resolvers lbtopdns
    nameserver local %s
    resolve_retries 1
    timeout resolve 100ms
    timeout retry 100ms
    hold nx 100ms

frontend fe_queue
    bind %s
    default_backend queue

frontend fe_first
    bind %s
    default_backend first`, dns, queueFE, firstFE),
	})
	holdRequests(t, "http://"+queueFE+"/", 3)
	holdRequests(t, "http://"+firstFE+"/", 4)

	// Maintenance through lbtop's actions path, with the audit log.
	src := haproxy.New("lb1", inst.Addr)
	entry := sources.Entry{Source: src, Timeout: 5 * time.Second}
	hub, err := sources.NewHub([]sources.Entry{entry})
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "audit.log")
	log, err := actions.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	runner := &actions.Runner{
		Do:   hub.Do,
		Poll: func(ctx context.Context, _ string) model.Snapshot { return sources.PollOnce(ctx, entry) },
		Log:  log, User: actions.Who{Login: "ana"}, Host: "bastion",
		VerifyTimeout: 5 * time.Second, PollEvery: 50 * time.Millisecond,
	}
	for _, be := range []string{"a", "b"} {
		ref := model.BackendRef{Source: "lb1", Pool: "maint", Backend: be}
		res := runner.Run(context.Background(), actions.Request{
			Action: model.Action{Kind: model.ActionMaint, Ref: ref}, Kind: model.KindHAProxy,
			Before: model.Backend{Name: be, Health: model.Healthy, Weight: 1, Admin: model.AdminReady}, Reason: "kernel upgrade",
		})
		if !res.Done() {
			t.Fatalf("maint %s: %s", ref, res.Summary())
		}
	}
	entries, bad, err := actions.ReadEntries(logPath, 0)
	if err != nil || bad != 0 {
		t.Fatalf("audit log: %d bad lines, %v", bad, err)
	}
	st := model.NewStore(nil)
	st.SetAdminNotes(actions.AdminNotes(actions.LastBy(entries)))

	cases := []struct {
		pool     string
		state    model.DiagState
		cause    model.Cause
		evidence string
	}{
		{"chk503", model.DiagDown, model.CauseHealthChecks, "L7STS 503"},
		{"refused", model.DiagDown, model.CauseRefused, "L4CON"},
		{"silent", model.DiagDown, model.CauseTimeout, "L7TOUT"},
		{"nxdns", model.DiagDown, model.CauseDNS, "MAINT (resolution)"},
		{"maint", model.DiagDown, model.CauseAdminDown, `maint by ana`},
		{"zero", model.DiagDown, model.CauseZeroWeight, "2 of 2 have weight 0"},
		{"skew", model.DiagWarning, model.CauseWeightSkew, "k1 256 of 258 weight"},
		{"queue", model.DiagDegraded, model.CauseOverloaded, "pool queue 2"},
		{"first", model.DiagWarning, model.CauseImbalance, "u1 4 of 4 active"},
	}
	got := map[string]model.Diagnosis{}
	ok := func() bool {
		f := pollInto(t, st, src)
		done := true
		for _, tc := range cases {
			p := f.Pool("haproxy/" + tc.pool)
			if p == nil {
				t.Fatalf("no pool %s", tc.pool)
			}
			got[tc.pool] = p.Diagnosis
			d := p.Diagnosis
			if d.State != tc.state || d.Cause != tc.cause || !strings.Contains(strings.Join(d.Evidence, "\n"), tc.evidence) {
				done = false
			}
		}
		return done
	}
	deadline := time.Now().Add(15 * time.Second)
	for !ok() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, tc := range cases {
		d := got[tc.pool]
		t.Logf("%s: %s/%s %q — %s %q", tc.pool, d.State, d.Cause, d.Short, d.Summary, d.Evidence)
		if d.State != tc.state || d.Cause != tc.cause || !strings.Contains(strings.Join(d.Evidence, "\n"), tc.evidence) {
			t.Errorf("%s: %s/%s %q\n  summary %s\n  evidence %q\nwant %s/%s with evidence %q",
				tc.pool, d.State, d.Cause, d.Short, d.Summary, d.Evidence, tc.state, tc.cause, tc.evidence)
		}
	}
	if d := got["maint"]; !strings.Contains(strings.Join(d.Evidence, "\n"), `"kernel upgrade"`) || d.Short != "maint by ana" {
		t.Errorf("maint: short %q evidence %q; want who and why", d.Short, d.Evidence)
	}

	// A full outage: HAProxy answers 503 itself. The pool's rates come
	// from the BACKEND row, which counts them; no server row does.
	get(t, inst.FrontendURL, 20)
	time.Sleep(model.MinRateWindow) // a rate needs this long since the last poll
	f := pollInto(t, st, src)
	p := f.Pool("haproxy/chk503")
	if !p.HasRates || p.ReqRate <= 0 || p.ErrRate <= 0 {
		t.Fatalf("chk503 rates %v/%v (has %v); want the BACKEND row's non-zero req/s and 5xx/s", p.ReqRate, p.ErrRate, p.HasRates)
	}
	if ev := strings.Join(p.Diagnosis.Evidence, "\n"); !strings.Contains(ev, "req/s answered 5xx (100%)") {
		t.Errorf("chk503 evidence %q lacks the 5xx rate", p.Diagnosis.Evidence)
	}
}
