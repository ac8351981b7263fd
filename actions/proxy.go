package actions

import "github.com/lbtop/lbtop/model"

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
