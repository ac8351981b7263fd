package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/record"
	"github.com/lbtop/lbtop/ui"
)

// auditHistory is how many audit lines the dashboard reads at start for
// the "drained 12 min ago by alice" notes.
const auditHistory = 5000

// auditEvery is how often the dashboard reads the audit log for new
// actions to show as events.
const auditEvery = 2 * time.Second

// logBadLines is the log key counting unreadable audit lines.
const logBadLines = "bad_lines"

// runTUI runs the dashboard until the user quits or ctx ends, with actions performed
// through the runner (write, verifying poll, audit line) and the audit
// log's recent lines for the notes on backends out of rotation. The audit
// log is opened before the screen starts, so a bad --audit-log path is
// reported on the terminal, not inside the UI.
func runTUI(ctx context.Context, o *options, entries []sources.Entry, cfg *config.Config, getenv func(string) string, log *slog.Logger, stderr io.Writer) int {
	readOnly := cfg.ReadOnly
	hub, err := sources.NewHub(entries)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	opts := ui.Options{ReadOnly: readOnly, NoColor: getenv("NO_COLOR") != "", Floor: o.floor, User: actions.CurrentUser(getenv).Login, Refresh: hub.RefreshAll}
	var runner *actions.Runner
	var notes map[model.BackendRef]model.AdminNote // who took backends out, for the diagnosis
	if !readOnly {
		r, closeLog, err := newRunner(o, getenv, hub)
		if err != nil {
			fmt.Fprintln(stderr, "lbtop:", err)
			return exitError
		}
		defer closeLog()
		runner = r
		opts.Executor = runner
		es, bad, err := actions.ReadEntries(runner.Log.Path(), auditHistory)
		if err != nil || bad > 0 {
			log.Warn("audit log read", logErr, err, logBadLines, bad)
		}
		opts.Audit = es
		notes = actions.AdminNotes(actions.LastBy(es))
	}
	// The program's root: actions run under it, so once the program
	// has ended and Abandon below has written their lines, the deferred
	// cancel stops the actions still running.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts.Context = ctx
	// lbtop's own signal context (signalContext) ends the program: Bubble
	// Tea's handler would turn SIGTERM into a graceful quit with exit 0.
	p := tea.NewProgram(ui.New(hub, opts), tea.WithContext(ctx), tea.WithFPS(uiFPS), tea.WithoutSignalHandler())
	store := newStore(entries)
	store.SetAdminNotes(notes)
	store.History().SetAlerts(cfg.AlertRules()) // firing rules are marked on the pool list
	rec, err := openRecorder(o.record, entries)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	if rec != nil {
		defer func() {
			if err := rec.Close(); err != nil {
				fmt.Fprintln(stderr, "lbtop: --record:", err)
			}
		}()
	}
	feed := newFleetFeed(store, log, rec, newAuditTail(o, getenv))
	feed.bell = o.bell
	go engine(feed, hub.Run(ctx), p.Send)
	_, err = p.Run()
	if runner != nil {
		// Quit anyway (or ctrl+c) with actions still running: each gets an
		// "abandoned" audit line, so the log never just stops.
		for _, r := range runner.Abandon() {
			fmt.Fprintln(stderr, "lbtop:", r.Summary())
		}
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	return exitOK
}

// engine owns the Store, the "first seen out of rotation" times and the
// pools' cause changes, all updated off the UI goroutine, and hands the
// UI each new immutable fleet.
// The first fleet lists the sources as connecting; send blocks until the
// program runs, so this must not run on main's goroutine before p.Run.
func engine(feed *fleetFeed, snaps <-chan model.Snapshot, send func(tea.Msg)) {
	send(ui.FleetMsg{Fleet: feed.store.Fleet()})
	for snap := range snaps {
		send(feed.next(snap))
		if feed.takeBell() {
			send(bellMsg)
		}
	}
}

// fleetFeed turns each snapshot into the UI's next message, off the UI
// goroutine: the Store's merge, the recording, the audit log's new
// actions as events, the "first seen out" times, the cause changes and
// the history view. The dashboard and lbtop serve share it.
type fleetFeed struct {
	store   *model.Store
	hist    *model.History
	log     *slog.Logger
	rec     *record.Recorder // nil: not recording
	audit   *auditTail       // nil: no audit log to follow
	auditAt time.Time
	seen    map[model.BackendRef]time.Time
	causes  ui.CauseWatch
	bell    bool // --bell: ring when a rule fires or a pool loses its last healthy backend (bell.go)
	rang    bool
	clock   func() time.Time // nil: time.Now; a replay reads the recorded time
}

func newFleetFeed(store *model.Store, log *slog.Logger, rec *record.Recorder, audit *auditTail) *fleetFeed {
	return &fleetFeed{store: store, hist: store.History(), log: log, rec: rec, audit: audit}
}

// next ingests one snapshot and returns the message for the screens.
func (ff *fleetFeed) next(snap model.Snapshot) ui.FleetMsg {
	if snap.Err != nil {
		ff.log.Warn("poll failed", logSource, snap.Source, logErr, model.SafeError(snap.Err.Error()), logTook, snap.Took)
	}
	if ff.rec != nil {
		ff.record(ff.rec.Snapshot(snap))
	}
	now := time.Now()
	if ff.clock != nil {
		now = ff.clock()
	}
	if ff.audit != nil && now.Sub(ff.auditAt) >= auditEvery {
		ff.auditAt = now
		for _, e := range ff.audit.next() { // actions, this session's and others', become events
			ff.hist.Add(e)
		}
	}
	f := ff.store.Ingest(snap)
	// Drain the new events (the view keeps the recent ones): into the
	// recording, and never left to pile up in a long session.
	for _, e := range ff.hist.TakeEvents() {
		ff.noteBell(e)
		if ff.rec != nil {
			ff.record(ff.rec.Event(e))
		}
	}
	ff.seen = actions.Seen(f, ff.seen, now)
	ff.causes = ff.causes.Observe(f, now)
	causes := ff.causes
	return ui.FleetMsg{Fleet: f, Seen: ff.seen, Causes: &causes, History: ff.hist.View(now, ui.SparkPoints)}
}

// record stops recording after a write error, saying so in the log.
func (ff *fleetFeed) record(err error) {
	if err != nil {
		ff.log.Warn("--record: recording stopped", logErr, err)
		ff.rec = nil
	}
}
