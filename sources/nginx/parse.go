package nginx

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// Pure parsing of the NGINX wire formats: the Plus API's version list,
// upstream maps, server configurations and error bodies, and the OSS
// stub_status page. Nothing here does I/O beyond reading the given bytes.

// minVersion and maxVersion bound the NGINX Plus API versions this source
// speaks: 6 is the first with the upstream layout read here, 9 the newest
// documented one.
const (
	minVersion = 6
	maxVersion = 9
)

// parseVersions reads the API root's body, a JSON array of version
// numbers such as [1,2,3,4,5,6,7,8,9], and returns the highest one lbtop
// supports. A JSON array of strings means the URL already names a
// version (…/api/9 lists endpoints), which gets its own advice.
func parseVersions(body []byte) (int, error) {
	var vs []int
	if err := json.Unmarshal(body, &vs); err != nil {
		var names []string
		if json.Unmarshal(body, &names) == nil {
			return 0, fmt.Errorf("the URL lists API endpoints %v, not versions: give the API root (e.g. http://host:8080/api), not a versioned path", names)
		}
		return 0, fmt.Errorf("API root: not a JSON array of versions: %w", err)
	}
	best := 0
	for _, v := range vs {
		if v >= minVersion && v <= maxVersion && v > best {
			best = v
		}
	}
	if best == 0 {
		return 0, fmt.Errorf("API versions %v offered, none of %d–%d that lbtop supports", vs, minVersion, maxVersion)
	}
	return best, nil
}

// peer is one upstream server's status as the Plus API reports it, for
// both http and stream upstreams (stream peers have connections instead
// of requests and responses). Fields lbtop does not show are left out so
// the decoder skips them.
type peer struct {
	ID           int           `json:"id"`
	Server       string        `json:"server"`
	Name         string        `json:"name"`
	Backup       bool          `json:"backup"`
	Weight       int           `json:"weight"`
	State        string        `json:"state"`
	Active       int64         `json:"active"`
	Requests     uint64        `json:"requests"`
	Connections  uint64        `json:"connections"`
	Responses    responses     `json:"responses"`
	Fails        uint64        `json:"fails"`
	Unavail      uint64        `json:"unavail"`
	HealthChecks *healthChecks `json:"health_checks"`
	Downtime     uint64        `json:"downtime"` // milliseconds
	Downstart    apiTime       `json:"downstart"`
	MaxConns     int64         `json:"max_conns"` // present when configured
}

type responses struct {
	Code5xx uint64 `json:"5xx"`
}

// healthChecks is present only when the upstream has an active
// health_check.
type healthChecks struct {
	Checks     uint64 `json:"checks"`
	Fails      uint64 `json:"fails"`
	Unhealthy  uint64 `json:"unhealthy"`
	LastPassed *bool  `json:"last_passed"` // absent until the first check
}

// upstream is one group from GET /api/N/{http,stream}/upstreams.
type upstream struct {
	Peers   []peer `json:"peers"`
	Zone    string `json:"zone"`
	Zombies int    `json:"zombies"`
}

// namedUpstream is an upstream with its name, in name order.
type namedUpstream struct {
	Name string
	upstream
}

// parseUpstreams decodes a map of upstream name to status and returns the
// upstreams sorted by name, so snapshots do not depend on map order. An
// empty body or "{}" is no upstreams. It takes the whole body rather than
// a reader: goccy's Unmarshal on a byte slice is about twice as fast as
// its stream decoder on this payload (bench_test.go).
func parseUpstreams(body []byte) ([]namedUpstream, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var m map[string]upstream
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("upstreams: %w", err)
	}
	out := make([]namedUpstream, 0, len(m))
	for name, u := range m {
		out = append(out, namedUpstream{Name: name, upstream: u})
	}
	slices.SortFunc(out, func(a, b namedUpstream) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// apiTime is a Plus API timestamp: an ISO 8601 string with milliseconds
// in current versions ("2022-06-28T11:09:21.602Z"), milliseconds since
// the epoch as a number in older ones. The zero value means absent.
type apiTime struct{ time.Time }

// UnmarshalJSON accepts both encodings and null.
func (t *apiTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return fmt.Errorf("timestamp %s: %w", b, err)
		}
		if s == "" {
			return nil
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %q: %w", s, err)
		}
		t.Time = v
	default:
		ms, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("timestamp %s: not a string or milliseconds: %w", b, err)
		}
		if ms > 0 {
			t.Time = time.UnixMilli(ms).UTC()
		}
	}
	return nil
}

