package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/record"
	"github.com/lbtop/lbtop/ui"
)

// Replay dashboard limits.
const (
	// maxReplayWait bounds the wait between two polls while playing, so
	// a recording with a gap (two sessions appended hours apart) goes on.
	maxReplayWait = 2 * time.Second
	// replayEvents is how many recorded events the events view lists, as
	// many as a live History keeps.
	replayEvents = 10_000
	// replayRequests is how many requests may wait for the engine; keys
	// pressed beyond that while it works are dropped.
	replayRequests = 64
	// replayWarmBudget bounds the backends (summed over polls) fed to a
	// rebuilt store before the poll shown: it keeps ← and t quick on a
	// large fleet, at the cost of a shorter sparkline just after them.
	replayWarmBudget = 40_000
)

// runReplayTUI opens the dashboard on a recording: the replay engine
// feeds it the recorded fleets as a live engine feeds the live ones.
func runReplayTUI(ctx context.Context, r *replayOpts, p *record.Player, getenv func(string) string, stderr io.Writer) int {
	if len(p.Times()) == 0 {
		fmt.Fprintf(stderr, "lbtop: replay: %s holds no poll to show\n", r.file)
		return exitError
	}
	e, err := newReplayer(p, time.Local)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop: replay:", err)
		return exitError
	}
	e.bell = r.bell
	if r.at != "" {
		at, err := parseAt(r.at, p.Start(), time.Local)
		if err == nil {
			err = e.inSpan(at)
		}
		if err != nil {
			fmt.Fprintln(stderr, "lbtop: replay: --at", err)
			return exitError
		}
		e.i = e.indexAt(at)
	}
	opts := ui.Options{ReadOnly: true, NoColor: getenv("NO_COLOR") != "", User: actions.CurrentUser(getenv).Login, Replay: e}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := tea.NewProgram(ui.New(nil, opts), tea.WithContext(ctx), tea.WithFPS(uiFPS), tea.WithoutSignalHandler())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.run(ctx, prog.Send)
	}()
	_, err = prog.Run()
	failed := err != nil && ctx.Err() == nil // not ended by a signal
	cancel()
	<-done // the engine reads the recording: let it stop before it is closed
	if failed {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	return exitOK
}

// replayer is the replay dashboard's engine. It owns the Player and a
// Store fed with the recorded snapshots in order, through the live
// dashboard's fleetFeed, so a recorded fleet is built, diagnosed and
// remembered exactly like a live one. It answers each ui.ReplayRequest
// with a ui.ReplayMsg; only its own goroutine (run) touches its state.
type replayer struct {
	p      *record.Player
	times  []time.Time     // every recorded poll instant, in order, once each
	events []model.Event   // every recorded event, by time, in loc
	acts   []actions.Entry // the recorded actions, by time (actionEntry)
	notes  int             // how many of acts the store's admin notes were built from
	res    time.Duration   // poll interval, estimated: the history's resolution
	loc    *time.Location
	bell   bool // ring on recorded events that would have rung (--bell)
	ctl    chan ui.ReplayRequest

	i       int // the poll shown: an index into times
	playing bool
	speed   int
	gen     uint64 // fleets sent, so the UI keeps only the newest

	feed  *fleetFeed           // fed with every recorded snapshot up to times[fed]
	clock time.Time            // the store's clock: the recorded time
	cur   ui.FleetMsg          // the fleet at times[fed]
	fed   int                  // times[fed] is the last poll fed; -1: none
	shown map[int]ui.ReplayMsg // the polls this store showed lately, for ←
}

var _ ui.ReplayControl = (*replayer)(nil)

