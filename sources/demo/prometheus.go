package demo

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Prometheus HTTP API emulation: instant queries on /api/v1/query (GET,
// or POST with a form body) answered from the simulated exporter fleet
// (prometheus_sim.go). It is not a PromQL engine: it recognises the shape
// lbtop's presets use, [agg by (labels)] ([rate(]selector[[window])]) [cmp
// number], and answers anything else with an empty vector.

// promVersion is what /api/v1/status/buildinfo reports.
const promVersion = "3.5.0"

// promServer emulates a Prometheus server's HTTP API.
type promServer struct {
	sim *sim
	st  *promState
	httpAPI
}

func newPromServer(s *sim, st *promState, ln net.Listener) *promServer {
	x := &promServer{sim: s, st: st}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query", x.query)
	mux.HandleFunc("/api/v1/query_range", x.queryRange)
	mux.HandleFunc("/api/v1/status/buildinfo", x.buildInfo)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "Prometheus Server is Healthy.\n")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "Prometheus Server is Ready.\n")
	})
	x.httpAPI = newHTTPAPI("Prometheus API server", ln, mux)
	return x
}

// promError writes Prometheus's error envelope.
func promError(w http.ResponseWriter, code int, kind, msg string) {
	b, _ := json.Marshal(struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}{"error", kind, msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// promSuccess writes the success envelope around data.
func promSuccess(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Data   any    `json:"data"`
	}{"success", data})
}

func (x *promServer) buildInfo(w http.ResponseWriter, _ *http.Request) {
	promSuccess(w, map[string]string{
		"version": promVersion, "revision": "lbtop-demo", "branch": "HEAD",
		"buildUser": "lbtop@demo", "buildDate": "20250101-00:00:00", "goVersion": "go1.26",
	})
}

// params parses the query string and, for POST, the form body, as
// Prometheus does; it answers 405 to other methods.
func params(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeText(w, http.StatusMethodNotAllowed, "Method Not Allowed\n")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		promError(w, http.StatusBadRequest, "bad_data", "error parsing form values: "+err.Error())
		return false
	}
	return true
}

func (x *promServer) queryRange(w http.ResponseWriter, r *http.Request) {
	if params(w, r) {
		promSuccess(w, vectorData{ResultType: "matrix", Result: []promSampleJSON{}})
	}
}

func (x *promServer) query(w http.ResponseWriter, r *http.Request) {
	if !params(w, r) {
		return
	}
	expr := r.Form.Get("query")
	if strings.TrimSpace(expr) == "" {
		promError(w, http.StatusBadRequest, "bad_data", `invalid parameter "query": 1:1: parse error: no expression found in input`)
		return
	}
	ts := float64(time.Now().UnixMilli()) / 1000
	if t := r.Form.Get("time"); t != "" {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			tt, terr := time.Parse(time.RFC3339Nano, t)
			if terr != nil {
				promError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf(`invalid parameter "time": cannot parse %q to a valid timestamp`, t))
				return
			}
			v = float64(tt.UnixMilli()) / 1000
		}
		ts = v
	}
	x.sim.mu.Lock()
	res := x.st.eval(expr)
	x.sim.mu.Unlock()
	out := make([]promSampleJSON, len(res))
	for i, s := range res {
		out[i] = promSampleJSON{Metric: s.labels.toMap(), Value: samplePair{ts, s.value}}
	}
	promSuccess(w, vectorData{ResultType: "vector", Result: out})
}

// vectorData is the data of an instant or range query.
type vectorData struct {
	ResultType string           `json:"resultType"`
	Result     []promSampleJSON `json:"result"`
}

// promSampleJSON is one element of a vector result.
type promSampleJSON struct {
	Metric map[string]string `json:"metric"`
	Value  samplePair        `json:"value"`
}

// samplePair renders as [<unix seconds>, "<value>"], values as strings so
// NaN and infinities survive JSON.
type samplePair struct {
	t, v float64
}

// MarshalJSON renders the pair the way Prometheus does.
func (p samplePair) MarshalJSON() ([]byte, error) {
	var v string
	switch {
	case math.IsNaN(p.v):
		v = "NaN"
	case math.IsInf(p.v, 1):
		v = "+Inf"
	case math.IsInf(p.v, -1):
		v = "-Inf"
	default:
		v = strconv.FormatFloat(p.v, 'f', -1, 64)
	}
	return []byte("[" + strconv.FormatFloat(p.t, 'f', -1, 64) + `,"` + v + `"]`), nil
}

// labelSet is a series' labels as name/value pairs.
type labelSet []string

func (ls labelSet) get(name string) (string, bool) {
	for i := 0; i+1 < len(ls); i += 2 {
		if ls[i] == name {
			return ls[i+1], true
		}
	}
	return "", false
}

func (ls labelSet) toMap() map[string]string {
	m := make(map[string]string, len(ls)/2)
	for i := 0; i+1 < len(ls); i += 2 {
		m[ls[i]] = ls[i+1]
	}
	return m
}

// key is a stable text form of the labels, for grouping and sorting:
// pairs in name order (a label set never repeats a name).
func (ls labelSet) key() string {
	idx := make([]int, 0, len(ls)/2)
	for i := 0; i+1 < len(ls); i += 2 {
		idx = append(idx, i)
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(ls[a], ls[b]) })
	var b strings.Builder
	for _, i := range idx {
		b.WriteString(ls[i])
		b.WriteByte('=')
		b.WriteString(strconv.Quote(ls[i+1]))
		b.WriteByte(',')
	}
	return b.String()
}

