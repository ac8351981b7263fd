// Package faulttest runs misbehaving stand-ins of every system lbtop polls
// over HTTP or TCP (HAProxy's runtime API, Envoy's admin API, the NGINX
// Plus API, NGINX stub_status and the Prometheus HTTP API) on loopback, so
// tests can hold the sources to their reading policy: bounded time,
// bounded memory, short and safe error text, no panic. The fault matrix
// itself is in this package's tests; testdata/standin runs one stand-in
// from the command line for measuring lbtop by hand.
//
// It imports no testing code and is meant only for tests and measurements.
package faulttest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is the system a stand-in imitates.
type Kind string

// The kinds of stand-in, one per wire format lbtop reads.
const (
	HAProxy    Kind = "haproxy"    // runtime API on TCP: `show stat` CSV
	Envoy      Kind = "envoy"      // admin /clusters?format=json
	NGINXPlus  Kind = "nginx-plus" // Plus API root and /api/9/{http,stream}/upstreams
	NGINXStub  Kind = "nginx-stub" // open-source stub_status page
	Prometheus Kind = "prometheus" // /api/v1/query
)

// Kinds lists every kind, in a fixed order.
func Kinds() []Kind { return []Kind{HAProxy, Envoy, NGINXPlus, NGINXStub, Prometheus} }

// Fault is how a stand-in misbehaves.
type Fault string

// The faults. Good is a well-formed reply; Flapping is Good until SetDown.
const (
	Good        Fault = "good"
	Refused     Fault = "refused"       // nothing listens on the port
	Hang        Fault = "hang"          // accepts, reads the request, never answers
	Slow        Fault = "slow"          // the good reply, one byte every SlowEvery
	Garbage     Fault = "garbage"       // binary noise with control bytes
	HTML        Fault = "html"          // a proxy's HTML error page, status 200
	Truncated   Fault = "truncated"     // half the good reply, then the connection closes
	WrongTypes  Fault = "wrong-types"   // well-formed, but strings where numbers go
	BadNumbers  Fault = "bad-numbers"   // NaN, huge and negative numbers
	NameEscapes Fault = "name-escapes"  // terminal escape sequences in names
	ErrEscapes  Fault = "error-escapes" // an error reply whose text carries escape sequences
	Oversized   Fault = "oversized"     // OversizedBytes of well-formed-looking data, streamed
	Endless     Fault = "endless"       // bytes without end and without a newline
	LongError   Fault = "long-error"    // an error reply of OversizedBytes on one line
	Flapping    Fault = "flapping"      // Good, or connections cut while SetDown(true)
	Status401   Fault = "401"
	Status403   Fault = "403"
	Status404   Fault = "404"
	Status500   Fault = "500"
	Redirect    Fault = "redirect"           // 302 to another host (127.0.0.2) serving good data
	SameHost    Fault = "same-host-redirect" // 302 to another path of the same server, serving good data
)

// Faults lists every fault but Good, in a fixed order.
func Faults() []Fault {
	return []Fault{Refused, Hang, Slow, Garbage, HTML, Truncated, WrongTypes, BadNumbers, NameEscapes,
		ErrEscapes, Oversized, Endless, LongError, Flapping, Status401, Status403, Status404, Status500, Redirect, SameHost}
}

// Applies reports whether a fault makes sense for a kind: the runtime API
// has no statuses 404/500 or redirects (401/403 and 404 become HAProxy's
// own "Permission denied." and "Unknown command." replies).
func Applies(k Kind, f Fault) bool {
	if k == HAProxy {
		return f != Status500 && f != Redirect && f != SameHost
	}
	return true
}

// Options tune a stand-in; zero values take the defaults.
type Options struct {
	OversizedBytes int64         // size of an Oversized reply; 200 MB when zero
	SlowEvery      time.Duration // pause between bytes of a Slow reply; 0.5 s when zero
}

