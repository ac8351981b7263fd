package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// m builds one member of a test pool on source lb1.
func m(name string, h Health, f Fault, mods ...func(*BackendRow)) BackendRow {
	b := BackendRow{Backend: Backend{Name: name, Address: name + ":80", Health: h, Weight: 1, Fault: f}, Source: "lb1", Pool: "web"}
	b.Reason = h.String()
	for _, mod := range mods {
		mod(&b)
	}
	return b
}

func check(status string, code int) func(*BackendRow) {
	return func(b *BackendRow) { facts(b).CheckStatus, facts(b).CheckCode = status, code }
}
func weight(w int) func(*BackendRow)       { return func(b *BackendRow) { b.Weight = w } }
func active(n int64) func(*BackendRow)     { return func(b *BackendRow) { b.Active = n } }
func admin(a AdminState) func(*BackendRow) { return func(b *BackendRow) { b.Admin = a } }
func reason(r string) func(*BackendRow)    { return func(b *BackendRow) { b.Reason = r } }
func on(src string) func(*BackendRow)      { return func(b *BackendRow) { b.Source = src } }
func queue(q, limit int64) func(*BackendRow) {
	return func(b *BackendRow) { facts(b).Queue, facts(b).Limit = q, limit }
}
func flaps(n int32) func(*BackendRow) { return func(b *BackendRow) { b.Transitions = n } }

// facts gives a test member its own facts to fill.
func facts(b *BackendRow) *BackendFacts {
	if b.Facts == nil {
		b.Facts = &BackendFacts{}
	}
	return b.Facts
}

// pool builds a merged row from members the way the Store does (totals).
func pool(members ...BackendRow) PoolRow {
	p := PoolRow{Key: "haproxy/web", Name: "web", Kind: KindHAProxy, Sources: []string{"lb1"}, Backends: members}
	for _, b := range members {
		p.Total++
		if b.Health.Serving() {
			p.Healthy++
		}
		p.Active += b.Active
	}
	return p
}

// withFacts adds one instance's pool facts.
func withFacts(p PoolRow, mod func(*PoolFacts)) PoolRow {
	f := NewPoolFacts()
	mod(&f)
	p.Facts = append(p.Facts, f)
	return p
}

// rated sets pool counter rates as the Store would after two polls.
func rated(f *PoolFacts, c PoolCounter, v float64) {
	f.Rates[c] = v
	f.HasRate |= 1 << c
}

var okSources = []SourceStatus{{Name: "lb1", OK: true}, {Name: "lb2", OK: true}}

