package model

import (
	"slices"
	"testing"
	"time"
)

// filterFleet is three pools on two sources with diagnoses set by hand.
func filterFleet(t *testing.T) *Fleet {
	t.Helper()
	s := NewStore(func() time.Time { return time.Unix(100, 0) })
	at := time.Unix(100, 0)
	s.Ingest(Snapshot{Source: "lb1", Kind: KindHAProxy, At: at, Pools: []Pool{
		{Name: "checkout", Backends: []Backend{{Name: "web1", Address: "10.0.0.1:8080", Health: Healthy, Weight: 1}, {Name: "web2", Address: "10.0.0.2:8080", Health: Unhealthy, Weight: 1}}},
		{Name: "search", Backends: []Backend{{Name: "s1", Address: "10.0.1.1:80", Health: Healthy, Weight: 1}}},
	}})
	f := s.Ingest(Snapshot{Source: "edge", Kind: KindNGINX, At: at, Pools: []Pool{
		{Name: "checkout-api", Backends: []Backend{{Name: "c1", Address: "10.0.2.1:80", Health: Unhealthy, Weight: 1}}},
	}})
	for i := range f.Pools {
		switch f.Pools[i].Name {
		case "checkout":
			f.Pools[i].Diagnosis = Diagnosis{State: DiagDegraded, Cause: CauseRefused, Short: "refused"}
		case "checkout-api":
			f.Pools[i].Diagnosis = Diagnosis{State: DiagDown, Cause: CauseDNS, Short: "dns"}
		}
	}
	return f
}

func poolNamesOf(f *Fleet, sel []int32) []string {
	var out []string
	for _, i := range sel {
		out = append(out, f.Pools[i].Name)
	}
	slices.Sort(out)
	return out
}

func TestFilterForms(t *testing.T) {
	f := filterFleet(t)
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"", []string{"checkout", "checkout-api", "search"}},
		{"CHECK", []string{"checkout", "checkout-api"}},
		{"check api", []string{"checkout-api"}},      // every word must match
		{"check !api", []string{"checkout"}},         // exclusion
		{"/^s1$/", []string{"search"}},               // regex anchored at each name
		{"/^web[0-9]/", []string{"checkout"}},        // backend names
		{"kind:nginx", []string{"checkout-api"}},     // field
		{"kind:hap", []string{"checkout", "search"}}, // field prefix
		{"source:edge", []string{"checkout-api"}},    // instance
		{"state:down", []string{"checkout-api"}},     // diagnosis state
		{"state:ok", []string{"search"}},             // zero diagnosis reads ok
		{"cause:connection", []string{"checkout"}},   // cause code prefix
		{"cause:dns", []string{"checkout-api"}},      // short form
		{"10.0.0.2:8080", []string{"checkout"}},      // an address is a word, not a field
		{"!kind:haproxy", []string{"checkout-api"}},  // negated field
		{"!/check/", []string{"search"}},             // negated regex
		{"nothing-matches-this", nil},
	} {
		if got := poolNamesOf(f, f.Select(Query{Filter: tc.filter})); !slices.Equal(got, tc.want) {
			t.Errorf("filter %q: got %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func TestFilterBadRegexMatchesNothingAndSaysWhy(t *testing.T) {
	f := filterFleet(t)
	if _, err := ParseFilter("/[a-/"); err == nil {
		t.Fatal("want an error for an invalid regular expression")
	}
	if got := f.Select(Query{Filter: "/[a-/"}); len(got) != 0 {
		t.Errorf("invalid regex selected %d pools", len(got))
	}
}

func TestFilterBackends(t *testing.T) {
	f := filterFleet(t)
	var p *PoolRow
	for i := range f.Pools {
		if f.Pools[i].Name == "checkout" {
			p = &f.Pools[i]
		}
	}
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{"", 2}, {"checkout", 2}, {"web1", 1}, {"10.0.0.2", 1}, {"checkout !web1", 1}, {"/^web/", 2}, {"kind:haproxy", 2},
	} {
		if got := len(p.SelectBackends(tc.filter, false)); got != tc.want {
			t.Errorf("backends for %q: got %d, want %d", tc.filter, got, tc.want)
		}
	}
}

func TestIsPlainFilter(t *testing.T) {
	for s, want := range map[string]bool{"web": true, "10.0.0.1:80": true, "a b": false, "!a": false, "/x/": false, "kind:x": false} {
		if IsPlainFilter(s) != want {
			t.Errorf("IsPlainFilter(%q) != %v", s, want)
		}
	}
}
