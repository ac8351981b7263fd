package haproxytest_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

func TestStartServesConfiguredFleet(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{
		Metrics:  true,
		Frontend: "be",
		Backends: []haproxytest.Backend{{Name: "be", Servers: []haproxytest.Server{
			{Name: "up", Weight: 5},
			{Name: "fail", Health: haproxytest.Unhealthy},
			{Name: "closed", Health: haproxytest.Refused},
			{Name: "drained", State: haproxytest.Drain},
			{Name: "off", State: haproxytest.Maint},
			{Name: "plain", Health: haproxytest.Unchecked},
		}}},
	})
	want := map[string]string{"up": "UP", "fail": "DOWN", "closed": "DOWN", "drained": "DRAIN", "off": "MAINT", "plain": "no check"}
	inst.WaitFor(t, func() bool {
		for srv, status := range want {
			if inst.Status(t, "be", srv) != status {
				return false
			}
		}
		return true
	})
	if w := inst.Row(t, "be", "up")["weight"]; w != "5" {
		t.Errorf("up weight = %s; want 5", w)
	}
	if cs := inst.Row(t, "be", "closed")["check_status"]; !strings.HasSuffix(cs, "L4CON") {
		t.Errorf("closed check_status = %q; want L4CON", cs)
	}
	if reply := inst.Cmd(t, "set server be/up weight 300"); !strings.Contains(reply, "Absolute weight can only be between 0 and 256") {
		t.Errorf("Cmd reply = %q", reply)
	}

	resp, err := http.Get(inst.FrontendURL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s = %d; want 200 from a healthy server", inst.FrontendURL, resp.StatusCode)
	}

	resp, err = http.Get(inst.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", inst.MetricsURL, resp.StatusCode, err)
	}
	if !strings.Contains(string(body), `haproxy_server_status{proxy="be",server="up"`) {
		t.Errorf("metrics lack haproxy_server_status for be/up:\n%.2000s", body)
	}
	if inst.Version == "" || inst.Addr == "" || inst.Socket == "" {
		t.Errorf("instance = %+v; want version and both sockets", inst)
	}
}

// TestClosedPortRefusesEveryConnection dials the closed port many times
// from ephemeral ports: every dial must be refused, none may land (a
// released port can be taken, or self-connected to, later in the test).
func TestClosedPortRefusesEveryConnection(t *testing.T) {
	t.Parallel()
	addr := haproxytest.ClosedPort(t)
	for i := range 200 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			t.Fatalf("dial %d to the closed port %s connected", i, addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %d to %s: %v; want connection refused", i, addr, err)
		}
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		_ = ln.Close()
		t.Fatalf("another listener could bind the closed port %s", addr)
	}
}
