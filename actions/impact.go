// Package actions holds the logic that makes lbtop's actions safe, apart
// from any screen or flag: the impact of an action on its pool, the guard
// that asks for more than a keypress before taking a pool's last healthy
// backend (or too much of its capacity) out, the verification of an action
// against a later poll, the undo record, fan-out to the same backend on
// several instances, and the append-only audit log. The UI and the CLI
// both call it, so a drain from a script is checked, verified and audited
// exactly as one from the dashboard.
package actions

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lbtop/lbtop/model"
)

// DefaultFloor is the share of a pool's backends that must stay serving
// after an action; taking it lower needs the pool name typed in full (or
// --force on the command line).
const DefaultFloor = 0.5

// State is a backend's state as read before or after an action.
type State struct {
	Health model.Health     `json:"health"`
	Reason string           `json:"reason,omitempty"`
	Admin  model.AdminState `json:"admin"`
	Weight int              `json:"weight"` // -1 when the system reports none
}

// StateOf copies the parts of b an action changes or is judged by.
func StateOf(b model.Backend) State {
	return State{Health: b.Health, Reason: b.Reason, Admin: b.Admin, Weight: b.Weight}
}

// String renders the state as the dialog and CLI show it:
// "healthy (UP), weight 10".
func (s State) String() string {
	out := model.HealthText(s.Health, s.Reason)
	// The admin state adds to the health only when the system's words do
	// not already say it: HAProxy prints DOWN for a drained server.
	if s.Admin == model.AdminDrain && !strings.Contains(strings.ToLower(s.Reason), "drain") {
		out += ", drained"
	}
	if s.Admin == model.AdminMaint && !strings.Contains(strings.ToLower(s.Reason), "maint") {
		out += ", in maintenance"
	}
	if s.Weight >= 0 {
		out += ", weight " + strconv.Itoa(s.Weight)
	}
	return out
}

// Share is one serving backend's part of its pool's traffic after an
// action, by weight.
type Share struct {
	Backend string
	Weight  int     // the weight it will have (1 for a system without weights)
	Share   float64 // of the instance's serving weight after the action, 0–1
	Before  float64 // its share now, 0–1, so the split reads before → after
	Target  bool    // the backend the action is about
}

// Impact is what a pool on one instance looks like after an action.
type Impact struct {
	Action   model.Action
	Pool     string
	Instance string
	Before   State // the target's state when the action was asked for
	Active   int64 // active connections on the target

	Total         int     // backends of the pool on this instance
	HealthyBefore int     // serving now
	HealthyAfter  int     // serving after the action, if it works
	Shares        []Share // backends serving after the action
	Removed       []Share // serving now, not after (Share 0): the traffic that moves

	Removes     bool    // the action takes a serving backend out of rotation
	LastHealthy bool    // and it is the last one serving
	BelowFloor  bool    // or fewer than Floor of Total would be left serving
	Floor       float64 // the floor applied
}

// Risky reports whether the action needs more than a keypress: the pool
// name typed in full in the UI, --force on the command line.
func (i Impact) Risky() bool { return i.LastHealthy || i.BelowFloor }

// Why says in one sentence what makes the action risky, or "".
func (i Impact) Why() string {
	switch {
	case i.LastHealthy:
		return fmt.Sprintf("%s is the last healthy backend of pool %s on %s: after %s nothing serves it", i.Action.Ref.Backend, i.Pool, i.Instance, i.Action.Kind)
	case i.BelowFloor:
		return fmt.Sprintf("%s would leave %d of %d backends of pool %s serving on %s, below the %.0f%% floor", i.Action.Kind, i.HealthyAfter, i.Total, i.Pool, i.Instance, i.Floor*100)
	}
	return ""
}

// Lines renders the impact for the confirmation dialog and the CLI, at
// most maxShares backends listed.
func (i Impact) Lines(maxShares int) []string {
	out := []string{
		fmt.Sprintf("now      %s · %s active", i.Before, strconv.FormatInt(i.Active, 10)),
		fmt.Sprintf("after    %d of %d backends serving on %s (now %d)", i.HealthyAfter, i.Total, i.Instance, i.HealthyBefore),
	}
	if len(i.Shares) == 0 {
		out = append(out, "share    no backend left to take traffic")
	}
	rows := append(append([]Share(nil), i.Removed...), i.Shares...)
	for n, s := range rows {
		weight := fmt.Sprintf("weight %d", s.Weight)
		if n < len(i.Removed) {
			weight = "out"
		}
		if n == maxShares {
			out = append(out, fmt.Sprintf("         … %d more", len(rows)-n))
			break
		}
		label := "share    "
		if n > 0 {
			label = "         "
		}
		mark := ""
		if s.Target {
			mark = "  ← target"
		}
		out = append(out, fmt.Sprintf("%s%-14s %5.1f%% → %5.1f%%  %s%s", label, s.Backend, s.Before*100, s.Share*100, weight, mark))
	}
	switch {
	case i.LastHealthy:
		out = append(out, "RISK     the last healthy backend: nothing serves "+i.Pool+" after this")
	case i.BelowFloor:
		out = append(out, fmt.Sprintf("RISK     %d of %d serving after: below the %.0f%% floor", i.HealthyAfter, i.Total, i.Floor*100))
	}
	return out
}

