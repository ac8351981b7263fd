package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Why a duration was refused; callers phrase the message for where the
// value came from (a flag, an environment variable, a YAML field).
var (
	// ErrNoUnit: a bare number such as "2", which Go would read as 2ns.
	ErrNoUnit = errors.New("a duration needs a unit, e.g. 2s")
	// ErrNotPositive: zero or negative. Neither is a way to ask for the
	// default; leaving the setting out is.
	ErrNotPositive = errors.New("must be positive, e.g. 2s (leave it out for the default)")
	// ErrNotDuration: not a duration at all.
	ErrNotDuration = errors.New("not a duration, e.g. 2s, 500ms or 1m")
)

// ParseDuration reads a poll interval or timeout: a positive Go duration
// with a unit. A bare number, zero or a negative value is an error, never
// silently the default.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		if f <= 0 {
			return 0, ErrNotPositive
		}
		return 0, ErrNoUnit
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, ErrNotDuration
	}
	if d <= 0 {
		return 0, ErrNotPositive
	}
	return d, nil
}

// durationFieldErr phrases a ParseDuration error for a YAML field:
// `"2" needs a unit (e.g. 2s)`.
func durationFieldErr(value string, err error) string {
	switch {
	case errors.Is(err, ErrNoUnit):
		return fmt.Sprintf("%q needs a unit (e.g. %ss)", value, value)
	case errors.Is(err, ErrNotPositive):
		return fmt.Sprintf("%q must be positive (e.g. 2s); leave the field out for the default", value)
	}
	return fmt.Sprintf("%q is not a duration (e.g. 2s, 500ms, 1m)", value)
}
