package memlimit

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"180MiB": 180 << 20, "1GiB": 1 << 30, "200MB": 200e6, "1.5GiB": 3 << 29, "500000000": 5e8, "off": 0, "0": 0} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "12 parsecs", "-5MiB", "1MiB", "1e30GiB", "180mib"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func TestNeededNeverBelowLiveHeap(t *testing.T) {
	t.Parallel()
	if got := Needed(Default, 100<<20); got != Default {
		t.Errorf("100 MiB live: %d, want the limit", got)
	}
	if got, want := Needed(Default, 400<<20), int64(500<<20+floor); got != want {
		t.Errorf("400 MiB live: %d, want %d", got, want)
	}
	if got := Needed(Default, math.MaxUint64); got <= 0 {
		t.Errorf("overflow: %d", got)
	}
}

// TestStartSetsAndRaises: the limit is set at once, and raised above a
// live heap that outgrows it. Not parallel: the limit is the process's.
func TestStartSetsAndRaises(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Start(ctx, 64<<20, 5*time.Millisecond)
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Fatalf("limit %d, want 64 MiB", got)
	}
	keep := make([]byte, 96<<20) // live heap above the limit
	for i := range keep {
		keep[i] = byte(i)
	}
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) < 96<<20*5/4 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d stayed below 1.25 × a 96 MiB live heap", debug.SetMemoryLimit(-1))
		}
		debug.FreeOSMemory() // a GC, so the live heap is measured
		time.Sleep(10 * time.Millisecond)
	}
	_ = keep[len(keep)-1]
}
