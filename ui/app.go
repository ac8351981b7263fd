// Package ui is lbtop's terminal interface, built on Bubble Tea v2. It
// renders the immutable model.Fleet that main sends as FleetMsg, and turns
// keys into confirmed actions performed through an Executor inside tea.Cmds.
// Update never does I/O and View renders only the visible rows.
package ui

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// Actor says what each source can do; *sources.Hub implements it (and
// actions.WeightRanger, which actions.Plan consults). It must not block.
type Actor = actions.Caps

// Options configure the UI.
type Options struct {
	ReadOnly      bool             // refuse every action; action keys are hidden from help
	NoColor       bool             // NO_COLOR: attributes and marks only
	ActionTimeout time.Duration    // deadline of one action; 10s when zero
	Now           func() time.Time // clock; time.Now when nil

	// Executor performs every action end to end (write, verifying poll,
	// audit lines); without it actions are disabled.
	Executor Executor
	// Context is the program's root: every action runs under a context
	// derived from it, so ending the program (quit anyway, a signal)
	// cancels the actions still running instead of leaving them to their
	// timeouts. context.Background() when nil.
	Context context.Context
	// Floor is the share of a pool's backends that must stay serving
	// before an action needs the pool name typed; actions.DefaultFloor
	// when zero.
	Floor float64
	// Audit is the audit log read at start, for the "drained 12 min ago
	// by alice" notes; User is this session's login name for its own.
	Audit []actions.Entry
	User  string
	// Refresh asks every source to poll now (R); it must not block
	// (sources.Hub.RefreshAll). Nil: R says it is not available.
	Refresh func()
	// Identity, when set, is shown in the header: "ana · operator" for
	// a session of `lbtop serve`.
	Identity string
	// Replay, when set, is a replay engine: the dashboard shows a
	// recording, with its banner and keys (replay.go). Set ReadOnly too.
	Replay ReplayControl
}

// Defaults for Options and the action flow.
const (
	defaultActionTimeout = 10 * time.Second
	defaultStatusTTL     = 8 * time.Second
	errorStatusTTL       = 30 * time.Second
	defaultWidth         = 80
	defaultHeight        = 24
)

// screen is the list the dashboard shows.
type screen uint8

const (
	screenPools screen = iota
	screenBackends
)

// Model is the root Bubble Tea model: it routes messages to the state
// types below and composes their views. It is a value: Update returns a
// new one. Slices it holds are never modified in place once shared.
type Model struct {
	actor Actor
	opts  Options
	keys  KeyMap
	st    Styles

	fleet    *model.Fleet
	win      winSize
	screen   screen
	pools    poolsView    // the pools list: query, cursor, filter steps, header counts, Δ marks
	backends backendsView // the open pool's backends
	input    inputState   // the filter, weight or jump prompt on the message line
	dialog   dialog       // an action's confirmation
	over     overlays     // help, detail and the a/o/e lists
	acts     actionState  // pending actions, history, marks, who did what, a quit waiting on them
	msg      statusLine   // the message line, the ids it hands out, who watches
	times    timeState    // now, the history view, first-seen times, the pause
}

// winSize is the terminal's size, zero before the first WindowSizeMsg.
type winSize struct{ w, h int }

