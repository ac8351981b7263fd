package nginx

import (
	"testing"

	"github.com/lbtop/lbtop/model"
)

// NGINX weights are 1–1000000 (0 when a payload has none) and connection
// counts are never negative: a peer reporting otherwise is rejected.
func TestToBackendRejectsOutOfRangeFigures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		weight int
		active int64
		health model.Health
		reason string
		w      int
		a      int64
	}{
		{1000000, 3, model.Healthy, "up", 1000000, 3},
		{0, 0, model.Healthy, "up", 0, 0},
		{-5, 0, model.Unknown, "invalid weight -5 from source; up", -1, 0},
		{1000001, 0, model.Unknown, "invalid weight 1000001 from source; up", -1, 0},
		{1, -7, model.Unknown, "invalid active -7 from source; up", 1, 0},
	} {
		b := toBackend(&peer{Server: "10.0.0.1:80", State: "up", Weight: tc.weight, Active: tc.active}, false)
		if b.Health != tc.health || b.Reason != tc.reason || b.Weight != tc.w || b.Active != tc.a {
			t.Errorf("weight %d active %d: got %v %q weight %d active %d", tc.weight, tc.active, b.Health, b.Reason, b.Weight, b.Active)
		}
	}
}