// sample is one series: a gauge value, or a counter's total and its
// current per-second rate.
type sample struct {
	labels labelSet
	value  float64
	rate   float64
}

// The query shapes recognised. They are compiled once and never changed.
var (
	aggExpr  = regexp.MustCompile(`^\s*(sum|max|min|count|avg)\s+by\s*\(([^)]*)\)\s*\((.*)\)\s*(?:(==|!=|>=|<=|>|<)\s*([-+0-9.eE]+))?\s*$`)
	rateExpr = regexp.MustCompile(`^\s*(?:rate|irate|increase)\s*\((.*)\[\s*[0-9a-z]+\s*\]\s*\)\s*(?:(==|!=|>=|<=|>|<)\s*([-+0-9.eE]+))?\s*$`)
	selExpr  = regexp.MustCompile(`^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{([^}]*)\})?\s*(?:(==|!=|>=|<=|>|<)\s*([-+0-9.eE]+))?\s*$`)
	matchers = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=|!=)\s*"((?:[^"\\]|\\.)*)"`)
)

// eval answers one query; shapes it does not know give no samples. The
// caller holds the simulation's lock.
func (st *promState) eval(expr string) []sample {
	agg, by, cmpOp, cmpArg := "", []string(nil), "", ""
	if m := aggExpr.FindStringSubmatch(expr); m != nil {
		agg, expr, cmpOp, cmpArg = m[1], m[3], m[4], m[5]
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				by = append(by, l)
			}
		}
	}
	useRate := false
	if m := rateExpr.FindStringSubmatch(expr); m != nil {
		useRate, expr = true, m[1]
		if m[2] != "" {
			cmpOp, cmpArg = m[2], m[3]
		}
	}
	m := selExpr.FindStringSubmatch(expr)
	if m == nil {
		return nil
	}
	name, sel := m[1], m[2]
	if m[3] != "" {
		cmpOp, cmpArg = m[3], m[4]
	}
	ms, ok := parseMatchers(sel)
	if !ok {
		return nil
	}
	var out []sample
	for _, s := range st.series(name) {
		if !ms.match(s.labels) {
			continue
		}
		if useRate {
			s.value = s.rate
		} else {
			s.labels = append(labelSet{"__name__", name}, s.labels...)
		}
		out = append(out, s)
	}
	if agg != "" {
		out = aggregate(out, agg, by)
	}
	if cmpOp != "" {
		arg, err := strconv.ParseFloat(cmpArg, 64)
		if err != nil {
			return nil
		}
		out = slices.DeleteFunc(out, func(s sample) bool { return !compare(s.value, cmpOp, arg) })
	}
	// Sort by each sample's key, computed once rather than per comparison.
	keyed := make([]keyedSample, len(out))
	for i, smp := range out {
		keyed[i] = keyedSample{smp.labels.key(), smp}
	}
	slices.SortFunc(keyed, func(a, b keyedSample) int { return cmp.Compare(a.key, b.key) })
	for i := range keyed {
		out[i] = keyed[i].s
	}
	return out
}

type keyedSample struct {
	key string
	s   sample
}

// matcher is one label matcher of a selector.
type matcher struct {
	name, value string
	equal       bool
}

type matcherList []matcher

// parseMatchers reads a selector's = and != matchers; ok is false for
// anything else (regular expressions), which then matches nothing.
func parseMatchers(sel string) (matcherList, bool) {
	if strings.Trim(matchers.ReplaceAllString(sel, ""), ", \t") != "" {
		return nil, false
	}
	var out matcherList
	for _, m := range matchers.FindAllStringSubmatch(sel, -1) {
		v, err := strconv.Unquote(`"` + m[3] + `"`)
		if err != nil {
			return nil, false
		}
		out = append(out, matcher{name: m[1], value: v, equal: m[2] == "="})
	}
	return out, true
}

func (ms matcherList) match(ls labelSet) bool {
	for _, m := range ms {
		v, _ := ls.get(m.name)
		if (v == m.value) != m.equal {
			return false
		}
	}
	return true
}

// aggregate groups samples by the given labels.
func aggregate(in []sample, agg string, by []string) []sample {
	type group struct {
		s sample
		n int
	}
	idx := map[string]int{}
	var groups []group
	for _, s := range in {
		var ls labelSet
		for _, l := range by {
			if v, ok := s.labels.get(l); ok {
				ls = append(ls, l, v)
			}
		}
		k := ls.key()
		i, ok := idx[k]
		if !ok {
			idx[k] = len(groups)
			groups = append(groups, group{s: sample{labels: ls, value: s.value}, n: 1})
			continue
		}
		g := &groups[i]
		g.n++
		switch agg {
		case "sum", "avg":
			g.s.value += s.value
		case "max":
			g.s.value = max(g.s.value, s.value)
		case "min":
			g.s.value = min(g.s.value, s.value)
		}
	}
	out := make([]sample, len(groups))
	for i, g := range groups {
		switch agg {
		case "avg":
			g.s.value /= float64(g.n)
		case "count":
			g.s.value = float64(g.n)
		}
		out[i] = g.s
	}
	return out
}

func compare(v float64, op string, arg float64) bool {
	switch op {
	case "==":
		return v == arg
	case "!=":
		return v != arg
	case ">":
		return v > arg
	case "<":
		return v < arg
	case ">=":
		return v >= arg
	}
	return v <= arg
}
