package nginx

import (
	"bytes"
	"context"

	"github.com/lbtop/lbtop/model"
)

// Open-source NGINX: stub_status gives connection and request counts for
// the whole instance and nothing per upstream, so a snapshot has metrics
// and a note but no pools. Health is never invented.

// ossNote is shown with the source on screen.
const ossNote = "open-source NGINX: stub_status has no per-upstream state; use NGINX Plus API or Prometheus for upstream health"

// ossNoActions says why nothing can be changed on open-source NGINX.
const ossNoActions = "open-source NGINX (stub_status) has no API to drain, take down or reweight an upstream server; that needs the NGINX Plus API with \"api write=on\""

// pollOSS reads stub_status; body, when set, is the page detection fetched.
func (s *Source) pollOSS(ctx context.Context, body []byte) (model.Snapshot, error) {
	if body == nil {
		var err error
		if body, err = s.get(ctx, s.base.EscapedPath(), maxSmallBody); err != nil {
			return model.Snapshot{}, err
		}
	}
	st, err := parseStubStatus(bytes.NewReader(body))
	if err != nil {
		return model.Snapshot{}, &requestError{endpoint: s.endpoint, method: "GET", path: s.base.EscapedPath(), err: err}
	}
	return model.Snapshot{Metrics: stubMetrics(st), Note: ossNote}, nil
}

// stubMetrics maps stub_status to proxy-level metrics: current
// connection counts as gauges, cumulative counts as counters (the Store
// turns them into rates).
func stubMetrics(st stubStatus) []model.Metric {
	return []model.Metric{
		{Name: "active", Value: float64(st.Active)},
		{Name: "reading", Value: float64(st.Reading)},
		{Name: "writing", Value: float64(st.Writing)},
		{Name: "waiting", Value: float64(st.Waiting)},
		{Name: "accepts", Value: float64(st.Accepts), Counter: true},
		{Name: "handled", Value: float64(st.Handled), Counter: true},
		{Name: "requests", Value: float64(st.Requests), Counter: true},
	}
}

// Can reports whether an action is possible on what the URL was found to
// be: drain, ready, maint and weight on NGINX Plus; nothing on open-source
// NGINX, nor before the first successful poll has detected which it is.
// It makes sources.Supports reflect the detected mode.
func (s *Source) Can(action model.ActionKind) bool {
	m, _ := s.detected()
	if m != modePlus {
		return false
	}
	switch action {
	case model.ActionDrain, model.ActionReady, model.ActionMaint, model.ActionWeight:
		return true
	case model.ActionProxyFail, model.ActionProxyOK:
		return false
	}
	return false
}

// Unsupported says why an action is impossible: on open-source NGINX
// every action is; before detection the mode is not known yet. On NGINX
// Plus it returns "" for the actions it performs (a disabled write API is
// only known when NGINX answers 405, which is shown then).
func (s *Source) Unsupported(action model.ActionKind) string {
	m, _ := s.detected()
	switch m {
	case modeOSS:
		return ossNoActions
	case modeUnknown:
		return "NGINX source " + s.name + " has not been polled successfully yet: whether it is NGINX Plus (which can " + action.String() + ") or open-source NGINX (which cannot) is detected on the first poll"
	case modePlus:
		if action.ProxyLevel() {
			return "NGINX Plus has no API to fail the whole proxy's health; drain or take down its servers instead"
		}
	}
	return ""
}
