package demo

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// statFilter is the optional `show stat {<iid>|<proxy>} <type> <sid>`
// selection plus the `up` and `no-maint` modifiers.
type statFilter struct {
	iid     int    // -1 for every proxy
	proxy   string // proxy name, when given by name
	types   int    // bit mask: 1 frontends, 2 backends, 4 servers
	sid     int    // -1 for every server
	upOnly  bool
	noMaint bool
}

func allStats() statFilter { return statFilter{iid: -1, types: 7, sid: -1} }

func (f statFilter) proxyOK(name string, iid int) bool {
	if f.proxy != "" {
		return f.proxy == name
	}
	return f.iid == -1 || f.iid == iid
}

// statRow is one CSV line being filled in.
type statRow [numFields]string

func u(v uint64) string  { return strconv.FormatUint(v, 10) }
func i64(v int64) string { return strconv.FormatInt(v, 10) }
func itoa(v int) string  { return strconv.Itoa(v) }
func ms(v float64) string {
	return strconv.FormatInt(int64(math.Round(v)), 10)
}

// write appends the row with HAProxy's CSV quoting and a trailing comma
// after the last field, as HAProxy prints it.
func (r *statRow) write(b *bytes.Buffer) {
	for _, v := range r {
		if strings.ContainsAny(v, ",\"\r\n") {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(v, `"`, `""`))
			b.WriteByte('"')
		} else {
			b.WriteString(v)
		}
		b.WriteByte(',')
	}
	b.WriteByte('\n')
}

// writeStat renders `show stat`: the header, then per proxy in id order
// its FRONTEND, its servers and its BACKEND. The empty line that ends the
// output is the CLI's end-of-answer line, added by exec.
func (st *haState) writeStat(b *bytes.Buffer, now float64, f statFilter) {
	b.WriteString(statHeader)
	b.WriteByte('\n')
	var all counters
	for _, be := range st.backends {
		all.add(&be.noServer)
		for _, sv := range be.servers {
			all.add(&sv.c)
		}
	}
	if f.types&1 != 0 {
		if f.proxyOK("http-in", 2) {
			frontendRow("http-in", 2, &st.redirects, 3).write(b)
		}
		if f.proxyOK("https-in", 3) {
			frontendRow("https-in", 3, &all, 0).write(b)
		}
	}
	for _, be := range st.backends {
		if !f.proxyOK(be.spec.name, be.iid) {
			continue
		}
		if f.types&4 != 0 {
			for _, sv := range be.servers {
				if f.sid != -1 && f.sid != sv.sid {
					continue
				}
				if f.upOnly && !sv.usable() || f.noMaint && sv.admin == adminMaint {
					continue
				}
				be.serverRow(sv, now).write(b)
			}
		}
		if f.types&2 != 0 {
			be.backendRow(now).write(b)
		}
	}
}

func (c *counters) add(o *counters) {
	c.requests += o.requests
	c.success += o.success
	c.errors += o.errors
	c.timeouts += o.timeouts
	c.connTotal += o.connTotal
	c.connFail += o.connFail
	c.reuse += o.reuse
	c.bytesIn += o.bytesIn
	c.bytesOut += o.bytesOut
	for i := range c.hrsp {
		c.hrsp[i] += o.hrsp[i]
	}
	c.active += o.active
	c.maxActive += o.maxActive
	c.rate += o.rate
	c.maxRate += o.maxRate
	c.latencyMS = max(c.latencyMS, o.latencyMS)
	c.maxLatMS = max(c.maxLatMS, o.maxLatMS)
}

// fillHTTP sets the hrsp_* columns. class is the response class every
// response is counted in (3 for a redirecting frontend), or 0 for the
// counters' own split.
func (r *statRow) fillHTTP(c *counters, class int) {
	for i := range 5 {
		v := c.hrsp[i]
		if class != 0 {
			v = 0
			if i == class-1 {
				v = c.requests
			}
		}
		r[fHrsp1xx+i] = u(v)
	}
	r[fHrspOther] = "0"
}

