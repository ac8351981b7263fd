package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync/atomic"
	"syscall"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// uiFPS caps the renderer. Its ticker, not polling, dominates lbtop's idle
// CPU: watching 1,000 HAProxy servers at a 2 s interval measured 11 ms of
// CPU per second at 30 fps and 6 ms at 10 fps (hatop: 14 ms, same window).
// 20 fps keeps typing within 50 ms while data changes every poll.
const uiFPS = 20

// Log keys.
const (
	logSource = "source"
	logErr    = "err"
	logTook   = "took"
)

// newStore returns a store that knows every source before its first poll
// (so the status bar lists it as connecting) and its merge_as setting.
func newStore(entries []sources.Entry) *model.Store {
	store := model.NewStore(nil)
	for _, e := range entries {
		store.Register(e.Source.Name(), e.Source.Kind())
		store.MergeAs(e.Source.Name(), e.MergeAs)
	}
	return store
}

// exitSignals end lbtop cleanly: SIGHUP (a dropped SSH connection),
// SIGINT, SIGQUIT and SIGTERM. Each cancels the run's context, which kills
// the dashboard program and so restores the terminal, and lbtop then exits
// with 128+n. Unhandled, SIGHUP and SIGQUIT ended the process at once
// with the terminal left in the alternate screen, cursor hidden, raw mode.
var exitSignals = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM}

// signalContext returns a context cancelled by the first of exitSignals,
// and a func reporting that signal (0 when none came). The signal is
// recorded before the context is cancelled, so whoever sees the context
// end can read it. stop releases the signals.
func signalContext(parent context.Context) (ctx context.Context, caught func() syscall.Signal, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, exitSignals...)
	var got atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case s := <-ch:
			if n, ok := s.(syscall.Signal); ok {
				got.Store(int32(n))
			}
			cancel()
		case <-ctx.Done():
		}
	}()
	caught = func() syscall.Signal { return syscall.Signal(got.Load()) }
	stop = func() {
		signal.Stop(ch)
		cancel()
		<-done
	}
	return ctx, caught, stop
}

// dumpGoroutines writes every goroutine's stack, what SIGQUIT prints when
// Go handles it, once the terminal is usable again.
func dumpGoroutines(w io.Writer) {
	fmt.Fprintln(w, "lbtop: SIGQUIT: goroutine dump")
	_ = pprof.Lookup("goroutine").WriteTo(w, 2)
}
