package nginx

import (
	"time"

	"github.com/lbtop/lbtop/model"
)

// peerFault is the one table from a peer state to the diagnosis's Fault:
// unavail is NGINX's passive check (max_fails within fail_timeout),
// unhealthy and checking are the active health_check failing or not yet
// passed, down and draining are an operator's doing. Serving peers (up)
// and states lbtop does not know have none to name.
func peerFault(state string) model.Fault {
	switch state {
	case "unavail":
		return model.FaultMaxFails
	case "unhealthy", "checking":
		return model.FaultCheck
	case "down", "draining":
		return model.FaultAdmin
	case "up":
		return model.FaultNone
	}
	return model.FaultOther
}

// peerFacts attaches the fault and the counts the diagnosis cites (fails,
// unavail, failed health checks, downtime, max_conns) to a peer that does
// not serve.
func peerFacts(p *peer, b *model.Backend) {
	b.Fault = peerFault(p.State)
	if b.Fault == model.FaultNone {
		return
	}
	f := &model.BackendFacts{
		Fails:    p.Fails,
		Unavail:  p.Unavail,
		Downtime: time.Duration(min(p.Downtime, 1<<62/uint64(time.Millisecond))) * time.Millisecond,
		Limit:    max(0, p.MaxConns),
	}
	if h := p.HealthChecks; h != nil {
		f.CheckFails = h.Fails
	}
	b.Facts = f
}