// newReplayer indexes the recording's polls and events, showing times in
// loc.
func newReplayer(p *record.Player, loc *time.Location) (*replayer, error) {
	e := &replayer{p: p, loc: loc, speed: 1, fed: -1, ctl: make(chan ui.ReplayRequest, replayRequests)}
	for _, t := range p.Times() {
		if n := len(e.times); n == 0 || t.After(e.times[n-1]) {
			e.times = append(e.times, t)
		}
	}
	evs, err := p.Events(time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	for i := range evs {
		evs[i].Time = evs[i].Time.In(loc)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	e.events = evs
	for _, ev := range evs {
		if a, ok := actionEntry(ev); ok {
			e.acts = append(e.acts, a)
		}
	}
	if n, srcs := len(e.times), max(len(p.Sources()), 1); n > srcs {
		e.res = p.End().Sub(p.Start()) * time.Duration(srcs) / time.Duration(n-1)
	}
	return e, nil
}

// Control queues a request for the engine without blocking.
func (e *replayer) Control(r ui.ReplayRequest) {
	select {
	case e.ctl <- r:
	default: // the engine is behind: drop the key rather than block
	}
}

// run shows the poll at e.i, then answers requests and, while playing,
// steps at the recorded pace until ctx ends.
func (e *replayer) run(ctx context.Context, send func(tea.Msg)) {
	e.moveTo(e.i, send)
	if e.p.Torn > 0 {
		send(ui.StatusMsg{Level: ui.StatusWarn, Text: fmt.Sprintf("the last %d bytes of the recording are cut off or damaged: replaying up to them", e.p.Torn)})
	}
	var timer *time.Timer
	var tick <-chan time.Time
	stop := func() {
		if timer != nil {
			timer.Stop()
		}
		timer, tick = nil, nil
	}
	defer stop()
	for {
		if e.playing && tick == nil && e.i+1 < len(e.times) {
			wait := min(e.times[e.i+1].Sub(e.times[e.i])/time.Duration(e.speed), maxReplayWait)
			timer = time.NewTimer(wait)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case r := <-e.ctl:
			stop() // the next step is timed from here
			e.handle(r, send)
		case <-tick:
			timer, tick = nil, nil
			e.moveTo(e.i+1, send)
		}
	}
}

// handle answers one request.
func (e *replayer) handle(r ui.ReplayRequest, send func(tea.Msg)) {
	switch r.Op {
	case ui.ReplayForward:
		e.moveTo(e.i+1, send)
	case ui.ReplayBack:
		if e.i == 0 {
			send(ui.StatusMsg{Level: ui.StatusInfo, Text: "this is the start of the recording"})
			return
		}
		e.moveTo(e.i-1, send)
	case ui.ReplayPlayPause:
		e.playing = !e.playing
		if e.playing && e.i == len(e.times)-1 {
			e.moveTo(0, send) // at the end, space plays it again
			return
		}
		send(ui.ReplayMsg{State: e.state()})
	case ui.ReplayFaster:
		e.speed = min(e.speed*2, ui.MaxReplaySpeed)
		send(ui.ReplayMsg{State: e.state()})
	case ui.ReplaySlower:
		e.speed = max(e.speed/2, 1)
		send(ui.ReplayMsg{State: e.state()})
	case ui.ReplaySeek:
		at, err := parseAt(r.Time, e.p.Start(), e.loc)
		if err == nil {
			err = e.inSpan(at)
		}
		if err != nil {
			send(ui.StatusMsg{Level: ui.StatusError, Text: "go to " + err.Error()})
			return
		}
		e.moveTo(e.indexAt(at), send)
	}
}

// inSpan refuses a moment outside the recording, naming both.
func (e *replayer) inSpan(at time.Time) error {
	return inRecording(at, e.times[0], e.times[len(e.times)-1], e.loc)
}

// inRecording refuses a moment outside a recording from start to end,
// naming the moment and the span; the dashboard's t and --at --once
// share it.
func inRecording(at, start, end time.Time, loc *time.Location) error {
	// a second's slack: polls end at fractions of a second, times are typed to the second
	if at.Before(start.Add(-time.Second)) || at.After(end.Add(time.Second)) {
		layout := time.DateTime
		day := func(t time.Time) string { return t.In(loc).Format(time.DateOnly) }
		if day(at) == day(start) && day(end) == day(start) {
			layout = time.TimeOnly // one day: the banner says which, and the message fits 80 columns
		}
		return fmt.Errorf("%s: the recording runs from %s to %s %s", at.In(loc).Format(layout), start.In(loc).Format(layout), end.In(loc).Format(layout), start.In(loc).Format("MST"))
	}
	return nil
}

// indexAt is the last poll at or before at.
func (e *replayer) indexAt(at time.Time) int {
	return max(sort.Search(len(e.times), func(k int) bool { return e.times[k].After(at) })-1, 0)
}

// state is where the replay stands.
func (e *replayer) state() ui.ReplayState {
	return ui.ReplayState{
		At: e.times[e.i].In(e.loc), Start: e.times[0].In(e.loc), End: e.times[len(e.times)-1].In(e.loc),
		Playing: e.playing, Speed: e.speed, AtEnd: e.i == len(e.times)-1,
	}
}

// moveTo shows poll j: the next poll is fed on top of what the store
// has; one shown lately by this store (← after →) is shown again as it
// was; any other is rebuilt from a fresh store, fed the polls of a
// sparkline's width before it (so rates, sparklines and time in state
// come out). Past the end, playing stops and says so.
func (e *replayer) moveTo(j int, send func(tea.Msg)) {
	if j >= len(e.times) {
		e.playing = false
		send(ui.ReplayMsg{State: e.state()})
		send(ui.StatusMsg{Level: ui.StatusInfo, Text: "end of the recording: ← steps back, t jumps, space plays it again"})
		return
	}
	step := j == e.i+1 && e.feed != nil // the bell rings for what a step passes
	if msg, ok := e.shown[j]; ok {
		e.i = j
		e.show(msg, step, send)
		return
	}
	first, rebuilt := e.fed, false
	if j != e.fed+1 || e.feed == nil {
		e.reset()
		first, rebuilt = e.indexAt(e.times[j].Add(-e.warmSpan()))-1, true
	}
	if err := e.feedRange(first, j, rebuilt); err != nil {
		send(ui.StatusMsg{Level: ui.StatusError, Text: "replay: " + err.Error()})
		return
	}
	e.i = j
	msg := e.message(j)
	for k := range e.shown { // keep what a rebuilt store would be fed
		if e.times[k].Before(e.times[j].Add(-e.warmSpan())) {
			delete(e.shown, k)
		}
	}
	e.shown[j] = msg
	e.show(msg, step, send)
}

// show sends msg, the fleet at e.i, as the newest generation, then the
// bell when stepping forward over a recorded event that rang, and says
// so when a step reached the end.
func (e *replayer) show(msg ui.ReplayMsg, step bool, send func(tea.Msg)) {
	if e.i == len(e.times)-1 {
		e.playing = false
	}
	msg.State = e.state()
	e.gen++
	if msg.Fleet.Fleet != nil {
		f := *msg.Fleet.Fleet // a copy: the UI may still hold the one sent before
		f.Gen = e.gen         // a rebuilt store counts from 1 again
		msg.Fleet.Fleet = &f
	}
	send(msg)
	if step && e.rings(e.i) {
		send(bellMsg)
	}
	if msg.State.AtEnd && step {
		send(ui.StatusMsg{Level: ui.StatusInfo, Text: "end of the recording: ← steps back, t jumps, space plays it again"})
	}
}

// rings reports a recorded event after poll j-1 up to poll j that rings
// the bell, when --bell asked for it.
func (e *replayer) rings(j int) bool {
	if !e.bell || j == 0 {
		return false
	}
	k := sort.Search(len(e.events), func(k int) bool { return e.events[k].Time.After(e.times[j-1]) })
	for _, ev := range e.events[k:] {
		if ev.Time.After(e.times[j]) {
			break
		}
		if ev.Bell() {
			return true
		}
	}
	return false
}

// warmPolls is how many polls before the one shown a rebuilt store is
// fed: a sparkline's width, fewer for a large fleet (each poll of 10,000
// backends costs about 20 ms to merge), but at least two, for rates.
func (e *replayer) warmPolls() int {
	n := ui.SparkPoints
	if f := e.cur.Fleet; f != nil {
		backends := 0
		for i := range f.Pools {
			backends += f.Pools[i].Total
		}
		n = min(n, replayWarmBudget/max(backends, 1))
	}
	return max(n, 2)
}

// warmSpan is how far back from the poll shown a rebuilt store is fed.
func (e *replayer) warmSpan() time.Duration {
	return time.Duration(e.warmPolls()) * e.resolution()
}

// resolution is the recording's poll interval, or the default one when
// it has a single poll.
func (e *replayer) resolution() time.Duration {
	if e.res > 0 {
		return e.res
	}
	return model.DefaultResolution
}

// actionsAt is the recorded actions up to at.
func (e *replayer) actionsAt(at time.Time) []actions.Entry {
	n := sort.Search(len(e.acts), func(k int) bool { return e.acts[k].Time.After(at) })
	return e.acts[:n:n]
}

// noteActions gives the store who had taken which backend out at at,
// for the diagnosis ("drained by ana"), as the live engines do from the
// audit log.
func (e *replayer) noteActions(at time.Time) {
	if acts := e.actionsAt(at); len(acts) != e.notes {
		e.feed.store.SetAdminNotes(actions.AdminNotes(actions.LastBy(acts)))
		e.notes = len(acts)
	}
}

// reset starts a fresh store for the recorded sources.
func (e *replayer) reset() {
	store := model.NewStore(func() time.Time { return e.clock })
	for _, s := range e.p.Sources() {
		store.Register(s.Name, s.Kind)
		store.MergeAs(s.Name, s.MergeAs)
	}
	store.UseHistory(model.NewHistory(model.DefaultHistoryWindow, e.resolution()))
	e.feed = newFleetFeed(store, slog.New(slog.DiscardHandler), nil, nil)
	e.feed.clock = func() time.Time { return e.clock }
	e.cur = ui.FleetMsg{Fleet: store.Fleet()}
	e.fed, e.notes = -1, 0
	e.shown = map[int]ui.ReplayMsg{}
}

// feedRange feeds the store the snapshots recorded after poll from (-1:
// from the first) up to poll to, oldest first, decoding each source once
// from the nearest snapshot the Player decoded before (record.Player.Range):
// → decodes one delta per source, ← over polls shown lately none. A
// rebuilt store keeps the fleet of each poll before to once every
// source has had two good polls (so rates are known): ← held down then
// rebuilds once every few polls, not at every one.
func (e *replayer) feedRange(from, to int, rebuilt bool) error {
	after := e.times[0].Add(-time.Nanosecond)
	if from >= 0 {
		after = e.times[from]
	}
	var snaps []model.Snapshot
	if err := e.p.Range(after, e.times[to], func(s model.Snapshot) error {
		snaps = append(snaps, s)
		return nil
	}); err != nil {
		return err
	}
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].At.Before(snaps[j].At) })
	good := map[string]int{} // good polls fed, per source
	for i, s := range snaps {
		e.noteActions(s.At)
		e.clock = s.At
		e.cur = e.feed.next(s)
		if s.Err == nil {
			good[s.Source]++
		}
		if !rebuilt || i+1 == len(snaps) || !snaps[i+1].At.After(s.At) {
			continue // not a poll's last snapshot before to
		}
		if k := sort.Search(len(e.times), func(k int) bool { return !e.times[k].Before(s.At) }); k < to && e.ratesKnown(good) {
			e.shown[k] = e.message(k)
		}
	}
	e.fed = to
	return nil
}

