package model

import (
	"strconv"
	"time"
)

// DiagInput is what Diagnose needs besides the pool: every source's
// status (a stale instance makes the data unknown), what the audit log
// knows of administrative changes, and the time to age things against.
// The Store fills it for every fleet.
type DiagInput struct {
	Sources []SourceStatus
	Admin   map[BackendRef]AdminNote
	Now     time.Time
}

// diagRule is one row of the precedence table (diagnose_rules.go).
type diagRule struct {
	cause Cause // CauseMixed on member rules: the cause comes from the member groups
	state DiagState
	test  ruleTest
}

// ruleTest names a rule's test. An enum rather than a func value keeps
// the pool's diagCtx on the stack: one allocation fewer per pool.
type ruleTest uint8

// The rule tests, in table order.
const (
	testAllStale ruleTest = iota
	testNoMatchingPods
	testEmpty
	testNoneServing
	testPanicking
	testOverloaded
	testSomeFailing
	testErroring
	testSomeOut
	testPartlyStale
	testFlapping
	testWeightSkew
	testImbalanced
	testAlways
)

// holds runs one rule's test.
func (c *diagCtx) holds(t ruleTest) bool {
	switch t {
	case testAllStale:
		return c.allStale()
	case testNoMatchingPods:
		return c.noMatchingPods()
	case testEmpty:
		return c.empty()
	case testNoneServing:
		return c.noneServing()
	case testPanicking:
		return c.panicking()
	case testOverloaded:
		return c.overloaded()
	case testSomeFailing:
		return c.someFailing()
	case testErroring:
		return c.erroring()
	case testSomeOut:
		return c.someOut()
	case testPartlyStale:
		return c.partlyStale()
	case testFlapping:
		return c.flapping()
	case testWeightSkew:
		return c.weightSkew()
	case testImbalanced:
		return c.imbalanced()
	case testAlways:
	}
	return true
}

// group counts the members out for one cause, keeping the first few.
type group struct {
	n     int
	first [3]int32 // indexes into the pool's Backends
}

// diagCtx is one pool's facts, gathered in one pass for the rules.
type diagCtx struct {
	p  *PoolRow
	in *DiagInput

	serving  int // members that serve, weight 0 excluded
	out      int // members that do not
	failing  int // of out, those out for a failure, not on purpose
	groups   [numGroups]group
	aggOut   int   // members out that only aggregates count (no detail)
	stale    []int // indexes into in.Sources of this pool's stale instances
	sums     [NumPoolCounters]float64
	queue    int64 // requests queued, members and pool
	atLimit  bool  // pool sessions at the session limit
	breakers int64
	ejected  int64
	pods     int // selector matches, -1 when unknown
	selector string
	flappy   int32 // a member with >= flapsMin transitions, or -1
}

// Diagnose says why a pool is in its state: the first rule of the
// precedence table (diagnose_rules.go) that matches gives the state and
// the cause, with a one-line summary, the evidence (numbers and member and
// instance names) and a short form for the pool list. It is pure and does
// no I/O; the Store runs it on every fleet.
func Diagnose(p *PoolRow, in *DiagInput) Diagnosis {
	c := diagCtx{p: p, in: in, pods: -1, flappy: -1}
	c.gather()
	for i := range diagRules {
		r := &diagRules[i]
		if c.holds(r.test) {
			return c.build(r)
		}
	}
	return Diagnosis{State: DiagOK, Cause: CauseOK} // unreachable: the last rule always matches
}

// gather makes the one pass over members and pool facts.
func (c *diagCtx) gather() {
	p := c.p
	for i := range p.Backends {
		b := &p.Backends[i]
		if b.Transitions >= flapsMin && c.flappy < 0 {
			c.flappy = int32(i)
		}
		if b.Facts != nil {
			c.queue += b.Facts.Queue
		}
		if b.Health.Serving() && b.Weight != 0 {
			c.serving++
			continue
		}
		g := faultGroup(b)
		c.out++
		if !intentional(g) {
			c.failing++
		}
		gr := &c.groups[g]
		if gr.n < len(gr.first) {
			gr.first[gr.n] = int32(i)
		}
		gr.n++
	}
	for _, a := range p.Aggregates {
		c.serving += a.Healthy
		c.aggOut += a.Total - a.Healthy
	}
	c.out += c.aggOut
	c.failing += c.aggOut
	c.groups[groupOther].n += c.aggOut
	for i := range p.Facts {
		f := &p.Facts[i]
		for k := range NumPoolCounters {
			if r, ok := f.Rate(k); ok {
				c.sums[k] += r
			}
		}
		c.queue += f.Queue
		if f.SessionLimit > 0 && f.Sessions >= f.SessionLimit {
			c.atLimit = true
		}
		c.breakers += f.BreakerConnections + f.BreakerRequests + f.BreakerPending
		c.ejected += f.OutlierEjected
		if f.SelectorPods >= 0 {
			c.pods = max(c.pods, 0) + f.SelectorPods
			c.selector = f.Selector
		}
	}
	if p.Stale {
		for _, name := range p.Sources {
			for j := range c.in.Sources {
				if s := &c.in.Sources[j]; s.Name == name && !s.OK {
					c.stale = append(c.stale, j)
				}
			}
		}
	}
}

