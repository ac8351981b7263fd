package actions

import (
	"fmt"

	"github.com/lbtop/lbtop/model"
)

// LastProxy returns, per source, the first entry that failed the whole
// proxy's health check since a proxy-ok last confirmed it passing, for
// the header's "since 03:12 by ana". Failed and refused attempts do not
// count. Whether the proxy still fails is read from the proxy itself on
// every poll; this only says since when and by whom.
func LastProxy(entries []Entry) map[string]Entry {
	out := map[string]Entry{}
	for _, e := range entries {
		if e.Result == Failed || e.Result == Refused {
			continue
		}
		switch e.Action {
		case model.ActionProxyFail.String():
			if _, ok := out[e.Source]; !ok {
				out[e.Source] = e
			}
		case model.ActionProxyOK.String():
			if e.Result == Confirmed {
				delete(out, e.Source)
			}
		}
	}
	return out
}

// ProxyImpact is what a proxy-level action changes, for its confirmation
// (the dashboard's dialog and the CLI's plan): the scope, every pool the
// proxy serves, and the change of its own health check.
func ProxyImpact(st model.SourceStatus, k model.ActionKind) []string {
	scope := fmt.Sprintf("affects  EVERY pool on this proxy (%s, %s)", count(st.Pools, "pool"), count(st.Backends, "backend"))
	if k == model.ActionProxyOK {
		return []string{scope, "change   proxy health check FAILING → passing"}
	}
	return []string{scope, "change   proxy health check passing → FAILING",
		"Load balancers in front of " + st.Name + " stop sending it ANY traffic."}
}

// count renders "1 pool", "3 pools".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
