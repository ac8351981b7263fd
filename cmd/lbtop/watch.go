package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/record"
)

// historyVerb returns the runner of the history verbs (watch, replay), or
// withSignals makes a command's entry: it runs under a context that
// SIGINT and SIGTERM end, so watch flushes and exits 0.
func withSignals(verb func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int) verbMain {
	return func(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return verb(ctx, args, getenv, stdout, stderr)
	}
}

// watchOpts are watch's own flags.
type watchOpts struct {
	format string // jsonl or text
	window time.Duration
}

// watchUsage heads lbtop watch -h.
const watchUsage = `lbtop watch — one event per line as it happens, until interrupted

Usage:
  lbtop watch SOURCES [-o jsonl|text] [--bell] [--record FILE] [--history 30m] [--memory-limit SIZE]

Events: backend and pool state changes, sources failing and recovering,
alert rules firing and resolving, actions from the audit log. -o jsonl
prints one JSON object per line (README: History, alerts and replay).
`

// parseWatch parses `watch [source flags | --config F] [-o jsonl|text]
// [--bell] [--record FILE] [--history 30m]`.
func parseWatch(args []string, getenv func(string) string, help io.Writer) (*options, *watchOpts, error) {
	w := &watchOpts{}
	var wfs *flag.FlagSet
	o, pos, err := parseAnywhere(args, getenv, func(fs *flag.FlagSet) {
		wfs = fs
		fs.DurationVar(&w.window, "history", model.DefaultHistoryWindow, "how far back flap counts and pool samples reach")
	})
	if errors.Is(err, flag.ErrHelp) {
		printVerbUsage(help, watchUsage, cmdWatch, wfs)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(pos) > 0 {
		return nil, nil, fmt.Errorf("watch: unexpected argument %q (sources are given with --haproxy, --envoy, … or --config)", pos[0])
	}
	if err := o.check(cmdWatch); err != nil {
		return nil, nil, err
	}
	switch o.output {
	case "table", "text": // table is the shared -o default
		w.format = "text"
	case "jsonl", "json":
		w.format = "jsonl"
	default:
		return nil, nil, fmt.Errorf("watch: -o %q: want jsonl or text", o.output)
	}
	if w.window <= 0 {
		return nil, nil, fmt.Errorf("watch: --history %s: want a positive duration such as 30m", w.window)
	}
	return o, w, nil
}

// runWatch prints one event per line as it happens until ctx ends
// (SIGINT, SIGTERM), then flushes and returns 0.
func runWatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	o, w, err := parseWatch(args[1:], getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(err)
	}
	// setUp, as for the dashboard and serve: a watch on a large fleet
	// holds the same store and history, so the same --memory-limit.
	cfg, _, releaseSetUp, err := o.setUp(getenv)
	if err != nil {
		return fail(err)
	}
	defer releaseSetUp()
	hub, entries, release, err := openHub(ctx, o, cfg)
	if err != nil {
		return fail(err)
	}
	defer release()
	rec, err := openRecorder(o.record, entries)
	if err != nil {
		return fail(err)
	}
	audit := newAuditTail(o, getenv)
	store := newStore(entries)
	hist := model.NewHistory(w.window, cfg.Interval)
	hist.SetAlerts(cfg.AlertRules())
	store.UseHistory(hist)
	out := newEventWriter(stdout, w.format == "jsonl", o.bell)
	code := watchLoop(ctx, hub.Run(ctx), store, rec, audit, out, cfg.Interval, stderr)
	if rec != nil {
		if err := rec.Close(); err != nil {
			return fail(fmt.Errorf("--record: %w", err))
		}
	}
	return code
}

// watchLoop ingests snapshots until the hub stops, writing (and
// recording) the events each one brings, and the audit log's new actions
// every interval.
func watchLoop(ctx context.Context, snaps <-chan model.Snapshot, store *model.Store, rec *record.Recorder, audit *auditTail, out *eventWriter, interval time.Duration, stderr io.Writer) int {
	hist := store.History()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	code := exitOK
	done := ctx.Done()
	recErr := func(err error) {
		if err != nil && rec != nil {
			fmt.Fprintln(stderr, "lbtop: --record:", err, "(recording stopped)")
			rec, code = nil, exitError
		}
	}
	for {
		select {
		case snap, ok := <-snaps:
			if !ok {
				return code
			}
			if rec != nil {
				recErr(rec.Snapshot(snap))
			}
			store.Ingest(snap)
		case <-tick.C:
			for _, e := range audit.next() {
				hist.Add(e)
			}
		case <-done:
			done = nil // the hub closes snaps once its pollers stop
			continue
		}
		evs := hist.TakeEvents()
		for _, e := range evs {
			if rec != nil {
				recErr(rec.Event(e))
			}
		}
		if err := out.write(evs); err != nil {
			fmt.Fprintln(stderr, "lbtop:", err)
			return exitError
		}
	}
}

