package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/record"
)

// drainRecording records lb1's pool web (a, b, c) polled every 2 s for
// 20 polls while ana drains b (poll 5, confirmed at 6), cy sets c's
// weight to 0 (poll 8), bob puts b back (poll 14) and ana fails the proxy
// (poll 16): the action events written as the dashboard records them
// (actionEvent of each audit line). It returns the file and poll times.
func drainRecording(t *testing.T) (string, []time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "drain.lbtop")
	rec, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 3, 12, 0, 0, time.UTC)
	zero := 0
	audit := map[int][]actions.Entry{
		5:  {{User: actions.Who{Login: "ana"}, Source: "lb1", Pool: "web", Backend: "b", Action: "drain", Reason: "INC-7", Result: actions.Sent}},
		6:  {{User: actions.Who{Login: "ana"}, Source: "lb1", Pool: "web", Backend: "b", Action: "drain", Reason: "INC-7", Result: actions.Confirmed}},
		8:  {{User: actions.Who{Login: "cy"}, Source: "lb1", Pool: "web", Backend: "c", Action: "weight", Weight: &zero, Result: actions.Confirmed}},
		14: {{User: actions.Who{Login: "bob"}, Source: "lb1", Pool: "web", Backend: "b", Action: "ready", Result: actions.Confirmed}},
		16: {{User: actions.Who{Login: "ana"}, Source: "lb1", Action: "proxy-fail", Reason: "drill", Result: actions.Confirmed}},
	}
	var times []time.Time
	for i := range 20 {
		at := t0.Add(time.Duration(i) * 2 * time.Second)
		for _, e := range audit[i] {
			e.Time = at.Add(-time.Second)
			if err := rec.Event(actionEvent(e)); err != nil {
				t.Fatal(err)
			}
		}
		b := model.Backend{Name: "b", Address: "10.0.0.2:80", Health: model.Healthy, Reason: "L7OK", Weight: 10, Admin: model.AdminReady}
		if i >= 6 && i < 15 {
			b.Health, b.Reason, b.Admin = model.Draining, "DRAIN", model.AdminDrain
		}
		c := model.Backend{Name: "c", Address: "10.0.0.3:80", Health: model.Healthy, Reason: "L7OK", Weight: 10, Admin: model.AdminReady}
		if i >= 8 {
			c.Weight = 0
		}
		s := model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: at, ProxyFailing: i >= 16, Pools: []model.Pool{{Name: "web", Backends: []model.Backend{
			{Name: "a", Address: "10.0.0.1:80", Health: model.Healthy, Reason: "L7OK", Weight: 10, Admin: model.AdminReady}, b, c,
		}}}}
		if err := rec.Snapshot(s); err != nil {
			t.Fatal(err)
		}
		times = append(times, at)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path, times
}

// rowOf is backend name's row in the pool view's frame.
func rowOf(frame, name string) string {
	for _, l := range strings.Split(ansi.Strip(frame), "\n") {
		if f := strings.Fields(strings.TrimLeft(l, "✘!~* ")); len(f) > 2 && f[0] == name {
			return l
		}
	}
	return ""
}

// TestReplayShowsWhoDrained: the replay's rows say who took a backend out
// and when, as the live dashboard's did at that moment, from the recorded
// actions up to the poll shown, whether reached by →, ← or t; and the
// header says who failed the proxy.
func TestReplayShowsWhoDrained(t *testing.T) {
	t.Parallel()
	path, times := drainRecording(t)
	r := startReplay(t, path, times[3], false)
	r.press(t, typed(":web")...)
	r.press(t, keyEnter, keyEnter) // jump to web, open it
	frame := r.m.View().Content
	want := func(i int, b, note string) {
		t.Helper()
		if !r.last.State.At.Equal(times[i]) {
			t.Fatalf("at %s, want poll %d (%s)", r.last.State.At, i, times[i])
		}
		row := rowOf(frame, b)
		if note == "" && strings.Contains(row, "ago by") || note != "" && !strings.Contains(row, note) {
			t.Errorf("poll %d: the row of %s is %q, want the note %q\n%s", i, b, row, note, frame)
		}
	}
	want(3, "b", "")
	for i := 4; i <= 9; i++ { // → across ana's drain and cy's weight 0
		r.press(t, keyRight)
		frame = r.next(t)
	}
	want(9, "b", "drained 7s ago by ana")
	want(9, "c", "weight 0 3s ago by cy")
	r.press(t, key('t', "t"))
	r.press(t, typed(times[15].Format(time.RFC3339))...)
	r.press(t, keyEnter)
	frame = r.next(t)
	want(15, "b", "") // bob put it back
	want(15, "c", "weight 0 15s ago by cy")
	if len(r.last.ProxyBy) != 0 {
		t.Errorf("poll 15: proxy failed by %+v before ana failed it", r.last.ProxyBy)
	}
	r.press(t, keyLeft)
	frame = r.next(t)
	want(14, "b", "") // still draining, but bob's ready is in the log: not "drained by ana"
	for range 3 {
		r.press(t, keyRight)
		frame = r.next(t)
	}
	if e, ok := r.last.ProxyBy["lb1"]; !ok || e.User.Login != "ana" || e.Reason != "drill" || !strings.Contains(frame, "PROXY lb1 FAILING health checks (since "+e.Time.Local().Format("15:04")+" by ana)") {
		t.Errorf("poll 17: the proxy failed by %+v, want ana's proxy-fail in the header:\n%s", r.last.ProxyBy, frame)
	}
	r.press(t, key('t', "t"))
	r.press(t, typed("+0s")...)
	r.press(t, keyEnter)
	frame = r.next(t)
	want(0, "b", "")
	want(0, "c", "")
}