// Server is a running stand-in.
type Server struct {
	kind  Kind
	fault Fault
	opts  Options
	addr  string // host:port for HAProxy, a URL otherwise

	ln    net.Listener
	http  *http.Server
	other *Server // the other host a Redirect points to
	down  atomic.Bool
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Start runs a stand-in of kind with fault on 127.0.0.1 and a random port.
func Start(kind Kind, fault Fault, opts Options) (*Server, error) {
	return start(kind, fault, opts, "127.0.0.1")
}

func start(kind Kind, fault Fault, opts Options, host string) (*Server, error) {
	if opts.OversizedBytes <= 0 {
		opts.OversizedBytes = 200_000_000
	}
	if opts.SlowEvery <= 0 {
		opts.SlowEvery = 500 * time.Millisecond
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, err
	}
	s := &Server{kind: kind, fault: fault, opts: opts, ln: ln, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	s.addr = ln.Addr().String()
	if kind != HAProxy {
		s.addr = "http://" + s.addr
		if kind == NGINXPlus {
			s.addr += "/api"
		}
		if kind == NGINXStub {
			s.addr += "/nginx_status"
		}
	}
	if fault == Refused {
		_ = ln.Close() // the port was just free: nothing listens on it now
		return s, nil
	}
	if fault == Redirect {
		if s.other, err = start(kind, Good, opts, "127.0.0.2"); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("the redirect's other host: %w", err)
		}
	}
	if kind == HAProxy {
		s.wg.Add(1)
		go s.serveTCP()
		return s, nil
	}
	s.http = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 5 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) { s.track(c, st == http.StateNew) }}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// Addr is what to configure the source with: host:port for HAProxy, a URL
// (with the API root or stub_status path for NGINX) otherwise.
func (s *Server) Addr() string { return s.addr }

// SetDown makes a Flapping stand-in cut every connection (true) or answer
// well again (false).
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// Close stops the stand-in and cuts its connections.
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.done)
		if s.http != nil {
			_ = s.http.Close()
		} else {
			_ = s.ln.Close()
		}
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		if s.other != nil {
			_ = s.other.Close()
		}
	})
	s.wg.Wait()
	return nil
}

func (s *Server) track(c net.Conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.conns[c] = struct{}{}
	}
}

// serveTCP answers the runtime API: one command per connection.
func (s *Server) serveTCP() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.track(c, true)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { _ = c.Close() }()
			cmd, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				return
			}
			s.answerTCP(c, strings.TrimSpace(cmd))
		}()
	}
}

func (s *Server) answerTCP(c net.Conn, cmd string) {
	if cmd != "show stat" {
		_, _ = io.WriteString(c, "\n") // `show servers state` and the rest: nothing to say
		return
	}
	switch s.fault {
	case Hang:
		<-s.done
	case Status401, Status403:
		_, _ = io.WriteString(c, "Permission denied.\n\n")
	case Status404:
		_, _ = io.WriteString(c, "Unknown command: 'show stat', but maybe one of the following:\n  help : this message\n\n")
	case ErrEscapes:
		_, _ = io.WriteString(c, "Permission denied.\x1b]2;owned\x07\x1b[2J\u202e\x9b31m\n\n")
	case Flapping:
		if !s.down.Load() {
			_, _ = io.WriteString(c, payload(s.kind, Good))
		}
	default:
		s.write(c, payload(s.kind, s.fault))
	}
}

