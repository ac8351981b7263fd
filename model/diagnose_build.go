package model

import (
	"strconv"
	"strings"
)

// noEvidence is the evidence of a pool with nothing to report: empty, not
// null, in JSON. It is never appended to in place (its capacity is 0).
var noEvidence = []string{}

// build writes the diagnosis for the rule that matched.
func (c *diagCtx) build(r *diagRule) Diagnosis {
	d := Diagnosis{State: r.state, Cause: r.cause}
	p := c.p
	switch {
	case r.cause == CauseOK:
		d.Summary = strconv.Itoa(p.Healthy) + " of " + strconv.Itoa(p.Total) + " healthy"
		d.Evidence = noEvidence
		return d
	case r.cause == CauseMixed: // a member rule
		c.memberDiagnosis(&d, r.state)
	case r.cause == CauseSourceUnreachable:
		s := &c.in.Sources[c.stale[0]]
		d.Summary = "lbtop cannot read " + s.Name + ": " + SafeText(s.Err)
		if r.state == DiagWarning {
			d.Summary = strconv.Itoa(len(c.stale)) + " of " + strconv.Itoa(len(p.Sources)) +
				" instances stale (" + s.Name + ": " + SafeText(s.Err) + ")"
		}
		d.Short = "unreachable"
		if r.state == DiagWarning {
			d.Short = "stale"
		}
	case r.cause == CauseNoMatchingPods:
		d.Summary = "selector " + c.selector + " matches no pods"
	case r.cause == CauseNoEndpoints:
		d.Summary = "the pool has no members"
		if len(p.Notes) > 0 {
			d.Summary += ": " + SafeText(p.Notes[0])
		}
	case r.cause == CausePanic:
		d.Summary = "panic mode: " + strconv.Itoa(c.serving) + " of " + strconv.Itoa(p.Total) +
			" members healthy, traffic goes to every member"
	case r.cause == CauseOverloaded:
		d.Summary = "members up but saturated: " + c.overloadFact()
		d.Short = c.overloadShort()
	case r.cause == CauseErrors:
		d.Summary = c.errorFact()
		d.Short = "5xx " + pct(p.ErrRate/p.ReqRate)
	case r.cause == CauseFlapping:
		b := &p.Backends[c.flappy]
		d.Summary = c.label(c.flappy) + " changed state " + strconv.Itoa(int(b.Transitions)) + " times in 5 min"
	case r.cause == CauseWeightSkew:
		top, share := c.topWeight()
		d.Summary = c.label(int32(top)) + " carries " + pct(share) + " of the weight"
	case r.cause == CauseImbalance:
		top, share := c.topActive()
		d.Summary = c.label(int32(top)) + " holds " + pct(share) + " of active connections, the others none"
	}
	if d.Short == "" {
		d.Short = shortFor[d.Cause]
	}
	d.Evidence = c.evidence(d.Cause)
	return d
}

// memberDiagnosis fills cause, summary and short for rules 4, 7 and 9,
// from the member groups.
func (c *diagCtx) memberDiagnosis(d *Diagnosis, state DiagState) {
	rank := c.ranked(state == DiagDegraded && c.failing > 0)
	if len(rank) == 0 { // counts that do not add up (an aggregate with more healthy than total)
		d.Cause, d.Summary, d.Short = CauseMixed, strconv.Itoa(c.serving)+" of "+strconv.Itoa(c.p.Total)+" serve", "out"
		return
	}
	top := rank[0]
	d.Cause = causeOf(top)
	n := c.groups[top].n
	if len(rank) > 1 && c.groups[rank[1]].n == n {
		d.Cause = CauseMixed
	}
	head := strconv.Itoa(c.out) + " of " + strconv.Itoa(c.p.Total) + " members out: "
	if state == DiagDown {
		head = "no member serves: "
	}
	switch {
	case d.Cause == CauseMixed && top == groupOther && len(rank) == 1:
		d.Summary = head + strconv.Itoa(n) + " " + c.otherReason()
		d.Short = "out"
	case d.Cause == CauseMixed:
		second := rank[1]
		d.Summary = head + strconv.Itoa(n) + " " + phraseOf(top) + ", " +
			strconv.Itoa(c.groups[second].n) + " " + phraseOf(second)
	default:
		d.Summary = head + strconv.Itoa(n) + " of " + strconv.Itoa(c.p.Total) + " " + phrase[d.Cause]
		d.Short = c.memberShort(top)
	}
}

