package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/lbtop/lbtop/model"
)

// fakeReplay records the requests the dashboard hands the engine.
type fakeReplay struct{ got []ReplayRequest }

func (f *fakeReplay) Control(r ReplayRequest) { f.got = append(f.got, r) }

// replayAt is the fixture's recorded moment (its clock, t0), two minutes
// into a five-minute recording.
var replayAt = t0

func fixtureReplay(playing bool, speed int, atEnd bool) ReplayState {
	return ReplayState{At: replayAt, Start: replayAt.Add(-2 * time.Minute), End: replayAt.Add(3 * time.Minute), Playing: playing, Speed: speed, AtEnd: atEnd}
}

// newReplayModel is the fixture in replay mode after the engine's first
// answer.
func newReplayModel(t *testing.T, w, h int) (Model, *fakeReplay, *fixture) {
	t.Helper()
	ctl := &fakeReplay{}
	m, f := newModel(t, &fakeActor{}, Options{ReadOnly: true, Replay: ctl}, w, h)
	m = update(t, m, ReplayMsg{Fleet: FleetMsg{Fleet: f.poll(model.Healthy, "UP", 10)}, State: fixtureReplay(true, 2, false)})
	return m, ctl, f
}

// TestGoldenReplay shows the replay banner: playing, paused at the end,
// the t prompt, and the help with the replay keys instead of the actions.
func TestGoldenReplay(t *testing.T) {
	screens := []struct {
		name  string
		setup func(t *testing.T, m Model) Model
	}{
		{"banner", func(_ *testing.T, m Model) Model { return m }},
		{"paused", func(t *testing.T, m Model) Model {
			return update(t, m, ReplayMsg{State: fixtureReplay(false, 2, false)})
		}},
		{"end", func(t *testing.T, m Model) Model {
			return update(t, m, ReplayMsg{State: fixtureReplay(false, 4, true)})
		}},
		{"prompt", func(t *testing.T, m Model) Model { return typeText(t, press(t, m, "t"), "03:1") }},
		{"help", func(t *testing.T, m Model) Model { return press(t, m, "?") }},
		{"backends", func(t *testing.T, m Model) Model { return openPoolNamed(t, m, "web") }},
	}
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			m, _, _ := newReplayModel(t, 80, 24)
			m = s.setup(t, m)
			out := view(m)
			checkFrame(t, out, 80, 24)
			golden.RequireEqual(t, out)
		})
	}
}

// TestReplayKeysAskTheEngine checks each replay key: Update only changes
// state and returns a Cmd; running the Cmd hands the engine the request.
func TestReplayKeysAskTheEngine(t *testing.T) {
	m, ctl, _ := newReplayModel(t, 80, 24)
	for _, tc := range []struct {
		key  string
		want ReplayOp
	}{
		{"right", ReplayForward}, {"left", ReplayBack}, {"space", ReplayPlayPause},
		{"+", ReplayFaster}, {"-", ReplaySlower},
	} {
		var cmd tea.Cmd
		m, cmd = updateCmd(t, m, replayKey(tc.key))
		if len(ctl.got) != 0 || cmd == nil {
			t.Fatalf("%s: Update called the engine (%v) or returned no Cmd", tc.key, ctl.got)
		}
		if msg := cmd(); msg != nil {
			t.Errorf("%s: the Cmd answered %T; the engine answers on its own", tc.key, msg)
		}
		if len(ctl.got) != 1 || ctl.got[0].Op != tc.want {
			t.Errorf("%s: engine got %v, want %s", tc.key, ctl.got, tc.want)
		}
		ctl.got = nil
	}
	if m.times.paused {
		t.Error("space paused the view instead of the replay")
	}

	// t: type a time, enter jumps; esc leaves without a request.
	m = typeText(t, press(t, m, "t"), "03:1x")
	m = press(t, m, "backspace")
	m = typeText(t, m, "0:00")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter in the t prompt returned no Cmd")
	}
	cmd()
	if len(ctl.got) != 1 || ctl.got[0] != (ReplayRequest{Op: ReplaySeek, Time: "03:10:00"}) {
		t.Errorf("seek request %+v", ctl.got)
	}
	ctl.got = nil
	if m, cmd = updateCmd(t, press(t, typeText(t, press(t, m, "t"), "+90s"), "esc"), keyMsg("j")); cmd != nil || m.times.replay.prompt {
		t.Error("esc did not leave the t prompt quietly")
	}

	// while the filter is typed, the replay keys are letters of the filter
	m = typeText(t, press(t, m, "/"), "t-")
	if m.pools.query.Filter != "t-" || len(ctl.got) != 0 {
		t.Errorf("filter %q, engine got %v", m.pools.query.Filter, ctl.got)
	}
	m = press(t, m, "esc")

	// no action key works in replay
	for _, k := range []string{"d", "r", "m", "w", "F", "u"} {
		if m2 := press(t, openPoolNamed(t, m, "web"), k); m2.dialog.open || m2.input.mode == inputWeight {
			t.Errorf("%s opened an action in replay", k)
		} else if m2.msg.text != "replay: a recording cannot be acted on" {
			t.Errorf("%s in replay says %q", k, m2.msg.text)
		}
	}
}

// TestReplayClockIsTheRecording checks ages are measured at the recorded
// moment: a ReplayMsg sets the clock, the wall-clock tick does not move it.
func TestReplayClockIsTheRecording(t *testing.T) {
	m, _, f := newReplayModel(t, 80, 24)
	if !m.times.now.Equal(replayAt) {
		t.Fatalf("now %s, want the recorded %s", m.times.now, replayAt)
	}
	m, cmd := updateCmd(t, m, clockMsg(t0.Add(time.Hour)))
	if !m.times.now.Equal(replayAt) || cmd != nil {
		t.Errorf("the clock tick moved a replay to %s (cmd %v)", m.times.now, cmd != nil)
	}
	later := replayAt.Add(2 * time.Second)
	st := fixtureReplay(true, 2, false)
	st.At = later
	m = update(t, m, ReplayMsg{Fleet: FleetMsg{Fleet: f.poll(model.Unhealthy, "L4CON", 10)}, State: st})
	if !m.times.now.Equal(later) || m.times.replay.state.At != later {
		t.Errorf("after the next step now is %s, want %s", m.times.now, later)
	}
	web := openPoolNamed(t, m, "web")
	web = cursorTo(t, web, "web-2")
	if b := web.backends.cursor(); b == nil || b.Health != model.Unhealthy {
		t.Errorf("the replayed fleet is not the one shown: web-2 %+v", b)
	}
}

// replayKey is keyMsg plus the arrows and space.
func replayKey(k string) tea.KeyPressMsg {
	switch k {
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	return keyMsg(k)
}
