package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources/record"
	"github.com/lbtop/lbtop/ui"
)

// BenchmarkReplayStep is the replay dashboard's engine on a recording of
// 10,000 backends in 1,000 pools, every counter changing on each of 300
// polls at 2 s: "forward" is → (the next poll fed on top of the store),
// "seek" is t back and forth between two moments, "back" is ← held down
// (each a fresh store fed the polls before it, at most replayWarmBudget
// backends' worth), "back-after-forward" is ← to a poll → showed, "jump"
// is t to a moment not decoded before.
//
//	go test -run '^$' -bench ReplayStep -benchtime 20x ./cmd/lbtop
func BenchmarkReplayStep(b *testing.B) {
	path := filepath.Join(b.TempDir(), "rec.lbtop")
	rec, err := record.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	for i := range 300 {
		s := model.Snapshot{Source: "lb1", Kind: model.KindHAProxy, At: t0.Add(time.Duration(i) * 2 * time.Second)}
		for p := range 1000 {
			pool := model.Pool{Name: fmt.Sprintf("svc-%04d", p)}
			for k := range 10 {
				pool.Backends = append(pool.Backends, model.Backend{
					Name: fmt.Sprintf("srv-%04d-%02d", p, k), Address: fmt.Sprintf("10.%d.%d.%d:8080", p/256, p%256, k),
					Health: model.Healthy, Reason: "L7OK 200", Weight: 10, Counters: true,
					Requests: uint64(i * (p + k + 1)), Errors: uint64(i * k / 7),
				})
			}
			s.Pools = append(s.Pools, pool)
		}
		if err := rec.Snapshot(s); err != nil {
			b.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		b.Fatal(err)
	}
	p, err := record.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	e, err := newReplayer(p, time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	send := func(m tea.Msg) {
		if rm, ok := m.(ui.ReplayMsg); ok && (rm.Fleet.Fleet == nil || len(rm.Fleet.Fleet.Pools) != 1000) {
			b.Fatalf("replay sent %d pools", len(rm.Fleet.Fleet.Pools))
		}
	}
	defer func() { _ = e.p.Close() }()
	mid := len(e.times) / 2
	b.Run("forward", func(b *testing.B) {
		e.moveTo(mid, send)
		for b.Loop() {
			if e.i+1 == len(e.times) {
				b.StopTimer()
				e.moveTo(mid, send)
				b.StartTimer()
			}
			e.moveTo(e.i+1, send)
		}
	})
	b.Run("seek", func(b *testing.B) {
		to := mid
		for b.Loop() {
			to = 2*mid + 2 - to // mid+2, mid, …: never the next poll, so each is rebuilt
			e.moveTo(to, send)
		}
	})
	b.Run("back", func(b *testing.B) { // ← held down
		e.moveTo(len(e.times)-1, send)
		for b.Loop() {
			if e.i < 10 {
				b.StopTimer()
				e.moveTo(len(e.times)-1, send)
				b.StartTimer()
			}
			e.moveTo(e.i-1, send)
		}
	})
	b.Run("back-after-forward", func(b *testing.B) { // ← to a poll just shown by →
		e.moveTo(mid, send)
		for b.Loop() {
			b.StopTimer()
			if e.i+2 >= len(e.times) {
				e.moveTo(mid, send)
			}
			e.moveTo(e.i+1, send)
			e.moveTo(e.i+1, send)
			b.StartTimer()
			e.moveTo(e.i-1, send)
		}
	})
	b.Run("jump", func(b *testing.B) { // t to a moment never decoded yet
		far := 0
		for b.Loop() {
			far = (far + 97) % (len(e.times) - 10) // 97 polls on: another keyframe's stretch
			b.StopTimer()
			fresh, err := record.Open(path) // nothing decoded yet
			if err != nil {
				b.Fatal(err)
			}
			_ = e.p.Close()
			e.p = fresh
			b.StartTimer()
			e.moveTo(far+10, send)
		}
	})
}