// phraseOf is a group's summary phrase.
func phraseOf(g int) string {
	if g == groupOther {
		return "out for other reasons"
	}
	return phrase[memberCauses[g]]
}

// otherReason quotes the first unexplained member's reason, saying so
// when others are out too ("out: L4CON (first of 2)").
func (c *diagCtx) otherReason() string {
	gr := &c.groups[groupOther]
	if gr.n > c.aggOut {
		s := "out: " + SafeText(c.p.Backends[gr.first[0]].Reason)
		if n := gr.n - c.aggOut; n > 1 {
			s += " (first of " + strconv.Itoa(n) + ")"
		}
		return s
	}
	return "out (the source gives no detail)"
}

// memberShort is the WHY column for a member cause: the check status
// when it is short ("L7STS 503"), who drained it when the audit log knows.
func (c *diagCtx) memberShort(g int) string {
	b := &c.p.Backends[c.groups[g].first[0]]
	switch memberCauses[g] {
	case CauseHealthChecks:
		if s := checkText(b); s != "" && len(s) <= 12 {
			return s
		}
	case CauseAdminDown:
		verb := "drained"
		if b.Admin == AdminMaint || b.Health == Down {
			verb = "maint"
		}
		if note, ok := c.in.Admin[b.Ref()]; ok && note.User != "" {
			if note.Action == "maint" {
				verb = "maint"
			}
			return verb + " by " + SafeText(note.User)
		}
		return verb
	}
	return shortFor[memberCauses[g]]
}

// checkText renders a member's last check: "L7STS 503", "L4CON".
func checkText(b *BackendRow) string {
	f := FactsOf(&b.Backend)
	s := f.CheckStatus
	if s != "" && f.CheckCode != 0 {
		s += " " + strconv.Itoa(f.CheckCode)
	}
	return s
}

// appendDetail appends one member's own evidence: its check with
// duration, or its reason, with passive-check counts, how long it has
// been out, downtime and who took it out.
func (c *diagCtx) appendDetail(buf []byte, i int32) []byte {
	b := &c.p.Backends[i]
	f := FactsOf(&b.Backend)
	if f.CheckStatus == "" {
		buf = append(buf, SafeText(b.Reason)...)
	} else {
		buf = append(buf, f.CheckStatus...)
		if f.CheckCode != 0 {
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(f.CheckCode), 10)
		}
		if f.CheckDuration > 0 {
			buf = append(buf, " in "...)
			buf = strconv.AppendInt(buf, f.CheckDuration.Milliseconds(), 10)
			buf = append(buf, " ms"...)
		}
	}
	if f.Fails > 0 || f.Unavail > 0 {
		buf = append(buf, ", fails "...)
		buf = strconv.AppendUint(buf, f.Fails, 10)
		buf = append(buf, ", unavail "...)
		buf = strconv.AppendUint(buf, f.Unavail, 10)
	}
	if f.CheckFails > 0 {
		buf = append(buf, ", checks failed "...)
		buf = strconv.AppendUint(buf, f.CheckFails, 10)
	}
	if !b.Since.IsZero() && c.in.Now.After(b.Since) {
		buf = append(buf, ", for "...)
		buf = append(buf, Ago(c.in.Now.Sub(b.Since))...)
	}
	if f.Downtime > 0 {
		buf = append(buf, ", down "...)
		buf = append(buf, Ago(f.Downtime)...)
		buf = append(buf, " in total"...)
	}
	if note, ok := c.in.Admin[b.Ref()]; ok {
		buf = append(buf, "; "...)
		buf = append(buf, note.Action...)
		buf = append(buf, " by "...)
		buf = append(buf, SafeText(note.User)...)
		if !note.Since.IsZero() {
			buf = append(buf, ' ')
			buf = append(buf, Ago(c.in.Now.Sub(note.Since))...)
			buf = append(buf, " ago"...)
		}
		if note.Reason != "" {
			buf = append(buf, ": "...)
			buf = strconv.AppendQuote(buf, SafeText(note.Reason))
		}
	}
	return buf
}

