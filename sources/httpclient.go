package sources

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	commonconfig "github.com/prometheus/common/config"
)

// NewHTTPClient validates cfg and builds the HTTP client an HTTP source
// (Prometheus, NGINX Plus, Envoy admin) uses: TLS CA, client certificate
// and key, insecure_skip_verify, basic auth, bearer token or token file,
// proxy settings, as Prometheus's own scrape configs spell them. name
// identifies the source in errors. Secrets are never part of an error:
// the config's Secret type prints as <secret>, and files are named by
// path only.
//
// Redirects are not decided here: cfg.FollowRedirects defaults to true in
// prometheus/common, which would let a redirect to another host pass that
// host's data off as this source's. Policy.HTTPClient replaces the
// client's redirect rule with lbtop's (none by default, same host only on
// request); callers apply it to the client returned.
func NewHTTPClient(name string, cfg commonconfig.HTTPClientConfig) (*http.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("source %q: http client settings: %w", name, err)
	}
	c, err := commonconfig.NewClientFromConfig(cfg, name)
	if err != nil {
		return nil, fmt.Errorf("source %q: http client settings: %w", name, err)
	}
	return c, nil
}

// Policy is how one source reads replies: its byte limit and whether it
// follows same-host redirects. The zero value is the default: 64 MiB, no
// redirects.
type Policy struct {
	MaxResponseBytes int64 // 0 means DefaultMaxResponseBytes
	FollowRedirects  bool  // follow redirects to the same host (never to another)
}

// Limit is the policy's byte limit.
func (p Policy) Limit() int64 { return LimitOr(p.MaxResponseBytes) }

// maxRedirects bounds a chain of same-host redirects.
const maxRedirects = 5

// HTTPClient returns a copy of c (a new client with its own connection
// pool when c is nil) that applies the policy: every response body fails
// with a *TooLargeError past the limit (at once when Content-Length
// announces more), and redirects are refused, or with FollowRedirects
// followed only to the same host and port.
func (p Policy) HTTPClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	base := out.Transport
	if lt, ok := base.(*limitTransport); ok {
		base = lt.base // re-applying a policy replaces the old one
	}
	if base == nil {
		base = newTransport()
	}
	out.Transport = &limitTransport{base: base, limit: p.Limit()}
	out.CheckRedirect = checkRedirect(p.FollowRedirects)
	return &out
}

// Guarded returns c when it already applies a Policy, else c with the
// default policy. Sources call it on the client they are given, so no
// HTTP source reads without a limit.
func Guarded(c *http.Client) *http.Client {
	if c != nil {
		if _, ok := c.Transport.(*limitTransport); ok {
			return c
		}
	}
	return Policy{}.HTTPClient(c)
}

// ShareLimit returns a copy of c, a client from Policy.HTTPClient or
// Guarded, whose responses together may carry at most c's limit. A source
// that sends several requests in parallel during one poll (Prometheus's
// queries) makes one per poll, so a poll costs at most about the limit,
// not the limit times the queries in flight.
func ShareLimit(c *http.Client) *http.Client {
	c = Guarded(c)
	lt := c.Transport.(*limitTransport)
	out := *c
	shared := &limitTransport{base: lt.base, limit: lt.limit, budget: new(atomic.Int64)}
	shared.budget.Store(lt.limit)
	out.Transport = shared
	return &out
}

// newTransport returns a private copy of the default transport, so a
// source's connections and settings are its own.
func newTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment}
}

// checkRedirect is the policy's redirect rule. The message says where the
// redirect pointed (credentials removed) and how to allow it.
func checkRedirect(follow bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		to := RedactURL(req.URL.String())
		if !follow {
			return fmt.Errorf("redirected to %s (not followed; set follow_redirects: true for this source to allow same-host redirects)", to)
		}
		if from := via[0].URL; req.URL.Host != from.Host || req.URL.Scheme != from.Scheme {
			return fmt.Errorf("redirected to %s, another host than %s (not followed: follow_redirects allows same-host redirects only)", to, RedactURL(from.Scheme+"://"+from.Host))
		}
		if len(via) > maxRedirects {
			return fmt.Errorf("redirected to %s: more than %d redirects, not followed", to, maxRedirects)
		}
		return nil
	}
}

// limitTransport limits every response body it returns to limit bytes;
// with a budget, all of them together.
type limitTransport struct {
	base   http.RoundTripper
	limit  int64
	budget *atomic.Int64 // bytes left for all responses; nil: per response
}

// RoundTrip sends req through the base transport and wraps the body.
func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	lb := &limitedBody{rc: resp.Body, limit: t.limit, budget: t.budget}
	if t.budget == nil {
		lb.own.Store(t.limit)
		lb.budget = &lb.own
	}
	if resp.ContentLength > t.limit || resp.ContentLength > lb.budget.Load() {
		lb.budget.Store(-1) // announced too large: fail before reading a byte
	}
	resp.Body = lb
	return resp, nil
}

// limitedBody fails with a *TooLargeError once its budget is spent.
type limitedBody struct {
	rc     io.ReadCloser
	limit  int64
	budget *atomic.Int64
	own    atomic.Int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	left := b.budget.Load()
	if left < 0 {
		return 0, &TooLargeError{Limit: b.limit}
	}
	if int64(len(p)) > left+1 {
		p = p[:left+1]
	}
	n, err := b.rc.Read(p)
	if after := b.budget.Add(-int64(n)); after < 0 {
		b.budget.Store(-1)
		return max(0, n+int(after)), &TooLargeError{Limit: b.limit}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// ClientLimit is the byte limit a client from Policy.HTTPClient, Guarded
// or ShareLimit applies to one response; DefaultMaxResponseBytes for any
// other client.
func ClientLimit(c *http.Client) int64 {
	if c != nil {
		if lt, ok := c.Transport.(*limitTransport); ok {
			return lt.limit
		}
	}
	return DefaultMaxResponseBytes
}