func frontendRow(name string, iid int, c *counters, class int) *statRow {
	r := &statRow{}
	r[fPxname], r[fSvname] = name, "FRONTEND"
	r[fScur], r[fSmax], r[fSlim], r[fStot] = i64(c.active), i64(c.maxActive), "9984", u(c.requests)
	r[fBin], r[fBout] = u(c.bytesIn), u(c.bytesOut)
	r[fDreq], r[fDresp], r[fEreq] = "0", "0", "0"
	r[fStatus], r[fPid], r[fIid], r[fSid], r[fType] = "OPEN", "1", itoa(iid), "0", "0"
	r[fRate], r[fRateLim], r[fRateMax] = i64(c.rate), "0", i64(c.maxRate)
	r.fillHTTP(c, class)
	r[fReqRate], r[fReqRateMax], r[fReqTot] = i64(c.rate), i64(c.maxRate), u(c.requests)
	r[fCompIn], r[fCompOut], r[fCompByp], r[fCompRsp] = "0", "0", "0", "0"
	r[fMode] = "http"
	r[fConnRate], r[fConnRateMax], r[fConnTot] = i64(c.rate/3), i64(c.maxRate/3), u(c.connTotal)
	r[fIntercepted], r[fDcon], r[fDses], r[fWrew] = "0", "0", "0", "0"
	r[fCacheLookups], r[fCacheHits], r[fEint] = "0", "0", "0"
	r[fEnd] = "-"
	return r
}

// commonRow fills the columns servers and backends share.
func (be *haBackend) commonRow(r *statRow, c *counters) {
	r[fPxname] = be.spec.name
	r[fQcur], r[fQmax] = "0", "0"
	r[fScur], r[fSmax], r[fStot] = i64(c.active), i64(c.maxActive), u(c.requests)
	r[fBin], r[fBout] = u(c.bytesIn), u(c.bytesOut)
	r[fDresp] = "0"
	r[fEcon], r[fEresp], r[fWretr], r[fWredis] = u(c.connFail), u(c.timeouts), u(c.connFail), "0"
	r[fPid], r[fIid] = "1", itoa(be.iid)
	r[fLbtot] = u(c.requests)
	r[fRate], r[fRateMax] = i64(c.rate), i64(c.maxRate)
	if be.spec.mode == "http" {
		r.fillHTTP(c, 0)
		r[fReqTot] = u(c.requests)
	}
	r[fCliAbrt], r[fSrvAbrt] = u(c.requests/4000), "0"
	r[fLastsess] = i64(c.idle)
	r[fQtime], r[fCtime] = "0", "0"
	if c.requests > 0 {
		r[fCtime] = "1"
	}
	r[fRtime], r[fTtime] = ms(c.latencyMS), ms(c.latencyMS+1)
	r[fMode] = be.spec.mode
	r[fWrew], r[fConnect], r[fReuse] = "0", u(c.connTotal), u(c.reuse)
	r[fQtimeMax], r[fCtimeMax] = "0", "3"
	r[fRtimeMax], r[fTtimeMax] = ms(c.maxLatMS), ms(c.maxLatMS+3)
	r[fEint] = "0"
	r[fEnd] = "-"
}

func (be *haBackend) serverRow(sv *haServer, now float64) *statRow {
	r := &statRow{}
	be.commonRow(r, &sv.c)
	r[fSvname] = sv.name
	r[fStatus] = sv.status()
	w := sv.uweight
	r[fWeight], r[fUweight] = itoa(w), itoa(w)
	r[fAct], r[fBck] = "1", "0"
	if sv.backup {
		r[fAct], r[fBck] = "0", "1"
	}
	r[fLastchg] = ms(math.Floor(now - sv.changedAt))
	r[fSid], r[fType] = itoa(sv.sid), "2"
	r[fAddr] = sv.addr
	if sv.unresolved {
		r[fAddr] = "" // no address until the name resolves
	}
	if sv.maxconn > 0 {
		r[fQcur], r[fQmax], r[fSlim] = i64(sv.qcur), i64(sv.qmax), i64(sv.maxconn)
	}
	r[fSrvIcur] = i64(min(sv.c.active/4, 8))
	r[fIdleConnCur], r[fSafeConnCur], r[fUsedConnCur] = "0", r[fSrvIcur], i64(sv.c.active)
	r[fNeedConnEst] = i64(sv.c.active + 1)
	if sv.check == checkNone {
		return r
	}
	r[fChkfail], r[fChkdown], r[fDowntime] = u(sv.chkfail), u(sv.chkdown), ms(math.Floor(sv.downSecs))
	if sv.checksStopped() {
		return r // HAProxy blanks the check columns while checks are stopped
	}
	res := sv.res
	r[fCheckStatus], r[fCheckCode] = res.status, res.code
	if sv.inProgress {
		// A check is running: HAProxy prefixes the last status with "* "
		// and, for layer-7 checks, shows code 0 until it finishes.
		r[fCheckStatus] = "* " + res.status
		if res.code != "" {
			r[fCheckCode] = "0"
		}
	}
	r[fCheckDuration], r[fLastChk], r[fCheckDesc] = itoa(res.ms), res.lastChk, res.desc
	r[fCheckRise], r[fCheckFall], r[fCheckHealth] = itoa(sv.rise), itoa(sv.fall), itoa(sv.health)
	return r
}

