package nginx

import (
	"fmt"
	"strconv"

	"github.com/lbtop/lbtop/model"
)

// Describe says exactly what an action sends, without sending it: the
// PATCH of the server's entry in its http or stream upstream with its
// JSON body, for --dry-run and the confirmation. The server's id is
// looked up with a fresh GET when the action is sent, so it is named by
// address here. It refuses what SetState and SetWeight refuse (drain on a
// stream upstream, a weight outside 1–1000000, open-source NGINX).
func (s *Source) Describe(a model.Action) (string, error) {
	module, up := splitPool(a.Ref.Pool)
	var body string
	switch a.Kind {
	case model.ActionDrain:
		if module == "stream" {
			return "", fmt.Errorf("nginx %s: cannot drain %s: NGINX Plus has no drain for stream upstreams; use maint (down) instead", s.endpoint, a.Ref)
		}
		body = `{"drain":true}`
	case model.ActionMaint:
		body = `{"down":true}`
	case model.ActionReady:
		body = `{"down":false}`
	case model.ActionWeight:
		if a.Weight < minWeight || a.Weight > maxWeight {
			return "", fmt.Errorf("nginx %s: weight %d for %s: NGINX accepts %d–%d and has no weight 0; drain the server to stop new traffic", s.endpoint, a.Weight, a.Ref, minWeight, maxWeight)
		}
		body = `{"weight":` + strconv.Itoa(a.Weight) + `}`
	default:
		return "", fmt.Errorf("nginx %s: cannot %s", s.endpoint, a.Kind)
	}
	m, v := s.detected()
	switch m {
	case modeOSS:
		return "", fmt.Errorf("nginx %s: cannot %s: %s", s.endpoint, a.Kind, ossNoActions)
	case modeUnknown:
		return "", fmt.Errorf("nginx %s: cannot describe %s before the first poll has detected the API version", s.endpoint, a.Kind)
	}
	return "NGINX Plus API " + s.endpoint + ": PATCH " + s.apiPath(v, module, "upstreams", up, "servers") +
		"/{id of " + a.Ref.Backend + "} " + body, nil
}