// removes reports whether a takes a backend in state b out of rotation.
func removes(a model.Action, b *model.BackendRow) bool {
	if !b.Health.Serving() || b.Weight == 0 {
		return false
	}
	switch a.Kind {
	case model.ActionDrain, model.ActionMaint:
		return true
	case model.ActionWeight:
		return a.Weight == 0
	}
	return false
}

// servingAfter reports whether backend b serves after action a on target.
func servingAfter(a model.Action, b *model.BackendRow, isTarget bool) (bool, int) {
	w := b.Weight
	if w < 0 {
		w = 1 // no weights: equal shares
	}
	if !isTarget {
		return b.Health.Serving() && w > 0, w
	}
	switch a.Kind {
	case model.ActionDrain, model.ActionMaint:
		return false, w
	case model.ActionWeight:
		return b.Health.Serving() && a.Weight > 0, a.Weight
	case model.ActionReady:
		// Ready lifts drain or maint; whether it then serves depends on
		// its checks, which passed before if it was only drained.
		serving := b.Health.Serving() || b.Admin == model.AdminDrain || (b.Admin == model.AdminMaint && b.Health == model.Down) ||
			(b.Admin == model.AdminUnknown && b.Health == model.Draining)
		return serving && w > 0, w
	}
	return b.Health.Serving() && w > 0, w
}

// Assess computes the impact of a on target within pool: the backends of
// the same pool on the same instance. floor ≤ 0 means DefaultFloor.
func Assess(pool *model.PoolRow, target model.BackendRow, a model.Action, floor float64) Impact {
	if floor <= 0 {
		floor = DefaultFloor
	}
	im := Impact{
		Action: a, Pool: target.Pool, Instance: target.InstanceName(),
		Before: StateOf(target.Backend), Active: target.Active, Floor: floor,
	}
	var before, after tiers // serving backends, before and after a
	for i := range pool.Backends {
		b := &pool.Backends[i]
		if b.Source != target.Source || b.InstanceName() != target.InstanceName() {
			continue
		}
		isTarget := b.Name == target.Name && b.Address == target.Address
		im.Total++
		wNow := max(b.Weight, 0)
		if b.Weight < 0 {
			wNow = 1 // no weights: equal shares
		}
		servingNow := b.Health.Serving() && wNow > 0
		if servingNow {
			im.HealthyBefore++
			before.add(Share{Backend: b.Name, Weight: wNow, Target: isTarget}, b.Backup)
		}
		ok, w := servingAfter(a, b, isTarget)
		if !ok {
			if servingNow {
				im.Removed = append(im.Removed, Share{Backend: b.Name, Target: isTarget})
			}
			continue
		}
		im.HealthyAfter++
		after.add(Share{Backend: b.Name, Weight: w, Target: isTarget}, b.Backup)
	}
	// Backups take traffic only when no primary serves.
	im.Shares = after.serving()
	spread(im.Shares)
	now := before.serving()
	spread(now)
	shareBefore := make(map[string]float64, len(now))
	for _, s := range now {
		shareBefore[s.Backend] = s.Share
	}
	for k := range im.Shares {
		im.Shares[k].Before = shareBefore[im.Shares[k].Backend]
	}
	for k := range im.Removed {
		im.Removed[k].Before = shareBefore[im.Removed[k].Backend]
	}
	im.Removes = removes(a, &target)
	if im.Removes {
		im.LastHealthy = im.HealthyAfter == 0
		im.BelowFloor = float64(im.HealthyAfter) < floor*float64(im.Total)
	}
	return im
}

// tiers holds a pool's serving backends split into primaries and backups.
type tiers struct{ primary, backup []Share }

// add puts s among the backups when backup holds, else the primaries.
func (t *tiers) add(s Share, backup bool) {
	if backup {
		t.backup = append(t.backup, s)
	} else {
		t.primary = append(t.primary, s)
	}
}

// serving returns the primaries, or the backups when no primary serves.
func (t *tiers) serving() []Share {
	if len(t.primary) == 0 {
		return t.backup
	}
	return t.primary
}

// spread sets each share's part of the total weight.
func spread(ss []Share) {
	sum := 0
	for _, s := range ss {
		sum += s.Weight
	}
	for k := range ss {
		if sum > 0 {
			ss[k].Share = float64(ss[k].Weight) / float64(sum)
		}
	}
}
