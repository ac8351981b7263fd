package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// ReplayOp is what the dashboard asks of a replay engine.
type ReplayOp uint8

// The replay requests, one per replay key.
const (
	ReplayForward   ReplayOp = iota // → one poll forward
	ReplayBack                      // ← one poll back
	ReplayPlayPause                 // space: play or pause (at the end: play from the start)
	ReplayFaster                    // +: double the speed, up to MaxReplaySpeed
	ReplaySlower                    // -: halve the speed, down to 1×
	ReplaySeek                      // t: jump to ReplayRequest.Time
)

var replayOpNames = [...]string{
	ReplayForward: "forward", ReplayBack: "back", ReplayPlayPause: "play/pause",
	ReplayFaster: "faster", ReplaySlower: "slower", ReplaySeek: "seek",
}

// String names the request.
func (o ReplayOp) String() string {
	if int(o) < len(replayOpNames) {
		return replayOpNames[o]
	}
	return "replay(" + strconv.Itoa(int(o)) + ")"
}

// MaxReplaySpeed is the fastest replay: speeds double from 1× up to it.
const MaxReplaySpeed = 16

// ReplayRequest is one request to the replay engine. Time, for
// ReplaySeek, is the text typed after t (HH:MM:SS, RFC3339 or +90s): the
// engine reads it, since it knows the recording's span.
type ReplayRequest struct {
	Op   ReplayOp
	Time string
}

// ReplayControl is the replay engine as the dashboard sees it. Control
// hands it a request and must not block (it is called from a tea.Cmd, not
// from Update); the engine answers with a ReplayMsg, or a StatusMsg saying
// what it could not do.
type ReplayControl interface {
	Control(ReplayRequest)
}

// ReplayState is where a replay stands.
type ReplayState struct {
	At         time.Time // the recorded poll shown, in the zone to show it in
	Start, End time.Time // the recording's span
	Playing    bool
	Speed      int  // 1, 2, 4 … MaxReplaySpeed
	AtEnd      bool // the last recorded poll is shown
}

// ReplayMsg is the replay engine's answer to a request, or its next step
// while playing: the fleet as recorded at State.At, exactly as a live
// engine sends it, and where the replay stands. Every view then works on
// the recording as on a live fleet.
type ReplayMsg struct {
	Fleet FleetMsg
	State ReplayState

	// DrainedBy and ProxyBy are who had taken backends out and failed
	// proxies at State.At, from the recorded actions up to then
	// (actions.LastBy, actions.LastProxy): the rows' "drained 4m ago by
	// ana" and the header's "since 03:12 by ana", as they were live.
	DrainedBy map[model.BackendRef]actions.Entry
	ProxyBy   map[string]actions.Entry
}

// replayState is the dashboard's side of a replay: the engine's last
// word and the t prompt. Model holds it by pointer and never changes it in
// place (a copy is changed and stored), so Model stays a value.
type replayState struct {
	state  ReplayState
	prompt bool // t: typing a time
	text   string
}

// replayUpdate handles what replay mode changes, before Update's usual
// handling; ok is false for everything else. The recorded fleet arrives
// through the live path; the clock then reads the recorded time, and
// wall-clock ticks no longer move it.
func (m Model) replayUpdate(msg tea.Msg) (out tea.Model, cmd tea.Cmd, ok bool) {
	if m.opts.Replay == nil {
		return m, nil, false
	}
	var rs replayState
	if m.times.replay != nil {
		rs = *m.times.replay
	}
	switch msg := msg.(type) {
	case ReplayMsg:
		rs.state = msg.State
		m.times.replay = &rs
		if msg.Fleet.Fleet != nil { // a new poll shown, not a change of speed
			m.acts.drainedBy, m.acts.proxyBy = msg.DrainedBy, msg.ProxyBy // a replay takes no action of its own
		}
		next, cmd := m.Update(msg.Fleet)
		mm := next.(Model)
		if !msg.State.At.IsZero() {
			mm.times.now = msg.State.At
		}
		return mm, cmd, true
	case clockMsg:
		return m, nil, true // the recorded time moves only with the recording
	case causeExpiredMsg:
		next, cmd := m.causesExpired(m.times.now)
		return next, cmd, true
	case tea.PasteMsg:
		if rs.prompt {
			rs.text += printable(msg.Content)
			m.times.replay = &rs
			return m, nil, true
		}
	case tea.KeyPressMsg:
		if rs.prompt {
			return m.replayPromptKey(msg, rs)
		}
		if ov := m.overlay(); ov != overlayNone && ov != overlayDetail && ov != overlayEvents {
			return m, nil, false // the filter prompt, help, quit: their keys
		}
		switch msg.String() {
		case "right":
			return m, m.replayCmd(ReplayRequest{Op: ReplayForward}), true
		case "left":
			return m, m.replayCmd(ReplayRequest{Op: ReplayBack}), true
		case "space":
			return m, m.replayCmd(ReplayRequest{Op: ReplayPlayPause}), true
		case "+", "=":
			return m, m.replayCmd(ReplayRequest{Op: ReplayFaster}), true
		case "-":
			return m, m.replayCmd(ReplayRequest{Op: ReplaySlower}), true
		case "t":
			rs.prompt, rs.text = true, ""
			m.times.replay = &rs
			return m, nil, true
		}
	}
	return m, nil, false
}

