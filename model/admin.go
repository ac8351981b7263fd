package model

import (
	"fmt"
	"strconv"
)

// AdminState is a backend's administrative state: what an operator (or
// lbtop) set, as distinct from what health checks found. A drained server
// that fails its checks is reported DOWN by HAProxy, and a weight-0 server
// is still UP, so Health alone cannot tell whether a drain took effect.
type AdminState uint8

// Administrative states. The zero value is AdminUnknown so that a source
// that does not report it is never read as "ready".
const (
	AdminUnknown AdminState = iota // the source does not say
	AdminReady                     // no administrative override: normal rotation
	AdminDrain                     // drained by an operator: no new traffic
	AdminMaint                     // in maintenance (HAProxy MAINT, NGINX down)
)

var adminNames = [...]string{
	AdminUnknown: "unknown",
	AdminReady:   "ready",
	AdminDrain:   "drain",
	AdminMaint:   "maint",
}

// String returns the lower-case word used in JSON and the audit log.
func (a AdminState) String() string {
	if int(a) < len(adminNames) {
		return adminNames[a]
	}
	return "admin(" + strconv.Itoa(int(a)) + ")"
}

// ParseAdminState is the inverse of String.
func ParseAdminState(s string) (AdminState, error) {
	for i, n := range adminNames {
		if n == s {
			return AdminState(i), nil
		}
	}
	return AdminUnknown, fmt.Errorf("unknown admin state %q (want one of ready, drain, maint, unknown)", s)
}

// MarshalText makes AdminState encode as its word in JSON and YAML.
func (a AdminState) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses the word written by MarshalText.
func (a *AdminState) UnmarshalText(b []byte) error {
	v, err := ParseAdminState(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