// The rule tests, in table order.

func (c *diagCtx) allStale() bool {
	return len(c.stale) > 0 && len(c.stale) >= len(c.p.Sources)
}
func (c *diagCtx) noMatchingPods() bool { return c.p.Total == 0 && c.pods == 0 }
func (c *diagCtx) empty() bool          { return c.p.Total == 0 }
func (c *diagCtx) noneServing() bool    { return c.serving == 0 }
func (c *diagCtx) panicking() bool      { return c.sums[CtrPanic] > 0 }
func (c *diagCtx) overloaded() bool {
	return c.breakers > 0 || c.sums[CtrCxOverflow] > 0 || c.sums[CtrPendingOverflow] > 0 || c.queue > 0 || c.atLimit
}
func (c *diagCtx) someFailing() bool { return c.failing > 0 }
func (c *diagCtx) erroring() bool {
	return c.p.ReqRate > 0 && c.p.ErrRate/c.p.ReqRate >= errorRatioMin
}
func (c *diagCtx) someOut() bool     { return c.out > 0 }
func (c *diagCtx) partlyStale() bool { return len(c.stale) > 0 }
func (c *diagCtx) flapping() bool    { return c.flappy >= 0 }

func (c *diagCtx) weightSkew() bool {
	_, share := c.topWeight()
	return share >= skewShareMin
}

func (c *diagCtx) imbalanced() bool {
	_, share := c.topActive()
	return share >= imbalanceMin
}

// topWeight finds the serving member with the largest weight and its
// share of the serving weight; share is 0 with fewer than two members.
func (c *diagCtx) topWeight() (int, float64) {
	top, sum, n := -1, 0, 0
	for i := range c.p.Backends {
		b := &c.p.Backends[i]
		if !b.Health.Serving() || b.Weight <= 0 {
			continue
		}
		n++
		sum += b.Weight
		if top < 0 || b.Weight > c.p.Backends[top].Weight {
			top = i
		}
	}
	if n < 2 || sum == 0 {
		return top, 0
	}
	return top, float64(c.p.Backends[top].Weight) / float64(sum)
}

// topActive finds the member with the most active connections and its
// share, when every other serving member is idle; share is 0 otherwise.
func (c *diagCtx) topActive() (int, float64) {
	top, n := -1, 0
	var sum int64
	for i := range c.p.Backends {
		b := &c.p.Backends[i]
		if !b.Health.Serving() {
			continue
		}
		n++
		sum += b.Active
		if top < 0 || b.Active > c.p.Backends[top].Active {
			top = i
		}
	}
	if n < 2 || sum < imbalanceActive {
		return top, 0
	}
	return top, float64(c.p.Backends[top].Active) / float64(sum)
}

// ranked returns the member groups that have members, largest first, ties
// in memberCauses order; failuresOnly leaves out intentional groups.
func (c *diagCtx) ranked(failuresOnly bool) []int {
	var buf [numGroups]int
	out := buf[:0]
	for g := range numGroups {
		if c.groups[g].n == 0 || (failuresOnly && intentional(g)) {
			continue
		}
		j := len(out)
		out = append(out, g)
		for j > 0 && c.groups[out[j-1]].n < c.groups[g].n {
			out[j] = out[j-1]
			j--
		}
		out[j] = g
	}
	return out
}

// causeOf names a group's cause.
func causeOf(g int) Cause {
	if g == groupOther {
		return CauseMixed
	}
	return memberCauses[g]
}

// label names a member for evidence: its name, and its instance when the
// pool spans several.
func (c *diagCtx) label(i int32) string { return string(c.appendLabel(nil, i)) }

// appendLabel appends a member's label (see label).
func (c *diagCtx) appendLabel(buf []byte, i int32) []byte {
	b := &c.p.Backends[i]
	buf = append(buf, b.Name...)
	if len(c.p.Sources) > 1 || b.Instance != "" {
		buf = append(buf, '@')
		buf = append(buf, b.InstanceName()...)
	}
	return buf
}

// appendNames appends a group's first members: "a, b, c +4 more".
func (c *diagCtx) appendNames(buf []byte, g int) []byte {
	gr := &c.groups[g]
	shown := min(gr.n-c.aggOutIn(g), len(gr.first))
	for k := range shown {
		if k > 0 {
			buf = append(buf, ", "...)
		}
		buf = c.appendLabel(buf, gr.first[k])
	}
	if rest := gr.n - shown; rest > 0 {
		if shown > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, '+')
		buf = strconv.AppendInt(buf, int64(rest), 10)
		buf = append(buf, " more"...)
	}
	return buf
}

// aggOutIn is how many of a group's members are aggregate counts without
// a name.
func (c *diagCtx) aggOutIn(g int) int {
	if g == groupOther {
		return c.aggOut
	}
	return 0
}

// pct renders a share as "85%".
func pct(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }

// rate renders a per-second figure with one decimal: "8.9".
func rate(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// Ago renders an age coarsely, the one format of ages on screen, in
// messages and in evidence: "40s", "12m", "3h", "2d"; a negative one
// (clock skew) as "0s".
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(max(0, int(d/time.Second))) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}
