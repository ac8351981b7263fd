package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventType says what an Event is about.
type EventType uint8

// The event types. The zero value is EventBackend.
const (
	EventBackend EventType = iota // a backend changed health
	EventPool                     // a pool changed state (diagnosis, or healthy/total)
	EventSource                   // a source became readable (ok) or not (failing)
	EventAlert                    // an alert rule fired or resolved
	EventAction                   // an operator action from the audit log
)

var eventTypeNames = [...]string{
	EventBackend: "backend",
	EventPool:    "pool",
	EventSource:  "source",
	EventAlert:   "alert",
	EventAction:  "action",
}

// String returns the word used in JSON lines and on screen.
func (t EventType) String() string {
	if int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return "event(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText makes EventType encode as its word in JSON.
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses the word written by MarshalText.
func (t *EventType) UnmarshalText(b []byte) error {
	for i, n := range eventTypeNames {
		if n == string(b) {
			*t = EventType(i)
			return nil
		}
	}
	return fmt.Errorf("unknown event type %q (want backend, pool, source, alert or action)", b)
}

// Event is one change lbtop saw, derived from consecutive observations of
// the fleet: a backend's health, a pool's state, a source's readability,
// an alert rule, or an operator's action. Its JSON form is the `lbtop
// watch -o jsonl` line; the keys time, type, source, pool, backend, from,
// to and reason are always present, fields are only ever added.
type Event struct {
	Time    time.Time `json:"time"`
	Type    EventType `json:"type"`
	Source  string    `json:"source"` // source name(s), comma-separated for a merged pool
	Pool    string    `json:"pool"`
	Backend string    `json:"backend"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Reason  string    `json:"reason"` // the system's words (L4CON), a source error, an alert rule

	Instance string `json:"instance,omitempty"` // the proxy, when one source speaks for several
	Kind     Kind   `json:"kind,omitempty"`     // kind of a pool line

	// NoHealthy marks a pool event in which the pool lost its last
	// serving backend ("no healthy upstream"): `watch --bell` rings on it.
	NoHealthy bool `json:"no_healthy,omitempty"`

	// Alert events: the rule's name, firing or resolved, and the metric's
	// value when the state changed.
	Name  string   `json:"name,omitempty"`
	State string   `json:"state,omitempty"`
	Value *float64 `json:"value,omitempty"`

	// Action events: who did it (the audit log's user).
	User string `json:"user,omitempty"`
}

// Text is the event as one readable line, with every field from the
// outside world passed through SafeText: "15:04:05 backend haproxy
// web/a healthy → unhealthy (L4CON)".
func (e Event) Text() string {
	var b strings.Builder
	b.WriteString(e.Time.Format("15:04:05"))
	b.WriteByte(' ')
	b.WriteString(e.Type.String())
	switch e.Type {
	case EventAlert:
		fmt.Fprintf(&b, " %s %s %s", SafeText(e.Name), SafeText(e.State), SafeText(e.Pool))
		if e.Value != nil {
			fmt.Fprintf(&b, " value=%s", strconv.FormatFloat(*e.Value, 'g', 4, 64))
		}
	case EventAction:
		fmt.Fprintf(&b, " %s %s %s %s/%s", SafeText(e.User), SafeText(e.To), SafeText(e.Source), SafeText(e.Pool), SafeText(e.Backend))
	default:
		if e.Source != "" {
			b.WriteByte(' ')
			b.WriteString(SafeText(e.Source))
		}
		if e.Pool != "" {
			b.WriteByte(' ')
			b.WriteString(SafeText(e.Pool))
			if e.Backend != "" {
				b.WriteByte('/')
				b.WriteString(SafeText(e.Backend))
			}
		}
		if e.Instance != "" {
			b.WriteString(" @")
			b.WriteString(SafeText(e.Instance))
		}
		fmt.Fprintf(&b, " %s → %s", SafeText(e.From), SafeText(e.To))
	}
	if e.Reason != "" {
		b.WriteString(" (")
		b.WriteString(SafeText(e.Reason))
		b.WriteByte(')')
	}
	return b.String()
}

// Bell reports whether the event should ring the terminal bell: a rule
// fired or a pool lost its last healthy backend.
func (e Event) Bell() bool {
	return (e.Type == EventAlert && e.State == AlertFiring) || (e.Type == EventPool && e.NoHealthy)
}
