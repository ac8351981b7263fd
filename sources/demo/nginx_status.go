package demo

import (
	"math"
	"strconv"
	"time"
)

// The JSON shapes of GET /api/N/{http,stream}/upstreams, in NGINX's field
// order. HTTP peers count requests and responses, stream peers
// connections; optional fields are absent rather than zero, as in NGINX.
type (
	ngxUpstreamJSON struct {
		Peers     []ngxPeerJSON `json:"peers"`
		Keepalive *int          `json:"keepalive,omitempty"`
		Zombies   int           `json:"zombies"`
		Zone      string        `json:"zone"`
	}
	ngxPeerJSON struct {
		ID            int                 `json:"id"`
		Server        string              `json:"server"`
		Name          string              `json:"name"`
		Backup        bool                `json:"backup"`
		Weight        int                 `json:"weight"`
		State         string              `json:"state"`
		Active        int64               `json:"active"`
		MaxConns      int                 `json:"max_conns,omitempty"`
		Requests      *uint64             `json:"requests,omitempty"`
		Connections   *uint64             `json:"connections,omitempty"`
		ConnectTime   *int64              `json:"connect_time,omitempty"`
		FirstByteTime *int64              `json:"first_byte_time,omitempty"`
		HeaderTime    *int64              `json:"header_time,omitempty"`
		ResponseTime  int64               `json:"response_time"`
		Responses     *ngxResponsesJSON   `json:"responses,omitempty"`
		Sent          uint64              `json:"sent"`
		Received      uint64              `json:"received"`
		Fails         uint64              `json:"fails"`
		Unavail       uint64              `json:"unavail"`
		HealthChecks  *ngxHealthCheckJSON `json:"health_checks,omitempty"`
		Downtime      uint64              `json:"downtime"`
		Downstart     string              `json:"downstart,omitempty"`
		Selected      string              `json:"selected,omitempty"`
	}
	ngxResponsesJSON struct {
		R1xx  uint64            `json:"1xx"`
		R2xx  uint64            `json:"2xx"`
		R3xx  uint64            `json:"3xx"`
		R4xx  uint64            `json:"4xx"`
		R5xx  uint64            `json:"5xx"`
		Codes map[string]uint64 `json:"codes"`
		Total uint64            `json:"total"`
	}
	ngxHealthCheckJSON struct {
		Checks     uint64 `json:"checks"`
		Fails      uint64 `json:"fails"`
		Unhealthy  uint64 `json:"unhealthy"`
		LastPassed *bool  `json:"last_passed,omitempty"`
	}
)

// status renders the upstream as NGINX reports it. Timestamps are wall
// clock: a state entered d simulated seconds ago started d seconds before
// the request. The caller holds s.mu.
func (u *ngxUpstream) status(s *sim) ngxUpstreamJSON {
	wall, now := time.Now(), s.now()
	at := func(simT float64) string {
		return apiTimestamp(wall.Add(-time.Duration((now - simT) * float64(time.Second))))
	}
	out := ngxUpstreamJSON{Peers: make([]ngxPeerJSON, 0, len(u.peers)), Zombies: len(u.zombies), Zone: u.spec.name}
	if !u.spec.stream {
		k := 16
		out.Keepalive = &k
	}
	for _, p := range u.peers {
		c := &p.c
		pj := ngxPeerJSON{
			ID: p.id, Server: p.server, Name: p.server, Backup: p.backup, Weight: p.weight,
			State: p.state(s.n), Active: c.active, MaxConns: p.maxConns,
			ResponseTime: int64(math.Round(c.latencyMS)),
			Sent:         c.bytesIn, Received: c.bytesOut,
			Fails: p.fails, Unavail: p.unavail,
			Downtime: uint64(p.downtime * 1000),
		}
		if u.spec.stream {
			conns := c.requests
			ct, fb := int64(1), int64(math.Round(c.latencyMS/2))
			pj.Connections, pj.ConnectTime, pj.FirstByteTime = &conns, &ct, &fb
		} else {
			reqs := c.requests
			ht := int64(math.Round(c.latencyMS * 0.8))
			pj.Requests, pj.HeaderTime = &reqs, &ht
			pj.Responses = responsesJSON(c)
		}
		if u.spec.hc {
			hc := &ngxHealthCheckJSON{Checks: p.hcChecks, Fails: p.hcFails, Unhealthy: p.hcUnhealthy}
			if p.hcRan {
				passed := p.lastPassed
				hc.LastPassed = &passed
			}
			pj.HealthChecks = hc
		}
		if p.wentDown {
			pj.Downstart = at(p.downSince)
		}
		if p.selected {
			pj.Selected = at(p.selectedAt)
		}
		out.Peers = append(out.Peers, pj)
	}
	return out
}

// responsesJSON splits the shared counters into NGINX's classes and codes:
// 1% of successes are 404s, timeouts are 504s, other errors 503s.
func responsesJSON(c *counters) *ngxResponsesJSON {
	r4 := c.hrsp[1] / 100
	r2, r3 := c.hrsp[1]-r4, c.hrsp[2]
	r5 := c.hrsp[4]
	codes := map[string]uint64{}
	add := func(code int, n uint64) {
		if n > 0 {
			codes[strconv.Itoa(code)] = n
		}
	}
	add(200, r2)
	add(302, r3)
	add(404, r4)
	add(503, r5-min(c.timeouts, r5))
	add(504, min(c.timeouts, r5))
	return &ngxResponsesJSON{R2xx: r2, R3xx: r3, R4xx: r4, R5xx: r5, Codes: codes, Total: r2 + r3 + r4 + r5}
}