func TestDiagnoseTable(t *testing.T) {
	t.Parallel()
	now := t0
	stale := []SourceStatus{{Name: "lb1", OK: false, Err: "dial tcp 127.0.0.1:9999: connection refused", LastOK: now.Add(-40 * time.Second)}, {Name: "lb2", OK: true}}
	drainNotes := map[BackendRef]AdminNote{
		{Source: "lb1", Pool: "web", Backend: "a"}: {User: "ana", Action: "maint", Reason: "kernel upgrade", Since: now.Add(-12 * time.Minute)},
		{Source: "lb1", Pool: "web", Backend: "b"}: {User: "ana", Action: "maint", Reason: "kernel upgrade", Since: now.Add(-12 * time.Minute)},
	}
	twoInst := func(p PoolRow) PoolRow { p.Sources = []string{"lb1", "lb2"}; p.Stale = true; return p }
	cases := []struct {
		name     string
		pool     PoolRow
		sources  []SourceStatus
		notes    map[BackendRef]AdminNote
		state    DiagState
		cause    Cause
		short    string
		evidence string // a substring of some evidence line ("" = none required)
		summary  string // a substring of the summary
	}{
		{"ok", pool(m("a", Healthy, FaultNone), m("b", Healthy, FaultNone), m("c", Healthy, FaultNone)),
			nil, nil, DiagOK, CauseOK, "", "", "3 of 3 healthy"},
		{"all checks fail with 503", pool(m("a", Unhealthy, FaultCheck, check("L7STS", 503)), m("b", Unhealthy, FaultCheck, check("L7STS", 503))),
			nil, nil, DiagDown, CauseHealthChecks, "L7STS 503", "2 of 2 fail health checks: a, b (L7STS 503", "no member serves"},
		{"refused", pool(m("a", Unhealthy, FaultRefused, check("L4CON", 0)), m("b", Unhealthy, FaultRefused, check("L4CON", 0))),
			nil, nil, DiagDown, CauseRefused, "refused", "L4CON", "2 of 2 refuse connections"},
		{"timeout", pool(m("a", Unhealthy, FaultTimeout, check("L4TOUT", 0))),
			nil, nil, DiagDown, CauseTimeout, "timeout", "L4TOUT", "time out"},
		{"dns", pool(m("a", Down, FaultDNS, reason("MAINT (resolution)"))),
			nil, nil, DiagDown, CauseDNS, "dns", "MAINT (resolution)", "do not resolve"},
		{"outlier", pool(m("a", Unhealthy, FaultOutlier, reason("/failed_outlier_check")), m("b", Healthy, FaultNone)),
			nil, nil, DiagDegraded, CauseOutlier, "ejected", "/failed_outlier_check", "1 of 2 members out"},
		{"max_fails", pool(m("a", Unhealthy, FaultMaxFails, func(b *BackendRow) { facts(b).Fails, facts(b).Unavail = 3, 1 })),
			nil, nil, DiagDown, CauseMaxFails, "max_fails", "fails 3, unavail 1", ""},
		{"pods not ready", pool(m("p1", Unhealthy, FaultNotReady, reason("Readiness probe failed: HTTP probe failed with statuscode: 503"))),
			nil, nil, DiagDown, CausePodsNotReady, "not ready", "Readiness probe failed", ""},
		{"terminating", pool(m("p1", Draining, FaultTerminating), m("p2", Unhealthy, FaultTerminating)),
			nil, nil, DiagDown, CauseTerminating, "terminating", "2 of 2 are terminating", ""},
		{"admin down names who and why", pool(m("a", Down, FaultAdmin, admin(AdminMaint)), m("b", Down, FaultAdmin, admin(AdminMaint))),
			nil, drainNotes, DiagDown, CauseAdminDown, "maint by ana", `maint by ana 12m ago: "kernel upgrade"`, ""},
		{"admin down without the log", pool(m("a", Draining, FaultNone, admin(AdminDrain))),
			nil, nil, DiagDown, CauseAdminDown, "drained", "1 of 1 are drained", ""},
		{"zero weight everywhere", pool(m("a", Draining, FaultNone, weight(0)), m("b", Healthy, FaultNone, weight(0))),
			nil, nil, DiagDown, CauseZeroWeight, "weight 0", "2 of 2 have weight 0", ""},
		{"no endpoints", func() PoolRow { p := pool(); p.Notes = []string{"no servers"}; return p }(),
			nil, nil, DiagDown, CauseNoEndpoints, "no endpoints", "", "no servers"},
		{"no endpoints with empty updates", withFacts(pool(), func(f *PoolFacts) { rated(f, CtrUpdateEmpty, 0.5) }),
			nil, nil, DiagDown, CauseNoEndpoints, "no endpoints", "0.5 empty membership updates/s", ""},
		{"no matching pods", withFacts(pool(), func(f *PoolFacts) { f.Selector, f.SelectorPods = "app=x", 0 }),
			nil, nil, DiagDown, CauseNoMatchingPods, "no pods", "", "selector app=x matches no pods"},
		{"panic", withFacts(pool(m("a", Healthy, FaultNone), m("b", Unhealthy, FaultCheck), m("c", Unhealthy, FaultCheck), m("d", Unhealthy, FaultCheck)),
			func(f *PoolFacts) { rated(f, CtrPanic, 12); f.Members, f.MembersHealthy = 4, 1 }),
			nil, nil, DiagDegraded, CausePanic, "panic", "membership 1 of 4 healthy", "panic mode: 1 of 4"},
		{"overloaded by a queue at maxconn", pool(m("a", Healthy, FaultNone, active(1), queue(5, 1)), m("b", Healthy, FaultNone)),
			nil, nil, DiagDegraded, CauseOverloaded, "queue 5", "a queue 5, active 1 of limit 1", "5 requests queued"},
		{"overloaded by an open breaker", withFacts(pool(m("a", Healthy, FaultNone)), func(f *PoolFacts) { f.BreakerPending = 1; rated(f, CtrPendingOverflow, 3) }),
			nil, nil, DiagDegraded, CauseOverloaded, "breaker open", "circuit breaker open: pending requests", ""},
		{"overflow without an open breaker", withFacts(pool(m("a", Healthy, FaultNone)), func(f *PoolFacts) { rated(f, CtrCxOverflow, 2) }),
			nil, nil, DiagDegraded, CauseOverloaded, "overflow", "2.0 connections/s refused by the circuit breaker", ""},
		{"errors", func() PoolRow {
			p := pool(m("a", Healthy, FaultNone), m("b", Healthy, FaultNone))
			p.ReqRate, p.ErrRate, p.HasRates = 71, 61, true
			return p
		}(), nil, nil, DiagDegraded, CauseErrors, "5xx 86%", "", "61.0 of 71.0 req/s answered 5xx (86%)"},
		{"errors below 5% are ok", func() PoolRow {
			p := pool(m("a", Healthy, FaultNone))
			p.ReqRate, p.ErrRate, p.HasRates = 100, 4, true
			return p
		}(), nil, nil, DiagOK, CauseOK, "", "", ""},
		{"weight skew", pool(m("k1", Healthy, FaultNone, weight(256)), m("k2", Healthy, FaultNone), m("k3", Healthy, FaultNone)),
			nil, nil, DiagWarning, CauseWeightSkew, "weight skew", "k1 256 of 258 weight", "k1 carries 99%"},
		{"imbalance", pool(m("u1", Healthy, FaultNone, active(8)), m("u2", Healthy, FaultNone), m("u3", Healthy, FaultNone)),
			nil, nil, DiagWarning, CauseImbalance, "imbalance", "u1 8 of 8 active", ""},
		{"two active connections prove no imbalance", pool(m("u1", Healthy, FaultNone, active(2)), m("u2", Healthy, FaultNone)),
			nil, nil, DiagOK, CauseOK, "", "", ""},
		{"flapping", pool(m("a", Healthy, FaultNone, flaps(4)), m("b", Healthy, FaultNone)),
			nil, nil, DiagWarning, CauseFlapping, "flapping", "", "a changed state 4 times"},
		{"source unreachable", func() PoolRow { p := pool(m("a", Healthy, FaultNone)); p.Stale = true; return p }(),
			stale, nil, DiagUnknown, CauseSourceUnreachable, "unreachable", "lb1 unreachable for 40s: dial tcp", "lbtop cannot read lb1"},
		{"one of two instances stale", twoInst(pool(m("a", Healthy, FaultNone), m("a", Healthy, FaultNone, on("lb2")))),
			stale, nil, DiagWarning, CauseSourceUnreachable, "stale", "lb1 unreachable", "1 of 2 instances stale"},
		{"mixed names the two largest", pool(m("a", Unhealthy, FaultRefused), m("b", Unhealthy, FaultRefused), m("c", Unhealthy, FaultTimeout), m("d", Unhealthy, FaultTimeout)),
			nil, nil, DiagDown, CauseMixed, "mixed", "2 of 4 time out: c, d", "2 refuse connections, 2 time out"},
		{"unexplained members", pool(m("a", Unhealthy, FaultNone, reason("DOWN"))),
			nil, nil, DiagDown, CauseMixed, "out", "", "1 out: DOWN"},
		// Precedence rules.
		{"the largest group wins, the rest is evidence", pool(m("a", Unhealthy, FaultRefused), m("b", Unhealthy, FaultRefused), m("c", Unhealthy, FaultDNS)),
			nil, nil, DiagDown, CauseRefused, "refused", "1 of 3 do not resolve in DNS: c", "2 of 3 refuse"},
		{"a tie breaks to mixed, not table order", pool(m("a", Unhealthy, FaultDNS), m("b", Unhealthy, FaultCheck)),
			nil, nil, DiagDown, CauseMixed, "mixed", "", "1 do not resolve in DNS, 1 fail health checks"},
		{"stale beats everything", func() PoolRow { p := pool(); p.Stale = true; return p }(),
			stale, nil, DiagUnknown, CauseSourceUnreachable, "unreachable", "", ""},
		{"no matching pods beats no endpoints", withFacts(pool(), func(f *PoolFacts) { f.Selector, f.SelectorPods = "app=x", 0; rated(f, CtrUpdateEmpty, 1) }),
			nil, nil, DiagDown, CauseNoMatchingPods, "no pods", "", ""},
		{"down beats panic", withFacts(pool(m("a", Unhealthy, FaultCheck)), func(f *PoolFacts) { rated(f, CtrPanic, 5) }),
			nil, nil, DiagDown, CauseHealthChecks, "failing checks", "5.0 req/s balanced in panic mode", ""},
		{"panic beats overloaded", withFacts(pool(m("a", Healthy, FaultNone), m("b", Unhealthy, FaultCheck)), func(f *PoolFacts) { rated(f, CtrPanic, 5); f.BreakerConnections = 1 }),
			nil, nil, DiagDegraded, CausePanic, "panic", "circuit breaker open: connections", ""},
		{"overloaded beats members out", pool(m("a", Healthy, FaultNone, queue(2, 1)), m("b", Unhealthy, FaultRefused)),
			nil, nil, DiagDegraded, CauseOverloaded, "queue 2", "1 of 2 refuse connections", ""},
		{"failing members beat errors", func() PoolRow {
			p := pool(m("a", Healthy, FaultNone), m("b", Unhealthy, FaultCheck, check("L7STS", 500)))
			p.ReqRate, p.ErrRate = 10, 5
			return p
		}(), nil, nil, DiagDegraded, CauseHealthChecks, "L7STS 500", "5.0 of 10.0 req/s answered 5xx (50%)", ""},
		{"errors beat a drain", func() PoolRow {
			p := pool(m("a", Healthy, FaultNone), m("b", Draining, FaultAdmin, admin(AdminDrain)))
			p.ReqRate, p.ErrRate = 10, 5
			return p
		}(), nil, nil, DiagDegraded, CauseErrors, "5xx 50%", "1 of 2 are drained", ""},
		{"a failure beats a larger drain when some serve", pool(m("a", Healthy, FaultNone), m("b", Draining, FaultAdmin), m("c", Draining, FaultAdmin), m("d", Unhealthy, FaultTimeout)),
			nil, nil, DiagDegraded, CauseTimeout, "timeout", "2 of 4 are drained or in maintenance: b, c", ""},
		{"a drain alone is degraded", pool(m("a", Healthy, FaultNone), m("b", Draining, FaultAdmin, admin(AdminDrain))),
			nil, nil, DiagDegraded, CauseAdminDown, "drained", "1 of 2 serve", ""},
		{"members out beat stale instances", twoInst(pool(m("a", Unhealthy, FaultRefused), m("a", Healthy, FaultNone, on("lb2")))),
			stale, nil, DiagDegraded, CauseRefused, "refused", "a@lb1", ""},
		{"stale instance beats flapping", twoInst(pool(m("a", Healthy, FaultNone, flaps(5)), m("a", Healthy, FaultNone, on("lb2")))),
			stale, nil, DiagWarning, CauseSourceUnreachable, "stale", "", ""},
		{"flapping beats weight skew", pool(m("k1", Healthy, FaultNone, weight(256), flaps(3)), m("k2", Healthy, FaultNone)),
			nil, nil, DiagWarning, CauseFlapping, "flapping", "", ""},
		{"weight skew beats imbalance", pool(m("k1", Healthy, FaultNone, weight(256), active(9)), m("k2", Healthy, FaultNone)),
			nil, nil, DiagWarning, CauseWeightSkew, "weight skew", "", ""},
		{"aggregates without detail count as out", func() PoolRow {
			p := pool()
			p.Aggregates = []Aggregate{{Healthy: 0, Total: 3}}
			p.Total = 3
			return p
		}(), nil, nil, DiagDown, CauseMixed, "out", "3 of 3 out for other reasons", "the source gives no detail"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := tc.sources
			if src == nil {
				src = okSources
			}
			p := tc.pool
			d := Diagnose(&p, &DiagInput{Sources: src, Admin: tc.notes, Now: now})
			if d.State != tc.state || d.Cause != tc.cause || d.Short != tc.short {
				t.Fatalf("got %s/%s short %q, want %s/%s short %q\nsummary: %s\nevidence: %q", d.State, d.Cause, d.Short, tc.state, tc.cause, tc.short, d.Summary, d.Evidence)
			}
			if !strings.Contains(d.Summary, tc.summary) || d.Summary == "" {
				t.Errorf("summary %q lacks %q", d.Summary, tc.summary)
			}
			if tc.evidence != "" && !strings.Contains(strings.Join(d.Evidence, "\n"), tc.evidence) {
				t.Errorf("evidence %q lacks %q", d.Evidence, tc.evidence)
			}
			if d.Evidence == nil {
				t.Error("evidence is nil; want an empty list at least")
			}
		})
	}
}

