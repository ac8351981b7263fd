package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
	"github.com/lbtop/lbtop/sources/record"
)

// watchStream runs `lbtop watch ARGS` in-process until stop is called and
// delivers each JSON line, decoded, on the returned channel.
type watchStream struct {
	events <-chan model.Event
	stop   func() (code int, stderr string)
}

func startWatch(t *testing.T, args ...string) *watchStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var errs syncBuffer
	done := make(chan int, 1)
	go func() {
		code := runWatch(ctx, append([]string{"watch"}, args...), func(string) string { return "" }, pw, &errs)
		_ = pw.Close()
		done <- code
	}()
	ch := make(chan model.Event, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var raw map[string]any
			var e model.Event
			if err := json.Unmarshal(sc.Bytes(), &raw); err != nil || json.Unmarshal(sc.Bytes(), &e) != nil {
				t.Errorf("not a JSON event line: %q", sc.Text())
				continue
			}
			for _, k := range []string{"time", "type", "source", "pool", "backend", "from", "to", "reason"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("line without %q: %s", k, sc.Text())
				}
			}
			if _, err := time.Parse(time.RFC3339, raw["time"].(string)); err != nil {
				t.Errorf("time is not RFC3339: %v", err)
			}
			ch <- e
		}
	}()
	t.Cleanup(cancel)
	return &watchStream{events: ch, stop: func() (int, string) {
		cancel()
		code := <-done
		for range ch { // drain what was flushed last
		}
		return code, errs.String()
	}}
}

// syncBuffer is a bytes.Buffer safe for the watch goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// await reads events until one satisfies match, failing after 20 s, and
// returns it with the events read before it.
func (w *watchStream) await(t *testing.T, what string, match func(model.Event) bool) (model.Event, []model.Event) {
	t.Helper()
	var seen []model.Event
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-w.events:
			if !ok {
				t.Fatalf("watch ended before %s; saw %+v", what, seen)
			}
			if match(e) {
				return e, seen
			}
			seen = append(seen, e)
		case <-timeout:
			t.Fatalf("no %s within 20 s; saw %+v", what, seen)
		}
	}
}

func isBackend(name, from, to string) func(model.Event) bool {
	return func(e model.Event) bool {
		return e.Type == model.EventBackend && e.Pool == "web" && e.Backend == name && e.From == from && e.To == to
	}
}

func isAlert(state string) func(model.Event) bool {
	return func(e model.Event) bool {
		return e.Type == model.EventAlert && e.Name == "web-capacity" && e.Pool == "web" && e.State == state
	}
}

