// Package prometheus reads pool and backend health from anything that
// speaks the Prometheus HTTP API (Prometheus, Thanos, Mimir,
// VictoriaMetrics) with a few instant PromQL queries per poll. Built-in
// presets cover HAProxy's exporter (PROMEX), Envoy's /stats/prometheus and
// nginx-prometheus-exporter for NGINX Plus; user mappings cover the rest.
// One source speaks for a whole fleet: each backend carries the proxy that
// reported it in model.Backend.Instance. The source is read-only.
//
// The package is split as the house style asks: client.go (transport and
// the Source), preset.go and mapping.go (what to ask), map.go (pure: query
// results to model pools).
package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	pmodel "github.com/prometheus/common/model"
	"golang.org/x/sync/errgroup"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// Options configures a Source. The zero value queries every preset over a
// one-minute rate window.
type Options struct {
	// Presets names the built-in query sets to run: "envoy", "haproxy",
	// "nginxplus". Nil means all of them; an empty non-nil slice means
	// none (only Mappings).
	Presets []string
	// Mappings are user-defined query sets, usually from the config file.
	Mappings []Mapping
	// RateWindow is the range of rate() in the presets, a Prometheus
	// duration such as "1m" (the default) or "30s". It should cover at
	// least two scrapes.
	RateWindow string
	// Concurrency bounds the queries in flight during one poll; 4 when
	// zero or negative.
	Concurrency int
}

// Source polls one Prometheus-compatible server. It is safe for
// concurrent use.
type Source struct {
	name     string
	endpoint string       // base URL with any password redacted, for messages
	client   api.Client   // builds query URLs
	http     *http.Client // applies the source's sources.Policy
	specs    []spec
	limit    int
}

// New returns a source named name that queries the server at baseURL
// (e.g. "http://prometheus:9090", or a Thanos/Mimir prefix such as
// "https://mimir/prometheus") through client, which carries TLS and
// authentication (see sources.NewHTTPClient) and the source's
// sources.Policy (byte limit, redirects); a client without a policy gets
// the default one, and nil a private default client. The byte limit
// bounds all the replies of one poll together. It validates the options
// and every mapping.
func New(name, baseURL string, client *http.Client, opts Options) (*Source, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus source %q: address %q: want an http:// or https:// URL with a host", name, sources.RedactURL(baseURL))
	}
	client = sources.Guarded(client)
	ac, err := api.NewClient(api.Config{Address: baseURL, Client: client})
	if err != nil {
		return nil, fmt.Errorf("prometheus source %q: address %s: %w", name, sources.RedactURL(baseURL), err)
	}
	window := opts.RateWindow
	if window == "" {
		window = "1m"
	}
	if d, err := pmodel.ParseDuration(window); err != nil || d <= 0 {
		return nil, fmt.Errorf("prometheus source %q: rate_window %q: want a positive Prometheus duration such as 1m or 30s", name, window)
	}
	names := opts.Presets
	if names == nil {
		names = PresetNames()
	}
	specs := make([]spec, 0, len(names)+len(opts.Mappings))
	for _, p := range names {
		sp, ok := presetSpec(p, window)
		if !ok {
			return nil, fmt.Errorf("prometheus source %q: unknown preset %q (want one of %s)", name, p, strings.Join(PresetNames(), ", "))
		}
		specs = append(specs, sp)
	}
	seen := map[string]bool{}
	for i, m := range opts.Mappings {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("prometheus source %q: mappings[%d]: %w", name, i, err)
		}
		if seen[m.Name] {
			return nil, fmt.Errorf("prometheus source %q: mappings[%d]: name %q is used twice", name, i, m.Name)
		}
		seen[m.Name] = true
		specs = append(specs, m.spec())
	}
	limit := opts.Concurrency
	if limit <= 0 {
		limit = 4
	}
	return &Source{name: name, endpoint: sources.RedactURL(baseURL), client: ac, http: client, specs: specs, limit: limit}, nil
}

// Name returns the source's unique name.
func (s *Source) Name() string { return s.name }

// Kind returns model.KindPrometheus.
func (s *Source) Kind() model.Kind { return model.KindPrometheus }

// Unsupported explains that actions go through the proxy's own source.
func (s *Source) Unsupported(action model.ActionKind) string {
	return fmt.Sprintf("Prometheus is read-only: to %s, act through the haproxy/nginx/envoy source for the backend's instance (source %q only reads metrics)", action, s.name)
}

