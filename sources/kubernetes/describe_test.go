package kubernetes

import (
	"context"
	"testing"

	"github.com/lbtop/lbtop/model"
)

// TestDescribeRefusesAsTheWritesDo: for every refusal SetWeight and
// SetState decide before calling the API server, Describe refuses with
// the very same error, so --dry-run and the confirmation never promise a
// request the source would not send. (Describe of a request that is sent
// needs a live API server: describe_live_test.go.)
func TestDescribeRefusesAsTheWritesDo(t *testing.T) {
	t.Parallel()
	s := &Source{name: "k", gate: "example.com/lb-ready"} // no Gateway API, no caches
	do := func(a model.Action) error {
		switch a.Kind {
		case model.ActionWeight:
			return s.SetWeight(context.Background(), a.Ref, a.Weight)
		}
		return s.SetState(context.Background(), a.Ref, a.Kind)
	}
	route := "route default/web rule 0"
	for _, a := range []model.Action{
		{Kind: model.ActionWeight, Weight: 5, Ref: model.BackendRef{Source: "k", Pool: "default/web", Backend: "10.0.0.1:80"}},
		{Kind: model.ActionWeight, Weight: -1, Ref: model.BackendRef{Source: "k", Pool: route, Backend: "web-v2"}},
		{Kind: model.ActionWeight, Weight: 5, Ref: model.BackendRef{Source: "k", Pool: route, Backend: "web-v2"}},
		{Kind: model.ActionDrain, Ref: model.BackendRef{Source: "k", Pool: route, Backend: "web-v2"}},
		{Kind: model.ActionMaint, Ref: model.BackendRef{Source: "k", Pool: "default/web", Backend: "10.0.0.1:80"}},
		{Kind: model.ActionDrain, Ref: model.BackendRef{Source: "k", Pool: "noslash", Backend: "10.0.0.1:80"}},
	} {
		_, derr := s.Describe(a)
		werr := do(a)
		if derr == nil || werr == nil || derr.Error() != werr.Error() {
			t.Errorf("%s: Describe %v, write %v", a, derr, werr)
		}
	}
}
