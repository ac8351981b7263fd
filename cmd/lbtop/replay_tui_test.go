package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy/haproxytest"
	"github.com/lbtop/lbtop/sources/record"
	"github.com/lbtop/lbtop/ui"
)

// outage is a real HAProxy run recorded by `watch --record`: web/a and
// solo/s (solo's only server) refuse connections from died until back,
// and the rule web-capacity fires in between.
type outage struct {
	rec         string
	cfg         *config.Config
	died, back  time.Time // web/a's recorded transitions
	fired       time.Time
	soloDown    time.Time // solo/s's
	lastBefore  time.Time // a recorded poll before died
	firstInside time.Time // a recorded poll inside the outage, after the rule fired
}

// webCapacityConfig writes a config polling the HAProxy at addr every
// 200ms with the rule web-capacity (web below 80% for 400ms), and
// returns its path.
func webCapacityConfig(t *testing.T, dir, addr string) string {
	t.Helper()
	path := filepath.Join(dir, "lbtop.yaml")
	writeFile(t, path, `interval: 200ms
sources:
  - kind: haproxy
    name: lb1
    address: `+addr+`
alerts:
  - name: web-capacity
    pools: "^web$"
    when: healthy_ratio < 0.8
    for: 400ms
`)
	return path
}

// pollsAfter counts the polls recorded after at.
func pollsAfter(rec string, at time.Time) int {
	p, err := record.Open(rec)
	if err != nil {
		return 0
	}
	defer p.Close()
	n := 0
	for _, t := range p.Times() {
		if t.After(at) {
			n++
		}
	}
	return n
}

func recordOutage(t *testing.T) *outage {
	t.Helper()
	inst := haproxytest.Start(t, haproxytest.Config{Backends: []haproxytest.Backend{
		{Name: "web", Servers: []haproxytest.Server{{Name: "a"}, {Name: "b"}}},
		{Name: "solo", Servers: []haproxytest.Server{{Name: "s"}}},
	}})
	inst.WaitFor(t, func() bool { return inst.Status(t, "web", "a") == "UP" && inst.Status(t, "solo", "s") == "UP" })
	dir := t.TempDir()
	cfgPath := webCapacityConfig(t, dir, inst.Addr)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	o := &outage{rec: filepath.Join(dir, "incident.lbtop"), cfg: cfg}
	w := startWatch(t, "--config", cfgPath, "-o", "jsonl", "--record", o.rec, "--audit-log", filepath.Join(dir, "audit.log"))
	inst.WaitFor(t, func() bool { return recordedPolls(o.rec) >= 4 })
	_, port, _ := net.SplitHostPort(haproxytest.ClosedPort(t))
	inst.Cmd(t, "set server web/a addr 127.0.0.1 port "+port)
	inst.Cmd(t, "set server solo/s addr 127.0.0.1 port "+port)
	seen := map[string]time.Time{}
	for len(seen) < 3 {
		e, _ := w.await(t, "web/a and solo/s down, web-capacity firing", func(e model.Event) bool {
			return e.Type == model.EventAlert && e.State == model.AlertFiring ||
				e.Type == model.EventBackend && e.To == "unhealthy" && (e.Backend == "a" || e.Backend == "s")
		})
		seen[e.Backend+e.State] = e.Time
	}
	o.died, o.soloDown, o.fired = seen["a"], seen["s"], seen[model.AlertFiring]
	inst.WaitFor(t, func() bool { return pollsAfter(o.rec, o.fired) >= 2 })
	for _, s := range []string{"web/a", "solo/s"} {
		host, port, _ := net.SplitHostPort(inst.Backends[s].Addr)
		inst.Cmd(t, "set server "+s+" addr "+host+" port "+port)
	}
	back, _ := w.await(t, "web/a back", isBackend("a", "unhealthy", "healthy"))
	o.back = back.Time
	w.await(t, "web-capacity resolved", isAlert(model.AlertResolved))
	if code, errs := w.stop(); code != exitOK {
		t.Fatalf("watch exit %d: %s", code, errs)
	}
	p, err := record.Open(o.rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, at := range p.Times() {
		if at.Before(o.died) {
			o.lastBefore = at
		}
		if at.After(o.fired) && at.Before(o.back) && o.firstInside.IsZero() {
			o.firstInside = at
		}
	}
	if o.lastBefore.IsZero() || o.firstInside.IsZero() {
		t.Fatalf("no recorded poll before %s or after the rule fired at %s: %v", o.died, o.fired, p.Times())
	}
	return o
}

// TestReplayDashboardOnARealOutage records a real HAProxy outage, then
// drives the replay engine and the dashboard model together, as `lbtop
// replay FILE` wires them: stepping forward and back, jumping with t and
// playing show the fleet as recorded at each poll; then the --bell of the
// live dashboard and of the replay.
func TestReplayDashboardOnARealOutage(t *testing.T) {
	t.Parallel()
	o := recordOutage(t)
	t.Run("steps", func(t *testing.T) { testReplaySteps(t, o) })
	t.Run("dashboard bell", func(t *testing.T) { testDashboardBell(t, o) })
	t.Run("replay bell", func(t *testing.T) { testReplayBell(t, o) })
}

// replayRig is the replay engine running on its goroutine and the UI
// model, updated with every message the engine sends.
type replayRig struct {
	e      *replayer
	m      tea.Model
	msgs   chan tea.Msg
	status []ui.StatusMsg
	bells  int
	last   ui.ReplayMsg
}

func startReplay(t *testing.T, rec string, start time.Time, bell bool) *replayRig {
	t.Helper()
	e := openReplayer(t, rec)
	e.bell = bell
	if !start.IsZero() {
		e.i = e.indexAt(start)
	}
	r := &replayRig{e: e, msgs: make(chan tea.Msg, 1000)}
	r.m = ui.New(nil, ui.Options{ReadOnly: true, NoColor: true, Replay: e})
	r.m, _ = r.m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.run(ctx, func(msg tea.Msg) { r.msgs <- msg })
	}()
	t.Cleanup(func() { cancel(); <-done })
	r.next(t)
	return r
}

