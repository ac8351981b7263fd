package model

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AlertMetric is the pool figure an alert rule watches.
type AlertMetric uint8

// The metrics of `when:`.
const (
	MetricHealthyRatio AlertMetric = iota // serving / total (0 for a pool without backends)
	MetricHealthy                         // serving backends
	MetricErrRatio                        // 5xx/s ÷ req/s (0 without traffic)
	MetricErrRate                         // 5xx/s
	MetricReqRate                         // req/s
	MetricActive                          // active connections
)

var metricNames = [...]string{
	MetricHealthyRatio: "healthy_ratio",
	MetricHealthy:      "healthy",
	MetricErrRatio:     "err_ratio",
	MetricErrRate:      "err_rate",
	MetricReqRate:      "req_rate",
	MetricActive:       "active",
}

// String returns the metric's name in `when:`.
func (m AlertMetric) String() string {
	if int(m) < len(metricNames) {
		return metricNames[m]
	}
	return "metric(" + strconv.Itoa(int(m)) + ")"
}

// Of returns the metric's value for a pool.
func (m AlertMetric) Of(p *PoolRow) float64 {
	switch m {
	case MetricHealthyRatio:
		return ratio(p)
	case MetricHealthy:
		return float64(p.Healthy)
	case MetricErrRatio:
		if p.ReqRate <= 0 {
			return 0
		}
		return p.ErrRate / p.ReqRate
	case MetricErrRate:
		return p.ErrRate
	case MetricReqRate:
		return p.ReqRate
	case MetricActive:
		return float64(p.Active)
	}
	return 0
}

// AlertOp compares a metric with the rule's number.
type AlertOp uint8

// The comparison operators of `when:`.
const (
	OpLess AlertOp = iota
	OpLessEq
	OpGreater
	OpGreaterEq
	OpEqual
	OpNotEqual
)

var opNames = [...]string{OpLess: "<", OpLessEq: "<=", OpGreater: ">", OpGreaterEq: ">=", OpEqual: "==", OpNotEqual: "!="}

// String returns the operator as written.
func (o AlertOp) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Holds reports whether v OP n.
func (o AlertOp) Holds(v, n float64) bool {
	switch o {
	case OpLess:
		return v < n
	case OpLessEq:
		return v <= n
	case OpGreater:
		return v > n
	case OpGreaterEq:
		return v >= n
	case OpEqual:
		return v == n
	case OpNotEqual:
		return v != n
	}
	return false
}

// The states of an alert event.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// AlertRule is one parsed `alerts:` entry: when Metric OP Threshold has
// held for For on a pool whose name matches Pools, the rule fires on it.
type AlertRule struct {
	Name      string
	Pools     *regexp.Regexp // nil matches every pool
	Metric    AlertMetric
	Op        AlertOp
	Threshold float64
	For       time.Duration
}

// String is the rule's condition as written: "healthy_ratio < 0.8 for 30s".
func (r AlertRule) String() string {
	s := r.Metric.String() + " " + r.Op.String() + " " + strconv.FormatFloat(r.Threshold, 'g', -1, 64)
	if r.For > 0 {
		s += " for " + r.For.String()
	}
	return s
}

// AlertFieldError is a problem with one field of an alert rule; Field is
// its YAML key (name, pools, when, for) so the config can name the line.
type AlertFieldError struct {
	Field string
	Err   error
}

func (e *AlertFieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *AlertFieldError) Unwrap() error { return e.Err }

// ParseAlertRule checks and compiles one rule. forText is a Go duration
// ("30s"; empty for zero). Errors are *AlertFieldError.
func ParseAlertRule(name, pools, when, forText string) (AlertRule, error) {
	r := AlertRule{Name: strings.TrimSpace(name)}
	if r.Name == "" {
		return r, &AlertFieldError{"name", fmt.Errorf("missing: every rule needs a name")}
	}
	if pools != "" {
		re, err := regexp.Compile(pools)
		if err != nil {
			return r, &AlertFieldError{"pools", fmt.Errorf("bad regular expression %q: %w", pools, err)}
		}
		r.Pools = re
	}
	m, op, n, err := parseWhen(when)
	if err != nil {
		return r, &AlertFieldError{"when", err}
	}
	r.Metric, r.Op, r.Threshold = m, op, n
	if forText != "" {
		d, err := time.ParseDuration(forText)
		if err != nil || d < 0 {
			return r, &AlertFieldError{"for", fmt.Errorf("%q is not a duration such as 30s or 2m", forText)}
		}
		r.For = d
	}
	return r, nil
}

// parseWhen reads "METRIC OP NUMBER".
func parseWhen(s string) (AlertMetric, AlertOp, float64, error) {
	fields := strings.Fields(s)
	if len(fields) != 3 {
		return 0, 0, 0, fmt.Errorf("%q: want METRIC OP NUMBER, e.g. \"healthy_ratio < 0.8\"", s)
	}
	m, ok := lookup(metricNames[:], fields[0])
	if !ok {
		return 0, 0, 0, fmt.Errorf("unknown metric %q (one of %s)", fields[0], strings.Join(metricNames[:], ", "))
	}
	op, ok := lookup(opNames[:], fields[1])
	if !ok {
		return 0, 0, 0, fmt.Errorf("unknown operator %q (one of %s)", fields[1], strings.Join(opNames[:], " "))
	}
	n, err := strconv.ParseFloat(fields[2], 64)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%q is not a number", fields[2])
	}
	return AlertMetric(m), AlertOp(op), n, nil
}

func lookup(names []string, s string) (int, bool) {
	for i, n := range names {
		if n == s {
			return i, true
		}
	}
	return 0, false
}
