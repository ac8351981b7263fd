package haproxy

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lbtop/lbtop/model"
)

// StatusHealth maps a server `status` exactly as HAProxy prints it to a
// Health and the reason to show, in HAProxy's words. It is the one table
// of every status HAProxy's stats code can print for a server (src/stats.c
// srv_hlt_st plus the MAINT variants); anything else is Unknown with the
// raw status as the reason, never Healthy.
//
// The "N/M" forms are transitions counted by health checks: "UP 1/3" is up
// but failing checks (going down), "DOWN 1/2" is down but passing them
// (going up).
func StatusHealth(status string) (model.Health, string) {
	switch statusForm(status) {
	case "UP":
		return model.Healthy, "UP"
	case "UP N/M":
		return model.Degraded, status + " going down"
	case "DOWN":
		return model.Unhealthy, "DOWN"
	case "DOWN N/M":
		return model.Unhealthy, status + " going up"
	case "DOWN (agent)":
		return model.Unhealthy, "DOWN (agent)"
	case "NOLB": // soft-stopping: a 404 with disable-on-404, or "health stopping"
		return model.Draining, "NOLB"
	case "NOLB N/M":
		return model.Draining, status + " going down"
	case "DRAIN":
		return model.Draining, "DRAIN"
	case "DRAIN N/M":
		return model.Draining, status + " going down"
	case "DRAIN (agent)":
		return model.Draining, "DRAIN (agent)"
	case "MAINT":
		return model.Down, "MAINT"
	case "MAINT (via)": // tracks a server that is in maintenance
		return model.Down, strings.Clone(status)
	case "MAINT (resolution)", "MAINT(resolution)": // DNS resolution failed
		return model.Down, "MAINT (resolution)"
	case "no check":
		return model.Healthy, "no check"
	}
	if status == "" {
		return model.Unknown, "no status"
	}
	return model.Unknown, strings.Clone(status)
}

