// Package model is lbtop's domain: pools, backends, their health and the
// reason for it, and the Store that merges snapshots from every source into
// one immutable, sorted view for the screen. It performs no I/O and knows no
// wire format.
package model

import (
	"fmt"
	"strings"
)

// Health is the coarse state of one backend, common to every system.
// The system's own words for it go in Backend.Reason.
type Health uint8

// The six health states. The zero value is Unknown so that a forgotten
// mapping never reads as Healthy.
const (
	Unknown   Health = iota // state could not be determined
	Healthy                 // in rotation and passing checks
	Degraded                // serving, but other backends are preferred
	Draining                // finishing existing work, no new traffic
	Unhealthy               // failing checks or ejected; receives no traffic
	Down                    // administratively out (maint, down, weight 0 where the system says so)
)

var healthNames = [...]string{
	Unknown:   "unknown",
	Healthy:   "healthy",
	Degraded:  "degraded",
	Draining:  "draining",
	Unhealthy: "unhealthy",
	Down:      "down",
}

// String returns the lower-case word used on screen and in JSON output.
func (h Health) String() string {
	if int(h) < len(healthNames) {
		return healthNames[h]
	}
	return fmt.Sprintf("health(%d)", uint8(h))
}

// ParseHealth is the inverse of String.
func ParseHealth(s string) (Health, error) {
	for i, n := range healthNames {
		if n == s {
			return Health(i), nil
		}
	}
	return Unknown, fmt.Errorf("unknown health %q (want one of healthy, degraded, draining, unhealthy, down, unknown)", s)
}

// MarshalText makes Health encode as its word in JSON and YAML.
func (h Health) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses the word written by MarshalText.
func (h *Health) UnmarshalText(b []byte) error {
	v, err := ParseHealth(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Serving reports whether a backend in this state takes new traffic.
// Degraded backends still serve (Envoy routes to them when it must), so
// they count towards a pool's healthy total.
func (h Health) Serving() bool { return h == Healthy || h == Degraded }

// HealthText is a backend's state for messages: its health with the
// system's reason in brackets, "unhealthy (L4CON)", or the reason alone
// when it already starts with the health word ("down (admin)", not
// "down (down (admin))").
func HealthText(h Health, reason string) string {
	word := h.String()
	switch {
	case reason == "":
		return word
	case strings.HasPrefix(strings.ToLower(reason), word):
		return reason
	}
	return word + " (" + reason + ")"
}

// severity orders states worst first for sorting backends inside a pool.
func (h Health) severity() int {
	switch h {
	case Down:
		return 0
	case Unhealthy:
		return 1
	case Unknown:
		return 2
	case Draining:
		return 3
	case Degraded:
		return 4
	default:
		return 5
	}
}
