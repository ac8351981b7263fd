package prometheus

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	pmodel "github.com/prometheus/common/model"

	"github.com/lbtop/lbtop/model"
)

// rowKey identifies one backend (or, for aggregates, one pool) on one
// instance.
type rowKey struct{ instance, pool, backend string }

// row gathers every figure the queries returned for one key.
type row struct {
	rowKey
	state, check          string // HAProxy state and check-status labels
	health, code          float64
	weight, active        float64
	req, errs             float64
	healthy, degr, total  float64
	hasHealth, hasCode    bool
	hasState              bool
	hasWeight, hasActive  bool
	hasReq, hasErr        bool
	hasMembers            bool
	backup, panic, noneOK bool
}

// buildPools joins the query results of every spec into pools. results[i]
// holds spec i's vectors in query order. The output is sorted by pool
// name, then backend name and instance, so identical inputs give identical
// snapshots.
func buildPools(specs []spec, results [][]pmodel.Vector) []model.Pool {
	var pools []model.Pool
	for i, sp := range specs {
		rows := joinRows(sp, results[i])
		if sp.mode == modeAggregate {
			pools = append(pools, aggregatePools(rows)...)
		} else {
			pools = append(pools, backendPools(sp.mode, rows)...)
		}
	}
	slices.SortStableFunc(pools, func(a, b model.Pool) int { return cmp.Compare(a.Name, b.Name) })
	return pools
}

// joinRows folds one spec's vectors into rows keyed by its labels.
// Samples without the pool label (or, for per-backend specs, the backend
// label) and NaN values are skipped.
func joinRows(sp spec, vecs []pmodel.Vector) []row {
	n := 0
	for _, v := range vecs {
		n = max(n, len(v))
	}
	index := make(map[rowKey]int, n)
	rows := make([]row, 0, n)
	poolL, backL, instL := pmodel.LabelName(sp.pool), pmodel.LabelName(sp.backend), pmodel.LabelName(sp.instance)
	for qi, vec := range vecs {
		fig := sp.queries[qi].fig
		for _, smp := range vec {
			k := rowKey{pool: string(smp.Metric[poolL])}
			if k.pool == "" {
				continue
			}
			if sp.backend != "" {
				if k.backend = string(smp.Metric[backL]); k.backend == "" {
					continue
				}
			}
			if sp.instance != "" {
				k.instance = string(smp.Metric[instL])
			}
			v := float64(smp.Value)
			if math.IsNaN(v) {
				continue
			}
			i, ok := index[k]
			if !ok {
				i = len(rows)
				index[k] = i
				rows = append(rows, row{rowKey: k})
			}
			rows[i].set(fig, v, smp.Metric)
		}
	}
	return rows
}

// set records one sample's value as figure fig.
func (r *row) set(fig figure, v float64, m pmodel.Metric) {
	switch fig {
	case figHealth:
		r.health, r.hasHealth = v, true
	case figState:
		if v == 1 {
			r.state, r.hasState = string(m["state"]), true
		}
	case figStateCode:
		r.code, r.hasCode = v, true
	case figCheck:
		if v == 1 {
			r.check = string(m["state"])
		}
	case figWeight:
		r.weight, r.hasWeight = v, true
	case figActive:
		r.active, r.hasActive = v, true
	case figBackup:
		r.backup = v == 1
	case figReqRate:
		r.req, r.hasReq = v, true
	case figErrRate:
		r.errs, r.hasErr = v, true
	case figMemHealthy:
		r.healthy, r.hasMembers = v, true
	case figMemDegraded:
		r.degr, r.hasMembers = v, true
	case figMemTotal:
		r.total, r.hasMembers = v, true
	case figPanic:
		r.panic = v > 0
	case figNoneHealthy:
		r.noneOK = v > 0
	}
}

// backendPools groups per-backend rows into one pool per name; backends
// of every instance share it, each carrying its instance.
func backendPools(mode healthMode, rows []row) []model.Pool {
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.pool, b.pool), cmp.Compare(a.backend, b.backend), cmp.Compare(a.instance, b.instance))
	})
	var pools []model.Pool
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].pool == rows[i].pool {
			j++
		}
		bs := make([]model.Backend, j-i)
		for k := range bs {
			bs[k] = rows[i+k].toBackend(mode)
		}
		pools = append(pools, model.Pool{Name: rows[i].pool, Backends: bs})
		i = j
	}
	return pools
}

// toBackend converts a row to a model backend.
func (r *row) toBackend(mode healthMode) model.Backend {
	b := model.Backend{
		Name:     r.rowKey.backend,
		Instance: r.instance,
		Weight:   -1,
		Backup:   r.backup,
	}
	switch mode {
	case modeHAProxy:
		b.Health, b.Reason = haproxyHealth(r)
	case modeNGINXPlus:
		b.Health, b.Reason = nginxPlusHealth(r)
	default:
		b.Health, b.Reason = binaryHealth(r)
	}
	if r.hasWeight {
		b.Weight = int(model.SaturatingInt(r.weight))
	}
	if r.hasActive {
		b.Active = model.SaturatingInt(r.active)
	}
	model.CheckFigures(&b, weightRange(mode))
	if r.hasReq || r.hasErr {
		b.ReqRate, b.ErrRate, b.HasRates = r.req, r.errs, true
	}
	return b
}