// Poll runs every query of every preset and mapping concurrently (at most
// Options.Concurrency at a time, under ctx's deadline) and joins the
// results into pools. A query that returns nothing is fine (that exporter
// is not scraped); a query that fails fails the poll. Warnings from the
// server go into the snapshot's Note.
func (s *Source) Poll(ctx context.Context) (model.Snapshot, error) {
	type job struct{ spec, query int }
	var jobs []job
	results := make([][]pmodel.Vector, len(s.specs))
	for i, sp := range s.specs {
		results[i] = make([]pmodel.Vector, len(sp.queries))
		for j := range sp.queries {
			jobs = append(jobs, job{i, j})
		}
	}
	warnings := make([][]string, len(jobs))
	// The poll's queries share one byte budget: four in parallel must not
	// cost four times the limit.
	pc := s.newPollClient()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.limit)
	for k, jb := range jobs {
		g.Go(func() error {
			vec, warn, err := s.query(gctx, pc, s.specs[jb.spec].queries[jb.query].expr)
			if err != nil {
				return fmt.Errorf("prometheus %s (%s): %w", s.endpoint, s.specs[jb.spec].name, err)
			}
			results[jb.spec][jb.query] = vec
			warnings[k] = warn
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return model.Snapshot{}, err
	}
	if err := ctx.Err(); err != nil { // decoding ran past the deadline
		return model.Snapshot{}, fmt.Errorf("prometheus %s: %w", s.endpoint, err)
	}
	return model.Snapshot{
		Source: s.name,
		Kind:   model.KindPrometheus,
		Pools:  buildPools(s.specs, results),
		Note:   warningNote(warnings),
	}, nil
}

// query runs one instant query and returns its vector. The error names the
// query, the HTTP status and the server's own error text.
func (s *Source) query(ctx context.Context, pc *pollClient, expr string) (pmodel.Vector, []string, error) {
	sc := &statusClient{Client: pc}
	var opts []v1.Option
	if dl, ok := ctx.Deadline(); ok {
		// Let the server give up when we will: whole seconds, since
		// Prometheus cannot parse fractions in a duration like "4.99s".
		if left := time.Until(dl).Truncate(time.Second); left > 0 {
			opts = append(opts, v1.WithTimeout(left))
		}
	}
	val, warn, _, err := v1.NewAPI(sc).Query(ctx, expr, time.Time{}, opts...)
	if err != nil {
		return nil, nil, queryError(expr, sc.status, err)
	}
	switch v := val.(type) {
	case pmodel.Vector:
		return v, warn, nil
	case nil:
		return nil, warn, nil
	default:
		return nil, nil, fmt.Errorf("query %q: result type %s, want an instant vector", expr, val.Type())
	}
}

// statusClient remembers the HTTP status of the last response, so a
// failed query can report it (the v1 API's error does not carry it). One
// is made per query, so no locking is needed.
type statusClient struct {
	api.Client
	status int
}

// Do forwards to the wrapped client and records the status.
func (c *statusClient) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, body, err := c.Client.Do(ctx, req)
	if resp != nil {
		c.status = resp.StatusCode
	}
	return resp, body, err
}

// pollClient sends one poll's requests through a client sharing one byte
// budget (sources.ShareLimit) and reads each body with sources.ReadAll,
// which never grows a buffer past the limit: client_golang's own Do reads
// a whole body into a doubling bytes.Buffer, with no limit. URLs are built
// by the wrapped api.Client.
type pollClient struct {
	api.Client
	http *http.Client
}

// newPollClient returns the client of one poll, with a fresh budget.
func (s *Source) newPollClient() *pollClient {
	return &pollClient{Client: s.client, http: sources.ShareLimit(s.http)}
}

// Do sends req under ctx and reads the body within the byte limit.
func (c *pollClient) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, unwrapURLError(err)
	}
	defer resp.Body.Close()
	body, err := sources.ReadAll(resp.Body, nil, resp.ContentLength, sources.ClientLimit(c.http))
	return resp, body, err
}

// unwrapURLError drops net/http's *url.Error wrapper: it repeats the
// query's whole URL, which the message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// queryError describes a failed query: the query, the HTTP status (when a
// response arrived), the error type and Prometheus's error text. Bodies of
// errors from layers in front of Prometheus (proxies) are cut short.
//
// The cause comes before the query, which can be long: an error text is
// cut to a few hundred bytes where it enters the model, and the cause is
// what must survive.
func queryError(expr string, status int, err error) error {
	var apiErr *v1.Error
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("%w (query %q)", err, expr)
	}
	kind, msg := string(apiErr.Type), sources.SnippetString(apiErr.Msg)
	if apiErr.Detail != "" {
		// Statuses other than 400 and 422 (a 503 timeout, or a proxy's
		// error page) leave the body in Detail: prefer Prometheus's own
		// envelope when it is one.
		var env struct {
			ErrorType string `json:"errorType"`
			Error     string `json:"error"`
		}
		if json.Unmarshal([]byte(apiErr.Detail), &env) == nil && env.Error != "" {
			kind, msg = sources.SnippetString(env.ErrorType), sources.SnippetString(env.Error)
		} else if d := sources.SnippetString(apiErr.Detail); d != "" {
			msg += ": " + d
		}
	}
	if status != 0 {
		return fmt.Errorf("HTTP %d %s: %s (query %q)", status, kind, msg, expr)
	}
	return fmt.Errorf("%s: %s (query %q)", kind, msg, expr)
}

// maxNote caps the warnings kept in a snapshot note.
const maxNote = 5

// warningNote joins the distinct warnings of one poll.
func warningNote(all [][]string) string {
	var out []string
	for _, ws := range all {
		for _, w := range ws {
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	if len(out) > maxNote {
		out = append(out[:maxNote], fmt.Sprintf("and %d more", len(out)-maxNote))
	}
	if len(out) == 0 {
		return ""
	}
	return "Prometheus warnings: " + strings.Join(out, "; ")
}