// serveHTTP answers every HTTP kind.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.fault == SameHost && !strings.HasPrefix(r.URL.Path, "/moved") {
		http.Redirect(w, r, "/moved"+r.URL.RequestURI(), http.StatusFound)
		return
	}
	r.URL.Path = strings.TrimPrefix(r.URL.Path, "/moved")
	switch s.fault {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	case Status401, Status403, Status404, Status500:
		code, _ := strconv.Atoi(string(s.fault))
		s.errorReply(w, code, http.StatusText(code))
		return
	case ErrEscapes:
		s.errorReply(w, http.StatusInternalServerError, "boom \x1b]2;owned\x07\x1b[2J\x1b[5;31mred\u202eevil\x9b31m")
		return
	case LongError:
		w.WriteHeader(http.StatusInternalServerError)
		s.write(w, opening(s.kind, LongError))
		return
	case Redirect:
		http.Redirect(w, r, strings.TrimSuffix(s.other.addr, pathOf(s.kind))+r.URL.RequestURI(), http.StatusFound)
		return
	case Flapping:
		if s.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					_ = c.Close()
				}
			}
			return
		}
	}
	fault := s.fault
	if fault == Flapping || fault == SameHost {
		fault = Good
	}
	body, status, ctype := s.route(r, fault)
	w.Header().Set("Content-Type", ctype)
	if status != http.StatusOK || body == plusVersions {
		w.WriteHeader(status) // the Plus API root and stream upstreams behave
		_, _ = io.WriteString(w, body)
		return
	}
	if fault == Truncated {
		w.Header().Set("Content-Length", strconv.Itoa(len(body))) // and send half
	}
	w.WriteHeader(status)
	s.write(w, body)
}

// plusVersions is the NGINX Plus API root.
const plusVersions = "[1,2,3,4,5,6,7,8,9]"

// pathOf is the path part of a kind's configured address.
func pathOf(k Kind) string {
	switch k {
	case NGINXPlus:
		return "/api"
	case NGINXStub:
		return "/nginx_status"
	}
	return ""
}

// route picks the body of a request: the NGINX Plus API root and its
// stream upstreams answer as a Plus without a stream block would, so a
// fault lands on the upstreams map.
func (s *Server) route(r *http.Request, f Fault) (body string, status int, ctype string) {
	ctype = "application/json"
	switch {
	case s.kind == NGINXPlus && r.URL.Path == "/api":
		return plusVersions, http.StatusOK, ctype
	case s.kind == NGINXPlus && strings.HasSuffix(r.URL.Path, "/stream/upstreams"):
		return `{"error":{"status":404,"text":"unknown key \"stream\"","code":"PathNotFound"},"request_id":"x","href":"https://nginx.org/en/docs/http/ngx_http_api_module.html"}`, http.StatusNotFound, ctype
	case s.kind == NGINXStub:
		ctype = "text/plain"
	}
	if f == HTML {
		ctype = "text/html"
	}
	return payload(s.kind, f), http.StatusOK, ctype
}

// errorReply writes an error in the kind's own format.
func (s *Server) errorReply(w http.ResponseWriter, code int, text string) {
	var body string
	switch s.kind {
	case NGINXPlus:
		body = `{"error":{"status":` + strconv.Itoa(code) + `,"text":` + strconv.Quote(text) + `,"code":"Fault"},"request_id":"x"}`
		w.Header().Set("Content-Type", "application/json")
	case Prometheus:
		body = `{"status":"error","errorType":"internal","error":` + strconv.Quote(text) + `}`
		w.Header().Set("Content-Type", "application/json")
	default:
		body = text + "\n"
		w.Header().Set("Content-Type", "text/plain")
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// write sends body the way the fault wants it: slowly, cut, or followed
// by an oversized or endless stream.
func (s *Server) write(w io.Writer, body string) {
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	switch s.fault {
	case Slow:
		t := time.NewTicker(s.opts.SlowEvery)
		defer t.Stop()
		for i := range len(body) {
			if _, err := io.WriteString(w, body[i:i+1]); err != nil {
				return
			}
			flush()
			select {
			case <-t.C:
			case <-s.done:
				return
			}
		}
	case Truncated:
		_, _ = io.WriteString(w, body[:len(body)/2])
	case Oversized, Endless, LongError:
		_, _ = io.WriteString(w, body)
		chunk := []byte(strings.Repeat(filler(s.kind, s.fault), 64<<10/len(filler(s.kind, s.fault))))
		for sent := int64(len(body)); s.fault == Endless || sent < s.opts.OversizedBytes; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			select {
			case <-s.done:
				return
			default:
			}
		}
	default:
		_, _ = io.WriteString(w, body)
	}
}
