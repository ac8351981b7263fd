package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// NGINX Plus API emulation: GET /api/ (versions), /api/N/ (endpoints),
// /api/N/nginx, /api/N/{http,stream}/upstreams[/{name}[/servers[/{id}]]],
// and PATCH …/servers/{id} with drain, down, weight and the other
// writable server parameters, as with `api write=on`.

// Identity of the emulated NGINX Plus.
const (
	ngxVersion    = "1.27.4"
	ngxBuild      = "nginx-plus-r34-lbtop-demo"
	ngxAPIVersion = 9
	ngxErrorHref  = "https://nginx.org/en/docs/http/ngx_http_api_module.html"
	ngxMaxWeight  = 1000000
	ngxMaxBody    = 64 << 10
)

// nginxServer emulates the NGINX Plus REST API.
type nginxServer struct {
	sim *sim
	st  *ngxState
	httpAPI
}

func newNGINXServer(s *sim, st *ngxState, ln net.Listener) *nginxServer {
	x := &nginxServer{sim: s, st: st}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", x.api)
	mux.HandleFunc("/api", x.api)
	mux.HandleFunc("/", x.index)
	x.httpAPI = newHTTPAPI("NGINX Plus API server", ln, mux)
	return x
}

func (x *nginxServer) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "nginx/"+ngxVersion)
	if r.URL.Path != "/" {
		writeText(w, http.StatusNotFound, "404 Not Found\n")
		return
	}
	writeText(w, http.StatusOK, "NGINX Plus (simulated by lbtop --demo). The API is at /api/.\n")
}

// apiError is an NGINX error body's error object.
type apiError struct {
	Status int    `json:"status"`
	Text   string `json:"text"`
	Code   string `json:"code"`
}

// Errors used in more than one place (functions, so the package holds no
// mutable values).
func errPathNotFound() apiError {
	return apiError{http.StatusNotFound, "path not found", "PathNotFound"}
}

func errUnknownVersion() apiError {
	return apiError{http.StatusNotFound, "unknown version", "UnknownVersion"}
}

func errUpstreamMissing() apiError {
	return apiError{http.StatusNotFound, "upstream not found", "UpstreamNotFound"}
}

func errMethodDisabled() apiError {
	return apiError{http.StatusMethodNotAllowed, "method disabled", "MethodDisabled"}
}

// requestID is a $request_id: 32 hex digits, unique per request.
func (x *nginxServer) requestID() string {
	x.sim.mu.Lock()
	x.st.reqSeq++
	n := x.st.reqSeq
	x.sim.mu.Unlock()
	h := n * 0x9e3779b97f4a7c15
	return fmt.Sprintf("%016x%016x", h^0x5bd1e9955bd1e995, h>>7|n<<57)
}