// ratesKnown reports whether every recorded source has had two good
// polls, as counted in good.
func (e *replayer) ratesKnown(good map[string]int) bool {
	for _, s := range e.p.Sources() {
		if good[s.Name] < 2 {
			return false
		}
	}
	return true
}

// message is the store's fleet as the one at poll j, with the events
// recorded up to then (not those the store derives again), the alert
// rules they say were firing and who had taken what out.
func (e *replayer) message(j int) ui.ReplayMsg {
	at := e.times[j]
	n := sort.Search(len(e.events), func(k int) bool { return e.events[k].Time.After(at) })
	fm := e.cur
	fm.History = fm.History.WithEvents(e.events[max(0, n-replayEvents):n:n])
	if f := fm.Fleet; f != nil {
		markRecordedFiring(f, e.events[:n])
	}
	acts := e.actionsAt(at)
	return ui.ReplayMsg{Fleet: fm, DrainedBy: actions.LastBy(acts), ProxyBy: actions.LastProxy(acts)}
}

// markRecordedFiring sets each pool's Firing from the recorded alert
// events: a replay has the events, not the rules.
func markRecordedFiring(f *model.Fleet, evs []model.Event) {
	type alertKey struct{ name, pool, source string }
	firing := map[alertKey]bool{}
	var order []alertKey
	for _, ev := range evs {
		if ev.Type != model.EventAlert {
			continue
		}
		k := alertKey{ev.Name, ev.Pool, ev.Source}
		if _, seen := firing[k]; !seen {
			order = append(order, k)
		}
		firing[k] = ev.State == model.AlertFiring
	}
	for _, k := range order {
		if !firing[k] {
			continue
		}
		for i := range f.Pools {
			if p := &f.Pools[i]; p.Name == k.pool && strings.Join(p.Sources, ",") == k.source {
				p.Firing = append(p.Firing, k.name)
			}
		}
	}
}
