package demo

import (
	"bytes"
	"testing"
)

func benchFleet(b *testing.B) *Fleet {
	b.Helper()
	f, err := Start(b.Context(), Options{Seed: 1, Tick: -1})
	if err != nil {
		b.Fatalf("Start: %v", err)
	}
	b.Cleanup(func() { _ = f.Close() })
	return f
}

// BenchmarkStep is one simulation step of the default fleet (28 pools,
// about 280 backends).
func BenchmarkStep(b *testing.B) {
	f := benchFleet(b)
	for b.Loop() {
		f.Step()
	}
}

// BenchmarkShowStat renders `show stat` for the default fleet.
func BenchmarkShowStat(b *testing.B) {
	f := benchFleet(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		f.sim.mu.Lock()
		f.sim.ha.writeStat(&buf, f.sim.now(), allStats())
		f.sim.mu.Unlock()
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkClustersJSON renders /clusters?format=json for the default fleet.
func BenchmarkClustersJSON(b *testing.B) {
	f := benchFleet(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		f.sim.mu.Lock()
		err := f.sim.env.writeClustersJSON(&buf, f.sim.n)
		f.sim.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
