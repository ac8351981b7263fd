package ui

import (
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// FleetMsg carries a new immutable fleet from the engine. main sends one
// whenever a source's poll has been merged; the UI keeps the latest and
// drops older generations.
type FleetMsg struct {
	Fleet *model.Fleet
	// Seen, when set, is when lbtop first saw each backend out of
	// rotation (actions.Seen), computed off the UI goroutine by whoever
	// sends the fleet: a scan of every backend costs milliseconds at
	// 100k. It dates the notes of systems that do not say since when.
	Seen map[model.BackendRef]time.Time
	// Causes, when set, is CauseWatch.Observe of this fleet, computed
	// off the UI goroutine like Seen; without it the UI observes itself.
	Causes *CauseWatch
	// History, when set, is the Store's history as of this fleet
	// (model.History.View): sparklines, time in state, flaps, events.
	History *model.HistoryView
}

// ActionDoneMsg reports the outcome of one action performed through the
// Actor. Err is the system's own error, shown verbatim.
type ActionDoneMsg struct {
	Action model.Action
	Err    error
}

// ActionResultMsg reports one instance's outcome of an action performed
// through the Executor: confirmed by a fresh poll, not applied (with what
// the system reports), failed or refused. Batch ties the instances of one
// fan-out together.
type ActionResultMsg struct {
	Result actions.Result
	Batch  int
}

// PresenceMsg says who else watches a shared dashboard (`lbtop serve`):
// "3 watching: ana, bob, cy", shown in the header after Options.Identity.
type PresenceMsg struct{ Text string }

// StatusLevel is the severity of a status message.
type StatusLevel uint8

// Status levels, from least to most severe.
const (
	StatusInfo StatusLevel = iota
	StatusOK
	StatusWarn
	StatusError
)

var statusLevelNames = [...]string{StatusInfo: "info", StatusOK: "ok", StatusWarn: "warn", StatusError: "error"}

// String names the level.
func (l StatusLevel) String() string {
	if int(l) < len(statusLevelNames) {
		return statusLevelNames[l]
	}
	return "level?"
}

// StatusMsg shows a transient message in the message line for TTL (a
// default when zero). Anyone may send it, e.g. main to report a problem
// noticed after start-up.
type StatusMsg struct {
	Level StatusLevel
	Text  string
	TTL   time.Duration
}

// clearStatusMsg clears the message line if it still shows message id.
type clearStatusMsg struct{ id int }