func (be *haBackend) backendRow(now float64) *statRow {
	var c counters
	c.idle = -1
	c.add(&be.noServer)
	act, bck, wAct, wBck, uw := 0, 0, 0, 0, 0
	var qcur, qmax int64
	for _, sv := range be.servers {
		c.add(&sv.c)
		qcur += sv.qcur
		qmax += sv.qmax
		if sv.c.idle >= 0 && (c.idle < 0 || sv.c.idle < c.idle) {
			c.idle = sv.c.idle
		}
		if !sv.usable() {
			continue
		}
		uw += sv.uweight
		if sv.backup {
			bck++
			wBck += sv.uweight
		} else {
			act++
			wAct += sv.uweight
		}
	}
	r := &statRow{}
	be.commonRow(r, &c)
	r[fSvname] = "BACKEND"
	r[fQcur], r[fQmax] = i64(qcur), i64(qmax)
	r[fSlim], r[fDreq] = itoa(100*len(be.servers)), "0"
	r[fStatus] = "DOWN"
	if be.up {
		r[fStatus] = "UP"
	}
	w := wAct
	if act == 0 {
		w = wBck
	}
	r[fWeight], r[fAct], r[fBck], r[fUweight] = itoa(w), itoa(act), itoa(bck), itoa(uw)
	r[fChkdown], r[fLastchg], r[fDowntime] = u(be.chkdown), ms(math.Floor(now-be.changedAt)), ms(math.Floor(be.downSecs))
	r[fSid], r[fType] = "0", "1"
	if be.spec.mode == "http" {
		r[fCompIn], r[fCompOut], r[fCompByp], r[fCompRsp] = "0", "0", "0", "0"
		r[fCacheLookups], r[fCacheHits] = "0", "0"
	}
	r[fAlgo] = be.spec.algo
	r[fAggServerStatus], r[fAggServerCheckStatus], r[fAggCheckStatus] = "0", "0", "0"
	return r
}

// serversStateHeader is the header of `show servers state` (format 1) in
// HAProxy 2.6.
const serversStateHeader = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight " +
	"srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state " +
	"bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port"

// writeServersState renders `show servers state [<backend>]`: the format
// version, the header, then one line per server. What lbtop reads
// (administrative state, which `show stat` hides behind a DOWN) and the
// ids, names, address, operational state, weights and time since the
// last change are the server's; the check columns are those of a server
// whose check has not run (HAProxy's internal enums).
func (st *haState) writeServersState(b *bytes.Buffer, now float64, backend string) {
	if backend != "" && st.backend(backend) == nil {
		b.WriteString("Can't find backend.\n")
		return
	}
	b.WriteString("1\n" + serversStateHeader + "\n")
	for _, be := range st.backends {
		if backend != "" && be.spec.name != backend {
			continue
		}
		for _, sv := range be.servers {
			host, port, _ := strings.Cut(sv.addr, ":")
			if sv.unresolved {
				host, port = "-", "0"
			}
			op := 0 // SRV_ST_STOPPED
			if !sv.checksStopped() && (sv.up || sv.check == checkNone) {
				op = 2 // SRV_ST_RUNNING
			}
			admin := 0
			switch {
			case sv.admin == adminMaint:
				admin = 0x01 // SRV_ADMF_FMAINT
			case sv.admin == adminDrain:
				admin = 0x08 // SRV_ADMF_FDRAIN
			}
			if sv.unresolved {
				admin |= 0x20 // SRV_ADMF_RMAINT
			}
			b.WriteString(strings.Join([]string{
				itoa(be.iid), be.spec.name, itoa(sv.sid), sv.name, host, itoa(op), itoa(admin),
				itoa(sv.uweight), itoa(sv.iweight), i64(int64(now - sv.changedAt)),
				"1", "0", "0", "0", "0", "0", "0", "-", port, "-", "0", "0", "-", "-", "0",
			}, " "))
			b.WriteByte('\n')
		}
	}
}