// weightRange is the weight a mode's exporter can report: HAProxy's 0–256,
// and for mappings any non-negative 32-bit weight.
func weightRange(mode healthMode) model.Range {
	if mode == modeHAProxy {
		return model.Range{Min: 0, Max: 256}
	}
	return model.Range{Min: 0, Max: math.MaxInt32}
}

// haproxyState maps a PROMEX haproxy_server_status state label (HAProxy
// 2.6 exports DOWN, UP, MAINT, DRAIN and NOLB) to health. Anything else
// is Unknown.
func haproxyState(state string) model.Health {
	switch state {
	case "UP":
		return model.Healthy
	case "DOWN":
		return model.Unhealthy
	case "MAINT":
		return model.Down
	case "DRAIN":
		return model.Draining
	case "NOLB": // "stopping": http-check disable-on-404, no new traffic
		return model.Draining
	}
	return model.Unknown
}

// haproxyHealth reads the state label, with the last check status as the
// reason when the server is not plainly up ("DOWN L7STS").
func haproxyHealth(r *row) (model.Health, string) {
	if !r.hasState {
		return model.Unknown, "no haproxy_server_status series"
	}
	h := haproxyState(r.state)
	if r.check != "" && !checkPassed(r.check) {
		return h, r.state + " " + r.check
	}
	return h, r.state
}

// checkPassed reports whether a PROMEX check status label is a passing
// one (L4OK, L6OK, L7OK, L7OKC, PROCOK), which adds nothing to the state.
func checkPassed(check string) bool {
	return strings.HasSuffix(check, "OK") || check == "L7OKC"
}

// nginxPlusHealth reads nginx-prometheus-exporter's numeric
// nginxplus_upstream_server_state and returns NGINX's own word as reason.
func nginxPlusHealth(r *row) (model.Health, string) {
	if !r.hasCode {
		return model.Unknown, "no nginxplus_upstream_server_state series"
	}
	switch r.code {
	case 1:
		return model.Healthy, "up"
	case 2:
		return model.Draining, "draining"
	case 3:
		return model.Down, "down"
	case 4:
		return model.Unhealthy, "unavail"
	case 5:
		return model.Unknown, "checking" // not yet verified by health checks
	case 6:
		return model.Unhealthy, "unhealthy"
	}
	return model.Unknown, "state " + strconv.FormatFloat(r.code, 'g', -1, 64)
}

// binaryHealth reads a mapping's health query: 1 healthy, 0 unhealthy.
func binaryHealth(r *row) (model.Health, string) {
	switch {
	case !r.hasHealth:
		return model.Unknown, "no health series"
	case r.health == 1:
		return model.Healthy, ""
	case r.health == 0:
		return model.Unhealthy, "health query returned 0"
	}
	return model.Unknown, "health query returned " + strconv.FormatFloat(r.health, 'g', -1, 64)
}

// aggregatePools makes one pool per cluster and instance from membership
// counts (Envoy through Prometheus has no per-host rows).
func aggregatePools(rows []row) []model.Pool {
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.pool, b.pool), cmp.Compare(a.instance, b.instance))
	})
	pools := make([]model.Pool, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		a := &model.Aggregate{
			Instance: r.instance,
			Healthy:  int(model.SaturatingInt(r.healthy + r.degr)),
			Total:    int(model.SaturatingInt(r.total)),
			Active:   model.SaturatingInt(r.active),
		}
		if r.hasReq || r.hasErr {
			a.ReqRate, a.ErrRate, a.HasRates = r.req, r.errs, true
		}
		p := model.Pool{Name: r.pool, Aggregate: a}
		p.Note = envoyNote(r)
		if why := model.CheckAggregate(a); why != "" {
			p.Note = strings.TrimPrefix(p.Note+"; "+why, "; ")
		}
		pools = append(pools, p)
	}
	return pools
}

// envoyNote names the cluster-wide conditions an on-call engineer looks
// for first.
func envoyNote(r *row) string {
	var note string
	switch {
	case r.noneOK && r.panic:
		note = "no healthy upstream (upstream_cx_none_healthy rising) and load balancer in panic mode (lb_healthy_panic rising)"
	case r.noneOK:
		note = "no healthy upstream (upstream_cx_none_healthy rising)"
	case r.panic:
		note = "load balancer in panic mode (lb_healthy_panic rising): traffic goes to all hosts, healthy or not"
	case !r.hasMembers:
		note = "no membership gauges for this cluster"
	default:
		return ""
	}
	if r.instance != "" {
		note = r.instance + ": " + note
	}
	return note
}
