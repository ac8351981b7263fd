package main

import (
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/lbtop/lbtop/ui"
)

// Frame pacing of a session. Every frame costs a session its view built,
// then the painter diffing the lines that changed (serve_paint.go), and there
// would be one per poll of each source plus one per clock tick (the ages
// move). So a fleet waits in the mailbox for the program's clock tick and
// the tick's own redraw is skipped: tick and fleet make one frame. A
// session nobody has typed in for idleAfter gets that frame every
// idleFrameEvery only, or idleNewsEvery when the fleet waiting brings
// news (an event: a backend or pool changed state, a source failed or
// came back, an alert, an action): what broke shows within a poll, the
// figures of a quiet idle screen move every idleFrameEvery. (Each
// source's poll makes a fleet, so without the floor a busy fleet would
// draw an idle screen every tick.) A key brings the session back at
// once, and notices never wait. A timer that only ends a mark
// (ui.IsExpiry) waits for the next frame too.
const (
	idleAfter      = 10 * time.Second
	idleFrameEvery = 4 * time.Second
	idleNewsEvery  = 2 * time.Second
	// fleetLate is how long a fleet waits for a due tick at most.
	fleetLate = idleFrameEvery + time.Second
	// tickSlack absorbs the clock's jitter when deciding a frame is due.
	tickSlack = 200 * time.Millisecond
)

// frames is what the program's filter and its model share; both run on
// the program's event loop only, one message at a time.
type frames struct {
	hold  bool      // the next View repeats the last frame
	last  tea.View  // the last frame built
	fleet time.Time // when the last fleet went in
	paint *painter  // draws each new frame on the session's terminal

	width, height int                  // the terminal's size, from Bubble Tea
	profile       colorprofile.Profile // its colors, from Bubble Tea
	hasProfile    bool
}

// paced is the dashboard with frame pacing: its View repeats the last
// frame when the filter said so.
type paced struct {
	ui.Model
	f *frames
}

// Update updates the dashboard, noting the terminal's size and colors
// for the painter.
func (p paced) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.f.width, p.f.height = msg.Width, msg.Height
	case tea.ColorProfileMsg:
		p.f.profile, p.f.hasProfile = msg.Profile, true
	}
	m, cmd := p.Model.Update(msg)
	p.Model = m.(ui.Model)
	return p, cmd
}

// View builds the frame and hands it to the painter (the session's
// renderer: Bubble Tea's own is off), or repeats the last one for a clock
// tick that a fleet follows at once or that an idle session skips. The
// painter draws on its own goroutine; View does no I/O.
func (p paced) View() tea.View {
	if p.f.hold && p.f.last.Content != "" {
		p.f.hold = false
		return p.f.last
	}
	p.f.hold = false
	p.f.last = p.Model.View()
	if p.f.width > 0 && p.f.height > 0 && p.f.hasProfile {
		p.f.paint.show(frame{content: p.f.last.Content, width: p.f.width, height: p.f.height, profile: p.f.profile})
	}
	return p.f.last
}

// ticked is the program's filter. On a clock tick it decides whether a
// frame is due (always for a session in use; every idleFrameEvery for an
// idle one, idleNewsEvery when the fleet waiting brings news) and, if
// so, tells forward to hand over the fleet waiting; a tick that is not
// due, or that the fleet follows, is not drawn. The session's own
// action's outcome has the fleet waiting (the one that shows it) handed
// over at once.
func (ss *session) ticked(_ tea.Model, msg tea.Msg) tea.Msg {
	f := &ss.frames
	if _, ok := msg.(ui.FleetMsg); ok {
		f.fleet = time.Now()
		return msg
	}
	if _, ok := msg.(ui.ActionResultMsg); ok { // this session's own outcome: its fleet follows at once
		select {
		case ss.tick <- struct{}{}:
		default:
		}
		return msg
	}
	if ui.IsExpiry(msg) {
		f.hold = true // the Δ goes with the next frame, a second or two later
		return msg
	}
	if !ui.IsClock(msg) {
		return msg
	}
	now := time.Now()
	idle := now.Sub(ss.in.last()) >= idleAfter
	every := idleFrameEvery
	if ss.news.Load() && len(ss.mail) > 0 { // a fleet drawn without a due tick (forward's late path) leaves the flag
		every = idleNewsEvery
	}
	if idle && now.Sub(f.fleet) < every-tickSlack {
		f.hold = true
		return msg
	}
	if len(ss.mail) > 0 {
		ss.news.Store(false)
		f.hold = true // the fleet's frame shows this tick's ages too
		select {
		case ss.tick <- struct{}{}:
		default:
		}
	}
	return msg
}

// forward hands the program its mail until done closes: each fleet when
// its frame is due (ticked), the newest waiting in the mailbox meanwhile;
// notices at once, another session's action behind the fleet waiting
// (the server sends its outcome once a fleet shows it: awaitFleet). A
// program that cannot take a message (its client stopped reading) holds
// only this goroutine; newer fleets replace the one waiting.
func (ss *session) forward(done <-chan struct{}) {
	mail := ss.mail // the first fleet at once
	late := time.NewTimer(fleetLate)
	defer late.Stop()
	send := func(m ui.FleetMsg) {
		ss.p.Send(m)
		mail = nil
		late.Reset(fleetLate)
	}
	waiting := func() { // the fleet waiting, if any
		select {
		case m := <-ss.mail:
			send(m)
		default:
		}
	}
	for {
		select {
		case <-done:
			return
		case m := <-mail:
			send(m)
		case <-ss.tick:
			waiting()
		case <-late.C: // no due tick for a while: take the next fleet as it comes
			mail = ss.mail
		case m := <-ss.msgs:
			if _, ok := m.(ui.PeerActionMsg); ok {
				waiting() // its fleet first: the row shows what the notice says
			}
			ss.p.Send(m)
		}
	}
}

// program makes the session's Bubble Tea program: the dashboard m with
// frame pacing, the session's bounded input, and the painter drawing on
// out instead of Bubble Tea's renderer. Bubble Tea still ticks its (now
// idle) render loop, at serveFPS.
func (ss *session) program(m ui.Model, out io.Writer, opts ...tea.ProgramOption) {
	ss.frames.paint = newPainter(out)
	ss.p = tea.NewProgram(paced{m, &ss.frames}, append(opts,
		tea.WithInput(ss.in), tea.WithoutRenderer(), tea.WithFPS(serveFPS), tea.WithFilter(ss.ticked))...)
}
