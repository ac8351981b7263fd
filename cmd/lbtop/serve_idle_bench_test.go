package main

import (
	"io"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/ui"
)

// benchSession starts a serve session's program as dashboard does (frame
// pacing, painter, Bubble Tea's renderer off) on a 120×40 terminal
// writing to out, with a keyboard nobody types on, and ends it with the
// benchmark.
func benchSession(b *testing.B, opts ui.Options, out io.Writer, idle bool) *session {
	r, w := io.Pipe()
	ss := &session{mail: make(chan ui.FleetMsg, 1), msgs: make(chan tea.Msg, 8),
		tick: make(chan struct{}, 1), in: newInput(r)}
	if idle {
		ss.in.lastNS.Store(time.Now().Add(-time.Hour).UnixNano())
	}
	ss.program(ui.New(nil, opts), out, tea.WithOutput(io.Discard),
		tea.WithWindowSize(120, 40), tea.WithoutSignalHandler())
	done, ran := make(chan struct{}), make(chan struct{})
	go func() { _, _ = ss.p.Run(); close(ran) }()
	go ss.forward(done)
	b.Cleanup(func() {
		close(done)
		ss.p.Kill()
		_ = w.Close()
		<-ran
		ss.frames.paint.stop(time.Second)
	})
	return ss
}

// BenchmarkServeIdleSessions is the base cost of idle dashboards: 10
// sessions nobody types in, with no new fleet, so all that runs is their
// timers (Bubble Tea's render loop, the clock tick). Each iteration is
// one second; the metric is the process's CPU time per second per
// session.
//
//	go test -run '^$' -bench ServeIdleSessions -benchtime 5x ./cmd/lbtop
func BenchmarkServeIdleSessions(b *testing.B) {
	const sessions = 10
	store := newStore(nil)
	first := ui.FleetMsg{Fleet: store.Fleet()}
	for i := range sessions {
		ss := benchSession(b, ui.Options{ReadOnly: true, User: "u" + strconv.Itoa(i)}, io.Discard, true)
		ss.deliver(first)
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
