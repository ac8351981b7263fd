package haproxy_test

import (
	"testing"
	"time"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/haproxy"
)

// HAProxy scales weights to 0–256 and never reports negative sessions: a
// row that does is rejected for that server, not shown as it came.
func TestBackendRejectsOutOfRangeFigures(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		weight int
		scur   int64
		health model.Health
		reason string
		w      int
		active int64
	}{
		{256, 4, model.Healthy, "UP", 256, 4},
		{-1, 0, model.Healthy, "UP", -1, 0}, // the column was empty: not reported
		{-5, 0, model.Unknown, "invalid weight -5 from source; UP", -1, 0},
		{257, 1, model.Unknown, "invalid weight 257 from source; UP", -1, 1},
		{10, -3, model.Unknown, "invalid active -3 from source; UP", 10, 0},
	} {
		b := haproxy.Backend(&haproxy.Stat{Proxy: "web", Name: "s1", Type: haproxy.TypeServer, Status: "UP", Weight: tc.weight, Scur: tc.scur, LastChg: -1}, now)
		if b.Health != tc.health || b.Reason != tc.reason || b.Weight != tc.w || b.Active != tc.active {
			t.Errorf("weight %d scur %d: got %v %q weight %d active %d, want %v %q %d %d",
				tc.weight, tc.scur, b.Health, b.Reason, b.Weight, b.Active, tc.health, tc.reason, tc.w, tc.active)
		}
	}
}
