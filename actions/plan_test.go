package actions_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
)

// capsTable answers Supports and WeightRange from tables, as the Hub does
// from its sources.
type capsTable struct {
	no     map[model.ActionKind]string // unsupported kinds and why
	lo, hi int
}

func (c capsTable) Supports(_ string, k model.ActionKind) (bool, string) {
	if why, ok := c.no[k]; ok {
		return false, why
	}
	return true, ""
}

func (c capsTable) WeightRange(string) (int, int, bool) { return c.lo, c.hi, true }

// TestPlanRefusals: every reason Plan refuses, each wrapping ErrRefused
// with the words both the CLI and the dialog show.
func TestPlanRefusals(t *testing.T) {
	t.Parallel()
	caps := capsTable{no: map[model.ActionKind]string{model.ActionMaint: "no maint here"}, lo: 0, hi: 256}
	st := model.NewStore(nil)
	f := st.Ingest(model.Snapshot{Source: "s", Kind: model.KindHAProxy, Pools: []model.Pool{{Name: "p", Backends: []model.Backend{
		{Name: "1", Health: model.Healthy, Weight: 5, Admin: model.AdminReady},
		{Name: "2", Health: model.Draining, Weight: 5, Admin: model.AdminDrain},
	}}}})
	p := &f.Pools[0]
	m := func(name int) []actions.Match {
		for _, b := range p.Backends {
			if b.Name == string(rune('0'+name)) {
				return []actions.Match{{Pool: p, Row: b}}
			}
		}
		t.Fatalf("no backend %d", name)
		return nil
	}
	stale := m(1)
	stale[0].Row.Stale = true
	for _, c := range []struct {
		name  string
		a     model.Action
		scope []actions.Match
		want  string // "" when planned
	}{
		{"capability", model.Action{Kind: model.ActionMaint}, m(1), "maint refused: no maint here"},
		{"stale", model.Action{Kind: model.ActionDrain}, stale, `source "s" did not answer`},
		{"range", model.Action{Kind: model.ActionWeight, Weight: 999}, m(1), "weight 999 out of range for haproxy source \"s\": must be 0–256"},
		{"same weight", model.Action{Kind: model.ActionWeight, Weight: 5}, m(1), "already at weight 5"},
		{"ready on ready", model.Action{Kind: model.ActionReady}, m(1), "1 on s is already ready: nothing to change"},
		{"drain on drained", model.Action{Kind: model.ActionDrain}, m(2), "already drained"},
		{"no scope", model.Action{Kind: model.ActionDrain}, nil, "no backend"},
		{"proxy on a backend source", model.Action{Kind: model.ActionProxyOK, Ref: model.BackendRef{Source: "s"}}, nil, "already passing its health check"},
		{"drain", model.Action{Kind: model.ActionDrain}, m(1), ""},
		{"ready on drained", model.Action{Kind: model.ActionReady}, m(2), ""},
		{"proxy fail", model.Action{Kind: model.ActionProxyFail, Ref: model.BackendRef{Source: "s"}}, nil, ""},
	} {
		plan, err := actions.Plan(f, caps, c.a, c.scope, "why", 0)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want == "" && (len(plan.Requests) != 1 || plan.Requests[0].Reason != "why" || len(plan.Wire) != 1):
			t.Errorf("%s: plan %+v", c.name, plan)
		case c.want != "" && (err == nil || !errors.Is(err, actions.ErrRefused) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}
