// Package envoy reads one Envoy proxy through its admin API: every cluster
// and host from /clusters?format=json, with each host's health flags as the
// reason. It can fail or restore the whole proxy's own health check
// (/healthcheck/fail, /healthcheck/ok) and says plainly that per-host
// drain, state and weight are not admin-API operations in Envoy: they come
// from the control plane through EDS.
//
// The package is split as the house style asks: client.go (transport),
// parse.go (pure decoding of the payload) and map.go (to model).
package envoy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

const (
	clustersPath    = "/clusters?format=json"
	healthFailPath  = "/healthcheck/fail"
	healthOKPath    = "/healthcheck/ok"
	snippetBytes    = sources.MaxSnippet // body text quoted in an error
	actionBodyLimit = 64 << 10           // read at most this much of an action's reply
)

// Source polls one Envoy admin endpoint. It is safe for concurrent use.
type Source struct {
	name   string
	base   string       // admin base URL without a trailing slash
	shown  string       // base with any password redacted, for messages
	badURL error        // why base is unusable, if it is
	client *http.Client // applies the source's sources.Policy: byte limit, redirects

	mu    sync.Mutex
	spare []byte // the last good poll's body buffer, reused by the next poll
}

// New returns a source named name reading the Envoy admin API at baseURL
// (e.g. "http://127.0.0.1:9901"; "http://" is assumed when no scheme is
// given). client applies the source's sources.Policy (byte limit,
// redirects; see sources.Policy.HTTPClient); a client without one gets
// the default policy, and a nil client a private one with its own
// connection pool. Polls and actions are bounded by the caller's ctx, not
// a client timeout. 100k hosts render to about 111 MiB of pretty JSON
// (PERF-NOTES): a fleet that size needs max_response_bytes raised.
func New(name, baseURL string, client *http.Client) *Source {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if base != "" && !strings.Contains(base, "://") {
		base = "http://" + base
	}
	s := &Source{name: name, base: base, client: client}
	u, err := url.Parse(base)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, which may hold a password
		}
		s.badURL = fmt.Errorf("envoy admin URL %s of source %q is not valid: %w", sources.RedactURL(base), name, err)
	case u.Host == "":
		s.badURL = fmt.Errorf("envoy admin URL of source %q has no host (want e.g. http://127.0.0.1:9901)", name)
	}
	s.shown = sources.RedactURL(base)
	s.client = sources.Guarded(client)
	return s
}

// Name returns the source's unique name.
func (s *Source) Name() string { return s.name }

// Kind returns model.KindEnvoy.
func (s *Source) Kind() model.Kind { return model.KindEnvoy }

// Poll reads every cluster and host from GET {base}/clusters?format=json.
// One pool per cluster, in Envoy's order; clusters without hosts are empty
// pools. The body is read under ctx and capped at the client's byte
// limit; the deadline covers connecting, reading and decoding.
func (s *Source) Poll(ctx context.Context) (model.Snapshot, error) {
	if s.badURL != nil {
		return model.Snapshot{}, s.badURL
	}
	shown := s.shown + clustersPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+clustersPath, nil)
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("GET %s: %w", shown, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("GET %s: %w", shown, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return model.Snapshot{}, statusError(http.MethodGet, shown, resp)
	}

	body, err := sources.ReadAll(resp.Body, s.takeBuffer(), resp.ContentLength, sources.ClientLimit(s.client))
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("GET %s: %w", shown, err)
	}
	pools, err := parsePools(body)
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("GET %s: malformed clusters JSON (%d bytes): %w", shown, len(body), err)
	}
	if err := ctx.Err(); err != nil { // decoding ran past the deadline
		return model.Snapshot{}, fmt.Errorf("GET %s: %w after decoding %d bytes", shown, err, len(body))
	}
	s.putBuffer(body) // only a good poll's buffer is kept: a failed one may be garbage of any size
	return s.withStats(ctx, model.Snapshot{Source: s.name, Kind: model.KindEnvoy, Pools: pools, ProxyFailing: s.proxyFailing(ctx)}), nil
}

// takeBuffer returns the previous good poll's body buffer, or nil (a
// 100k-host body is ~111 MiB; growing a fresh one every poll is the
// costliest garbage of the poll). sources.ReadAll presizes a new one from
// Content-Length. The spare is handed out once: a failed poll drops it.
func (s *Source) takeBuffer() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.spare
	s.spare = nil
	return b
}

// putBuffer keeps b for the next poll. Nothing decoded refers to it: the
// JSON decoder copies its input.
func (s *Source) putBuffer(b []byte) {
	s.mu.Lock()
	if cap(b) > cap(s.spare) {
		s.spare = b[:0]
	}
	s.mu.Unlock()
}

// SetProxyHealth fails (ok=false, POST /healthcheck/fail) or restores
// (ok=true, POST /healthcheck/ok) this Envoy's own health check. It makes
// the HTTP health_check filter fail inbound health checks, so whatever
// balances traffic onto this proxy drains it: it affects every cluster
// the proxy serves, not one host.
func (s *Source) SetProxyHealth(ctx context.Context, ok bool) error {
	if s.badURL != nil {
		return s.badURL
	}
	path := healthFailPath
	if ok {
		path = healthOKPath
	}
	shown := s.shown + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, http.NoBody)
	if err != nil {
		return fmt.Errorf("POST %s: %w", shown, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", shown, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(http.MethodPost, shown, resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, actionBodyLimit)) // let the connection be reused
	return nil
}

// unwrapURLError drops net/http's *url.Error wrapper, which repeats the
// method and URL the caller's message already gives.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusError describes an unexpected HTTP status with the start of the
// body, which is where Envoy puts its explanation.
func statusError(method, shown string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, snippetBytes+1))
	snippet := sources.Snippet(b)
	if snippet == "" {
		return fmt.Errorf("%s %s: HTTP %s", method, shown, resp.Status)
	}
	return fmt.Errorf("%s %s: HTTP %s: %q", method, shown, resp.Status, snippet)
}

// Unsupported explains why an action cannot be done through Envoy's admin
// API; it returns "" for the proxy-level actions, which are supported.
func (s *Source) Unsupported(action model.ActionKind) string {
	const how = "per-host drain, state and weight come from the control plane through EDS " +
		"(LbEndpoint health_status DRAINING/UNHEALTHY, load_balancing_weight). " +
		"The only admin lever is failing this whole proxy's health check (key F), which affects every cluster it serves."
	switch action {
	case model.ActionDrain, model.ActionReady, model.ActionMaint:
		return fmt.Sprintf("Envoy's admin API cannot %s one host: %s", action, how)
	case model.ActionWeight:
		return "Envoy's admin API cannot change one host's weight: " + how
	case model.ActionProxyFail, model.ActionProxyOK:
		return ""
	}
	return fmt.Sprintf("Envoy source %q cannot %s", s.name, action)
}
