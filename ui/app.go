// Package ui is lbtop's terminal interface, built on Bubble Tea v2. It
// renders the immutable model.Fleet that main sends as FleetMsg, and turns
// keys into confirmed actions performed through an Executor inside tea.Cmds.
// Update never does I/O and View renders only the visible rows.
package ui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
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
}

// Defaults for Options and the action flow.
const (
	defaultActionTimeout = 10 * time.Second
	defaultStatusTTL     = 8 * time.Second
	errorStatusTTL       = 30 * time.Second
	defaultWidth         = 80
	defaultHeight        = 24
)

type screen uint8

const (
	screenPools screen = iota
	screenBackends
)

type inputMode uint8

const (
	inputNone inputMode = iota
	inputFilter
	inputWeight
	inputJump // `:` and a pool name
)

// status is the transient message line.
type status struct {
	level StatusLevel
	text  string
	id    int
}

// Model is the root Bubble Tea model. It is a value: Update returns a new
// one. Slices it holds are never modified in place once shared.
type Model struct {
	actor Actor
	opts  Options
	keys  KeyMap
	st    Styles

	fleet         *model.Fleet
	now           time.Time
	width, height int
	screen        screen
	counts        counts

	query  model.Query
	sel    []int32 // pool indexes shown, in order
	cur    int     // cursor in sel
	off    int     // first row shown
	curKey string  // pool under the cursor, kept across fleets

	openKey   string
	pool      *model.PoolRow // nil when the open pool is gone
	bsel      []int32        // backend indexes shown
	bcur      int
	boff      int
	curRef    model.BackendRef // backend under the cursor, kept across fleets
	hasRef    bool
	multiInst bool // the open pool spans several instances: show the column
	goneSeen  bool // the open pool has disappeared

	input        inputMode
	text         string // input buffer
	weightTarget target // target of the weight prompt

	dialog dialog
	help   bool
	acts   actionState // pending actions, history, marks, who did what, a quit waiting on them
	nextID int
	msg    status

	presence string // who watches a shared dashboard (PresenceMsg)

	filterSteps []filterStep // lists of the filters typed, newest last

	detail     bool               // the backend detail box is open
	hist       *model.HistoryView // sparklines, time in state, events; nil until the engine sends one
	events     listView           // the events overlay (e): open, cursor
	paused     bool               // space: the view holds still
	held       *model.Fleet       // the newest fleet that arrived while paused
	heldCauses *CauseWatch
	behind     int // fleets held

	seen      map[model.BackendRef]time.Time // when lbtop first saw a backend out of rotation
	list      listKind                       // the list overlay shown, if any
	outs      []actions.Out                  // the out-of-rotation list, built when shown and per fleet while shown
	causes    CauseWatch                     // each pool's last cause, for the Δ mark
	causeTick time.Time                      // the latest cause change a Δ-clearing tick was scheduled for
}

// listKind is a list shown over the screen.
type listKind uint8

const (
	listNone    listKind = iota
	listActions          // this session's actions and results
	listOut              // every backend out of rotation
)

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
	return Model{
		actor: actor,
		opts:  opts,
		keys:  DefaultKeyMap(),
		st:    newStyles(opts.NoColor),
		now:   opts.Now(),
		acts:  actionState{drainedBy: actions.LastBy(opts.Audit), proxyBy: actions.LastProxy(opts.Audit)},
	}
}

// Init starts the one-second clock that moves ages on screen; data
// arrives as FleetMsg from main.
func (m Model) Init() tea.Cmd { return clockTick() }