// eventWriter prints events as JSON lines or readable text, flushing
// after each batch so a pipe sees them as they happen.
type eventWriter struct {
	w     *bufio.Writer
	enc   *json.Encoder
	jsonl bool
	bell  bool
}

func newEventWriter(w io.Writer, jsonl, bell bool) *eventWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // "healthy_ratio < 0.8", not \u003c
	return &eventWriter{w: bw, enc: enc, jsonl: jsonl, bell: bell && !jsonl}
}

func (ew *eventWriter) write(evs []model.Event) error {
	if len(evs) == 0 {
		return nil
	}
	for _, e := range evs {
		if ew.jsonl {
			if err := ew.enc.Encode(e); err != nil {
				return err
			}
			continue
		}
		if ew.bell && e.Bell() {
			_ = ew.w.WriteByte('\a')
		}
		_, _ = ew.w.WriteString(e.Text())
		_ = ew.w.WriteByte('\n')
	}
	return ew.w.Flush()
}

// openRecorder creates the --record recording for entries, or returns
// nil when path is empty.
func openRecorder(path string, entries []sources.Entry) (*record.Recorder, error) {
	if path == "" {
		return nil, nil
	}
	rec, err := record.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--record: %w", err)
	}
	for _, e := range entries {
		rec.MergeAs(e.Source.Name(), e.MergeAs)
	}
	return rec, nil
}

// auditTail turns the audit log's new lines into action events.
type auditTail struct {
	path string
	last time.Time

	size    int64     // the file's size and modification time at the last
	modTime time.Time // read: an unchanged file is not read again
}

// newAuditTail follows the audit log lbtop writes to (the demo's with
// --demo) from now on.
func newAuditTail(o *options, getenv func(string) string) *auditTail {
	path, err := o.auditPath(getenv) // the demo's own log with --demo
	if err != nil {
		return &auditTail{}
	}
	return &auditTail{path: path, last: time.Now()} // what is already there is history, not news
}

// next returns the entries written since the last call as events.
func (a *auditTail) next() []model.Event {
	if a.path == "" {
		return nil
	}
	fi, err := os.Stat(a.path)
	if err != nil || (fi.Size() == a.size && fi.ModTime().Equal(a.modTime)) {
		return nil // no log yet, or nothing written since the last read
	}
	a.size, a.modTime = fi.Size(), fi.ModTime()
	es, _, err := actions.ReadEntries(a.path, auditHistory)
	if err != nil {
		return nil
	}
	var out []model.Event
	for _, e := range es {
		if !e.Time.After(a.last) {
			continue
		}
		a.last = e.Time
		out = append(out, actionEvent(e))
	}
	return out
}

// actionEvent is an audit entry as an event: "ana drain lb1 web/c1
// (INC-1234)". A weight carries its value ("weight 0"): a replay tells a
// backend taken out by weight 0 from one reweighted (actionEntry).
func actionEvent(e actions.Entry) model.Event {
	to := e.Action
	if e.Weight != nil {
		to += " " + strconv.Itoa(*e.Weight)
	}
	return model.Event{
		Time: e.Time, Type: model.EventAction, Source: e.Source, Pool: e.Pool, Backend: e.Backend,
		To: to, State: e.Result.String(), Reason: e.Reason, User: e.User.Login,
	}
}

// actionEntry is the audit entry an action event was made from, as far as
// the event tells (what actions.LastBy and actions.LastProxy read: time,
// user, target, action, weight, reason, result); ok is false for any other
// event, or one whose result this lbtop does not know.
func actionEntry(ev model.Event) (actions.Entry, bool) {
	if ev.Type != model.EventAction {
		return actions.Entry{}, false
	}
	e := actions.Entry{
		Time: ev.Time, User: actions.Who{Login: ev.User}, Source: ev.Source, Pool: ev.Pool, Backend: ev.Backend,
		Action: ev.To, Reason: ev.Reason,
	}
	if act, w, ok := strings.Cut(ev.To, " "); ok {
		if n, err := strconv.Atoi(w); err == nil {
			e.Action, e.Weight = act, &n
		}
	}
	if err := e.Result.UnmarshalText([]byte(ev.State)); err != nil {
		return actions.Entry{}, false
	}
	return e, true
}
