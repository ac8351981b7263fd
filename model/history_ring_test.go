package model

import (
	"math/rand/v2"
	"testing"
)

// TestSampleRingPacks: whatever the samples (constant, close, spread
// over every code, with gaps), every one of the last size samples reads
// back as pushed, for rings shorter and longer than a block.
func TestSampleRingPacks(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	kinds := map[string]func(prev psample) psample{
		"constant": func(psample) psample { return packSample(100, 1, 7) },
		"close": func(prev psample) psample {
			return packSample(prev.req()*(0.95+rng.Float64()/10), prev.errRate()*(0.9+rng.Float64()/5), int64(rng.IntN(40)))
		},
		"spread": func(psample) psample { return psample(rng.Uint32()) },
		"gaps": func(prev psample) psample {
			if rng.IntN(5) == 0 {
				return gapSample
			}
			return packSample(float64(rng.IntN(1000)), 0, int64(rng.IntN(3)))
		},
	}
	for name, next := range kinds {
		for _, size := range []int{1, 6, 63, 64, 65, 200, 900} {
			r := sampleRing{size: size}
			var ref []psample
			s := packSample(500, 5, 20)
			for i := range 3 * size {
				s = next(s)
				r.push(s)
				ref = append(ref, s)
				if i%7 != 0 && i != 3*size-1 {
					continue
				}
				if want := min(len(ref), size); r.n != want {
					t.Fatalf("%s, size %d, after %d: holds %d, want %d", name, size, i+1, r.n, want)
				}
				for k := range r.n {
					if got, want := r.back(k), ref[len(ref)-1-k]; got != want {
						t.Fatalf("%s, size %d, after %d: sample %d back is %#x, want %#x", name, size, i+1, k, got, want)
					}
				}
			}
			if r.blocks*r.per() > size+blockLen {
				t.Errorf("%s, size %d: %d blocks kept", name, size, r.blocks)
			}
		}
	}
}

// BenchmarkSampleRingBytes reports the bytes a pool's ring of 900
// samples takes when its rates move by a few percent a poll.
func BenchmarkSampleRingBytes(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	var r sampleRing
	for b.Loop() {
		r = sampleRing{size: 900}
		req := 500.0
		for range 900 {
			req *= 0.9 + rng.Float64()/5
			r.push(packSample(req, req/100, int64(90+rng.IntN(20))))
		}
	}
	b.ReportMetric(float64(len(r.packed)+4*cap(r.recent))/900, "bytes/sample")
}
