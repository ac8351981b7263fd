package sources

import (
	"testing"
	"time"
)

// TestNextDelayCapped: a failing source backs off to at most twice its
// interval and at most 5 s, never below its interval, so its recovery is
// seen soon.
func TestNextDelayCapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		interval time.Duration
		ceiling  time.Duration // longest delay before jitter, whatever the failures
	}{
		{100 * time.Millisecond, 200 * time.Millisecond},
		{2 * time.Second, 4 * time.Second},
		{4 * time.Second, 5 * time.Second},
		{10 * time.Second, 10 * time.Second},
	}
	for _, tc := range tests {
		for failures := range 50 {
			want := tc.interval
			for range min(failures, 10) {
				want = min(2*want, tc.ceiling)
			}
			d := nextDelay(tc.interval, failures)
			if lo, hi := want-want/10, want+want/10; d < lo || d > hi {
				t.Errorf("nextDelay(%v, %d failures) = %v, want %v ±10%% (ceiling %v)", tc.interval, failures, d, want, tc.ceiling)
			}
		}
	}
}