// next applies the engine's messages to the model until a ReplayMsg
// carrying a fleet, and returns the model's frame.
func (r *replayRig) next(t *testing.T) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case msg := <-r.msgs:
			switch msg := msg.(type) {
			case ui.StatusMsg:
				r.status = append(r.status, msg)
			case tea.RawMsg:
				if msg.Msg == "\a" {
					r.bells++
				}
			case ui.ReplayMsg:
				r.last = msg
			}
			r.m, _ = r.m.Update(msg)
			if rm, ok := msg.(ui.ReplayMsg); ok && rm.Fleet.Fleet != nil {
				return r.m.View().Content
			}
		case <-timeout:
			t.Fatal("the replay engine sent no fleet within 20 s")
		}
	}
}

// press sends keys to the model and runs the Cmds they return, as Bubble
// Tea does; a Cmd that hands a request to the engine answers nil.
func (r *replayRig) press(t *testing.T, keys ...tea.KeyPressMsg) {
	t.Helper()
	for _, k := range keys {
		var cmd tea.Cmd
		r.m, cmd = r.m.Update(k)
		if cmd != nil {
			if msg := cmd(); msg != nil {
				r.m, _ = r.m.Update(msg)
			}
		}
	}
}

func key(code rune, text string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: code, Text: text} }

func typed(s string) []tea.KeyPressMsg {
	var out []tea.KeyPressMsg
	for _, c := range s {
		out = append(out, key(c, string(c)))
	}
	return out
}

var (
	keyRight = tea.KeyPressMsg{Code: tea.KeyRight}
	keyLeft  = tea.KeyPressMsg{Code: tea.KeyLeft}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	keySpace = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
)