// TestWatchServerDiesAndComesBack runs watch against a real HAProxy
// while one server's checks are refused (L4CON) and then pass again, with
// an alert rule and --record; then replays the recording.
func TestWatchServerDiesAndComesBack(t *testing.T) {
	t.Parallel()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "a"}, {Name: "b"}}},
	}})
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" && inst.Status(t, "web", "b") == "UP" })
	dir := t.TempDir()
	cfg := webCapacityConfig(t, dir, inst.Addr)
	rec := filepath.Join(dir, "incident.lbtop")
	audit := filepath.Join(dir, "audit.log")
	w := startWatch(t, "--config", cfg, "-o", "jsonl", "--record", rec, "--audit-log", audit)
	inst.WaitFor(t, func() bool { return recordedPolls(rec) >= 3 })

	// a dies: its address now refuses connections.
	_, port, _ := net.SplitHostPort(haproxytest.ClosedPort(t))
	inst.Cmd(t, "set server web/a addr 127.0.0.1 port "+port)
	died, _ := w.await(t, "web/a healthy → unhealthy", isBackend("a", "healthy", "unhealthy"))
	if !strings.Contains(died.Reason, "L4CON") || died.Source != "lb1" {
		t.Errorf("down event %+v, want reason L4CON from lb1", died)
	}
	fired, _ := w.await(t, "alert firing", isAlert(model.AlertFiring))
	if fired.Value == nil || *fired.Value != 0.5 || fired.Time.Sub(died.Time) < 400*time.Millisecond {
		t.Errorf("firing %+v: want value 0.5, at least 400ms after the server died (%s)", fired, died.Time)
	}

	// a comes back.
	host, port, _ := net.SplitHostPort(inst.Backends["web/a"].Addr)
	inst.Cmd(t, "set server web/a addr "+host+" port "+port)
	back, _ := w.await(t, "web/a unhealthy → healthy", isBackend("a", "unhealthy", "healthy"))
	resolved, _ := w.await(t, "alert resolved", isAlert(model.AlertResolved))
	if !died.Time.Before(back.Time) || resolved.Time.Before(back.Time) {
		t.Errorf("out of order: died %s, back %s, resolved %s", died.Time, back.Time, resolved.Time)
	}

	// an operator drains b: the audit log's line becomes an action event.
	if code, out, errs := actRun(t, "", "drain", "web/b", "--haproxy", inst.Addr, "--yes", "--reason", "INC-1234", "--audit-log", audit); code != exitOK {
		t.Fatalf("drain: exit %d\n%s\n%s", code, out, errs)
	}
	// the audit log has a "sent" line, then the outcome: await the outcome.
	act, _ := w.await(t, "action event", func(e model.Event) bool { return e.Type == model.EventAction && e.State != "sent" })
	if act.Reason != "INC-1234" || act.To != "drain" || act.Backend != "b" || act.User == "" || act.State != "confirmed" {
		t.Errorf("action event %+v", act)
	}
	if code, errs := w.stop(); code != exitOK {
		t.Fatalf("watch exit %d: %s", code, errs)
	}

	outage := died.Time.Add(back.Time.Sub(died.Time) / 2)
	assertReplayHealth(t, rec, outage, "unhealthy")
	assertReplayHealth(t, rec, died.Time.Add(-time.Millisecond), "healthy")
	// an hour after the end: the fleet then is not known, not the last one seen
	late := back.Time.Add(time.Hour).Format(time.RFC3339)
	if code, out, errs := runCapture(t, "replay", rec, "--at", late, "--once"); code != exitError || out != "" || !strings.Contains(errs, "the recording runs from") {
		t.Errorf("replay --at %s (after the end): exit %d, stdout %q, stderr %q", late, code, out, errs)
	}

	code, out, errs := runCapture(t, "replay", rec, "--events", "-o", "jsonl")
	if code != exitOK || !strings.Contains(out, `"from":"healthy","to":"unhealthy","reason":"DOWN: L4CON`) || !strings.Contains(out, `"from":"unhealthy","to":"healthy"`) || !strings.Contains(out, `"state":"firing"`) {
		t.Errorf("replay --events: exit %d\n%s\n%s", code, out, errs)
	}

	// the same recording with its last bytes cut off still replays.
	whole, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.lbtop")
	writeFile(t, cut, string(whole[:len(whole)-9]))
	assertReplayHealth(t, cut, outage, "unhealthy")
	code, _, errs = runCapture(t, "replay", cut, "--events", "-o", "text")
	if code != exitOK || !strings.Contains(errs, "cut off") {
		t.Errorf("replay of a cut recording: exit %d, stderr %q", code, errs)
	}
}

// assertReplayHealth checks backend web/a's health in `replay --at`.
func assertReplayHealth(t *testing.T, rec string, at time.Time, want string) {
	t.Helper()
	code, out, errs := runCapture(t, "replay", rec, "--at", at.Format(time.RFC3339Nano), "--once", "-o", "json")
	if code != exitOK {
		t.Fatalf("replay --at %s: exit %d\n%s", at, code, errs)
	}
	var doc onceJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("replay --at: %v\n%s", err, out)
	}
	for _, p := range doc.Pools {
		for _, b := range p.Backends {
			if p.Name == "web" && b.Name == "a" {
				if b.Health.String() != want {
					t.Errorf("replay --at %s: web/a is %s, want %s", at.Format(time.RFC3339Nano), b.Health, want)
				}
				return
			}
		}
	}
	t.Errorf("replay --at %s: no web/a in\n%s", at, out)
}

