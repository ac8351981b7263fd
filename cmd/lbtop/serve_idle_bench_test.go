package main

import (
	"io"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/ui"
)

// BenchmarkServeIdleSessions is the base cost of idle dashboards: 10
// sessions (real Bubble Tea programs with the serve pacing, 120×40) that
// nobody types in, with no new fleet, so all that runs is their timers
// (renderer ticker, clock tick). Each iteration is one second; the metric
// is the process's CPU time per second per session. "aligned" starts the
// programs as dashboard does (alignFrames), "unaligned" whenever.
//
//	go test -run '^$' -bench ServeIdleSessions -benchtime 5x ./cmd/lbtop
func BenchmarkServeIdleSessions(b *testing.B) {
	for _, aligned := range []bool{false, true} {
		b.Run("aligned="+strconv.FormatBool(aligned), func(b *testing.B) { benchIdle(b, aligned) })
	}
}

func benchIdle(b *testing.B, aligned bool) {
	const sessions = 10
	store := newStore(nil)
	first := ui.FleetMsg{Fleet: store.Fleet()}
	for i := range sessions {
		r, w := io.Pipe() // the keyboard: nobody types
		ss := &session{mail: make(chan ui.FleetMsg, 1), msgs: make(chan tea.Msg, 8),
			tick: make(chan struct{}, 1), in: newInput(r)}
		ss.in.lastNS.Store(time.Now().Add(-time.Hour).UnixNano()) // idle from the start
		opts := ui.Options{ReadOnly: true, User: "u" + strconv.Itoa(i)}
		ss.program(ui.New(nil, opts), tea.WithOutput(io.Discard), tea.WithWindowSize(120, 40), tea.WithoutSignalHandler())
		if aligned {
			alignFrames(time.Now(), time.Sleep)
		}
		done, ran := make(chan struct{}), make(chan struct{})
		go func() { _, _ = ss.p.Run(); close(ran) }()
		go ss.forward(done)
		ss.deliver(first)
		b.Cleanup(func() { close(done); ss.p.Kill(); _ = w.Close(); <-ran })
	}
	time.Sleep(2 * time.Second) // drawn, settled
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		time.Sleep(time.Second)
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N)/sessions, "cpu-ms/s/session")
}
