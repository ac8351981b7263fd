// Package sources defines how lbtop reads from and acts on load balancers:
// the Source interface every system implements, the optional capability
// interfaces for actions, and the Hub that polls every source on its own
// goroutine. Each system lives in its own sub-package and knows nothing of
// the screen.
package sources

import (
	"context"
	"errors"
	"fmt"

	"github.com/lbtop/lbtop/model"
)

// Source reads one system instance.
//
// Poll must be safe for concurrent use, honour ctx's deadline, and return a
// new Snapshot that the caller may keep (the Source must not modify it
// afterwards). Errors name the endpoint. Source, Kind and At of the
// returned snapshot are filled in by the Hub when left empty.
type Source interface {
	Name() string
	Kind() model.Kind
	Poll(ctx context.Context) (model.Snapshot, error)
}

// StateSetter changes a backend's administrative state (drain, ready,
// maint). Only sources that can do so implement it.
type StateSetter interface {
	SetState(ctx context.Context, ref model.BackendRef, action model.ActionKind) error
}

// Weighter sets a backend's weight.
type Weighter interface {
	SetWeight(ctx context.Context, ref model.BackendRef, weight int) error
	// WeightRange is the inclusive range of weights the system accepts.
	WeightRange() (lo, hi int)
}

// ProxyHealthSetter fails or restores a whole proxy's own health check
// (Envoy's /healthcheck/fail and /healthcheck/ok). It affects every pool
// the proxy serves.
type ProxyHealthSetter interface {
	SetProxyHealth(ctx context.Context, ok bool) error
}

// Explainer says why an action is not available on a source, in words to
// show the user ("Envoy's admin API cannot drain one host; …"). Sources
// that lack a capability implement it so the UI never silently does
// nothing.
type Explainer interface {
	Unsupported(action model.ActionKind) string
}

// Capable is implemented by sources whose capabilities are known only at
// run time: one NGINX source type serves both NGINX Plus (which can drain
// and reweight) and open-source NGINX (which cannot), and which one it
// talks to is detected on the first poll. Supports consults Can after the
// type assertion, so a source that has an action's method but reports
// Can(k) == false does not support k (its Explainer then says why).
type Capable interface {
	Can(action model.ActionKind) bool
}

// ErrUnsupported is returned when a source cannot perform an action.
var ErrUnsupported = errors.New("action not supported by this source")

// Supports reports whether src can perform the action kind, and if not, a
// sentence saying why.
func Supports(src Source, k model.ActionKind) (bool, string) {
	ok := false
	switch k {
	case model.ActionDrain, model.ActionReady, model.ActionMaint:
		_, ok = src.(StateSetter)
	case model.ActionWeight:
		_, ok = src.(Weighter)
	case model.ActionProxyFail, model.ActionProxyOK:
		_, ok = src.(ProxyHealthSetter)
	}
	if c, isC := src.(Capable); ok && isC {
		ok = c.Can(k)
	}
	if ok {
		return true, ""
	}
	if e, isE := src.(Explainer); isE {
		if why := e.Unsupported(k); why != "" {
			return false, why
		}
	}
	return false, fmt.Sprintf("%s source %q cannot %s", src.Kind(), src.Name(), k)
}

// Do performs one action on src, validating the weight range first.
func Do(ctx context.Context, src Source, a model.Action) error {
	if ok, why := Supports(src, a.Kind); !ok {
		return fmt.Errorf("%w: %s", ErrUnsupported, why)
	}
	switch a.Kind {
	case model.ActionDrain, model.ActionReady, model.ActionMaint:
		return src.(StateSetter).SetState(ctx, a.Ref, a.Kind)
	case model.ActionWeight:
		w := src.(Weighter)
		if lo, hi := w.WeightRange(); a.Weight < lo || a.Weight > hi {
			return fmt.Errorf("weight %d out of range for %s: must be %d–%d", a.Weight, src.Kind(), lo, hi)
		}
		return w.SetWeight(ctx, a.Ref, a.Weight)
	case model.ActionProxyFail, model.ActionProxyOK:
		return src.(ProxyHealthSetter).SetProxyHealth(ctx, a.Kind == model.ActionProxyOK)
	}
	return fmt.Errorf("unknown action %v", a.Kind)
}
