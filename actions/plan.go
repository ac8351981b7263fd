package actions

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lbtop/lbtop/model"
)

// Caps says what each source can do; *sources.Hub implements it. It must
// not block.
type Caps interface {
	Supports(source string, k model.ActionKind) (ok bool, why string)
}

// WeightRanger is implemented by Caps that know the weights each source
// accepts (*sources.Hub); ok is false for a source without weights.
type WeightRanger interface {
	WeightRange(source string) (lo, hi int, ok bool)
}

// Describer is implemented by Caps that can say exactly what a source
// sends for an action, or why the source would refuse it (*sources.Hub,
// from each source's own Describe).
type Describer interface {
	Describe(source string, a model.Action) (string, error)
}

// Planned is an action checked and ready to confirm: one request per
// instance in scope, with its impact on the pool there and the exact
// request the source will send (when Caps is a Describer).
type Planned struct {
	Requests []Request
	Impacts  []Impact // none for a proxy-level action
	Wire     []string // per request: what is sent, as the source describes it
}

// describe adds what the source sends for a, or refuses as it would.
func (p *Planned) describe(caps Caps, a model.Action) error {
	d, ok := caps.(Describer)
	if !ok {
		p.Wire = append(p.Wire, a.String())
		return nil
	}
	w, err := d.Describe(a.Ref.Source, a)
	if err != nil {
		return refuse("%s refused: %v", a.Kind, err)
	}
	p.Wire = append(p.Wire, w)
	return nil
}

// Risky reports whether any impact needs more than a keypress (the pool
// name typed in the UI, --force on the command line).
func (p Planned) Risky() bool {
	for _, im := range p.Impacts {
		if im.Risky() {
			return true
		}
	}
	return false
}

// Why says what makes the plan risky, or "".
func (p Planned) Why() string {
	for _, im := range p.Impacts {
		if im.Risky() {
			return im.Why()
		}
	}
	return ""
}

// ErrRefused is wrapped by every error Plan returns: the action would be
// refused before anything is sent.
var ErrRefused = errors.New("refused")

// refusal is Plan's error: the sentence shown, wrapping ErrRefused.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return ErrRefused }

func refuse(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...)}
}

// Plan checks action a on every backend in scope and returns the requests
// with their impacts, or the reason it is refused: the target is stale,
// the source cannot do it, the weight is out of the source's range, or
// the backend is already in the requested state. The CLI and the dialog
// both call it, so they refuse the same things with the same words.
// Proxy-level actions take their source from a.Ref.Source and no scope.
// a.Ref of a backend action is ignored: each match's own is used.
// floor ≤ 0 means DefaultFloor. A risky plan (last healthy, below the
// floor) is not refused: Planned.Risky says the caller must ask for more.
func Plan(f *model.Fleet, caps Caps, a model.Action, scope []Match, reason string, floor float64) (Planned, error) {
	if a.Kind.ProxyLevel() {
		return planProxy(f, caps, a, reason)
	}
	if len(scope) == 0 {
		return Planned{}, refuse("%s: no backend to act on", a.Kind)
	}
	var p Planned
	for _, m := range scope {
		act := model.Action{Kind: a.Kind, Ref: m.Row.Ref(), Weight: a.Weight}
		if err := check(caps, sourceKind(f, m), act, m.Row); err != nil {
			return Planned{}, err
		}
		if err := p.describe(caps, act); err != nil {
			return Planned{}, err
		}
		p.Requests = append(p.Requests, Request{Action: act, Kind: m.Pool.Kind, Before: m.Row.Backend, Reason: reason})
		p.Impacts = append(p.Impacts, Assess(m.Pool, m.Row, act, floor))
	}
	return p, nil
}

