package demo

// statHeader is the `show stat` CSV header of HAProxy 2.6+ up to the "-"
// column that ends the fixed fields (management.txt fields 0–99, then the
// agg_* fields of 2.4+). Real HAProxy prints per-module counters after "-";
// the emulation prints none, which the format allows.
const statHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,"

// Column positions in statHeader, in order. The test checks that these match
// the header.
const (
	fPxname = iota
	fSvname
	fQcur
	fQmax
	fScur
	fSmax
	fSlim
	fStot
	fBin
	fBout
	fDreq
	fDresp
	fEreq
	fEcon
	fEresp
	fWretr
	fWredis
	fStatus
	fWeight
	fAct
	fBck
	fChkfail
	fChkdown
	fLastchg
	fDowntime
	fQlimit
	fPid
	fIid
	fSid
	fThrottle
	fLbtot
	fTracked
	fType
	fRate
	fRateLim
	fRateMax
	fCheckStatus
	fCheckCode
	fCheckDuration
	fHrsp1xx
	fHrsp2xx
	fHrsp3xx
	fHrsp4xx
	fHrsp5xx
	fHrspOther
	fHanafail
	fReqRate
	fReqRateMax
	fReqTot
	fCliAbrt
	fSrvAbrt
	fCompIn
	fCompOut
	fCompByp
	fCompRsp
	fLastsess
	fLastChk
	fLastAgt
	fQtime
	fCtime
	fRtime
	fTtime
	fAgentStatus
	fAgentCode
	fAgentDuration
	fCheckDesc
	fAgentDesc
	fCheckRise
	fCheckFall
	fCheckHealth
	fAgentRise
	fAgentFall
	fAgentHealth
	fAddr
	fCookie
	fMode
	fAlgo
	fConnRate
	fConnRateMax
	fConnTot
	fIntercepted
	fDcon
	fDses
	fWrew
	fConnect
	fReuse
	fCacheLookups
	fCacheHits
	fSrvIcur
	fSrcIlim
	fQtimeMax
	fCtimeMax
	fRtimeMax
	fTtimeMax
	fEint
	fIdleConnCur
	fSafeConnCur
	fUsedConnCur
	fNeedConnEst
	fUweight
	fAggServerStatus
	fAggServerCheckStatus
	fAggCheckStatus
	fEnd
	numFields // number of columns
)
