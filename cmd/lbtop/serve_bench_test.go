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
	"github.com/charmbracelet/colorprofile"

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
// with 32 dashboards (120×40, real Bubble Tea programs and painters)
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
	var sess []*session
	var outs []*frameWriter
	for i := range sessions {
		w := &frameWriter{wrote: make(chan struct{}, 1)}
		opts := ui.Options{ReadOnly: true, User: "u" + strconv.Itoa(i), Identity: "u" + strconv.Itoa(i) + " · viewer"}
		ss := benchSession(b, opts, w, false)
		ss.p.Send(first)
		sess, outs = append(sess, ss), append(outs, w)
	}
	// Every session has drawn the first fleet.
	for _, w := range outs {
		for w.frames.Load() < 1 {
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
		for _, ss := range sess { // straight in, not paced: the cost of a frame, not its wait
			ss.p.Send(msg)
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

// BenchmarkSessionFrame is the painting of one 120×40 frame of a
// dashboard of 1,000 backends after a poll (rates and some states moved:
// 36 of its 40 lines change), frames taken in turn from 8 successive
// polls, on a 256-color terminal. "lines" is the painter as sessions use
// it (only changed lines are sent); "all" sends every line, as after a
// resize. bytes/frame is what goes to the terminal. The view's own cost
// is ui's (go test -bench ViewPools ./ui).
//
//	go test -run '^$' -bench SessionFrame -benchmem -count 5 ./cmd/lbtop
func BenchmarkSessionFrame(b *testing.B) {
	store := newStore(nil)
	feed := newFleetFeed(store, slog.New(slog.DiscardHandler), nil, nil)
	var m tea.Model = ui.New(nil, ui.Options{ReadOnly: true, User: "u", Identity: "u · viewer"})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	views := make([]string, 8)
	for i := range views {
		m, _ = m.Update(feed.next(benchSnapshot(i)))
		views[i] = m.View().Content
	}
	for _, all := range []bool{false, true} {
		name := "lines"
		if all {
			name = "all"
		}
		b.Run(name, func(b *testing.B) {
			var sent countWriter
			p := &painter{w: &sent}
			frames := 0
			for i := 0; b.Loop(); i++ {
				if all {
					p.lines = nil
				}
				if err := p.paint(frame{content: views[i%len(views)], width: 120, height: 40, profile: colorprofile.ANSI256}); err != nil {
					b.Fatal(err)
				}
				frames++
			}
			b.ReportMetric(float64(sent)/float64(frames), "bytes/frame")
		})
	}
}

// countWriter counts the bytes written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
