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

// benchRender times render, called with the simulation locked, and
// reports the bytes it writes as the benchmark's size.
func benchRender(b *testing.B, render func(f *Fleet, buf *bytes.Buffer) error) {
	b.Helper()
	f := benchFleet(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		f.sim.mu.Lock()
		err := render(f, &buf)
		f.sim.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
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
	benchRender(b, func(f *Fleet, buf *bytes.Buffer) error {
		f.sim.ha.writeStat(buf, f.sim.now(), allStats())
		return nil
	})
}

// BenchmarkClustersJSON renders /clusters?format=json for the default fleet.
func BenchmarkClustersJSON(b *testing.B) {
	benchRender(b, func(f *Fleet, buf *bytes.Buffer) error {
		return f.sim.env.writeClustersJSON(buf, f.sim.n)
	})
}
