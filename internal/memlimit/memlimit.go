// Package memlimit keeps a soft limit on lbtop's memory: the limit the
// user gave (or the default), raised whenever the live heap needs more.
//
// Go's garbage collector lets the heap grow to twice what is live before
// it collects (GOGC=100). lbtop's live heap is mostly long-lived (the
// fleet, its history), so that headroom doubles the process's size: at
// 100,000 backends with 30 minutes of history, ~108 MB live became
// ~270 MB RSS. A soft limit (runtime/debug.SetMemoryLimit) makes the
// collector run more often near the limit instead. It is the last piece
// of the memory budget, after the data itself was made small, never a
// substitute: the limit is kept at least 1.25 × the live heap + 16 MiB,
// so a fleet larger than the limit was sized for costs more frequent
// collections, not a collector that never stops.
package memlimit

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Default is lbtop's soft memory limit when none is given, sized for a
// dashboard of 100,000 backends with 30 minutes of history within 200 MB
// RSS: model's BenchmarkSessionRSS100k peaks at 159–161 MB with it (GC
// 17–19% of the CPU; 181 MB and 15% with 170MiB), and lbtop's own binary maps
// ~34 MB more code pages than that test binary. Smaller fleets never
// reach it.
const Default = 150 << 20

// floor is the least headroom kept above the live heap; window is how
// many samples of it the limit follows.
const (
	floor  = 16 << 20
	window = 5
)

// Parse reads a size: "180MiB", "1GiB", "200MB", "500000000" (bytes), or
// "off" (or "0") for no limit, which it returns as 0.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "off" || t == "0" {
		return 0, nil
	}
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(t[len(num):])
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || n <= 0 {
		return 0, fmt.Errorf("memory limit %q: want a size such as 180MiB, 1GiB or 200MB, or off", s)
	}
	v := n * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("memory limit %q: too large", s)
	}
	if v < 32<<20 {
		return 0, fmt.Errorf("memory limit %q: below 32MiB, lbtop would do little but collect garbage", s)
	}
	return int64(v), nil
}

// Start sets the soft limit to limit and, until ctx ends, raises it every
// interval to at least 1.25 × the live heap + 16 MiB (lowering it back,
// never below limit, when the heap shrinks). The live heap is the least
// of the last window samples: what the data needs, not the peaks of a
// fleet being built (the live heap a collection reports includes what
// was allocated while it ran). limit 0 sets nothing; nor does any limit
// when GOMEMLIMIT is set: the runtime applied that one.
func Start(ctx context.Context, limit int64, interval time.Duration) {
	if limit <= 0 || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(limit)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		set := limit
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var lives [window]uint64
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			metrics.Read(sample)
			lives[i%window] = sample[0].Value.Uint64()
			least := lives[0]
			for _, v := range lives[:min(i+1, window)] {
				least = min(least, v)
			}
			if want := Needed(limit, least); want != set {
				set = want
				debug.SetMemoryLimit(set)
			}
		}
	}()
}

// Needed is the limit to keep for a live heap of live bytes: limit, or
// 1.25 × live + 16 MiB when that is more.
func Needed(limit int64, live uint64) int64 {
	return max(limit, int64(min(live, math.MaxInt64/2))*5/4+floor)
}
