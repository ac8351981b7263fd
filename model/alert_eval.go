package model

import (
	"strings"
	"time"
)

// alertSet is the rules and, per rule and pool key, how long the
// condition has held and whether the rule fires.
type alertSet struct {
	rules   []AlertRule
	state   []map[string]*alertState
	matches []map[string]bool // per rule: pool key → name matches (regexps run once per pool)
}

type alertState struct {
	since  time.Time // when the condition started to hold; zero when it does not
	firing bool
	pool   string
	source string
}

// SetAlerts replaces the alert rules; rules firing before are forgotten
// without a resolved event.
func (h *History) SetAlerts(rules []AlertRule) {
	a := &alertSet{rules: rules}
	for range rules {
		a.state = append(a.state, map[string]*alertState{})
		a.matches = append(a.matches, map[string]bool{})
	}
	h.alerts = a
}

// evalAlerts evaluates every rule on every pool of a fleet. A stale pool
// keeps its state (no data is not evidence); a pool that vanished while
// its rule fired resolves.
func (h *History) evalAlerts(f *Fleet) {
	a := h.alerts
	if a == nil {
		return
	}
	for ri, r := range a.rules {
		st, match := a.state[ri], a.matches[ri]
		present := make(map[string]bool, len(st))
		for i := range f.Pools {
			p := &f.Pools[i]
			ok, seen := match[p.Key]
			if !seen {
				ok = r.Pools == nil || r.Pools.MatchString(p.Name)
				match[p.Key] = ok
			}
			if !ok {
				continue
			}
			present[p.Key] = true
			if p.Stale {
				continue
			}
			s := st[p.Key]
			if s == nil {
				s = &alertState{}
				st[p.Key] = s
			}
			s.pool, s.source = p.Name, strings.Join(p.Sources, ",")
			v := r.Metric.Of(p)
			h.step(r, s, r.Op.Holds(v, r.Threshold), v, f.At)
		}
		for key, s := range st {
			if !present[key] {
				if s.firing {
					h.alertEvent(r, s, AlertResolved, 0, f.At, "pool no longer reported")
				}
				delete(st, key)
				delete(match, key)
			}
		}
	}
}

// step advances one rule on one pool.
func (h *History) step(r AlertRule, s *alertState, holds bool, v float64, at time.Time) {
	switch {
	case holds && s.since.IsZero():
		s.since = at
	case !holds:
		s.since = time.Time{}
		if s.firing {
			s.firing = false
			h.alertEvent(r, s, AlertResolved, v, at, r.String())
		}
		return
	}
	if !s.firing && at.Sub(s.since) >= r.For {
		s.firing = true
		h.alertEvent(r, s, AlertFiring, v, at, r.String())
	}
}

func (h *History) alertEvent(r AlertRule, s *alertState, state string, v float64, at time.Time, reason string) {
	from := AlertResolved
	if state == AlertResolved {
		from = AlertFiring
	}
	h.emit(Event{Time: at, Type: EventAlert, Name: r.Name, Pool: s.pool, Source: s.source, State: state, From: from, To: state, Value: &v, Reason: reason})
}

// markFiring sets each pool's Firing to the rules firing on it, in rule
// order. It runs on a fleet just built, before anyone else sees it, so
// the fleet stays immutable once handed out.
func (h *History) markFiring(f *Fleet) {
	if h.alerts == nil {
		return
	}
	var index map[string]int
	for ri, st := range h.alerts.state {
		for key, s := range st {
			if !s.firing {
				continue
			}
			if index == nil {
				index = make(map[string]int, len(f.Pools))
				for i := range f.Pools {
					index[f.Pools[i].Key] = i
				}
			}
			if i, ok := index[key]; ok {
				f.Pools[i].Firing = append(f.Pools[i].Firing, h.alerts.rules[ri].Name)
			}
		}
	}
}
