package envoy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// statsPath asks for exactly the stats parseClusterStats reads.
var statsPath = "/stats?filter=" + url.QueryEscape(statsFilter)

// withStats adds each cluster's pool facts from one GET /stats to a
// snapshot read from /clusters. A failure there does not fail the poll:
// the hosts are still right; the snapshot's note says what is missing.
func (s *Source) withStats(ctx context.Context, snap model.Snapshot) model.Snapshot {
	facts, err := s.clusterStats(ctx)
	if err != nil {
		snap.Note = "cluster stats unavailable: " + err.Error()
		return snap
	}
	for i := range snap.Pools {
		if f := facts[snap.Pools[i].Name]; f != nil {
			snap.Pools[i].Facts = f
		}
	}
	return snap
}

// clusterStats reads and parses GET {base}/stats?filter=….
func (s *Source) clusterStats(ctx context.Context) (map[string]*model.PoolFacts, error) {
	shown := s.shown + "/stats"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+statsPath, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", shown, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(http.MethodGet, shown, resp)
	}
	// The source's reading policy (byte limit) applies, as to /clusters;
	// the filtered stats of 10,000 clusters are about 2 MiB.
	body, err := sources.ReadAll(resp.Body, nil, resp.ContentLength, sources.ClientLimit(s.client))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	facts, err := parseClusterStats(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	return facts, nil
}