// check refuses act on row for every reason that does not depend on the
// rest of the pool.
func check(caps Caps, kind model.Kind, act model.Action, row model.BackendRow) error {
	target := row.Pool + "/" + row.Name
	if ok, why := caps.Supports(row.Source, act.Kind); !ok {
		return refuse("%s refused: %s", act.Kind, why)
	}
	if err := row.Addressable(); err != nil {
		return refuse("%s refused: %v; nothing sent", act.Kind, err)
	}
	if row.Stale {
		return refuse("source %q did not answer: its state of %s is unknown; nothing sent", row.Source, target)
	}
	if act.Kind == model.ActionWeight {
		wr, ranged := caps.(WeightRanger)
		if ranged {
			if lo, hi, has := wr.WeightRange(row.Source); has && (act.Weight < lo || act.Weight > hi) {
				return refuse("weight %d out of range for %s source %q: must be %d–%d; nothing sent", act.Weight, kind, row.Source, lo, hi)
			}
		}
		if act.Weight < 0 {
			return refuse("weight %d out of range for %s source %q: must be 0 or more; nothing sent", act.Weight, kind, row.Source)
		}
		if row.Weight == act.Weight {
			return refuse("%s on %s is already at weight %d: nothing to change", row.Name, row.Source, act.Weight)
		}
		return nil
	}
	if Reached(act, row.Backend) {
		return refuse("%s on %s is already %s: nothing to change", row.Name, row.Source, already(act.Kind))
	}
	return nil
}

// already names the state an action puts a backend in.
func already(k model.ActionKind) string {
	switch k {
	case model.ActionDrain:
		return "drained"
	case model.ActionMaint:
		return "in maintenance"
	case model.ActionReady:
		return "ready"
	}
	return k.String()
}

// planProxy checks a proxy-level action: the source exists, answers, can
// do it, and is not already in that state.
func planProxy(f *model.Fleet, caps Caps, a model.Action, reason string) (Planned, error) {
	src := a.Ref.Source
	a.Ref = model.BackendRef{Source: src}
	var st model.SourceStatus
	if f != nil {
		st, _ = f.Source(src)
	}
	if ok, why := caps.Supports(src, a.Kind); !ok {
		// The whole proxy is named with its system, whatever words the
		// source found: "NGINX Plus has no API…" alone does not say
		// which of several sources was asked.
		if named := strconv.Quote(src); !strings.Contains(why, named) && st.Kind != "" {
			why += " (source " + named + ", " + string(st.Kind) + ")"
		}
		return Planned{}, refuse("%s refused: %s", a.Kind, why)
	}
	if !st.OK {
		return Planned{}, refuse("source %q did not answer: its proxy state is unknown; nothing sent", src)
	}
	failing := st.ProxyFailing
	switch {
	case a.Kind == model.ActionProxyFail && failing:
		return Planned{}, refuse("proxy %s is already failing its health check: nothing to change", src)
	case a.Kind == model.ActionProxyOK && !failing:
		return Planned{}, refuse("proxy %s is already passing its health check: nothing to change", src)
	}
	p := Planned{Requests: []Request{{Action: a, Kind: st.Kind, Reason: reason}}}
	if err := p.describe(caps, a); err != nil {
		return Planned{}, err
	}
	return p, nil
}

// Scope returns the matches an action on row may fan out to: row first,
// then the same backend on the pool's other instances that can take the
// action and pass Plan's checks. It is the dialog's "all instances".
func Scope(caps Caps, pool *model.PoolRow, row model.BackendRow, a model.Action) []Match {
	out := []Match{{Pool: pool, Row: row}}
	for _, peer := range Peers(pool, row)[1:] {
		act := model.Action{Kind: a.Kind, Ref: peer.Ref(), Weight: a.Weight}
		var p Planned
		if check(caps, pool.Kind, act, peer) == nil && p.describe(caps, act) == nil {
			out = append(out, Match{Pool: pool, Row: peer})
		}
	}
	return out
}

// sourceKind is the system of the source that reported m.
func sourceKind(f *model.Fleet, m Match) model.Kind {
	if st, ok := f.Source(m.Row.Source); ok && st.Kind != "" {
		return st.Kind
	}
	return m.Pool.Kind
}
