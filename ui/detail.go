package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/lbtop/lbtop/model"
)

// detailLines describes the backend under the cursor for the detail box
// (enter on a backend): everything the source reports of it, in its own
// words, and what can be done there. j/k move to the next backend with
// the box open.
func (m *Model) detailLines() (string, []string) {
	b := m.backends.cursor()
	if b == nil {
		return "backend", []string{"the backend is no longer reported"}
	}
	var out []string
	add := func(label, value string) {
		if value != "" {
			out = append(out, fit(label, 13, false)+" "+value)
		}
	}
	health := b.Health.String()
	if b.Reason != "" && b.Reason != health {
		health += ": " + b.Reason
	}
	add("health", health)
	if !b.Since.IsZero() {
		layout := "15:04:05"
		if m.times.now.Sub(b.Since) >= 24*time.Hour {
			layout = "Jan 2 15:04"
		}
		add("in state for", fmtAge(m.times.now.Sub(b.Since))+" (since "+b.Since.Local().Format(layout)+", as the system says)")
	}
	if b.Transitions > 0 {
		add("changes", plural(int(b.Transitions), "state change")+" in the last 5 min")
	}
	if b.Fault != model.FaultNone {
		add("fault", b.Fault.String())
	}
	f := model.FactsOf(&b.Backend)
	if f.CheckStatus != "" || f.CheckCode != 0 {
		check := f.CheckStatus
		if f.CheckCode != 0 {
			check += " " + strconv.Itoa(f.CheckCode)
		}
		if f.CheckDuration > 0 {
			check += " in " + f.CheckDuration.Round(time.Millisecond).String()
		}
		add("last check", strings.TrimSpace(check))
	}
	if b.Admin != model.AdminUnknown {
		add("admin state", b.Admin.String())
	}
	add("weight", fmtWeight(b.Weight))
	traffic := "active " + fmtCount(b.Active)
	if b.HasRates {
		traffic += " · " + fmtRate(b.ReqRate, true) + " req/s · " + fmtRate(b.ErrRate, true) + " 5xx/s"
	}
	add("traffic", traffic)
	var counters []string
	num := func(name string, v uint64) {
		if v > 0 {
			counters = append(counters, name+" "+strconv.FormatUint(v, 10))
		}
	}
	num("failed checks", f.CheckFails)
	num("fails", f.Fails)
	num("unavail", f.Unavail)
	if f.Downtime > 0 {
		counters = append(counters, "downtime "+fmtAge(f.Downtime))
	}
	if f.Queue > 0 {
		counters = append(counters, "queued "+strconv.FormatInt(f.Queue, 10))
	}
	if f.Limit > 0 {
		counters = append(counters, "limit "+strconv.FormatInt(f.Limit, 10))
	}
	if b.Counters {
		counters = append(counters, "requests "+strconv.FormatUint(b.Requests, 10), "5xx "+strconv.FormatUint(b.Errors, 10))
	}
	add("counters", strings.Join(counters, " · "))
	add("address", b.Address)
	add("zone", b.Zone)
	if b.Backup {
		add("role", "backup (serves when the primaries are gone)")
	}
	add("instance", b.InstanceName())
	if st, ok := m.fleet.Source(b.Source); ok {
		src := string(st.Kind) + " source " + b.Source
		if !st.OK {
			src += " (stale: its last poll failed)"
		}
		add("source", src)
	}
	if n := m.outNote(b); n != "" {
		add("note", n)
	}
	out = append(out, "", m.detailActions(b), "esc or enter closes · j/k next backend")
	return b.Pool + "/" + b.Name, out
}

// detailActions names the keys that act on this backend, or why none do.
func (m *Model) detailActions(b *model.BackendRow) string {
	if m.opts.ReadOnly || m.opts.Executor == nil {
		return "read-only: no actions"
	}
	var keys []string
	for _, k := range actionKeys[:4] { // the per-backend ones
		if ok, _ := m.actor.Supports(b.Source, k.kind); ok {
			keys = append(keys, k.key)
		}
	}
	if len(keys) == 0 {
		_, why := m.actor.Supports(b.Source, model.ActionDrain)
		return "actions: none here — " + why
	}
	return "actions: " + strings.Join(keys, " · ") + " (each asks first)"
}

// actionKeys are the action keys offered for a backend, per-backend ones
// first.
var actionKeys = []struct {
	key  string
	kind model.ActionKind
}{{"d drain", model.ActionDrain}, {"r ready", model.ActionReady}, {"m maint", model.ActionMaint}, {"w weight", model.ActionWeight}, {"F proxy", model.ActionProxyFail}}

// detailBox renders the detail overlay.
func (m *Model) detailBox(w int) []string {
	title, lines := m.detailLines()
	bw := min(w-2, 100)
	inner := bw - 4
	for i, l := range lines {
		lines[i] = clipMiddle(l, inner)
	}
	return boxWidth(title, lines, bw, m.st.Box, m.st.Title)
}
