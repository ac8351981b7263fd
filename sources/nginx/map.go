package nginx

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lbtop/lbtop/model"
)

// Mapping from the Plus API's peer states to lbtop's model. Every state
// NGINX documents is in ruleFor; anything else is Unknown, never
// Healthy.

// streamPrefix marks stream (TCP/UDP) upstreams in pool names, so that
// an http and a stream upstream with the same name stay two pools. Actions
// use it to choose between /http/ and /stream/ paths.
const streamPrefix = "stream:"

// stateRule is how one NGINX peer state maps to the model.
type stateRule struct {
	health model.Health
	// reason writes the Reason in NGINX's words, with the counters that
	// explain it.
	reason func(p *peer) string
	// since reports whether downstart ("when the server became unavail,
	// checking or unhealthy") dates the current state.
	since bool
}

// ruleFor is the one exhaustive table of peer states: up, draining,
// down, unavail, checking and unhealthy (NginxHTTPUpstreamPeer.state).
// It is a switch rather than a map so that the package holds no mutable
// state.
func ruleFor(state string) (stateRule, bool) {
	switch state {
	case "up":
		return stateRule{health: model.Healthy, reason: func(*peer) string { return "up" }}, true
	case "draining":
		// Only requests bound to the server (sticky) still reach it.
		return stateRule{health: model.Draining, reason: func(*peer) string { return "draining" }}, true
	case "down":
		// The administrative flag: "server … down" or the API.
		return stateRule{health: model.Down, reason: func(*peer) string { return "down (admin)" }}, true
	case "unavail":
		// Passive health: max_fails failures within fail_timeout.
		return stateRule{health: model.Unhealthy, since: true, reason: func(p *peer) string {
			return "unavail: max_fails reached (fails " + strconv.FormatUint(p.Fails, 10) + ")"
		}}, true
	case "checking":
		// Held out until an active health check passes (a new server with
		// "mandatory", or one returning from unavail): it takes no traffic.
		return stateRule{health: model.Unhealthy, since: true, reason: func(p *peer) string {
			if p.HealthChecks == nil {
				return "checking"
			}
			return "checking: awaiting a passing health check " + checkFacts(p.HealthChecks)
		}}, true
	case "unhealthy":
		// Failing the active health_check.
		return stateRule{health: model.Unhealthy, since: true, reason: func(p *peer) string {
			if p.HealthChecks == nil {
				return "unhealthy: health check failed"
			}
			return "unhealthy: health check failed " + checkFacts(p.HealthChecks)
		}}, true
	}
	return stateRule{}, false
}

// checkFacts renders health-check counters: "(checks 12, fails 4, last_passed false)".
func checkFacts(h *healthChecks) string {
	var b strings.Builder
	b.WriteString("(checks ")
	b.WriteString(strconv.FormatUint(h.Checks, 10))
	b.WriteString(", fails ")
	b.WriteString(strconv.FormatUint(h.Fails, 10))
	if h.LastPassed != nil {
		b.WriteString(", last_passed ")
		b.WriteString(strconv.FormatBool(*h.LastPassed))
	}
	b.WriteByte(')')
	return b.String()
}

// peerHealth maps a peer's state through ruleFor.
func peerHealth(p *peer) (model.Health, string, bool) {
	rule, ok := ruleFor(p.State)
	if !ok {
		if p.State == "" {
			return model.Unknown, "no state reported", false
		}
		return model.Unknown, fmt.Sprintf("state %q (not known to lbtop)", p.State), false
	}
	return rule.health, rule.reason(p), rule.since
}

// toBackend maps one peer. stream peers count connections, http peers
// requests; 5xx responses exist only for http.
func toBackend(p *peer, stream bool) model.Backend {
	h, reason, since := peerHealth(p)
	b := model.Backend{
		Name:     p.Server,
		Address:  p.Server,
		Health:   h,
		Reason:   reason,
		Weight:   p.Weight,
		Active:   p.Active,
		Backup:   p.Backup,
		Requests: p.Requests,
		Errors:   p.Responses.Code5xx,
		Counters: true,
	}
	if stream {
		b.Requests = p.Connections
		b.Errors = 0
	}
	// NGINX accepts weights of 1–1000000; 0 is what a payload without a
	// weight decodes to, so only values no NGINX can report are rejected.
	model.CheckFigures(&b, model.Range{Min: 0, Max: maxWeight})
	if since && !p.Downstart.IsZero() {
		b.Since = p.Downstart.Time
	}
	peerFacts(p, &b)
	return b
}

// toPools maps parsed upstreams to pools, prefixing stream pool names.
// An upstream with no peers (all servers removed through the API) is kept
// as an empty pool: "no servers" is exactly what the screen should show.
func toPools(ups []namedUpstream, stream bool) []model.Pool {
	pools := make([]model.Pool, len(ups))
	for i := range ups {
		u := &ups[i]
		name := u.Name
		if stream {
			name = streamPrefix + name
		}
		bs := make([]model.Backend, len(u.Peers))
		for j := range u.Peers {
			bs[j] = toBackend(&u.Peers[j], stream)
		}
		pools[i] = model.Pool{Name: name, Backends: bs}
		if u.Zombies > 0 {
			pools[i].Note = strconv.Itoa(u.Zombies) + " removed servers still finishing requests (zombies)"
		}
	}
	return pools
}

// splitPool turns a pool name back into the API's module and upstream.
func splitPool(pool string) (module, upstream string) {
	if name, ok := strings.CutPrefix(pool, streamPrefix); ok {
		return "stream", name
	}
	return "http", pool
}
