package haproxy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
)

func TestAdminFromStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status string
		want   model.AdminState
		ok     bool
	}{
		{"UP", model.AdminReady, true},
		{"UP 1/3", model.AdminReady, true},
		{"NOLB", model.AdminReady, true},
		{"no check", model.AdminReady, true},
		{"DRAIN", model.AdminDrain, true},
		{"DRAIN 1/2", model.AdminDrain, true},
		{"DRAIN (agent)", model.AdminDrain, true},
		{"MAINT", model.AdminMaint, true},
		{"MAINT (via be/s1)", model.AdminMaint, true},
		{"MAINT (resolution)", model.AdminMaint, true},
		{"DOWN", model.AdminUnknown, false},     // drained or not: HAProxy prints DOWN for both
		{"DOWN 1/2", model.AdminUnknown, false}, // likewise
		{"WEIRD", model.AdminUnknown, false},
	} {
		got, ok := haproxy.AdminFromStatus(c.status)
		if got != c.want || ok != c.ok {
			t.Errorf("AdminFromStatus(%q) = %v, %v; want %v, %v", c.status, got, ok, c.want, c.ok)
		}
	}
}

func TestParseAdminStates(t *testing.T) {
	t.Parallel()
	// Recorded from HAProxy 2.6.12 (columns after srv_uweight trimmed).
	const reply = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n" +
		"2 web 1 a 127.0.0.1 2 0 10\n2 web 2 b 127.0.0.1 0 8 1\n2 web 3 c 127.0.0.1 0 1 1\n2 web 4 d 127.0.0.1 0 9 1\n2 web 5 e 127.0.0.1 0 4 1\n\n"
	got, err := haproxy.ParseAdminStates(strings.NewReader(reply))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]model.AdminState{"web/a": model.AdminReady, "web/b": model.AdminDrain, "web/c": model.AdminMaint, "web/d": model.AdminMaint, "web/e": model.AdminMaint}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, err := haproxy.ParseAdminStates(strings.NewReader("Unknown command\n")); err == nil {
		t.Error("a reply without the header parsed")
	}
	if _, err := haproxy.ParseAdminStates(strings.NewReader("1\n# be_name srv_name srv_admin_state\nweb a x\n")); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("bad bits: err = %v, want one naming the value", err)
	}
}

// TestPollAdminState checks against a real HAProxy that a drained server
// failing its checks (status DOWN) reads as drained, a weight-0 server as
// ready, and a down server that nobody drained as ready.
func TestPollAdminState(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{{Name: "web", Servers: []haproxytest.Server{
		{Name: "up"},
		{Name: "w0", Options: "weight 0"},
		{Name: "drndown", Health: haproxytest.Refused, State: haproxytest.Drain},
		{Name: "down", Health: haproxytest.Refused},
		{Name: "mnt", State: haproxytest.Maint},
		{Name: "drn", State: haproxytest.Drain},
	}}}})
	inst.WaitFor(t, func() bool {
		return inst.Status(t, "web", "drndown") == "DOWN" && inst.Status(t, "web", "down") == "DOWN" && inst.Status(t, "web", "drn") == "DRAIN"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	snap, err := haproxy.New("h", inst.Addr).Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]model.AdminState{"up": model.AdminReady, "w0": model.AdminReady, "drndown": model.AdminDrain, "down": model.AdminReady, "mnt": model.AdminMaint, "drn": model.AdminDrain}
	for _, b := range snap.Pools[0].Backends {
		if b.Admin != want[b.Name] {
			t.Errorf("%s (status %s): Admin = %v, want %v", b.Name, b.Reason, b.Admin, want[b.Name])
		}
	}
}
