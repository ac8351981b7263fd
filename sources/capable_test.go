package sources_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// runtimeCapable has the StateSetter method but decides at run time
// whether it may use it, the way the NGINX source does after detecting
// Plus or open-source NGINX.
type runtimeCapable struct{ can bool }

func (runtimeCapable) Name() string     { return "lb1" }
func (runtimeCapable) Kind() model.Kind { return model.KindNGINX }
func (runtimeCapable) Poll(context.Context) (model.Snapshot, error) {
	return model.Snapshot{}, nil
}

func (runtimeCapable) SetState(context.Context, model.BackendRef, model.ActionKind) error {
	return nil
}
func (r runtimeCapable) Can(model.ActionKind) bool { return r.can }
func (r runtimeCapable) Unsupported(model.ActionKind) string {
	if r.can {
		return ""
	}
	return "detected open-source NGINX"
}

func TestSupportsConsultsCapable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     runtimeCapable
		kind    model.ActionKind
		want    bool
		wantWhy string
	}{
		{name: "capable and implemented", src: runtimeCapable{can: true}, kind: model.ActionDrain, want: true},
		{name: "implemented but not capable now", src: runtimeCapable{can: false}, kind: model.ActionDrain, wantWhy: "detected open-source NGINX"},
		{name: "capable but not implemented", src: runtimeCapable{can: true}, kind: model.ActionWeight, wantWhy: "cannot weight"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, why := sources.Supports(tc.src, tc.kind)
			if got != tc.want || !strings.Contains(why, tc.wantWhy) {
				t.Fatalf("Supports = %v, %q; want %v, containing %q", got, why, tc.want, tc.wantWhy)
			}
		})
	}
}
