package model

// DiagState is a pool's verdict class, worst first in sort order: a pool
// that serves nothing (Down) before one serving with less than it should
// (Degraded), before one that serves fully but has something off
// (Warning). Unknown is a pool whose source cannot be read.
type DiagState uint8

// The diagnosis states. The zero value is DiagOK.
const (
	DiagOK DiagState = iota
	DiagWarning
	DiagDegraded
	DiagDown
	DiagUnknown
)

var diagStateNames = [...]string{
	DiagOK:       "ok",
	DiagWarning:  "warning",
	DiagDegraded: "degraded",
	DiagDown:     "down",
	DiagUnknown:  "unknown",
}

// String returns the word used in JSON and on screen.
func (s DiagState) String() string {
	if int(s) < len(diagStateNames) {
		return diagStateNames[s]
	}
	return "unknown"
}

// MarshalText makes DiagState encode as its word in JSON.
func (s DiagState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Rank orders states for sorting, worst (largest) first: down, degraded,
// warning, unknown, ok. Unknown ranks below warning: stale data is shown
// as stale, not as the worst outage.
func (s DiagState) Rank() int {
	switch s {
	case DiagDown:
		return 4
	case DiagDegraded:
		return 3
	case DiagWarning:
		return 2
	case DiagUnknown:
		return 1
	}
	return 0
}

// Cause is the one code that says why a pool is in its state. The set is
// closed: every Diagnosis carries exactly one of the constants below.
type Cause string

// The causes, as documented in the README's "Why is there no healthy
// upstream?" table.
const (
	CauseOK                Cause = "ok"
	CauseNoEndpoints       Cause = "no_endpoints"
	CauseNoMatchingPods    Cause = "no_matching_pods"
	CausePodsNotReady      Cause = "pods_not_ready"
	CauseTerminating       Cause = "terminating"
	CauseHealthChecks      Cause = "health_checks_failing"
	CauseRefused           Cause = "connection_refused"
	CauseTimeout           Cause = "timeout"
	CauseDNS               Cause = "dns"
	CauseOutlier           Cause = "outlier_ejected"
	CauseMaxFails          Cause = "max_fails"
	CauseAdminDown         Cause = "admin_down"
	CauseZeroWeight        Cause = "zero_weight"
	CausePanic             Cause = "panic"
	CauseOverloaded        Cause = "overloaded"
	CauseErrors            Cause = "errors"
	CauseWeightSkew        Cause = "weight_skew"
	CauseImbalance         Cause = "imbalance"
	CauseFlapping          Cause = "flapping"
	CauseSourceUnreachable Cause = "source_unreachable"
	CauseMixed             Cause = "mixed"
)

// Diagnosis is the verdict on one merged pool: its state, the one cause
// that explains it, a one-line summary and the facts behind it (with
// numbers and the names of members and instances). Short is the cause in
// one to three words for the pool list's WHY column ("refused",
// "L7STS 503", "drained by ana"); empty for CauseOK.
type Diagnosis struct {
	State    DiagState `json:"state"`
	Cause    Cause     `json:"cause"`
	Summary  string    `json:"summary"`
	Evidence []string  `json:"evidence"`
	Short    string    `json:"short,omitempty"`
}
