// Package nginx reads NGINX: the NGINX Plus REST API (per-peer upstream
// state, with drain, down and weight actions) or open-source NGINX's
// stub_status page (connection counts only). One Source serves both; the
// first poll detects which one the URL points at.
package nginx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// mode is what the URL was found to be.
type mode uint8

// The detected modes. modeUnknown means not detected yet (or detection
// was reset by a 404).
const (
	modeUnknown mode = iota
	modePlus
	modeOSS
)

// String names the mode for messages.
func (m mode) String() string {
	switch m {
	case modeUnknown:
		return "undetected"
	case modePlus:
		return "NGINX Plus API"
	case modeOSS:
		return "open-source NGINX stub_status"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Limits on bodies read. An upstreams map (a Plus map of 100k peers is
// about 100 MiB) is bounded by the client's byte limit (sources.Policy);
// everything else is small.
const (
	maxBody      = -1 // the client's limit
	maxSmallBody = 1 << 20
	maxErrorBody = 64 << 10 // an error reply: NGINX's JSON is a few hundred bytes
)

// Source reads one NGINX instance. It is safe for concurrent use: Poll
// and actions may run at the same time.
type Source struct {
	name     string
	base     *url.URL // the configured URL, userinfo included (the transport uses it)
	endpoint string   // the URL as shown in errors: no userinfo, no query
	client   *http.Client

	mu      sync.Mutex
	mode    mode
	version int // Plus API version, when mode is modePlus
}

// New returns a source named name for rawURL, either an NGINX Plus API
// root (http://lb1:8080/api) or a stub_status location
// (http://lb1/nginx_status). client carries TLS and authentication (built
// from prometheus/common's HTTPClientConfig by the caller) and the
// source's sources.Policy (byte limit, redirects); a client without a
// policy gets the default one, and nil a private default client. An
// unparsable URL is reported by every Poll.
func New(name, rawURL string, client *http.Client) *Source {
	s := &Source{name: name, client: sources.Guarded(client)}
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err == nil && (u.Scheme == "" || u.Host == "") {
		err = errors.New("want scheme://host[:port]/path")
	}
	// Never echo the raw URL: it may hold a password.
	s.endpoint = sources.RedactURL(strings.TrimRight(rawURL, "/"))
	if err != nil {
		return s
	}
	s.base = u
	return s
}

// Name returns the source's unique name.
func (s *Source) Name() string { return s.name }

// Kind is model.KindNGINX.
func (s *Source) Kind() model.Kind { return model.KindNGINX }

// detected returns the cached detection.
func (s *Source) detected() (mode, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode, s.version
}

func (s *Source) setDetected(m mode, v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.version = m, v
}

// Poll reads the instance once. The first poll detects Plus or OSS and
// caches it; a 404 on a later poll clears the cache and detects again
// (NGINX was reconfigured or replaced), at most once per poll.
func (s *Source) Poll(ctx context.Context) (model.Snapshot, error) {
	if s.base == nil {
		return model.Snapshot{}, fmt.Errorf("nginx %s: source %q: the URL does not parse; want scheme://host[:port]/path", s.endpoint, s.name)
	}
	m, v := s.detected()
	fresh := false
	var body []byte
	if m == modeUnknown {
		var err error
		if m, v, body, err = s.detect(ctx); err != nil {
			return model.Snapshot{}, err
		}
		fresh = true
	}
	snap, err := s.pollMode(ctx, m, v, body)
	if err != nil && !fresh && isNotFound(err) {
		s.setDetected(modeUnknown, 0)
		if m, v, body, err = s.detect(ctx); err != nil {
			return model.Snapshot{}, err
		}
		return s.pollMode(ctx, m, v, body)
	}
	return snap, err
}

// pollMode polls in a known mode; body, when set, is the stub_status page
// detection already fetched.
func (s *Source) pollMode(ctx context.Context, m mode, v int, body []byte) (model.Snapshot, error) {
	if m == modeOSS {
		return s.pollOSS(ctx, body)
	}
	return s.pollPlus(ctx, v)
}

// detect fetches the URL and decides by the body: a JSON array of
// versions is the Plus API root, "Active connections:" is stub_status.
// It returns the stub_status body so the first OSS poll needs no second
// request.
func (s *Source) detect(ctx context.Context) (mode, int, []byte, error) {
	body, err := s.get(ctx, s.base.EscapedPath(), maxSmallBody)
	if err != nil {
		return modeUnknown, 0, nil, err
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(trimmed, []byte("[")):
		v, err := parseVersions(trimmed)
		if err != nil {
			return modeUnknown, 0, nil, fmt.Errorf("nginx %s: %w", s.endpoint, err)
		}
		s.setDetected(modePlus, v)
		return modePlus, v, nil, nil
	case looksLikeStubStatus(trimmed):
		s.setDetected(modeOSS, 0)
		return modeOSS, 0, body, nil
	}
	return modeUnknown, 0, nil, fmt.Errorf("nginx %s: neither an NGINX Plus API root (a JSON array of versions) nor a stub_status page; the body starts %q", s.endpoint, sources.Snippet(trimmed[:min(len(trimmed), 60)]))
}

// statusError is a non-2xx answer from NGINX that carried no NGINX error
// body (a proxy's page, or OSS).
type statusError struct {
	status int
	text   string
}

func (e *statusError) Error() string {
	msg := strconv.Itoa(e.status) + " " + http.StatusText(e.status)
	if e.text != "" {
		msg += ": " + e.text
	}
	return msg
}

// isNotFound reports a 404 from NGINX, with or without an error body.
func isNotFound(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusNotFound
	}
	var se *statusError
	return errors.As(err, &se) && se.status == http.StatusNotFound
}

// requestError wraps a failure of one request with the endpoint, method
// and path, never the credentials: "nginx http://lb1:8080/api: PATCH
// /api/9/http/upstreams/b/servers/3: 405 MethodDisabled: method disabled".
type requestError struct {
	endpoint, method, path string
	err                    error
}

func (e *requestError) Error() string {
	return "nginx " + e.endpoint + ": " + e.method + " " + e.path + ": " + e.err.Error()
}

func (e *requestError) Unwrap() error { return e.err }

// get fetches path on the instance and returns the body of a 2xx, at most
// limit bytes (a negative limit: the client's byte limit). The buffer is
// sized from Content-Length when NGINX sends one, so a large upstreams map
// is read without repeated growing and copying.
func (s *Source) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	if limit < 0 {
		limit = sources.ClientLimit(s.client)
	}
	var out []byte
	err := s.do(ctx, http.MethodGet, path, nil, func(r io.Reader, size int64) error {
		var err error
		out, err = sources.ReadAll(r, nil, size, limit)
		return err
	})
	return out, err
}

// do sends one request and hands a 2xx body to read. Errors name the
// endpoint, method and path; NGINX's error JSON is surfaced verbatim.
func (s *Source) do(ctx context.Context, method, path string, body []byte, read func(r io.Reader, size int64) error) error {
	u := *s.base
	wrap := func(err error) error {
		return &requestError{endpoint: s.endpoint, method: method, path: path, err: err}
	}
	var err error
	// path is already escaped (apiPath); keep it byte for byte.
	u.RawPath = path
	if u.Path, err = url.PathUnescape(path); err != nil {
		return wrap(errors.New("bad path"))
	}
	u.RawQuery, u.Fragment = "", ""
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return wrap(errors.New("cannot build request"))
	}
	req.Header.Set("Accept", "application/json, text/plain")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// url.Error repeats the URL, username included; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return wrap(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if ae, ok := parseAPIError(b, resp.StatusCode); ok {
			ae.Code, ae.Text = sources.SnippetString(ae.Code), sources.SnippetString(ae.Text)
			ae.RequestID = sources.SnippetString(ae.RequestID)
			return wrap(ae)
		}
		return wrap(&statusError{status: resp.StatusCode, text: sources.Snippet(b)})
	}
	if read == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSmallBody))
		return nil
	}
	if err := read(resp.Body, resp.ContentLength); err != nil {
		return wrap(err)
	}
	return nil
}

// apiPath joins the API root, the version and the parts, escaping each
// part (upstream names are free text).
func (s *Source) apiPath(version int, parts ...string) string {
	var b strings.Builder
	b.WriteString(s.base.EscapedPath())
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(version))
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}