// Update applies one message. It is pure: no I/O, no blocking, and it
// never runs the Executor (only the Cmd from execCmd does).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.scrollIntoView()
	case FleetMsg:
		if msg.Seen != nil && msg.Fleet != nil && (m.fleet == nil || msg.Fleet.Gen == 0 || msg.Fleet.Gen > m.fleet.Gen) {
			m.seen = msg.Seen
		}
		if msg.History != nil && !m.paused {
			m.hist = msg.History
		}
		if m.paused {
			return m.hold(msg.Fleet, msg.Causes)
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
		m.presence = msg.Text
	case PeerActionMsg:
		return m.peerAction(msg)
	case clearStatusMsg:
		if m.msg.id == msg.id {
			m.msg = status{}
		}
	case tea.PasteMsg:
		if m.input != inputNone {
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
	m.now = m.opts.Now()
	if m.list == listOut {
		m.outs, _ = actions.OutOfRotation(f, m.seen, m.acts.drainedBy, m.now)
	}
	m.counts = countFleet(f)
	tick := m.watchCauses(f, causes)
	m.selectPools(true)
	if m.screen == screenBackends {
		m.reopenPool()
	}
	return m, tick
}

// setStatus shows a message and returns the Cmd that clears it after ttl.
func (m Model) setStatus(level StatusLevel, text string, ttl time.Duration) (Model, tea.Cmd) {
	if ttl <= 0 {
		ttl = defaultStatusTTL
		if level == StatusError {
			ttl = errorStatusTTL
		}
	}
	m.nextID++
	id := m.nextID
	m.msg = status{level: level, text: text, id: id}
	return m, tea.Tick(ttl, func(time.Time) tea.Msg { return clearStatusMsg{id: id} })
}

func (m Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	km := &m.keys
	if msg.String() == "ctrl+c" {
		return m, tea.Quit
	}
	switch ov := m.overlay(); ov {
	case overlayQuit:
		return m.quitKey(msg)
	case overlayDialog:
		return m.dialogKey(msg)
	case overlayHelp:
		if key.Matches(msg, km.Help, km.Back, km.Quit) {
			m.help = false
		}
		return m, nil
	case overlayActions, overlayOut:
		if key.Matches(msg, km.Back, km.Quit, km.Actions, km.OutList) {
			m.list = listNone
		}
		if key.Matches(msg, km.Undo) && ov == overlayActions {
			m.list = listNone
			return m.beginUndo()
		}
		return m, nil
	case overlayInput:
		if m.input == inputJump {
			return m.jumpKey(msg)
		}
		return m.inputKey(msg)
	case overlayEvents:
		return m.eventsKey(msg)
	case overlayDetail:
		if key.Matches(msg, km.Back, km.Open) {
			m.detail = false
			return m, nil
		}
		// Everything else works as on the list beneath: j/k show the
		// next backend, d/r/m/w act on the one shown.
	}
	switch {
	case key.Matches(msg, km.Quit) && m.acts.quit == quitWait:
		return m, tea.Quit // q again while waiting: quit anyway
	case key.Matches(msg, km.Quit):
		return m.askQuit()
	case key.Matches(msg, km.Help):
		m.help = true
	case key.Matches(msg, km.Up):
		m.move(-1)
	case key.Matches(msg, km.Down):
		m.move(1)
	case key.Matches(msg, km.PgUp):
		m.move(-max(1, m.bodyRows()-1))
	case key.Matches(msg, km.PgDown):
		m.move(max(1, m.bodyRows()-1))
	case key.Matches(msg, km.Top):
		m.move(-1 << 30)
	case key.Matches(msg, km.Bottom):
		m.move(1 << 30)
	case key.Matches(msg, km.Open):
		switch {
		case m.screen == screenPools:
			m.openPool()
		case m.cursorBackend() != nil:
			m.detail = true
		}
	case key.Matches(msg, km.Back):
		return m.back()
	case key.Matches(msg, km.Filter):
		m.input = inputFilter
		m.text = m.query.Filter
	case key.Matches(msg, km.Problems):
		m.query.ProblemsOnly = !m.query.ProblemsOnly
		m.requery(true)
	case key.Matches(msg, km.Sort):
		m.query.Sort, m.query.Reverse = m.query.Sort.Next(), false
		m.selectPools(true)
	case key.Matches(msg, km.SortBy) && m.screen == screenPools:
		return m.sortBy(sortLetters[msg.String()])
	case key.Matches(msg, km.Jump) && m.screen == screenPools:
		m.input, m.text = inputJump, ""
	case key.Matches(msg, km.Refresh):
		return m.refreshAll()
	case key.Matches(msg, km.Events):
		m.events = listView{open: true}
	case key.Matches(msg, km.Pause):
		return m.togglePause()
	case key.Matches(msg, km.Drain):
		return m.beginAction(model.ActionDrain)
	case key.Matches(msg, km.Ready):
		return m.beginAction(model.ActionReady)
	case key.Matches(msg, km.Maint):
		return m.beginAction(model.ActionMaint)
	case key.Matches(msg, km.Weight):
		return m.beginAction(model.ActionWeight)
	case key.Matches(msg, km.ProxyFail):
		return m.beginProxyAction()
	case key.Matches(msg, km.Undo):
		return m.beginUndo()
	case key.Matches(msg, km.Actions):
		m.list = listActions
	case key.Matches(msg, km.OutList):
		m.list = listOut
		m.outs, _ = actions.OutOfRotation(m.fleet, m.seen, m.acts.drainedBy, m.now)
	}
	return m, nil
}

// back leaves the backends view, or clears the filter in the pools view.
func (m Model) back() (tea.Model, tea.Cmd) {
	if m.screen == screenBackends {
		m.screen, m.detail = screenPools, false
		m.pool, m.bsel, m.goneSeen = nil, nil, false
		m.selectPools(true)
		return m, nil
	}
	if m.query.Filter != "" {
		m.query.Filter = ""
		m.requery(true)
	}
	return m, nil
}

// inputKey edits the filter or weight prompt.
func (m Model) inputKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "enter":
		if m.input == inputWeight {
			return m.submitWeight()
		}
		m.input = inputNone
		return m, nil
	case "esc":
		if m.input == inputFilter {
			m.input, m.text = inputNone, ""
			m.query.Filter = ""
			m.requery(false)
			return m, nil
		}
		if m.input == inputJump {
			m.input, m.text = inputNone, ""
			return m, nil
		}
		m.input, m.text = inputNone, ""
		return m.setStatus(StatusInfo, "weight change cancelled", 0)
	case "backspace":
		if r := []rune(m.text); len(r) > 0 {
			m.text = string(r[:len(r)-1])
		}
		return m.textChanged()
	case "ctrl+u":
		m.text = ""
		return m.textChanged()
	}
	if msg.Text != "" && msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
		return m.typed(msg.Text)
	}
	return m, nil
}

