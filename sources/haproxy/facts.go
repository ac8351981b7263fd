package haproxy

import (
	"strconv"
	"strings"
	"time"

	"github.com/lbtop/lbtop/model"
)

// factColumns are the columns read for the diagnosis: queues, limits,
// error counters and check details, on server, BACKEND and FRONTEND rows.
type factColumns struct {
	qcur, slim, econ, eresp, chkfail, downtime, checkDuration int
}

func newFactColumns(get func(string) int) factColumns {
	return factColumns{
		qcur: get("qcur"), slim: get("slim"), econ: get("econ"), eresp: get("eresp"),
		chkfail: get("chkfail"), downtime: get("downtime"), checkDuration: get("check_duration"),
	}
}

// fill reads the fact columns of one row into st.
func (c *factColumns) fill(st *Stat, r *record) {
	st.Qcur = max(0, r.num("qcur", c.qcur, 0))
	st.Slim = r.num("slim", c.slim, -1)
	st.Econ = uint64(max(0, r.num("econ", c.econ, 0)))
	st.Eresp = uint64(max(0, r.num("eresp", c.eresp, 0)))
	st.ChkFail = uint64(max(0, r.num("chkfail", c.chkfail, 0)))
	st.Downtime = r.num("downtime", c.downtime, -1)
	st.CheckDuration = r.num("check_duration", c.checkDuration, -1)
}

// ServerFault says why a server is out, from its status and last check,
// in the model's terms. It is the one table from HAProxy's words to
// model.Fault; a serving server is FaultNone.
//
//	MAINT (resolution)                       → FaultDNS
//	MAINT, MAINT (via …), DRAIN*, NOLB*      → FaultAdmin (an operator, a tracked server, or the server's own 404)
//	check L4CON, SOCKERR                     → FaultRefused
//	check L4TOUT, L6TOUT, L7TOUT, PROCTOUT   → FaultTimeout
//	check L7STS, L7RSP, L6RSP, L7OKC, PROCERR, DOWN (agent) → FaultCheck
//	anything else not serving                → FaultOther
func ServerFault(status, checkStatus string, h model.Health) model.Fault {
	switch statusForm(status) {
	case "MAINT (resolution)", "MAINT(resolution)":
		return model.FaultDNS
	case "MAINT", "MAINT (via)", "DRAIN", "DRAIN N/M", "DRAIN (agent)", "NOLB", "NOLB N/M":
		return model.FaultAdmin
	case "DOWN (agent)":
		return model.FaultCheck
	}
	if h.Serving() || h == model.Draining { // Draining here is weight 0: the model's zero_weight
		return model.FaultNone
	}
	switch checkStatus {
	case "L4CON", "SOCKERR":
		return model.FaultRefused
	case "L4TOUT", "L6TOUT", "L7TOUT", "PROCTOUT":
		return model.FaultTimeout
	case "L7STS", "L7RSP", "L6RSP", "L7OKC", "PROCERR":
		return model.FaultCheck
	}
	return model.FaultOther
}

// serverFacts attaches the fault and the facts the diagnosis cites to a
// server that is out or queueing; a serving, idle server gets none.
func serverFacts(s *Stat, b *model.Backend) {
	b.Fault = ServerFault(s.Status, s.CheckStatus, b.Health)
	if b.Fault == model.FaultNone && s.Qcur == 0 {
		return
	}
	f := &model.BackendFacts{
		CheckStatus: strings.Clone(s.CheckStatus),
		CheckFails:  s.ChkFail,
		Queue:       s.Qcur,
		Limit:       max(0, s.Slim),
	}
	if !checkFailed(s.CheckStatus) {
		f.CheckStatus = "" // a passing or absent check explains nothing
	} else if code, err := strconv.Atoi(s.CheckCode); err == nil {
		f.CheckCode = code
	}
	if s.CheckDuration > 0 {
		f.CheckDuration = time.Duration(s.CheckDuration) * time.Millisecond
	}
	if s.Downtime > 0 {
		f.Downtime = time.Duration(s.Downtime) * time.Second
	}
	b.Facts = f
}

// proxyFacts maps a BACKEND row to pool facts: its request and 5xx
// counters (which count what no server answered, such as the 503s of a
// backend with every server down), error counters, queue and sessions.
func proxyFacts(s *Stat) *model.PoolFacts {
	f := model.NewPoolFacts()
	f.Set(model.CtrRequests, s.Stot)
	f.Set(model.CtrErrors, s.Hrsp5xx)
	f.Set(model.CtrConnErrors, s.Econ)
	f.Set(model.CtrRespErrors, s.Eresp)
	f.Queue, f.Sessions, f.SessionLimit = s.Qcur, s.Scur, max(0, s.Slim)
	return &f
}

// frontCounts are a FRONTEND row's request and 5xx counters.
type frontCounts struct{ req, errs uint64 }

// addFront adds a same-named FRONTEND row (a listen section) to a pool's
// facts.
func addFront(p *model.Pool, fc frontCounts) {
	if p.Facts == nil {
		f := model.NewPoolFacts()
		p.Facts = &f
	}
	p.Facts.Set(model.CtrFrontRequests, fc.req)
	p.Facts.Set(model.CtrFrontErrors, fc.errs)
}