func (x *nginxServer) writeError(w http.ResponseWriter, e apiError) {
	body := struct {
		Error     apiError `json:"error"`
		RequestID string   `json:"request_id"`
		Href      string   `json:"href"`
	}{e, x.requestID(), ngxErrorHref}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(append(b, '\n'))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeText(w, http.StatusInternalServerError, "demo: encode JSON: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// api routes /api/… by path segment.
func (x *nginxServer) api(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "nginx/"+ngxVersion)
	var segs []string
	for _, s := range strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api"), "/") {
		if s == "" {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil {
			x.writeError(w, errPathNotFound())
			return
		}
		segs = append(segs, u)
	}
	write := len(segs) == 6 && segs[4] == "servers" && r.Method == http.MethodPatch
	if !write && r.Method != http.MethodGet && r.Method != http.MethodHead {
		x.writeError(w, errMethodDisabled())
		return
	}
	if len(segs) == 0 {
		vs := make([]int, ngxAPIVersion)
		for i := range vs {
			vs[i] = i + 1
		}
		writeJSON(w, http.StatusOK, vs)
		return
	}
	v, err := strconv.Atoi(segs[0])
	if err != nil || v < 1 || v > ngxAPIVersion || segs[0] != strconv.Itoa(v) {
		x.writeError(w, errUnknownVersion())
		return
	}
	segs = segs[1:]
	switch {
	case len(segs) == 0:
		writeJSON(w, http.StatusOK, []string{"nginx", "processes", "connections", "slabs", "http", "stream", "resolvers", "ssl", "workers"})
	case len(segs) == 1 && segs[0] == "nginx":
		x.info(w)
	case len(segs) == 1 && segs[0] == "http":
		writeJSON(w, http.StatusOK, []string{"requests", "server_zones", "location_zones", "caches", "limit_conns", "limit_reqs", "keyvals", "upstreams"})
	case len(segs) == 1 && segs[0] == "stream":
		writeJSON(w, http.StatusOK, []string{"server_zones", "limit_conns", "keyvals", "upstreams", "zone_sync"})
	case len(segs) >= 2 && (segs[0] == "http" || segs[0] == "stream") && segs[1] == "upstreams":
		x.upstreams(w, r, segs[0], segs[2:])
	default:
		x.writeError(w, errPathNotFound())
	}
}

// info answers /api/N/nginx.
func (x *nginxServer) info(w http.ResponseWriter) {
	x.sim.mu.Lock()
	up := x.sim.now() + 86400
	x.sim.mu.Unlock()
	now := time.Now().UTC()
	writeJSON(w, http.StatusOK, struct {
		Version       string `json:"version"`
		Build         string `json:"build"`
		Address       string `json:"address"`
		Generation    int    `json:"generation"`
		LoadTimestamp string `json:"load_timestamp"`
		Timestamp     string `json:"timestamp"`
		PID           int    `json:"pid"`
		PPID          int    `json:"ppid"`
	}{ngxVersion, ngxBuild, "127.0.0.1", 3, apiTimestamp(now.Add(-time.Duration(up * float64(time.Second)))), apiTimestamp(now), 2171, 2170})
}

// apiTimestamp renders ISO 8601 with milliseconds, as NGINX does.
func apiTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// upstreams serves everything under /api/N/{module}/upstreams; rest is
// what follows "upstreams".
func (x *nginxServer) upstreams(w http.ResponseWriter, r *http.Request, module string, rest []string) {
	x.sim.mu.Lock()
	if len(rest) == 0 {
		out := make(map[string]any, len(x.st.ups))
		for _, u := range x.st.ups {
			if u.spec.stream == (module == "stream") {
				out[u.spec.name] = u.status(x.sim)
			}
		}
		x.sim.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	}
	u := x.st.upstream(module, rest[0])
	if u == nil {
		x.sim.mu.Unlock()
		x.writeError(w, errUpstreamMissing())
		return
	}
	switch {
	case len(rest) == 1:
		v := u.status(x.sim)
		x.sim.mu.Unlock()
		writeJSON(w, http.StatusOK, v)
	case rest[1] == "servers" && len(rest) == 2:
		list := make([]confServer, len(u.peers))
		for i, p := range u.peers {
			list[i] = p.conf(u.spec.stream)
		}
		x.sim.mu.Unlock()
		writeJSON(w, http.StatusOK, list)
	case rest[1] == "servers" && len(rest) == 3:
		x.sim.mu.Unlock()
		x.server(w, r, u, rest[2])
	default:
		x.sim.mu.Unlock()
		x.writeError(w, errPathNotFound())
	}
}

// server answers GET and PATCH on …/servers/{id}.
func (x *nginxServer) server(w http.ResponseWriter, r *http.Request, u *ngxUpstream, rawID string) {
	id, err := strconv.Atoi(rawID)
	if err != nil || id < 0 {
		x.writeError(w, apiError{http.StatusBadRequest, "invalid server ID", "UpstreamBadServerId"})
		return
	}
	var body []byte
	if r.Method == http.MethodPatch {
		body, err = io.ReadAll(io.LimitReader(r.Body, ngxMaxBody+1))
		if err != nil || len(body) > ngxMaxBody {
			x.writeError(w, apiError{http.StatusBadRequest, "reading request body failed", "BodyReadError"})
			return
		}
	}
	x.sim.mu.Lock()
	p := u.peer(id)
	if p == nil {
		x.sim.mu.Unlock()
		x.writeError(w, apiError{http.StatusNotFound, fmt.Sprintf("server with ID %q does not exist", rawID), "UpstreamServerNotFound"})
		return
	}
	if body != nil {
		if e, ok := p.patch(body, u.spec.stream); !ok {
			x.sim.mu.Unlock()
			x.writeError(w, e)
			return
		}
	}
	c := p.conf(u.spec.stream)
	x.sim.mu.Unlock()
	writeJSON(w, http.StatusOK, c)
}

// confServer is a server's configuration (NginxHTTPUpstreamConfServer);
// stream servers have no route and no drain.
type confServer struct {
	ID          int     `json:"id"`
	Server      string  `json:"server"`
	Weight      int     `json:"weight"`
	MaxConns    int     `json:"max_conns"`
	MaxFails    int     `json:"max_fails"`
	FailTimeout string  `json:"fail_timeout"`
	SlowStart   string  `json:"slow_start"`
	Route       *string `json:"route,omitempty"`
	Backup      bool    `json:"backup"`
	Down        bool    `json:"down"`
	Drain       bool    `json:"drain,omitempty"`
}

func (p *ngxPeer) conf(stream bool) confServer {
	c := confServer{
		ID: p.id, Server: p.server, Weight: p.weight, MaxConns: p.maxConns, MaxFails: p.maxFails,
		FailTimeout: p.failTimeout, SlowStart: p.slowStart, Backup: p.backup,
		Down: p.admin == ngxAdminDown, Drain: p.admin == ngxAdminDrain,
	}
	if !stream {
		route := p.route
		c.Route = &route
	}
	return c
}

// patch applies a PATCH body: every parameter is checked before any is
// applied, so a bad body changes nothing.
func (p *ngxPeer) patch(body []byte, stream bool) (apiError, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return apiError{http.StatusUnsupportedMediaType, "json error", "JsonError"}, false
	}
	bad := func(name string) (apiError, bool) {
		return apiError{http.StatusBadRequest, fmt.Sprintf("invalid %q value", name), "UpstreamConfFormatError"}, false
	}
	next := *p
	for name, raw := range fields {
		if t := bytes.TrimSpace(raw); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			return apiError{http.StatusBadRequest, "nested object or list", "UpstreamConfFormatError"}, false
		}
		var (
			b   bool
			n   int
			s   string
			err error
		)
		switch name {
		case "down", "drain", "backup":
			err = json.Unmarshal(raw, &b)
		case "weight", "max_conns", "max_fails", "id":
			err = json.Unmarshal(raw, &n)
		case "server", "fail_timeout", "slow_start", "route", "service":
			err = json.Unmarshal(raw, &s)
		default:
			return apiError{http.StatusBadRequest, fmt.Sprintf("unknown parameter %q", name), "UpstreamConfFormatError"}, false
		}
		if err != nil {
			return bad(name)
		}
		switch name {
		case "down":
			switch {
			case b:
				next.admin = ngxAdminDown
			case next.admin != ngxAdminNone:
				next.admin = ngxAdminNone
			}
		case "drain":
			if stream {
				return apiError{http.StatusBadRequest, `unknown parameter "drain"`, "UpstreamConfFormatError"}, false
			}
			if b && next.admin == ngxAdminNone {
				next.admin = ngxAdminDrain
			} else if !b && next.admin == ngxAdminDrain {
				next.admin = ngxAdminNone
			}
		case "weight":
			if n < 1 || n > ngxMaxWeight {
				return apiError{http.StatusBadRequest, `invalid "weight"`, "UpstreamBadWeight"}, false
			}
			next.weight = n
		case "max_conns":
			if n < 0 {
				return apiError{http.StatusBadRequest, `invalid "max_conns"`, "UpstreamBadMaxConns"}, false
			}
			next.maxConns = n
		case "max_fails":
			if n < 0 {
				return apiError{http.StatusBadRequest, `invalid "max_fails"`, "UpstreamBadMaxFails"}, false
			}
			next.maxFails = n
		case "fail_timeout", "slow_start":
			if _, err := time.ParseDuration(s); err != nil {
				if name == "fail_timeout" {
					return apiError{http.StatusBadRequest, `invalid "fail_timeout"`, "UpstreamBadFailTimeout"}, false
				}
				return apiError{http.StatusBadRequest, `invalid "slow_start"`, "UpstreamBadSlowStart"}, false
			}
			if name == "fail_timeout" {
				next.failTimeout = s
			} else {
				next.slowStart = s
			}
		case "route":
			if stream {
				return apiError{http.StatusBadRequest, `unknown parameter "route"`, "UpstreamConfFormatError"}, false
			}
			if len(s) > 32 {
				return apiError{http.StatusBadRequest, `"route" is too long`, "UpstreamBadRoute"}, false
			}
			next.route = s
		case "server":
			if s != p.server {
				return apiError{http.StatusBadRequest, fmt.Sprintf("server %q address is immutable", strconv.Itoa(p.id)), "UpstreamServerImmutable"}, false
			}
		case "id", "backup", "service":
			if (name == "id" && n != p.id) || (name == "backup" && b != p.backup) || name == "service" {
				return bad(name)
			}
		}
	}
	if next.admin != p.admin && next.admin == ngxAdminNone {
		next.removeLeft = 0 // an operator's undrain cancels a deploy's removal
	}
	*p = next
	return apiError{}, true
}
