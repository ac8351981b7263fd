package envoy

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// readyPath is Envoy's admin endpoint that prints the server state:
// LIVE (200), or PRE_INITIALIZING, INITIALIZING or DRAINING (503). An
// Envoy told /healthcheck/fail reports DRAINING until /healthcheck/ok.
const readyPath = "/ready"

// readyBodyLimit bounds the /ready body read: the state is one word.
const readyBodyLimit = 256

// proxyFailing reads GET {base}/ready and reports whether this Envoy
// fails its own health check on purpose (state DRAINING), so lbtop knows
// it on every poll, after its own restart too. An Envoy or stand-in that
// does not answer /ready reads as not failing: the poll of the clusters
// already succeeded and stays the authority on the hosts.
func (s *Source) proxyFailing(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+readyPath, nil)
	if err != nil {
		return false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, readyBodyLimit))
	return resp.StatusCode == http.StatusServiceUnavailable && string(bytes.TrimSpace(body)) == "DRAINING"
}
