package actions

import (
	"strconv"

	"github.com/lbtop/lbtop/model"
)

// Wire describes the exact request an action sends to a system at
// address, for --dry-run. It mirrors what each source's actuator sends.
func Wire(kind model.Kind, address string, a model.Action) string {
	switch kind {
	case model.KindHAProxy:
		cmd := "set server " + a.Ref.Pool + "/" + a.Ref.Backend
		if a.Kind == model.ActionWeight {
			cmd += " weight " + strconv.Itoa(a.Weight)
		} else {
			cmd += " state " + a.Kind.String()
		}
		return "HAProxy runtime API " + address + ": " + strconv.Quote(cmd)
	case model.KindNGINX:
		body := map[model.ActionKind]string{
			model.ActionDrain: `{"drain":true}`, model.ActionMaint: `{"down":true}`, model.ActionReady: `{"down":false}`,
		}[a.Kind]
		if a.Kind == model.ActionWeight {
			body = `{"weight":` + strconv.Itoa(a.Weight) + `}`
		}
		return "NGINX Plus API " + address + ": PATCH …/upstreams/" + a.Ref.Pool + "/servers/<id of " + a.Ref.Backend +
			", looked up at send time> " + body
	case model.KindKubernetes:
		if a.Kind == model.ActionWeight {
			return "Kubernetes API: patch the HTTPRoute backendRef " + a.Ref.Backend + " of " + a.Ref.Pool + " to weight " + strconv.Itoa(a.Weight)
		}
		return "Kubernetes API: patch the readiness-gate condition of the Pod behind " + a.Ref.Backend + " in " + a.Ref.Pool + " for " + a.Kind.String()
	}
	return string(kind) + " " + address + ": " + a.String()
}