// health is web/a's health in the fleet the engine last sent.
func (r *replayRig) health(t *testing.T, pool, backend string) model.Health {
	t.Helper()
	f := r.last.Fleet.Fleet
	for i := range f.Pools {
		for _, b := range f.Pools[i].Backends {
			if f.Pools[i].Name == pool && b.Name == backend {
				return b.Health
			}
		}
	}
	t.Fatalf("no %s/%s in the replayed fleet at %s", pool, backend, r.last.State.At)
	return model.Unknown
}

// wantShown checks the frame shows the recorded moment and web/a as
// recorded then, in the fleet sent and on screen (the pool view of web).
func (r *replayRig) wantShown(t *testing.T, o *outage, frame string) {
	t.Helper()
	at := r.last.State.At
	want := model.Healthy
	if !at.Before(o.died) && at.Before(o.back) {
		want = model.Unhealthy
	}
	if got := r.health(t, "web", "a"); got != want {
		t.Errorf("at %s (died %s, back %s): web/a is %s, want %s", at.Format(time.StampMicro), o.died.Format(time.StampMicro), o.back.Format(time.StampMicro), got, want)
	}
	if banner := strings.SplitN(frame, "\n", 2)[0]; !strings.Contains(banner, "REPLAY") || !strings.Contains(banner, at.Format("2006-01-02 15:04:05")) {
		t.Errorf("banner %q does not show %s", banner, at.Format(time.TimeOnly))
	}
	row := ""
	for _, l := range strings.Split(ansi.Strip(frame), "\n") {
		if f := strings.Fields(strings.TrimLeft(l, "✘!~* ")); len(f) > 2 && f[0] == "a" {
			row = l
		}
	}
	if !strings.Contains(row, " "+want.String()+" ") {
		t.Errorf("at %s the pool view's row of a is %q, want %s\n%s", at, row, want, frame)
	}
}