// Every cause of the contract is produced by some case above or below;
// this guards against a cause added to diagnosis.go without a rule.
func TestDiagnoseRulesCoverCauses(t *testing.T) {
	t.Parallel()
	have := map[Cause]bool{}
	for _, r := range diagRules {
		have[r.cause] = true
	}
	for _, c := range memberCauses {
		have[c] = true
	}
	for _, c := range []Cause{CauseOK, CauseNoEndpoints, CauseNoMatchingPods, CausePodsNotReady, CauseTerminating, CauseHealthChecks, CauseRefused, CauseTimeout, CauseDNS, CauseOutlier, CauseMaxFails, CauseAdminDown, CauseZeroWeight, CausePanic, CauseOverloaded, CauseErrors, CauseWeightSkew, CauseImbalance, CauseFlapping, CauseSourceUnreachable, CauseMixed} {
		if !have[c] {
			t.Errorf("cause %s has no rule", c)
		}
		if c != CauseOK && shortFor[c] == "" && c != CauseErrors {
			t.Errorf("cause %s has no short form", c)
		}
	}
}

// The Store fills every pool's diagnosis, takes the pool's request and
// 5xx rates from its own counters (HAProxy's BACKEND row) and names who
// drained a backend from the notes it was given.
func TestStoreDiagnosesWithPoolRatesAndNotes(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	mk := func(at time.Time, req, errs uint64) Snapshot {
		f := NewPoolFacts()
		f.Set(CtrRequests, req)
		f.Set(CtrErrors, errs)
		p := Pool{Name: "web", Facts: &f, Backends: []Backend{
			{Name: "a", Health: Unhealthy, Weight: 1, Counters: true, Fault: FaultRefused, Facts: &BackendFacts{CheckStatus: "L4CON"}},
			{Name: "b", Health: Down, Weight: 1, Counters: true, Admin: AdminMaint, Fault: FaultAdmin},
		}}
		return snap("lb1", at, p)
	}
	s.Ingest(mk(t0, 100, 50))
	s.SetAdminNotes(map[BackendRef]AdminNote{{Source: "lb1", Pool: "web", Backend: "b"}: {User: "ana", Action: "maint", Reason: "disk"}})
	f := s.Ingest(mk(t0.Add(2*time.Second), 120, 68))
	p := f.Pools[0]
	if !p.HasRates || p.ReqRate != 10 || p.ErrRate != 9 {
		t.Fatalf("pool rates %v/%v (has %v), want 10/9 from the pool's own counters", p.ReqRate, p.ErrRate, p.HasRates)
	}
	d := p.Diagnosis
	if d.State != DiagDown || d.Cause != CauseMixed {
		t.Fatalf("diagnosis %s/%s: %s %q", d.State, d.Cause, d.Summary, d.Evidence)
	}
	ev := strings.Join(d.Evidence, "\n")
	for _, want := range []string{"9.0 of 10.0 req/s answered 5xx (90%)", `maint by ana: "disk"`, "L4CON"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence %q lacks %q", d.Evidence, want)
		}
	}
	// A failed poll of the only instance makes the pool unknown.
	f = s.Ingest(Snapshot{Source: "lb1", Kind: KindHAProxy, At: t0.Add(3 * time.Second), Err: errors.New("dial: refused")})
	if d := f.Pools[0].Diagnosis; d.State != DiagUnknown || d.Cause != CauseSourceUnreachable {
		t.Errorf("stale pool diagnosis %s/%s", d.State, d.Cause)
	}
}

