package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseAlertRuleErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, rule, pools, when, forText string
		field, msg                       string
	}{
		{"misspelt metric", "a", "", "healthy_ratoi < 0.8", "", "when", `unknown metric "healthy_ratoi"`},
		{"bad operator", "a", "", "healthy_ratio =< 0.8", "", "when", `unknown operator "=<"`},
		{"not a number", "a", "", "healthy < many", "", "when", `"many" is not a number`},
		{"too few words", "a", "", "healthy<1", "", "when", "want METRIC OP NUMBER"},
		{"bad regexp", "a", "^(check", "healthy < 1", "", "pools", "bad regular expression"},
		{"bad duration", "a", "", "healthy < 1", "30 seconds", "for", `"30 seconds" is not a duration`},
		{"negative duration", "a", "", "healthy < 1", "-5s", "for", "not a duration"},
		{"no name", " ", "", "healthy < 1", "", "name", "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseAlertRule(tc.rule, tc.pools, tc.when, tc.forText)
			var fe *AlertFieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want field %s with %q", err, tc.field, tc.msg)
			}
		})
	}
	r, err := ParseAlertRule("checkout-capacity", "^checkout", "healthy_ratio < 0.8", "30s")
	if err != nil || r.String() != "healthy_ratio < 0.8 for 30s" || !r.Pools.MatchString("checkout-eu") {
		t.Errorf("good rule: %v %v", r, err)
	}
}

func TestAlertMetrics(t *testing.T) {
	t.Parallel()
	p := &PoolRow{Healthy: 3, Total: 4, ReqRate: 200, ErrRate: 10, Active: 7}
	want := map[AlertMetric]float64{MetricHealthyRatio: 0.75, MetricHealthy: 3, MetricErrRatio: 0.05, MetricErrRate: 10, MetricReqRate: 200, MetricActive: 7}
	for m, v := range want {
		if got := m.Of(p); got != v {
			t.Errorf("%s = %g, want %g", m, got, v)
		}
	}
	if MetricErrRatio.Of(&PoolRow{ErrRate: 1}) != 0 || MetricHealthyRatio.Of(&PoolRow{}) != 0 {
		t.Error("no traffic / no backends must read 0")
	}
}

// TestAlertForHolds checks `for:`: a condition shorter than For never
// fires, one that holds fires once at the first poll past For, and
// resolves once when it stops holding.
func TestAlertForHolds(t *testing.T) {
	t.Parallel()
	r, err := ParseAlertRule("web-capacity", "^web$", "healthy_ratio < 0.8", "5s")
	if err != nil {
		t.Fatal(err)
	}
	ok := snap("lb", t0, web(be("a", Healthy, 0, 0), be("b", Healthy, 0, 0)))
	bad := snap("lb", t0, web(be("a", Healthy, 0, 0), down("b", "L4CON")))
	other := Pool{Name: "web2", Backends: []Backend{down("x", "L4CON")}}
	bad.Pools = append(bad.Pools, other)
	// polls every 2 s: bad for 4 s (short), ok, then bad for 8 s, ok.
	steps := []Snapshot{ok, bad, bad, ok, bad, bad, bad, bad, bad, ok}
	now := t0
	s := NewStore(func() time.Time { return now })
	s.History().SetAlerts([]AlertRule{r})
	var got []string
	for i, sn := range steps {
		now = t0.Add(time.Duration(i) * 2 * time.Second)
		sn.At = now
		f := s.Ingest(sn)
		for _, e := range s.History().TakeEvents() {
			if e.Type == EventAlert {
				got = append(got, fmt.Sprintf("%s %s %s %gs value=%g", e.Name, e.Pool, e.State, e.Time.Sub(t0).Seconds(), *e.Value))
			}
		}
		web := f.Pool("haproxy/web")
		wantFiring := i >= 7 && i < 9
		if web2 := f.Pool("haproxy/web2"); (len(web.Firing) == 1) != wantFiring || web2 != nil && len(web2.Firing) != 0 {
			t.Errorf("step %d: firing %v", i, web.Firing)
		}
		// a firing rule makes the pool a problem (the `p` filter),
		// even when its diagnosis alone would not
		web.Diagnosis.State, web.Stale = DiagOK, false
		if web.Problem() != wantFiring {
			t.Errorf("step %d: Problem() = %v with firing %v", i, web.Problem(), web.Firing)
		}
		if shown := slices.Contains(problemKeys(f), "haproxy/web"); wantFiring && !shown {
			t.Errorf("step %d: a pool with a firing rule is not in problems only", i)
		}
	}
	want := []string{"web-capacity web firing 14s value=0.5", "web-capacity web resolved 18s value=1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alert events\n got %q\nwant %q", got, want)
	}
}

// problemKeys lists the pools the `p` filter (problems only) shows.
func problemKeys(f *Fleet) []string {
	var out []string
	for _, i := range f.Select(Query{ProblemsOnly: true}) {
		out = append(out, f.Pools[i].Key)
	}
	return out
}