// confServer is one entry of GET /api/N/{http,stream}/upstreams/{name}/servers:
// the server's configuration, with the id actions address it by.
type confServer struct {
	ID     int    `json:"id"`
	Server string `json:"server"`
	Drain  bool   `json:"drain"`
	Down   bool   `json:"down"`
	Backup bool   `json:"backup"`
}

// parseServers decodes a servers list.
func parseServers(body []byte) ([]confServer, error) {
	var out []confServer
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("servers list: %w", err)
	}
	return out, nil
}

// APIError is an NGINX Plus API error response:
// {"error":{"status":405,"text":"method disabled","code":"MethodDisabled"},"request_id":"…","href":"…"}.
// It is shown to the user as NGINX wrote it.
type APIError struct {
	Status    int    // HTTP status NGINX put in the body
	Code      string // NGINX's error code, e.g. "MethodDisabled"
	Text      string // NGINX's message, e.g. "method disabled"
	RequestID string // NGINX's $request_id, for its logs
}

// Error renders the status, code and text: "405 MethodDisabled: method disabled".
func (e *APIError) Error() string {
	s := strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// parseAPIError reads an error body; ok is false when the body is not an
// NGINX error object (a proxy in between, a plain-text page).
func parseAPIError(body []byte, httpStatus int) (*APIError, bool) {
	var v struct {
		Error *struct {
			Status int    `json:"status"`
			Text   string `json:"text"`
			Code   string `json:"code"`
		} `json:"error"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(body, &v) != nil || v.Error == nil || (v.Error.Code == "" && v.Error.Text == "") {
		return nil, false
	}
	e := &APIError{Status: v.Error.Status, Code: v.Error.Code, Text: v.Error.Text, RequestID: v.RequestID}
	if e.Status == 0 {
		e.Status = httpStatus
	}
	return e, true
}

// stubStatus is the OSS stub_status page's figures.
type stubStatus struct {
	Active, Accepts, Handled, Requests, Reading, Writing, Waiting uint64
}

// stubStatusPrefix starts every stub_status body; detection looks for it.
const stubStatusPrefix = "Active connections:"

// looksLikeStubStatus reports whether a body is a stub_status page.
func looksLikeStubStatus(body []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte(stubStatusPrefix))
}

// parseStubStatus reads the four-line stub_status body:
//
//	Active connections: 291
//	server accepts handled requests
//	 16630948 16630948 31070465
//	Reading: 6 Writing: 179 Waiting: 106
func parseStubStatus(r io.Reader) (stubStatus, error) {
	var st stubStatus
	sc := bufio.NewScanner(r)
	var lines []string
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("stub_status: %w", err)
	}
	if len(lines) < 4 {
		return st, fmt.Errorf("stub_status: %d lines, want 4", len(lines))
	}
	if err := scanLine(lines[0], "Active connections: #", &st.Active); err != nil {
		return st, err
	}
	if err := scanLine(lines[1], "server accepts handled requests"); err != nil {
		return st, err
	}
	if err := scanLine(lines[2], "# # #", &st.Accepts, &st.Handled, &st.Requests); err != nil {
		return st, err
	}
	if err := scanLine(lines[3], "Reading: # Writing: # Waiting: #", &st.Reading, &st.Writing, &st.Waiting); err != nil {
		return st, err
	}
	return st, nil
}

// scanLine matches one stub_status line word by word against pattern,
// where each "#" is a number stored, in order, into dst.
func scanLine(line, pattern string, dst ...*uint64) error {
	got, want := strings.Fields(line), strings.Fields(pattern)
	bad := func() error { return fmt.Errorf("stub_status: line %q does not match %q", line, pattern) }
	if len(got) != len(want) {
		return bad()
	}
	for i, w := range want {
		if w != "#" {
			if got[i] != w {
				return bad()
			}
			continue
		}
		v, err := strconv.ParseUint(got[i], 10, 64)
		if err != nil || len(dst) == 0 {
			return bad()
		}
		*dst[0] = v
		dst = dst[1:]
	}
	return nil
}
