package model

import (
	"testing"
	"time"
)

// TestRateKeptOverAShortWindow: a re-poll 300 ms after the last one (an
// action's verification) shows the last rate instead of 0.0, and the next
// poll measures over the whole span since the older sample.
func TestRateKeptOverAShortWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	s := NewStore(func() time.Time { return t0 })
	poll := func(at time.Time, req, errs uint64) BackendRow {
		f := s.Ingest(Snapshot{Source: "lb", Kind: KindHAProxy, At: at, Pools: []Pool{{Name: "web", Backends: []Backend{
			{Name: "a", Health: Healthy, Weight: 1, Requests: req, Errors: errs, Counters: true},
		}}}})
		return f.Pools[0].Backends[0]
	}
	poll(t0, 1000, 10)
	if b := poll(t0.Add(2*time.Second), 1200, 14); b.ReqRate != 100 || b.ErrRate != 2 {
		t.Fatalf("rate over 2s: %v req/s %v 5xx/s, want 100 and 2", b.ReqRate, b.ErrRate)
	}
	if b := poll(t0.Add(2300*time.Millisecond), 1200, 14); !b.HasRates || b.ReqRate != 100 {
		t.Fatalf("re-poll 300 ms later: %v req/s (has %v), want the last rate 100", b.ReqRate, b.HasRates)
	}
	if b := poll(t0.Add(4*time.Second), 1500, 14); b.ReqRate != 150 {
		t.Fatalf("next poll: %v req/s, want 150 (300 over the 2 s since the kept sample)", b.ReqRate)
	}
}
