package actions

import (
	"time"

	"github.com/lbtop/lbtop/model"
)

// Outcome is where an action stands.
type Outcome uint8

// Outcomes, in the order an action goes through them.
const (
	Pending    Outcome = iota // sent; no poll since has shown the new state
	Confirmed                 // a poll that started after the write shows it
	NotApplied                // sent, but polls within the timeout show otherwise
	Failed                    // the system (or the connection) refused the write
	Refused                   // lbtop refused before sending: read-only, guard, bad input
	Sent                      // the audit line written when the write returned: its outcome follows
	Abandoned                 // lbtop quit before the outcome was known
)

var outcomeNames = [...]string{
	Pending:    "pending",
	Confirmed:  "confirmed",
	NotApplied: "not_applied",
	Failed:     "failed",
	Refused:    "refused",
	Sent:       "sent",
	Abandoned:  "abandoned",
}

// String returns the word written to the audit log's result field.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome?"
}

// MarshalText writes the outcome as its word.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads the word written by MarshalText.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return &UnknownWordError{What: "result", Word: string(b)}
}

// UnknownWordError names a word the audit log does not know.
type UnknownWordError struct{ What, Word string }

func (e *UnknownWordError) Error() string { return "unknown " + e.What + " " + `"` + e.Word + `"` }

// Reached reports whether b shows the effect of a. The administrative
// state decides when the system reports it (a drained HAProxy server that
// fails its checks is DOWN, yet drained; a weight-0 server looks drained
// but is not); otherwise the health does.
func Reached(a model.Action, b model.Backend) bool {
	switch a.Kind {
	case model.ActionDrain:
		if b.Admin != model.AdminUnknown {
			return b.Admin == model.AdminDrain
		}
		return b.Health == model.Draining
	case model.ActionMaint:
		if b.Admin != model.AdminUnknown {
			return b.Admin == model.AdminMaint
		}
		return b.Health == model.Down
	case model.ActionReady:
		if b.Admin != model.AdminUnknown {
			return b.Admin == model.AdminReady
		}
		return b.Health.Serving()
	case model.ActionWeight:
		return b.Weight == a.Weight
	}
	return false
}

// Find returns the backend ref names in a snapshot, or false.
func Find(snap model.Snapshot, ref model.BackendRef) (model.Backend, bool) {
	for i := range snap.Pools {
		p := &snap.Pools[i]
		if p.Name != ref.Pool {
			continue
		}
		for j := range p.Backends {
			if p.Backends[j].Name == ref.Backend {
				return p.Backends[j], true
			}
		}
	}
	return model.Backend{}, false
}

// Verify decides an action sent at sentAt from one later poll of its
// source. Only a poll that started after the write returned counts: the
// system's own reply to the write, and a poll already under way when it
// was sent, prove nothing. It returns Confirmed with the backend as now
// reported, or Pending (with the backend when it was found) for the
// caller to poll again until its timeout turns Pending into NotApplied.
func Verify(a model.Action, sentAt time.Time, snap model.Snapshot) (Outcome, model.Backend, bool) {
	if snap.Err != nil || snap.At.Add(-snap.Took).Before(sentAt) {
		return Pending, model.Backend{}, false
	}
	if a.Kind.ProxyLevel() {
		if snap.ProxyFailing == (a.Kind == model.ActionProxyFail) {
			return Confirmed, model.Backend{}, true
		}
		return Pending, model.Backend{}, true
	}
	b, ok := Find(snap, a.Ref)
	if ok && Reached(a, b) {
		return Confirmed, b, true
	}
	return Pending, b, ok
}