func testReplaySteps(t *testing.T, o *outage) {
	r := startReplay(t, o.rec, o.lastBefore, false)
	if !r.last.State.At.Equal(o.lastBefore) || r.last.State.Playing {
		t.Fatalf("started at %s (playing %v), want %s paused", r.last.State.At, r.last.State.Playing, o.lastBefore)
	}
	// open the pool web: every step below is checked on its backends view
	r.press(t, typed(":web")...)
	r.press(t, keyEnter, keyEnter) // jump to web, open it
	frame := r.m.View().Content
	r.wantShown(t, o, frame)

	// → one poll at a time across the outage's start
	for r.last.State.At.Before(o.firstInside) {
		prev := r.last.State.At
		r.press(t, keyRight)
		frame = r.next(t)
		if !r.last.State.At.After(prev) {
			t.Fatalf("→ went from %s to %s", prev, r.last.State.At)
		}
		r.wantShown(t, o, frame)
	}
	if !strings.Contains(frame, "⚑ web-capacity") && !strings.Contains(poolsFrame(t, r), "⚑ web-capacity") {
		t.Errorf("the rule firing at %s is not shown at %s", o.fired, r.last.State.At)
	}
	r.press(t, key('e', "e"))
	if ev := r.m.View().Content; !strings.Contains(ev, "web/a healthy → unhealthy") {
		t.Errorf("the events view inside the outage lacks a's transition:\n%s", ev)
	}
	r.press(t, keyEsc)

	// ← back across the outage's start: a store rebuilt from the recording
	for !r.last.State.At.Before(o.died) {
		r.press(t, keyLeft)
		r.wantShown(t, o, r.next(t))
	}
	r.press(t, key('e', "e"))
	if ev := r.m.View().Content; strings.Contains(ev, "web/a healthy → unhealthy") {
		t.Errorf("the events view before the outage shows a's transition:\n%s", ev)
	}
	r.press(t, keyEsc)

	// t jumps: RFC3339 inside the outage, then +0s (the start)
	r.press(t, key('t', "t"))
	r.press(t, typed(o.firstInside.UTC().Format(time.RFC3339Nano))...)
	r.press(t, keyEnter)
	r.wantShown(t, o, r.next(t))
	if !r.last.State.At.Equal(o.firstInside) {
		t.Errorf("t %s went to %s", o.firstInside, r.last.State.At)
	}
	r.press(t, key('t', "t"))
	r.press(t, typed("+0s")...)
	r.press(t, keyEnter)
	r.wantShown(t, o, r.next(t))
	if start := r.e.times[0]; !r.last.State.At.Equal(start) {
		t.Errorf("t +0s went to %s, want the start %s", r.last.State.At, start)
	}
	// bad input: the engine says what it could not read, and stays
	r.press(t, key('t', "t"))
	r.press(t, typed("3 o'clock")...)
	r.press(t, keyEnter)
	r.press(t, key('t', "t"))
	r.press(t, typed("+1h")...) // outside the recording
	r.press(t, keyEnter)
	r.press(t, keySpace) // play
	r.next(t)
	if len(r.status) != 2 || !strings.Contains(r.status[0].Text, `"3 o'clock"`) || r.status[0].Level != ui.StatusError ||
		!strings.Contains(r.status[1].Text, "the recording runs from") {
		t.Errorf("bad times: status %+v", r.status)
	}
	for _, s := range r.status {
		if n := len([]rune(s.Text)); n > 78 { // the message line at 80 columns
			t.Errorf("%q is %d cells: cut at 80 columns", s.Text, n)
		}
	}
	// a good jump after them: their error leaves the message line
	r.press(t, keySpace) // pause
	r.press(t, key('t', "t"))
	r.press(t, typed("+0s")...)
	r.press(t, keyEnter)
	r.next(t)
	if frame := r.m.View().Content; strings.Contains(frame, "the recording runs from") {
		t.Errorf("a good jump left the last one's error:\n%s", frame)
	}
	r.press(t, keySpace) // play again

	// space plays at the recorded pace to the end, where it stops and says so
	r.press(t, key('+', "+"), key('+', "+"), key('+', "+"), key('+', "+"), key('+', "+"))
	for !r.last.State.AtEnd {
		r.wantShown(t, o, r.next(t))
	}
	if r.last.State.Playing || r.last.State.Speed != ui.MaxReplaySpeed {
		t.Errorf("at the end: playing %v at %d×", r.last.State.Playing, r.last.State.Speed)
	}
	if frame := r.m.View().Content; !strings.Contains(frame, "end of recording") {
		t.Errorf("the end is not said:\n%s", frame)
	}
}

// poolsFrame is the pool list's frame (esc from the pool view, then back).
func poolsFrame(t *testing.T, r *replayRig) string {
	t.Helper()
	r.press(t, keyEsc)
	frame := r.m.View().Content
	r.press(t, typed(":web")...)
	r.press(t, keyEnter, keyEnter)
	return frame
}

