package model

// The precedence of causes, written down once. Diagnose walks diagRules in
// order and the first rule whose test matches gives the pool's state and
// cause; everything else that is wrong goes into the evidence.
//
//	#  cause                 state     when
//	1  source_unreachable    unknown   no instance of the pool could be read on its last poll
//	2  no_matching_pods      down      no members, and the Kubernetes selector matches no pod
//	3  no_endpoints          down      no members at all (empty EDS/DNS answer, no endpoints)
//	4  <member cause>        down      no member serves (weight 0 counts as not serving); the
//	                                   cause is the member cause covering most members (below)
//	5  panic                 degraded  Envoy balanced requests in panic mode since the last poll
//	6  overloaded            degraded  a circuit breaker open, overflow since the last poll, a
//	                                   request queue on a member or on the pool, or sessions at the limit
//	7  <member cause>        degraded  some members out for a failure (not admin_down, not zero_weight)
//	8  errors                degraded  ≥ 5% of the pool's responses are 5xx
//	9  admin_down/zero_weight degraded some members out, all of them on purpose (drain, maint, weight 0)
//	10 source_unreachable    warning   some (not all) instances are stale
//	11 flapping              warning   a member changed state ≥ 3 times in 5 min (needs SetTransitions)
//	12 weight_skew           warning   one serving member carries ≥ 80% of the pool's weight
//	13 imbalance             warning   one member holds ≥ 80% of ≥ 3 active connections, the others none
//	14 ok                    ok        nothing of the above
//
// Member causes: each member that does not serve is counted under one
// cause from its source's Fault (memberCauses, below, in tie-break order).
// The pool's cause is the largest group; when the two largest groups are
// equal the cause is mixed, and its summary names both. The other groups
// are listed in the evidence. Members whose source names no fault are
// counted as "other": alone, they make the cause mixed, quoting their
// reason.
var diagRules = [...]diagRule{
	{CauseSourceUnreachable, DiagUnknown, testAllStale},
	{CauseNoMatchingPods, DiagDown, testNoMatchingPods},
	{CauseNoEndpoints, DiagDown, testEmpty},
	{CauseMixed, DiagDown, testNoneServing}, // cause chosen from the member groups
	{CausePanic, DiagDegraded, testPanicking},
	{CauseOverloaded, DiagDegraded, testOverloaded},
	{CauseMixed, DiagDegraded, testSomeFailing}, // cause chosen from the member groups
	{CauseErrors, DiagDegraded, testErroring},
	{CauseMixed, DiagDegraded, testSomeOut}, // admin_down or zero_weight
	{CauseSourceUnreachable, DiagWarning, testPartlyStale},
	{CauseFlapping, DiagWarning, testFlapping},
	{CauseWeightSkew, DiagWarning, testWeightSkew},
	{CauseImbalance, DiagWarning, testImbalanced},
	{CauseOK, DiagOK, testAlways},
}

// memberCauses are the causes a single member can have, in the order that
// breaks ties between equal groups (most specific first). groupOther is
// the index past them, for members whose source names no fault.
var memberCauses = [...]Cause{
	CauseDNS,
	CauseRefused,
	CauseTimeout,
	CauseHealthChecks,
	CauseOutlier,
	CauseMaxFails,
	CausePodsNotReady,
	CauseTerminating,
	CauseAdminDown,
	CauseZeroWeight,
}

const (
	groupOther = len(memberCauses)
	numGroups  = groupOther + 1
)

// Thresholds of the rules, in one place.
const (
	errorRatioMin   = 0.05 // rule 8: share of responses that are 5xx
	skewShareMin    = 0.80 // rule 12: share of weight on one member
	imbalanceMin    = 0.80 // rule 13: share of active connections on one member
	imbalanceActive = 3    // rule 13: fewer active connections than this prove nothing
	flapsMin        = 3    // rule 11: state changes in 5 min
)

// faultGroup maps a member's Fault to its group. Weight 0 on a member that
// would otherwise serve is zero_weight; an administrative state with no
// fault named is admin_down.
func faultGroup(b *BackendRow) int {
	switch b.Fault {
	case FaultDNS:
		return 0
	case FaultRefused:
		return 1
	case FaultTimeout:
		return 2
	case FaultCheck:
		return 3
	case FaultOutlier:
		return 4
	case FaultMaxFails:
		return 5
	case FaultNotReady:
		return 6
	case FaultTerminating:
		return 7
	case FaultAdmin:
		return 8
	case FaultNone, FaultOther:
	}
	switch {
	case b.Weight == 0 && (b.Health.Serving() || b.Health == Draining):
		return 9
	case b.Admin == AdminDrain || b.Admin == AdminMaint:
		return 8
	case b.Health == Down || b.Health == Draining:
		// Health's own meaning: administratively out or draining, even
		// when the source reports no admin state or fault.
		return 8
	}
	return groupOther
}

// intentional reports whether a member group is out on purpose.
func intentional(g int) bool { return g == 8 || g == 9 }

// shortFor is the WHY column's word for a member cause whose group has no
// better text of its own.
var shortFor = map[Cause]string{
	CauseDNS:               "dns",
	CauseRefused:           "refused",
	CauseTimeout:           "timeout",
	CauseHealthChecks:      "failing checks",
	CauseOutlier:           "ejected",
	CauseMaxFails:          "max_fails",
	CausePodsNotReady:      "not ready",
	CauseTerminating:       "terminating",
	CauseAdminDown:         "admin down",
	CauseZeroWeight:        "weight 0",
	CauseNoEndpoints:       "no endpoints",
	CauseNoMatchingPods:    "no pods",
	CausePanic:             "panic",
	CauseOverloaded:        "overloaded",
	CauseWeightSkew:        "weight skew",
	CauseImbalance:         "imbalance",
	CauseFlapping:          "flapping",
	CauseSourceUnreachable: "unreachable",
	CauseMixed:             "mixed",
}

// phrase is how a member cause reads in a summary: "3 of 3 members
// refuse connections".
var phrase = map[Cause]string{
	CauseDNS:          "do not resolve in DNS",
	CauseRefused:      "refuse connections",
	CauseTimeout:      "time out",
	CauseHealthChecks: "fail health checks",
	CauseOutlier:      "are ejected by outlier detection",
	CauseMaxFails:     "are unavailable after max_fails",
	CausePodsNotReady: "are not ready",
	CauseTerminating:  "are terminating",
	CauseAdminDown:    "are drained or in maintenance",
	CauseZeroWeight:   "have weight 0",
	CauseMixed:        "are out",
}
