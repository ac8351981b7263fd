package main

import (
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/ui"
)

// frameWriter is a session's terminal: it counts the frames written to it
// and signals each one.
type frameWriter struct {
	frames atomic.Int64
	wrote  chan struct{}
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.frames.Add(1)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

// benchSnapshot is one poll of 100 pools of 10 backends (1,000 in all),
// its rates and some states moved by cycle so every frame differs.
func benchSnapshot(cycle int) model.Snapshot {
	pools := make([]model.Pool, 100)
	for i := range pools {
		p := &pools[i]
		p.Name = "svc-" + strconv.Itoa(i)
		p.Backends = make([]model.Backend, 10)
		for j := range p.Backends {
			h := model.Healthy
			if (i+j+cycle)%37 == 0 {
				h = model.Unhealthy
			}
			p.Backends[j] = model.Backend{
				Name: p.Name + "-be-" + strconv.Itoa(j), Address: "10.0." + strconv.Itoa(i) + "." + strconv.Itoa(j) + ":8080",
				Health: h, Reason: "L7OK", Weight: 10, Active: int64(j + cycle%5),
				ReqRate: float64((i*j + cycle) % 500), ErrRate: float64((i + cycle) % 4), HasRates: true,
			}
		}
	}
	return model.Snapshot{Source: "haproxy", Kind: model.KindHAProxy, At: time.Now(), Pools: pools}
}

// BenchmarkServe32Sessions1000Backends is one poll cycle of lbtop serve
// with 32 dashboards (120×40, real Bubble Tea programs and renderers)
// watching 1,000 backends: the engine merges the poll once, every
// session takes the new fleet, and the cycle ends when all 32 have
// written their frame. The frame budget is held when a cycle takes well
// under the poll interval (2 s) and under the one second between two
// frames of a session (fleetEvery, the clock tick). Metrics: the median
// cycle's wall time, the process's CPU time per cycle, and the median
// as a share of the poll interval.
//
//	go test -run '^$' -bench Serve32Sessions -benchtime 40x ./cmd/lbtop
func BenchmarkServe32Sessions1000Backends(b *testing.B) {
	const sessions = 32
	store := newStore(nil)
	feed := newFleetFeed(store, slog.New(slog.DiscardHandler), nil, nil)
	first := feed.next(benchSnapshot(0))
	var progs []*tea.Program
	var outs []*frameWriter
	for i := range sessions {
		w := &frameWriter{wrote: make(chan struct{}, 1)}
		opts := ui.Options{ReadOnly: true, User: "u" + strconv.Itoa(i), Identity: "u" + strconv.Itoa(i) + " · viewer"}
		p := tea.NewProgram(ui.New(nil, opts), tea.WithInput(nil), tea.WithOutput(w), tea.WithWindowSize(120, 40),
			tea.WithFPS(serveFPS), tea.WithoutSignalHandler())
		done := make(chan struct{})
		go func() { _, _ = p.Run(); close(done) }()
		b.Cleanup(func() { p.Kill(); <-done })
		p.Send(first)
		progs, outs = append(progs, p), append(outs, w)
	}
	// Every session has drawn the first fleet.
	for _, w := range outs {
		for w.frames.Load() < 2 {
			<-w.wrote
		}
	}
	var cycles []time.Duration
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		before := make([]int64, sessions)
		for k, w := range outs {
			before[k] = w.frames.Load()
		}
		msg := feed.next(benchSnapshot(i + 1))
		for _, p := range progs {
			p.Send(msg)
		}
		for k, w := range outs {
			for w.frames.Load() == before[k] {
				<-w.wrote
			}
		}
		cycles = append(cycles, time.Since(start))
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	slices.Sort(cycles)
	median := cycles[len(cycles)/2]
	b.ReportMetric(float64(median.Microseconds())/1000, "ms/cycle-median")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(cycles)), "cpu-ms/cycle")
	b.ReportMetric(100*median.Seconds()/(2*time.Second).Seconds(), "%poll-interval")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
