package model

import (
	"fmt"
	"strconv"
)

// ActionKind is what an action does.
type ActionKind uint8

// The actions lbtop can ask a system to perform.
const (
	ActionDrain     ActionKind = iota + 1 // stop new traffic, let existing work finish
	ActionReady                           // back to normal rotation (undo drain or maint)
	ActionMaint                           // take out entirely (HAProxy MAINT, NGINX down)
	ActionWeight                          // set the weight to Action.Weight
	ActionProxyFail                       // fail the whole proxy's health check (Envoy /healthcheck/fail)
	ActionProxyOK                         // undo ActionProxyFail
)

var actionNames = [...]string{
	ActionDrain:     "drain",
	ActionReady:     "ready",
	ActionMaint:     "maint",
	ActionWeight:    "weight",
	ActionProxyFail: "proxy-fail",
	ActionProxyOK:   "proxy-ok",
}

// String returns the action's verb.
func (k ActionKind) String() string {
	if k > 0 && int(k) < len(actionNames) {
		return actionNames[k]
	}
	return "action(" + strconv.Itoa(int(k)) + ")"
}

// ProxyLevel reports whether the action affects a whole proxy rather than
// one backend.
func (k ActionKind) ProxyLevel() bool { return k == ActionProxyFail || k == ActionProxyOK }

// Action is one requested change.
type Action struct {
	Kind   ActionKind
	Ref    BackendRef // for proxy-level actions only Ref.Source is set
	Weight int        // for ActionWeight
}

// String describes the action for messages and logs.
func (a Action) String() string {
	switch {
	case a.Kind == ActionWeight:
		return fmt.Sprintf("weight %d %s", a.Weight, a.Ref)
	case a.Kind.ProxyLevel():
		return fmt.Sprintf("%s %s (whole proxy)", a.Kind, a.Ref.Source)
	default:
		return fmt.Sprintf("%s %s", a.Kind, a.Ref)
	}
}
