package nginx

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lbtop/lbtop/model"
)

// NGINX Plus: polling /api/N/{http,stream}/upstreams and the PATCH
// actions on /api/N/{http,stream}/upstreams/{name}/servers/{id}.

// Weight limits of NGINX Plus servers. NGINX has no weight 0: taking a
// server out of rotation is drain (or down), never a zero weight.
const (
	minWeight = 1
	maxWeight = 1000000
)

// pollPlus reads http upstreams and, when the stream module is present,
// stream upstreams.
func (s *Source) pollPlus(ctx context.Context, version int) (model.Snapshot, error) {
	httpUps, err := s.upstreams(ctx, version, "http")
	if err != nil {
		return model.Snapshot{}, err
	}
	pools := toPools(httpUps, false)
	streamUps, err := s.upstreams(ctx, version, "stream")
	switch {
	case isNotFound(err):
		// No stream block, or stream upstreams without zones: nothing to show.
	case err != nil:
		return model.Snapshot{}, err
	default:
		pools = append(pools, toPools(streamUps, true)...)
	}
	return model.Snapshot{Pools: pools}, nil
}

// upstreams fetches and parses one module's upstream map.
func (s *Source) upstreams(ctx context.Context, version int, module string) ([]namedUpstream, error) {
	path := s.apiPath(version, module, "upstreams")
	body, err := s.get(ctx, path, maxBody)
	if err != nil {
		return nil, err
	}
	ups, err := parseUpstreams(body)
	if err == nil {
		err = ctx.Err() // decoding ran past the deadline
	}
	if err != nil {
		return nil, &requestError{endpoint: s.endpoint, method: "GET", path: path, err: err}
	}
	return ups, nil
}

// plusVersion returns the API version for an action, detecting it first
// when no poll has yet; open-source NGINX cannot act.
func (s *Source) plusVersion(ctx context.Context, what string) (int, error) {
	if s.base == nil {
		return 0, fmt.Errorf("nginx %s: source %q: the URL does not parse", s.endpoint, s.name)
	}
	m, v := s.detected()
	if m == modeUnknown {
		var err error
		if m, v, _, err = s.detect(ctx); err != nil {
			return 0, err
		}
	}
	if m != modePlus {
		return 0, fmt.Errorf("nginx %s: cannot %s: %s", s.endpoint, what, ossNoActions)
	}
	return v, nil
}

// SetState drains a backend ({"drain":true}), takes it down
// ({"down":true}) or returns it to rotation ({"down":false}).
//
// Ready sends {"down":false} for both a down and a draining server. The
// API documents drain as a bool that can be set, but nowhere documents
// clearing it with {"drain":false}: the former upstream_conf interface
// had no "undrain" and used up= ("the opposite of down") for both, the
// ConfServer examples print "drain" only when it is set, and NGINX's own
// Go client (nginx-plus-go-client) cannot even send drain:false. The next
// poll shows whether the server really left "draining".
//
// Stream upstreams have no drain (their ConfServer has no drain field).
func (s *Source) SetState(ctx context.Context, ref model.BackendRef, action model.ActionKind) error {
	module, _ := splitPool(ref.Pool)
	var body string
	switch action {
	case model.ActionDrain:
		if module == "stream" {
			return fmt.Errorf("nginx %s: cannot drain %s: NGINX Plus has no drain for stream upstreams; use maint (down) instead", s.endpoint, ref)
		}
		body = `{"drain":true}`
	case model.ActionMaint:
		body = `{"down":true}`
	case model.ActionReady:
		body = `{"down":false}`
	case model.ActionWeight, model.ActionProxyFail, model.ActionProxyOK:
		return fmt.Errorf("nginx %s: %s is not a state change", s.endpoint, action)
	default:
		return fmt.Errorf("nginx %s: unknown action %s", s.endpoint, action)
	}
	return s.patchServer(ctx, ref, action.String(), body)
}

// WeightRange is 1–1000000: NGINX has no weight 0; drain is the way to
// send a server no new traffic.
func (s *Source) WeightRange() (lo, hi int) { return minWeight, maxWeight }

// SetWeight sets a backend's weight with {"weight":N}. A weight outside
// 1–1000000 is refused before anything is sent.
func (s *Source) SetWeight(ctx context.Context, ref model.BackendRef, weight int) error {
	if weight < minWeight || weight > maxWeight {
		return fmt.Errorf("nginx %s: weight %d for %s: NGINX accepts %d–%d and has no weight 0; drain the server to stop new traffic", s.endpoint, weight, ref, minWeight, maxWeight)
	}
	return s.patchServer(ctx, ref, "set weight", `{"weight":`+strconv.Itoa(weight)+`}`)
}

// patchServer resolves the backend's server id with a fresh GET of the
// upstream's servers, then PATCHes it. Ids are looked up at action time,
// never cached from a poll: a server removed and re-added through the API
// (or by DNS re-resolution) keeps its address but gets a new id.
func (s *Source) patchServer(ctx context.Context, ref model.BackendRef, what, patch string) error {
	v, err := s.plusVersion(ctx, what)
	if err != nil {
		return err
	}
	module, up := splitPool(ref.Pool)
	path := s.apiPath(v, module, "upstreams", up, "servers")
	body, err := s.get(ctx, path, maxBody)
	if err != nil {
		return err
	}
	servers, err := parseServers(body)
	if err != nil {
		return &requestError{endpoint: s.endpoint, method: "GET", path: path, err: err}
	}
	id, err := resolveServer(servers, ref.Backend)
	if err != nil {
		return fmt.Errorf("nginx %s: %s upstream %q: %w", s.endpoint, module, up, err)
	}
	return s.do(ctx, "PATCH", s.apiPath(v, module, "upstreams", up, "servers", strconv.Itoa(id)), []byte(patch), nil)
}

// resolveServer finds the one server whose address is name.
func resolveServer(servers []confServer, name string) (int, error) {
	var ids []string
	id := -1
	for _, c := range servers {
		if c.Server == name {
			id = c.ID
			ids = append(ids, strconv.Itoa(c.ID))
		}
	}
	switch len(ids) {
	case 1:
		return id, nil
	case 0:
		names := make([]string, 0, min(len(servers), 10))
		for i, c := range servers {
			if i == 10 {
				names = append(names, "…")
				break
			}
			names = append(names, c.Server)
		}
		return 0, fmt.Errorf("no server %q (servers: %s)", name, strings.Join(names, ", "))
	}
	return 0, fmt.Errorf("%d servers are %q (ids %s): cannot tell which one to change", len(ids), name, strings.Join(ids, ", "))
}