// New returns the UI model. actor may be nil only when opts.ReadOnly.
func New(actor Actor, opts Options) Model {
	if opts.ActionTimeout <= 0 {
		opts.ActionTimeout = defaultActionTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Floor <= 0 {
		opts.Floor = actions.DefaultFloor
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	return Model{
		actor: actor,
		opts:  opts,
		keys:  DefaultKeyMap(),
		st:    newStyles(opts.NoColor),
		times: timeState{now: opts.Now()},
		acts:  actionState{drainedBy: actions.LastBy(opts.Audit), proxyBy: actions.LastProxy(opts.Audit)},
	}
}

// Init starts the one-second clock that moves ages on screen; data
// arrives as FleetMsg from main.
func (m Model) Init() tea.Cmd { return clockTick() }

// Update applies one message. It is pure: no I/O, no blocking, and it
// never runs the Executor (only the Cmd from execCmd does).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if out, cmd, ok := m.replayUpdate(msg); ok {
		return out, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.win = winSize{msg.Width, msg.Height}
		m.scrollIntoView()
	case FleetMsg:
		if msg.Seen != nil && msg.Fleet != nil && (m.fleet == nil || msg.Fleet.Gen == 0 || msg.Fleet.Gen > m.fleet.Gen) {
			m.times.seen = msg.Seen
		}
		if m.times.paused {
			m.times.hold(msg.Fleet, msg.Causes)
			return m, nil
		}
		if msg.History != nil {
			m.times.hist = msg.History
		}
		return m.setFleet(msg.Fleet, msg.Causes)
	case clockMsg:
		return m.clock()
	case ActionResultMsg:
		return m.actionResult(msg)
	case causeExpiredMsg:
		return m.causesExpired(msg.At)
	case StatusMsg:
		return m.setStatus(msg.Level, msg.Text, msg.TTL)
	case PresenceMsg:
		m.msg.presence = msg.Text
	case PeerActionMsg:
		return m.peerAction(msg)
	case PeerHistoryMsg:
		return m.peerHistory(msg)
	case clearStatusMsg:
		m.msg.clear(msg.id)
	case tea.PasteMsg:
		if m.input.mode != inputNone {
			return m.typed(msg.Content)
		}
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

// setFleet swaps in a newer fleet, keeping the cursor on the same pool
// and backend, and marks pools whose cause changed.
func (m Model) setFleet(f *model.Fleet, causes *CauseWatch) (tea.Model, tea.Cmd) {
	if f == nil || (m.fleet != nil && f.Gen != 0 && f.Gen <= m.fleet.Gen) {
		return m, nil // an older generation overtaken by a newer one
	}
	m.fleet = f
	m.times.now = m.opts.Now()
	if m.over.list == listOut {
		m.refreshOuts()
	}
	m.pools.counts = countFleet(f)
	tick := m.watchCauses(f, causes)
	m.selectPools(true)
	if m.screen == screenBackends {
		m.backends.reopen(f, m.pools.query, m.bodyRowsFor(screenBackends))
	}
	return m, tick
}

// size is the terminal size, or 80×24 before the first WindowSizeMsg.
func (m *Model) size() (int, int) {
	w, h := m.win.w, m.win.h
	if w <= 0 || h <= 0 {
		return defaultWidth, defaultHeight
	}
	return max(w, 20), max(h, 4) // below this nothing useful fits
}

// bodyRows is how many list rows fit: the height less the top lines,
// the column header, the message line and the status bar.
func (m *Model) bodyRows() int {
	_, h := m.size()
	return max(1, h-m.topLines()-3)
}

// bodyRowsFor is bodyRows for a given screen.
func (m *Model) bodyRowsFor(s screen) int {
	saved := m.screen
	m.screen = s
	n := m.bodyRows()
	m.screen = saved
	return n
}

// topLines counts the lines above the column header.
func (m *Model) topLines() int {
	if m.screen == screenBackends {
		return 1 + m.replayLines() + m.staleLines() + m.noteLines() + m.diagLines()
	}
	return 1 + m.replayLines() + m.staleLines() + m.cardLines()
}

// View renders one frame: exactly the terminal's height in lines, none
// wider than its width, formatting only the visible rows.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}

func (m *Model) render() string {
	w, h := m.size()
	lines := make([]string, 0, h+4)
	if b := m.replayBanner(w); b != "" {
		lines = append(lines, b)
	}
	lines = append(lines, m.proxyHeader(m.header(w), w))
	if b := m.staleBanner(w); b != "" {
		lines = append(lines, b)
	}
	rows := m.bodyRows()
	if m.screen == screenBackends {
		lines = m.notes(lines, w)
		lines = m.diagnosis(lines, w)
		lines = m.backendsLines(lines, w, rows)
	} else {
		lines = m.cards(lines, w)
		lines = m.poolsLines(lines, w, rows)
	}
	lines = padLines(lines, h-2)
	lines = append(lines[:h-2], m.messageLine(w), m.statusBar(w))
	if box := m.overlayBox(w, h); box != nil {
		overlay(lines, box, w)
	}
	return strings.Join(lines, "\n")
}
