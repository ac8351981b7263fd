package envoy

import (
	"fmt"

	"github.com/lbtop/lbtop/model"
)

// Describe says exactly what a proxy-level action sends, without sending
// it: the POST to /healthcheck/fail or /healthcheck/ok, for --dry-run and
// the confirmation. Per-host actions are refused as SetProxyHealth's
// absence refuses them.
func (s *Source) Describe(a model.Action) (string, error) {
	if s.badURL != nil {
		return "", s.badURL
	}
	switch a.Kind {
	case model.ActionProxyFail:
		return "Envoy admin API: POST " + s.shown + healthFailPath, nil
	case model.ActionProxyOK:
		return "Envoy admin API: POST " + s.shown + healthOKPath, nil
	}
	return "", fmt.Errorf("%s", s.Unsupported(a.Kind))
}
