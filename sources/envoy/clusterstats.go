package envoy

import (
	"bytes"
	"errors"

	"github.com/lbtop/lbtop/model"
)

// statsFilter selects, in one /stats request, the cluster stats the
// diagnosis reads (cluster_stats.rst; admin.rst: `filter` is an RE2
// regular expression matched against each stat's full name). Cluster
// names may hold dots (Istio's "outbound|80||svc.ns.svc.cluster.local"),
// so the name part is ".+" and the stat is recognised by its suffix.
const statsFilter = `^cluster\..+\.(membership_(healthy|total)|lb_healthy_panic|upstream_cx_(none_healthy|connect_fail|connect_timeout|overflow)|upstream_rq_pending_overflow|update_empty|health_check\.(failure|network_failure)|outlier_detection\.ejections_active|circuit_breakers\.(default|high)\.(cx_open|rq_open|rq_pending_open))$`

// statKind is what one recognised stat feeds in model.PoolFacts.
type statKind uint8

const (
	statNone statKind = iota
	statCounter
	statMembers
	statMembersHealthy
	statEjected
	statBreakerCx
	statBreakerRq
	statBreakerPending
)

// statRule maps the last segment of a stat name to the model; within
// names a segment before it (health_check, outlier_detection,
// circuit_breakers.<priority>) is checked by statOf.
type statRule struct {
	kind    statKind
	counter model.PoolCounter
	parent  string // the segment(s) that must precede it, "" for none
}

// statOf recognises a stat by the end of its name (after "cluster.") and
// returns the rule and the cluster name, or statNone.
func statOf(name []byte) (statRule, []byte) {
	dot := bytes.LastIndexByte(name, '.')
	if dot <= 0 {
		return statRule{}, nil
	}
	last, rest := name[dot+1:], name[:dot]
	var r statRule
	switch string(last) {
	case "membership_total":
		r = statRule{kind: statMembers}
	case "membership_healthy":
		r = statRule{kind: statMembersHealthy}
	case "lb_healthy_panic":
		r = statRule{kind: statCounter, counter: model.CtrPanic}
	case "upstream_cx_none_healthy":
		r = statRule{kind: statCounter, counter: model.CtrNoneHealthy}
	case "upstream_cx_connect_fail":
		r = statRule{kind: statCounter, counter: model.CtrConnectFail}
	case "upstream_cx_connect_timeout":
		r = statRule{kind: statCounter, counter: model.CtrConnectTimeout}
	case "upstream_cx_overflow":
		r = statRule{kind: statCounter, counter: model.CtrCxOverflow}
	case "upstream_rq_pending_overflow":
		r = statRule{kind: statCounter, counter: model.CtrPendingOverflow}
	case "update_empty":
		r = statRule{kind: statCounter, counter: model.CtrUpdateEmpty}
	case "failure":
		r = statRule{kind: statCounter, counter: model.CtrCheckFailures, parent: "health_check"}
	case "network_failure":
		r = statRule{kind: statCounter, counter: model.CtrCheckNetFailures, parent: "health_check"}
	case "ejections_active":
		r = statRule{kind: statEjected, parent: "outlier_detection"}
	case "cx_open":
		r = statRule{kind: statBreakerCx, parent: "circuit_breakers"}
	case "rq_open":
		r = statRule{kind: statBreakerRq, parent: "circuit_breakers"}
	case "rq_pending_open":
		r = statRule{kind: statBreakerPending, parent: "circuit_breakers"}
	default:
		return statRule{}, nil
	}
	if r.parent == "circuit_breakers" { // circuit_breakers.<default|high>.
		dot = bytes.LastIndexByte(rest, '.')
		if dot <= 0 || (string(rest[dot+1:]) != "default" && string(rest[dot+1:]) != "high") {
			return statRule{}, nil
		}
		rest = rest[:dot]
	}
	if r.parent != "" {
		dot = bytes.LastIndexByte(rest, '.')
		if dot <= 0 || string(rest[dot+1:]) != r.parent {
			return statRule{}, nil
		}
		rest = rest[:dot]
	}
	return r, rest
}

// errNotStats is returned for a body with lines but no "name: value" stat.
var errNotStats = errors.New("not /stats text (no `name: value` lines)")

// parseClusterStats reads Envoy's /stats text ("cluster.<name>.<stat>:
// <value>" per line) into pool facts by cluster name. Lines it does not
// know (other stats, histograms, text values) are skipped, so an
// unfiltered /stats works too, only slower.
func parseClusterStats(data []byte) (map[string]*model.PoolFacts, error) {
	out := map[string]*model.PoolFacts{}
	lines, stats := 0, 0
	// Envoy prints stats sorted by name, so a cluster's lines come
	// together: the last cluster's facts save most map lookups.
	var lastName []byte
	var last *model.PoolFacts
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		lines++
		sep := bytes.Index(line, []byte(": "))
		if sep < 0 {
			continue
		}
		stats++
		name, ok := bytes.CutPrefix(line[:sep], []byte("cluster."))
		if !ok {
			continue
		}
		v, ok := parseUint64(line[sep+2:])
		if !ok {
			continue // a histogram or a text value
		}
		rule, cluster := statOf(name)
		if rule.kind == statNone {
			continue
		}
		f := last
		if f == nil || !bytes.Equal(cluster, lastName) {
			f = out[string(cluster)]
			if f == nil {
				nf := model.NewPoolFacts()
				f = &nf
				out[string(cluster)] = f
			}
			last, lastName = f, cluster
		}
		apply(f, rule, v)
	}
	if lines > 0 && stats == 0 {
		return nil, errNotStats
	}
	return out, nil
}

// apply records one stat's value.
func apply(f *model.PoolFacts, r statRule, v uint64) {
	g := int64(min(v, 1<<63-1))
	switch r.kind {
	case statCounter:
		f.Set(r.counter, v)
	case statMembers:
		f.Members = g
	case statMembersHealthy:
		f.MembersHealthy = g
	case statEjected:
		f.OutlierEjected = g
	case statBreakerCx:
		f.BreakerConnections += g
	case statBreakerRq:
		f.BreakerRequests += g
	case statBreakerPending:
		f.BreakerPending += g
	case statNone:
	}
}