// typed appends text (a key or a paste) to the input buffer.
func (m Model) typed(s string) (tea.Model, tea.Cmd) {
	for _, r := range s {
		if r >= ' ' && r != 0x7f {
			m.text += string(r)
		}
	}
	return m.textChanged()
}

// textChanged applies the filter on every keystroke.
func (m Model) textChanged() (tea.Model, tea.Cmd) {
	if m.input == inputFilter {
		prev := m.query.Filter
		m.query.Filter = m.text
		if !m.narrowPools(prev) && !m.recallPools() {
			m.selectPools(false)
		}
		m.rememberFilter()
		if m.screen == screenBackends {
			m.selectBackends(false)
		}
	}
	return m, nil
}

// requery re-applies the query to the pools and the open pool.
func (m *Model) requery(keep bool) {
	m.selectPools(keep)
	if m.screen == screenBackends {
		m.selectBackends(keep)
	}
}

// rows is the length of the list on screen.
func (m *Model) rows() int {
	if m.screen == screenBackends {
		return len(m.bsel)
	}
	return len(m.sel)
}

// move shifts the cursor by d rows, clamped to the list.
func (m *Model) move(d int) {
	n := m.rows()
	cur := &m.cur
	if m.screen == screenBackends {
		cur = &m.bcur
	}
	*cur = clampInt(*cur+d, 0, n-1)
	m.rememberCursor()
	m.scrollIntoView()
}

// rememberCursor records the pool key or backend ref under the cursor.
func (m *Model) rememberCursor() {
	if m.screen == screenBackends {
		if b := m.cursorBackend(); b != nil {
			m.curRef, m.hasRef = b.Ref(), true
		}
		return
	}
	if m.cur < len(m.sel) {
		m.curKey = m.fleet.Pools[m.sel[m.cur]].Key
	}
}

// scrollIntoView moves the window so the cursor is visible.
func (m *Model) scrollIntoView() {
	rows := m.bodyRows()
	m.off = scroll(m.cur, m.off, rows, len(m.sel))
	m.boff = scroll(m.bcur, m.boff, rows, len(m.bsel))
}

// scroll returns the first visible row so that cur is shown.
func scroll(cur, off, rows, n int) int {
	if rows < 1 {
		rows = 1
	}
	if cur < off {
		off = cur
	}
	if cur >= off+rows {
		off = cur - rows + 1
	}
	return clampInt(off, 0, max(0, n-rows))
}

func clampInt(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

// size is the terminal size, or 80×24 before the first WindowSizeMsg.
func (m *Model) size() (int, int) {
	w, h := m.width, m.height
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

// topLines counts the lines above the column header.
func (m *Model) topLines() int {
	if m.screen == screenBackends {
		return 1 + m.staleLines() + m.noteLines() + m.diagLines()
	}
	return 1 + m.staleLines() + m.cardLines()
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
	switch m.overlay() {
	case overlayQuit:
		overlay(lines, boxWidth("Quit?", []string{m.quitQuestion()}, min(w-2, 110), m.st.BoxDanger, m.st.BoxDanger), w)
	case overlayDialog:
		overlay(lines, m.dialogBox(w), w)
	case overlayHelp:
		overlay(lines, m.helpBox(w, h), w)
	case overlayActions:
		overlay(lines, m.actionsBox(w, h), w)
	case overlayOut:
		overlay(lines, m.outBox(w, h), w)
	case overlayDetail:
		overlay(lines, m.detailBox(w), w)
	case overlayEvents:
		overlay(lines, m.eventsBox(w, h), w)
	}
	return strings.Join(lines, "\n")
}