// replayPromptKey edits the t prompt; enter asks the engine to jump.
func (m Model) replayPromptKey(msg tea.KeyPressMsg, rs replayState) (tea.Model, tea.Cmd, bool) {
	switch msg.String() {
	case "ctrl+c":
		return m, nil, false
	case "esc":
		rs.prompt, rs.text = false, ""
	case "enter":
		text := strings.TrimSpace(rs.text)
		rs.prompt, rs.text = false, ""
		m.times.replay = &rs
		if text == "" {
			return m, nil, true
		}
		if m.msg.level == StatusError {
			m.msg.clear(m.msg.id) // an earlier jump's error would outlive this jump
		}
		return m, m.replayCmd(ReplayRequest{Op: ReplaySeek, Time: text}), true
	case "backspace":
		rs.text = dropLastRune(rs.text)
	case "ctrl+u":
		rs.text = ""
	default:
		if msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
			rs.text += printable(msg.Text)
		}
	}
	m.times.replay = &rs
	return m, nil, true
}

// replayCmd hands a request to the engine inside a Cmd: Update itself
// only changes state.
func (m *Model) replayCmd(r ReplayRequest) tea.Cmd {
	ctl := m.opts.Replay
	return func() tea.Msg {
		ctl.Control(r)
		return nil
	}
}

// replayLines is 1 in replay mode (the banner), else 0.
func (m *Model) replayLines() int {
	if m.opts.Replay == nil {
		return 0
	}
	return 1
}

// replayBanner is replay mode's first line: the recorded moment shown,
// playing or not and how fast, or the t prompt. "" when not replaying.
func (m *Model) replayBanner(w int) string {
	if m.opts.Replay == nil {
		return ""
	}
	tag := m.st.Selected.Render(" REPLAY ")
	if m.times.replay == nil || m.times.replay.state.At.IsZero() {
		return clip(tag+" reading the recording…", w)
	}
	rs := m.times.replay
	st := &rs.state
	at := " " + st.At.Format("2006-01-02 15:04:05 MST")
	if rs.prompt {
		return clip(tag+at+" · go to: "+rs.text+"▏"+m.st.Dim.Render("  HH:MM:SS, RFC3339 or +90s · enter · esc"), w)
	}
	var mode string
	switch {
	case st.AtEnd:
		mode = " ■ end of recording"
	case st.Playing:
		mode = " ▶ " + strconv.Itoa(max(st.Speed, 1)) + "×"
	default:
		mode = " ‖ paused"
	}
	span := " +" + fmtSpan(st.At.Sub(st.Start)) + "/" + fmtSpan(st.End.Sub(st.Start))
	hint := m.st.Dim.Render("  ←/→ space +/- t · ? help")
	return clip(tag+at+mode+span+hint, w)
}

// fmtSpan is a duration to the second: 1h2m3s, 4m0s, 12s.
func fmtSpan(d time.Duration) string {
	return max(d, 0).Round(time.Second).String()
}

// ReplayKeyHelp documents replay mode's own keys (in help there and in
// the README); the action keys are gone in replay, as with --read-only.
func ReplayKeyHelp() []KeyDoc {
	return []KeyDoc{
		{Key: "←/→", Action: "one poll back / forward"},
		{Key: "space", Action: "play / pause", More: "at the end: again from the start"},
		{Key: "+/-", Action: "speed: 1× 2× 4× 8× " + strconv.Itoa(MaxReplaySpeed) + "×"},
		{Key: "t", Action: "jump to a time", More: "HH:MM:SS, RFC3339 or +90s from the start"},
	}
}

// READMEReplayKeysSection names the README section generated from
// ReplayKeyHelp.
const READMEReplayKeysSection = "replay-keys"

// READMEReplayKeys is the README's replay keys table.
func READMEReplayKeys() string { return KeyMarkdown(ReplayKeyHelp()) }

// replayDocs is the help's key list in replay mode: pause and refresh
// give way to the replay keys.
func (m *Model) replayDocs(docs []KeyDoc) []KeyDoc {
	if m.opts.Replay == nil {
		return docs
	}
	pause, refresh := m.keys.Pause.Help().Key, m.keys.Refresh.Help().Key
	out := make([]KeyDoc, 0, len(docs)+4)
	for _, d := range docs {
		if d.Key != pause && d.Key != refresh {
			out = append(out, d)
		}
	}
	return append(out, ReplayKeyHelp()...)
}