func TestStoreTransitionsHookMakesFlapping(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	s.SetTransitions(func(r BackendRef) int {
		if r.Backend == "a" {
			return 3
		}
		return 0
	})
	f := s.Ingest(snap("lb1", t0, Pool{Name: "web", Backends: []Backend{be("a", Healthy, 0, 0), be("b", Healthy, 0, 0)}}))
	if d := f.Pools[0].Diagnosis; d.Cause != CauseFlapping || d.State != DiagWarning {
		t.Errorf("diagnosis %s/%s, want warning/flapping", d.State, d.Cause)
	}
}

// BenchmarkDiagnose100k measures the diagnosis alone over the 10,000
// pools of BenchmarkIngest100k's fleet.
func BenchmarkDiagnose100k(b *testing.B) {
	s := NewStore(clock())
	var f *Fleet
	for _, sn := range bigSnapshots(100_000, 10) {
		f = s.Ingest(sn)
	}
	in := DiagInput{Sources: f.Sources, Now: t0}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range f.Pools {
			f.Pools[i].Diagnosis = Diagnose(&f.Pools[i], &in)
		}
	}
}

// A pool is re-diagnosed when its data or the notes change, and only then.
func TestStoreDiagnosisFollowsNotesAndData(t *testing.T) {
	t.Parallel()
	s := NewStore(clock())
	down := Backend{Name: "a", Health: Down, Weight: 1, Admin: AdminMaint, Fault: FaultAdmin}
	other := Pool{Name: "api", Backends: []Backend{be("x", Healthy, 0, 0)}}
	s.Ingest(snap("lb1", t0, Pool{Name: "web", Backends: []Backend{down}}))
	s.Ingest(snap("lb2", t0, other))
	s.SetAdminNotes(map[BackendRef]AdminNote{{Source: "lb1", Pool: "web", Backend: "a"}: {User: "ana", Action: "maint"}})
	f := s.Fleet()
	web := f.Pool("haproxy/web")
	if web.Diagnosis.Short != "maint by ana" {
		t.Fatalf("notes set after the ingest not used: %+v", web.Diagnosis)
	}
	up := down
	up.Health, up.Admin, up.Fault = Healthy, AdminReady, FaultNone
	f = s.Ingest(snap("lb1", t0.Add(time.Second), Pool{Name: "web", Backends: []Backend{up}}))
	if d := f.Pool("haproxy/web").Diagnosis; d.Cause != CauseOK {
		t.Fatalf("new data not re-diagnosed: %+v", d)
	}
	// lb1 now drops the pool that lb2 also has: the merged line changes.
	s.Ingest(snap("lb1", t0.Add(2*time.Second), Pool{Name: "api", Backends: []Backend{be("x", Unhealthy, 0, 0)}}))
	f = s.Ingest(snap("lb1", t0.Add(3*time.Second)))
	if d := f.Pool("haproxy/api").Diagnosis; d.Cause != CauseOK {
		t.Fatalf("pool that lost an instance kept its old diagnosis: %+v", d)
	}
}

// Counts that do not add up never panic: a pool whose only figures are
// an aggregate claiming more healthy members than it has.
func TestDiagnoseInconsistentAggregate(t *testing.T) {
	t.Parallel()
	p := pool()
	p.Aggregates = []Aggregate{{Healthy: 0, Total: 0}}
	p.Total = 2 // members the row counts but nobody lists
	d := Diagnose(&p, &DiagInput{Sources: okSources, Now: t0})
	if d.State != DiagDown || d.Cause != CauseMixed || d.Summary == "" {
		t.Errorf("diagnosis %+v", d)
	}
}