func runCapture(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(args, func(string) string { return "" }, &out, &errs)
	return code, out.String(), errs.String()
}

func recordedPolls(path string) int {
	p, err := record.Open(path)
	if err != nil {
		return 0
	}
	defer p.Close()
	return len(p.Times())
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestWatchAndReplayFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "--haproxy", "127.0.0.1:1", "-o", "yaml"}, `-o "yaml": want jsonl or text`},
		{[]string{"watch"}, "no sources"},
		{[]string{"watch", "--haproxy", "127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
		{[]string{"replay"}, "want one recording file"},
		{[]string{"replay", "x.lbtop", "--once"}, "--at TIME is required"},
		{[]string{"replay", "x.lbtop", "--events", "-o", "json"}, `-o "json": want jsonl or text`},
		{[]string{"replay", "x.lbtop", "-o", "json"}, "-o json needs --once or --events"},
		{[]string{"replay", "x.lbtop", "--events", "--bell"}, "--bell rings on the replay dashboard"},
		{[]string{"--haproxy", "127.0.0.1:1", "--once", "--bell"}, "--bell rings on the dashboard"},
		{[]string{"replay", filepath.Join(t.TempDir(), "missing"), "--events"}, "no such file"},
		{[]string{"replay", "x.lbtop", "--events", "--demo"}, "lbtop: replay: unknown flag --demo (see lbtop replay -h)\n"},
		{[]string{"replay", "x.lbtop", "--events", "--at", "+10s"}, "lbtop: replay: --at goes with --once or the dashboard; --events prints every recorded event\n"},
	} {
		code, _, errs := runCapture(t, tc.args...)
		if code != exitError || !strings.Contains(errs, tc.want) || strings.HasSuffix(tc.want, "\n") && strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestWatchTextIsSanitizedAndRings(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 24, 3, 12, 4, 0, time.UTC)
	v := 0.5
	evs := []model.Event{
		{Time: at, Type: model.EventBackend, Source: "lb1", Pool: "web", Backend: "a\x1b[2J", From: "healthy", To: "unhealthy", Reason: "L4CON\r\n"},
		{Time: at, Type: model.EventPool, Source: "lb1", Pool: "web", From: "1/1", To: "0/1", NoHealthy: true},
		{Time: at, Type: model.EventAlert, Name: "web-capacity", Pool: "web", State: model.AlertFiring, Value: &v},
	}
	var out bytes.Buffer
	if err := newEventWriter(&out, false, true).write(evs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || strings.ContainsAny(lines[0], "\x1b\r") || !strings.HasPrefix(lines[0], "03:12:04 backend lb1 web/a") {
		t.Errorf("text lines %q", lines)
	}
	if strings.Count(out.String(), "\a") != 2 || !strings.HasPrefix(lines[1], "\a") || !strings.HasPrefix(lines[2], "\a03:12:04 alert web-capacity firing web value=0.5") {
		t.Errorf("want a bell before the pool losing its last backend and the firing rule: %q", lines)
	}
	out.Reset()
	if err := newEventWriter(&out, true, true).write(evs); err != nil || strings.Contains(out.String(), "\a") {
		t.Errorf("jsonl never rings: %q %v", out.String(), err)
	}
}

// TestWatchAppliesMemoryLimit: lbtop watch holds the same store and
// history as the dashboard, so --memory-limit sets the process's soft
// limit there too. Not parallel: the limit is the process's.
func TestWatchAppliesMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "") // memlimit leaves the limit to the runtime when it is set
	old := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	const want = 1 << 30 // above what the live heap could raise it to
	w := startWatch(t, "--haproxy", haproxytest.ClosedPort(t), "-o", "jsonl", "--memory-limit", "1GiB")
	deadline := time.Now().Add(20 * time.Second)
	for debug.SetMemoryLimit(-1) != want {
		if time.Now().After(deadline) {
			t.Fatalf("watch --memory-limit 1GiB: the soft limit is %d, want %d", debug.SetMemoryLimit(-1), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, errs := w.stop(); code != exitOK {
		t.Fatalf("watch exit %d: %s", code, errs)
	}
}