// statusForm reduces a status to its table key: "UP 1/3" becomes
// "UP N/M" and "MAINT (via be/srv)" becomes "MAINT (via)".
func statusForm(status string) string {
	if strings.HasPrefix(status, "MAINT (via ") || strings.HasPrefix(status, "MAINT(via") {
		return "MAINT (via)"
	}
	head, tail, ok := cutLast(status, ' ')
	if ok && isProgress(tail) {
		switch head {
		case "UP":
			return "UP N/M"
		case "DOWN":
			return "DOWN N/M"
		case "NOLB":
			return "NOLB N/M"
		case "DRAIN":
			return "DRAIN N/M"
		}
	}
	return status
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// isProgress reports whether s looks like "1/3".
func isProgress(s string) bool {
	n, d, ok := strings.Cut(s, "/")
	return ok && allDigits(n) && allDigits(d)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkFailed reports whether check_status names a check that did not
// pass (L7STS, L4CON, L4TOUT, SOCKERR, INI, …): a code that starts with a
// letter and is not one of the OK codes. Anything else (absent, or junk
// in a hand-made dump) adds nothing to the reason.
func checkFailed(cs string) bool {
	switch cs {
	case "", "L4OK", "L6OK", "L7OK", "L7OKC", "PROCOK":
		return false
	}
	return cs[0] >= 'A' && cs[0] <= 'Z'
}

// weightRange is a server's documented weight range: HAProxy scales
// every weight to 0–256.
var weightRange = model.Range{Min: 0, Max: 256}

// Backend maps one server row to a model.Backend. now anchors Since.
// Strings are copied so the result does not pin the CSV line in memory.
func Backend(s *Stat, now time.Time) model.Backend {
	h, reason := StatusHealth(s.Status)
	// A failing check explains a state in between or a failure; a healthy
	// or administratively down server needs no more words.
	if h != model.Healthy && h != model.Down && checkFailed(s.CheckStatus) {
		reason = reason + ": " + checkDetail(s)
	}
	if h.Serving() && s.Weight == 0 {
		// HAProxy sends a weight-0 server no new traffic, whatever its
		// check says: that is a drain.
		h = model.Draining
		if reason == "UP" || reason == "no check" {
			reason = "weight 0"
		} else {
			reason = "weight 0; " + reason
		}
	}
	// One allocation holds both strings; they must not share the CSV
	// line's memory, which would keep every row's text alive.
	both := strings.Clone(s.Name + s.Addr)
	b := model.Backend{
		Name:     both[:len(s.Name)],
		Address:  both[len(s.Name):],
		Health:   h,
		Reason:   reason,
		Weight:   s.Weight,
		Active:   s.Scur,
		Backup:   s.Backup,
		Requests: s.Stot,
		Errors:   s.Hrsp5xx,
		Counters: true,
	}
	b.Admin, _ = AdminFromStatus(s.Status)
	model.CheckFigures(&b, weightRange)
	if s.LastChg >= 0 {
		b.Since = now.Add(-time.Duration(s.LastChg) * time.Second)
	}
	serverFacts(s, &b)
	return b
}

// checkDetail renders a failing check the way HAProxy words it:
// "L7STS 503 (Service Unavailable)", "L4CON (Connection refused)",
// "L4TOUT (Layer4 timeout)". last_chk is the most specific text, but
// HAProxy blanks it while the next check runs; check_desc, its generic
// gloss of the code, stands in then.
func checkDetail(s *Stat) string {
	var b strings.Builder
	b.Grow(len(s.CheckStatus) + len(s.CheckCode) + len(s.LastChk) + len(s.CheckDesc) + 4)
	b.WriteString(s.CheckStatus)
	// While the next check runs HAProxy can report check_code 0: no
	// status code was received yet, so it says nothing and is left out.
	if s.CheckCode != "" && s.CheckCode != "0" {
		b.WriteByte(' ')
		b.WriteString(s.CheckCode)
	}
	detail := s.LastChk
	if detail == "" {
		detail = s.CheckDesc
	}
	if detail != "" {
		b.WriteString(" (")
		b.WriteString(detail)
		b.WriteByte(')')
	}
	return b.String()
}

// Pools groups server rows into pools, one per HAProxy backend, in the
// order HAProxy lists them. Backend rows add a note when the backend
// itself is not UP; frontend and listener rows are skipped. A proxy with
// no servers that is also a frontend (a `listen` section serving the
// stats page or a service) is not a pool; a plain backend with no servers
// is, with a note, since traffic sent to it fails.
func Pools(stats []Stat, now time.Time) []model.Pool {
	pb := newPoolBuilder(now)
	for i := range stats {
		pb.add(&stats[i])
	}
	return pb.pools()
}

// ParsePools reads `show stat` from r and maps it as Pools does, row by
// row, without keeping the parsed rows.
func ParsePools(r io.Reader, now time.Time) ([]model.Pool, error) {
	pb := newPoolBuilder(now)
	if err := Scan(r, func(s *Stat) error { pb.add(s); return nil }); err != nil {
		return nil, err
	}
	return pb.pools(), nil
}

// poolBuilder accumulates rows into pools.
type poolBuilder struct {
	now       time.Time
	list      []model.Pool
	index     map[string]int
	frontends map[string]bool
	front     map[string]frontCounts // FRONTEND counters by proxy, for listen sections
}

func newPoolBuilder(now time.Time) *poolBuilder {
	return &poolBuilder{now: now, index: map[string]int{}, frontends: map[string]bool{}, front: map[string]frontCounts{}}
}

func (pb *poolBuilder) pool(name string) *model.Pool {
	i, ok := pb.index[name]
	if !ok {
		name = strings.Clone(name)
		i = len(pb.list)
		pb.index[name] = i
		pb.list = append(pb.list, model.Pool{Name: name})
	}
	return &pb.list[i]
}

func (pb *poolBuilder) add(s *Stat) {
	switch s.Type {
	case TypeServer:
		p := pb.pool(s.Proxy)
		p.Backends = append(p.Backends, Backend(s, pb.now))
	case TypeBackend:
		p := pb.pool(s.Proxy)
		if s.Status != "UP" && s.Status != "" {
			p.Note = "backend " + s.Status
		}
		p.Facts = proxyFacts(s)
	case TypeFrontend:
		if !pb.frontends[s.Proxy] {
			name := strings.Clone(s.Proxy)
			pb.frontends[name] = true
			pb.front[name] = frontCounts{req: s.Stot, errs: s.Hrsp5xx}
		}
	case TypeListener:
	}
}

func (pb *poolBuilder) pools() []model.Pool {
	out := pb.list[:0]
	for _, p := range pb.list {
		if len(p.Backends) == 0 {
			if pb.frontends[p.Name] {
				continue
			}
			if p.Note == "" {
				p.Note = "no servers"
			} else {
				p.Note += ": no servers"
			}
		}
		if fc, ok := pb.front[p.Name]; ok {
			addFront(&p, fc)
		}
		out = append(out, p)
	}
	return out
}

// AdminFromStatus returns the administrative state a server's `status`
// shows, and false when the status cannot tell. HAProxy prints DRAIN or
// MAINT over any check result, but a drained server that fails its checks
// is just "DOWN", as is one that was never drained: only `show servers
// state` (ParseAdminStates) tells those apart.
func AdminFromStatus(status string) (model.AdminState, bool) {
	switch statusForm(status) {
	case "UP", "UP N/M", "NOLB", "NOLB N/M", "no check":
		return model.AdminReady, true
	case "DRAIN", "DRAIN N/M", "DRAIN (agent)":
		return model.AdminDrain, true
	case "MAINT", "MAINT (via)", "MAINT (resolution)", "MAINT(resolution)":
		return model.AdminMaint, true
	}
	return model.AdminUnknown, false
}

// srv_admin_state bits (HAProxy src/server.h, enum srv_admin).
const (
	admFMaint = 0x01 // forced maintenance (set server state maint)
	admIMaint = 0x02 // inherited from a tracked server
	admCMaint = 0x04 // "disabled" in the configuration
	admFDrain = 0x08 // forced drain (set server state drain)
	admIDrain = 0x10 // inherited drain
	admRMaint = 0x20 // DNS resolution failed
	admHMaint = 0x40 // hostname unresolved at start
)

// adminFromBits maps srv_admin_state to the state lbtop shows. Maintenance
// wins over drain, as it does in HAProxy's status column.
func adminFromBits(bits int) model.AdminState {
	switch {
	case bits&(admFMaint|admIMaint|admCMaint|admRMaint|admHMaint) != 0:
		return model.AdminMaint
	case bits&(admFDrain|admIDrain) != 0:
		return model.AdminDrain
	}
	return model.AdminReady
}

// ParseAdminStates reads `show servers state` (format version 1: a version
// line, a "# be_id be_name …" header, then one space-separated line per
// server) and returns the administrative state of each server keyed by
// "backend/server". Columns are found by name from the header.
func ParseAdminStates(r io.Reader) (map[string]model.AdminState, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	be, srv, adm := -1, -1, -1
	out := map[string]model.AdminState{}
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "# "); ok {
			for i, name := range strings.Fields(h) {
				switch name {
				case "be_name":
					be = i
				case "srv_name":
					srv = i
				case "srv_admin_state":
					adm = i
				}
			}
			continue
		}
		if be < 0 || srv < 0 || adm < 0 {
			continue // the version line before the header
		}
		f := strings.Fields(line)
		if len(f) <= max(be, srv, adm) {
			continue
		}
		bits, err := strconv.Atoi(f[adm])
		if err != nil {
			return nil, &ParseError{Field: "srv_admin_state", Value: f[adm]}
		}
		out[f[be]+"/"+f[srv]] = adminFromBits(bits)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if be < 0 || srv < 0 || adm < 0 {
		return nil, &ParseError{Field: "header", Value: "no be_name, srv_name and srv_admin_state columns"}
	}
	return out, nil
}

// ParseError names a field of `show servers state` that could not be read.
type ParseError struct {
	Field, Value string
}

func (e *ParseError) Error() string {
	return "show servers state: " + e.Field + ": " + strconv.Quote(e.Value)
}