// evidence lists every fact behind the verdict: each member group with
// its members, then pool-level figures, then stale instances.
func (c *diagCtx) evidence(cause Cause) []string {
	p := c.p
	rank := c.ranked(false)
	ev := make([]string, 0, len(rank)+2)
	var buf [160]byte
	for _, g := range rank {
		gr := &c.groups[g]
		line := strconv.AppendInt(buf[:0], int64(gr.n), 10)
		line = append(line, " of "...)
		line = strconv.AppendInt(line, int64(p.Total), 10)
		line = append(line, ' ')
		line = append(line, phraseOf(g)...)
		if gr.n > 0 {
			line = append(line, ": "...)
			line = c.appendNames(line, g)
		}
		if gr.n > c.aggOutIn(g) {
			line = append(line, " ("...)
			line = c.appendDetail(line, gr.first[0])
			line = append(line, ')')
		}
		ev = append(ev, string(line))
	}
	if c.serving > 0 && c.out > 0 {
		ev = append(ev, strconv.Itoa(c.serving)+" of "+strconv.Itoa(p.Total)+" serve")
	}
	if p.ErrRate > 0 {
		ev = append(ev, c.errorFact())
	}
	ev = c.poolFacts(ev)
	if cause == CauseOverloaded || c.queue > 0 {
		ev = c.queueFacts(ev)
	}
	if cause == CauseWeightSkew {
		top, _ := c.topWeight()
		sum := 0
		for i := range p.Backends {
			if b := &p.Backends[i]; b.Health.Serving() && b.Weight > 0 {
				sum += b.Weight
			}
		}
		w := p.Backends[top].Weight
		ev = append(ev, c.label(int32(top))+" "+strconv.Itoa(w)+" of "+strconv.Itoa(sum)+" weight ("+pct(float64(w)/float64(sum))+")")
	}
	if cause == CauseImbalance {
		top, _ := c.topActive()
		ev = append(ev, c.label(int32(top))+" "+strconv.FormatInt(p.Backends[top].Active, 10)+" of "+strconv.FormatInt(p.Active, 10)+" active")
	}
	for _, j := range c.stale {
		s := &c.in.Sources[j]
		since := s.LastOK
		if since.IsZero() {
			since = s.LastPoll
		}
		line := s.Name + " unreachable"
		if !since.IsZero() {
			line += " for " + Ago(c.in.Now.Sub(since))
		}
		ev = append(ev, line+": "+SafeText(s.Err))
	}
	if len(ev) == 0 {
		return noEvidence
	}
	return ev
}

// errorFact is "61.0 of 71.0 req/s answered 5xx (85%)".
func (c *diagCtx) errorFact() string {
	p := c.p
	s := rate(p.ErrRate) + " of " + rate(p.ReqRate) + " req/s answered 5xx"
	if p.ReqRate > 0 {
		s += " (" + pct(p.ErrRate/p.ReqRate) + ")"
	}
	return s
}

// counterFacts words the pool counters that matter when they move.
var counterFacts = [...]struct {
	c    PoolCounter
	text string
}{
	{CtrPanic, "req/s balanced in panic mode"},
	{CtrNoneHealthy, "connections/s found no healthy member"},
	{CtrConnectFail, "connection failures/s"},
	{CtrConnectTimeout, "connection timeouts/s"},
	{CtrCxOverflow, "connections/s refused by the circuit breaker"},
	{CtrPendingOverflow, "requests/s refused by the pending-queue breaker"},
	{CtrUpdateEmpty, "empty membership updates/s"},
	{CtrCheckFailures, "failed health checks/s"},
	{CtrCheckNetFailures, "health checks/s failing on the network"},
	{CtrConnErrors, "connection errors/s"},
	{CtrRespErrors, "response errors/s"},
}

