package haproxytest

import (
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// cmdTimeout bounds one runtime API exchange made by the harness.
const cmdTimeout = 5 * time.Second

// waitTimeout bounds WaitFor.
const waitTimeout = 10 * time.Second

// command sends one command to the runtime API (non-interactive: HAProxy
// answers and closes) and returns the whole reply.
func command(network, addr, cmd string, timeout time.Duration) (string, error) {
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	return string(b), err
}

// Cmd sends one command over the unix socket and returns HAProxy's reply
// verbatim. It fails the test when the socket cannot be used.
func (inst *Instance) Cmd(t testing.TB, cmd string) string {
	t.Helper()
	out, err := command("unix", inst.Socket, cmd, cmdTimeout)
	if err != nil {
		t.Fatalf("haproxytest: %q on %s: %v", cmd, inst.Socket, err)
	}
	return out
}

// ShowStat returns `show stat` as one map per row, keyed by the header's
// column names (pxname, svname, status, weight, …).
func (inst *Instance) ShowStat(t testing.TB) []map[string]string {
	t.Helper()
	rows, err := parseStat(inst.Cmd(t, "show stat"))
	if err != nil {
		t.Fatalf("haproxytest: show stat on %s: %v", inst.Socket, err)
	}
	return rows
}

// Row returns the `show stat` row of one proxy/server pair (svname BACKEND
// for the backend itself), failing the test when there is none.
func (inst *Instance) Row(t testing.TB, proxy, server string) map[string]string {
	t.Helper()
	for _, r := range inst.ShowStat(t) {
		if r["pxname"] == proxy && r["svname"] == server {
			return r
		}
	}
	t.Fatalf("haproxytest: no show stat row %s/%s", proxy, server)
	return nil
}

// Status returns the `status` column of one server, or "" when the row is
// missing. It is meant for WaitFor conditions.
func (inst *Instance) Status(t testing.TB, proxy, server string) string {
	t.Helper()
	for _, r := range inst.ShowStat(t) {
		if r["pxname"] == proxy && r["svname"] == server {
			return r["status"]
		}
	}
	return ""
}

// WaitFor polls cond until it returns true, failing the test when it does
// not within a bounded time.
func (inst *Instance) WaitFor(t testing.TB, cond func() bool) {
	t.Helper()
	WaitFor(t, cond)
}

// WaitFor polls cond every 25ms until it returns true, failing the test
// after 10s.
func WaitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("haproxytest: condition not met within %s", waitTimeout)
		case <-tick.C:
		}
	}
}

// parseStat is a deliberately simple, independent reader of `show stat`
// CSV, so tests do not verify the code under test with itself.
func parseStat(text string) ([]map[string]string, error) {
	if !strings.HasPrefix(text, "# ") {
		return nil, fmt.Errorf("reply is not show stat CSV: %q", firstLine(text))
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "# ")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("empty show stat reply")
	}
	header := recs[0]
	out := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		m := make(map[string]string, len(header))
		for i, name := range header {
			if name != "" && i < len(rec) {
				m[name] = rec[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