// recordedSnapshots are the recording's snapshots in order, as the hub
// delivered them to watch.
func recordedSnapshots(t *testing.T, rec string) []model.Snapshot {
	t.Helper()
	p, err := record.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var out []model.Snapshot
	if err := p.Range(p.Start().Add(-time.Nanosecond), p.End(), func(s model.Snapshot) error {
		out = append(out, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// testDashboardBell runs the live dashboard's engine on the recorded
// snapshots: with --bell it sends the bell right after the fleet in which
// the rule started firing and the one in which solo lost its only server,
// and never otherwise; without --bell never.
func testDashboardBell(t *testing.T, o *outage) {
	snaps := recordedSnapshots(t, o.rec)
	for _, bell := range []bool{true, false} {
		// the store's clock is the recorded one, so `for: 400ms` holds as
		// it did: each snapshot is sent once the previous one is shown
		var clock atomic.Int64
		store := model.NewStore(func() time.Time { return time.Unix(0, clock.Load()) })
		store.History().SetAlerts(o.cfg.AlertRules())
		feed := newFleetFeed(store, slog.New(slog.DiscardHandler), nil, nil)
		feed.bell = bell
		ch, shown := make(chan model.Snapshot), make(chan struct{}, 1)
		go func() {
			defer close(ch)
			for _, s := range snaps {
				clock.Store(s.At.UnixNano())
				ch <- s
				<-shown
			}
		}()
		var msgs []tea.Msg
		engine(feed, ch, func(m tea.Msg) {
			msgs = append(msgs, m)
			if _, ok := m.(ui.FleetMsg); ok && len(msgs) > 1 {
				shown <- struct{}{}
			}
		})

		var rang []string
		firing, soloDown := false, false
		for i, m := range msgs {
			if m == bellMsg {
				prev := msgs[i-1].(ui.FleetMsg).Fleet
				rang = append(rang, why(prev))
				continue
			}
			f := m.(ui.FleetMsg).Fleet
			web, solo := f.Pool("haproxy/web"), f.Pool("haproxy/solo")
			if web == nil || solo == nil {
				continue
			}
			nowFiring, nowDown := len(web.Firing) > 0, solo.NoHealthy()
			wantBell := bell && (nowFiring && !firing || nowDown && !soloDown)
			gotBell := i+1 < len(msgs) && msgs[i+1] == bellMsg
			if gotBell != wantBell {
				t.Errorf("--bell=%v: fleet %d (web firing %v→%v, solo down %v→%v): bell %v, want %v", bell, i, firing, nowFiring, soloDown, nowDown, gotBell, wantBell)
			}
			firing, soloDown = nowFiring, nowDown
		}
		if bell && len(rang) < 1 || !bell && len(rang) > 0 {
			t.Errorf("--bell=%v rang after %v", bell, rang)
		}
	}
}

// why says what a fleet rings for, for messages.
func why(f *model.Fleet) string {
	var s []string
	if p := f.Pool("haproxy/web"); p != nil && len(p.Firing) > 0 {
		s = append(s, "web firing")
	}
	if p := f.Pool("haproxy/solo"); p != nil && p.NoHealthy() {
		s = append(s, "solo down")
	}
	return strings.Join(s, "+")
}

// testReplayBell: the replay rings only when asked, on stepping forward
// over a recorded event that rang (the rule firing, solo's last server).
func testReplayBell(t *testing.T, o *outage) {
	for _, bell := range []bool{false, true} {
		r := startReplay(t, o.rec, o.lastBefore, bell)
		for r.last.State.At.Before(o.firstInside) {
			r.press(t, keyRight)
			r.next(t)
		}
		r.press(t, keyRight) // the bell follows the fleet: collect it
		r.next(t)
		if bell && r.bells == 0 || !bell && r.bells != 0 {
			t.Errorf("replay --bell=%v: %d bells stepping over the outage's start", bell, r.bells)
		}
		r.bells = 0
		r.press(t, keyLeft)
		r.next(t)
		if r.bells != 0 {
			t.Errorf("stepping back rang %d bells", r.bells)
		}
	}
}

// TestParseAt reads the moments of --at and of t: HH:MM:SS on the
// recording's day (the next day when before its start), RFC3339, +offset;
// a bad value is named.
func TestParseAt(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 24, 23, 50, 10, 400_000_000, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{in: "23:55:00", want: time.Date(2026, 11, 24, 23, 55, 0, 0, time.UTC)},
		{in: "23:50:10", want: time.Date(2026, 11, 24, 23, 50, 10, 0, time.UTC)}, // the start's own second
		{in: "00:05:00", want: time.Date(2026, 11, 25, 0, 5, 0, 0, time.UTC)},    // over midnight
		{in: "+90s", want: start.Add(90 * time.Second)},
		{in: "2026-11-24T23:59:00Z", want: time.Date(2026, 11, 24, 23, 59, 0, 0, time.UTC)},
		{in: "3 o'clock", err: `"3 o'clock": want HH:MM:SS`},
		{in: "+-5s", err: `"+-5s"`},
		{in: "25:00:00", err: `"25:00:00"`},
	} {
		got, err := parseAt(tc.in, start, time.UTC)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || !got.Equal(tc.want)):
			t.Errorf("%q: %s %v, want %s", tc.in, got, err, tc.want)
		}
	}
}