// poolFacts appends the pool-level figures that show a problem.
func (c *diagCtx) poolFacts(ev []string) []string {
	for _, f := range counterFacts {
		if v := c.sums[f.c]; v > 0 {
			ev = append(ev, rate(v)+" "+f.text)
		}
	}
	for i := range c.p.Facts {
		f := &c.p.Facts[i]
		in := ""
		if len(c.p.Facts) > 1 && f.Instance != "" {
			in = f.Instance + ": "
		}
		if f.Members >= 0 && f.MembersHealthy >= 0 && f.MembersHealthy < f.Members {
			ev = append(ev, in+"membership "+strconv.FormatInt(f.MembersHealthy, 10)+" of "+strconv.FormatInt(f.Members, 10)+" healthy")
		}
		if f.OutlierEjected > 0 {
			ev = append(ev, in+strconv.FormatInt(f.OutlierEjected, 10)+" ejected by outlier detection now")
		}
		var open []string
		for _, b := range [...]struct {
			v    int64
			name string
		}{{f.BreakerConnections, "connections"}, {f.BreakerRequests, "requests"}, {f.BreakerPending, "pending requests"}} {
			if b.v > 0 {
				open = append(open, b.name)
			}
		}
		if len(open) > 0 {
			ev = append(ev, in+"circuit breaker open: "+strings.Join(open, ", "))
		}
	}
	return ev
}

// queueFacts lists queues: the pool's and each queuing member's.
func (c *diagCtx) queueFacts(ev []string) []string {
	for i := range c.p.Facts {
		f := &c.p.Facts[i]
		if f.Queue > 0 || (f.SessionLimit > 0 && f.Sessions >= f.SessionLimit) {
			s := "pool queue " + strconv.FormatInt(f.Queue, 10)
			if f.SessionLimit > 0 {
				s += ", sessions " + strconv.FormatInt(f.Sessions, 10) + " of limit " + strconv.FormatInt(f.SessionLimit, 10)
			}
			ev = append(ev, s)
		}
	}
	n := 0
	for i := range c.p.Backends {
		b := &c.p.Backends[i]
		f := FactsOf(&b.Backend)
		if f.Queue <= 0 || n == 3 {
			continue
		}
		n++
		s := c.label(int32(i)) + " queue " + strconv.FormatInt(f.Queue, 10) + ", active " + strconv.FormatInt(b.Active, 10)
		if f.Limit > 0 {
			s += " of limit " + strconv.FormatInt(f.Limit, 10)
		}
		ev = append(ev, s)
	}
	return ev
}

// overloadFact is the first sign of saturation, for the summary.
func (c *diagCtx) overloadFact() string {
	switch {
	case c.breakers > 0:
		return "a circuit breaker is open"
	case c.sums[CtrPendingOverflow] > 0:
		return rate(c.sums[CtrPendingOverflow]) + " requests/s overflow the pending queue"
	case c.sums[CtrCxOverflow] > 0:
		return rate(c.sums[CtrCxOverflow]) + " connections/s overflow the breaker"
	case c.queue > 0:
		return strconv.FormatInt(c.queue, 10) + " requests queued"
	}
	return "sessions at the limit"
}

// overloadShort is the WHY column for overloaded.
func (c *diagCtx) overloadShort() string {
	switch {
	case c.breakers > 0:
		return "breaker open"
	case c.sums[CtrPendingOverflow] > 0 || c.sums[CtrCxOverflow] > 0:
		return "overflow"
	case c.queue > 0:
		return "queue " + strconv.FormatInt(c.queue, 10)
	}
	return "at maxconn"
}
