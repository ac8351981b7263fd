// Package demo runs a simulated load-balancer fleet inside the lbtop
// process for `lbtop --demo`. It starts servers on 127.0.0.1 (random free
// ports) that speak the real wire formats — the HAProxy runtime API over
// TCP and the Envoy admin HTTP API — so lbtop reads them through its normal
// sources, exactly as it would read production proxies. It also serves
// the NGINX Plus REST API and a Prometheus HTTP API answering for a
// separate fleet of exporters (prometheus_sim.go).
//
// One shared simulation (sim.go) drives every emulated system: backends
// fail and recover over time, deterministically for a seed, and counters
// grow so rates are non-zero. Each emulated system lives in its own file
// (haproxy*.go, envoy*.go) and only renders and mutates the shared state;
// adding another system means adding its state to the simulation and one
// more listener in Start.
package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Options configures the demo fleet. The zero value is a usable default.
type Options struct {
	// Seed makes the simulation reproducible: the same seed and the same
	// sequence of Steps and admin commands give the same outputs.
	Seed int64

	// Tick is the simulation step: the background ticker calls Step this
	// often. Zero means one second. A negative value disables the ticker,
	// so the simulation advances only when Step is called (tests).
	Tick time.Duration

	// Pools is the number of pools per emulated system: HAProxy backends
	// and Envoy clusters. Zero means 14 each. Pools beyond the built-in
	// named ones get generated names.
	Pools int

	// Scale multiplies the number of backends per pool (zero means 1), for
	// trying lbtop on larger fleets. It applies to every emulated system;
	// the NGINX upstreams and the Prometheus fleet have a fixed set of
	// pools.
	Scale int
}

// warmupSteps is how many steps the simulation runs before the servers
// start, so the first screen already shows transitions and non-zero
// counters.
const warmupSteps = 40

func (o Options) withDefaults() Options {
	if o.Tick == 0 {
		o.Tick = time.Second
	}
	if o.Pools <= 0 {
		o.Pools = 14
	}
	if o.Scale <= 0 {
		o.Scale = 1
	}
	return o
}

// Fleet is a running demo: the simulation plus the emulated servers.
// Its methods are safe for concurrent use.
type Fleet struct {
	sim     *sim
	haproxy *haproxyServer
	envoy   *envoyServer
	nginx   *nginxServer
	prom    *promServer

	// more is the state of the systems added after HAProxy and Envoy. It
	// advances under sim.mu right after each sim step, from its own
	// random stream, so adding it changed nothing HAProxy and Envoy show
	// for a seed.
	more *moreState

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Start builds the simulation and starts its servers on 127.0.0.1. Every
// server and the ticker stop when ctx is cancelled or Close is called.
func Start(ctx context.Context, opts Options) (*Fleet, error) {
	opts = opts.withDefaults()
	s := newSim(opts)
	more := newMoreState(opts)
	for range warmupSteps {
		s.step()
		more.advance(s)
	}

	var lc net.ListenConfig
	haLn, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: listen for the HAProxy runtime API on 127.0.0.1: %w", err)
	}
	envLn, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		_ = haLn.Close()
		return nil, fmt.Errorf("demo: listen for the Envoy admin API on 127.0.0.1: %w", err)
	}
	ngxLn, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		_, _ = haLn.Close(), envLn.Close()
		return nil, fmt.Errorf("demo: listen for the NGINX Plus API on 127.0.0.1: %w", err)
	}
	promLn, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		_, _, _ = haLn.Close(), envLn.Close(), ngxLn.Close()
		return nil, fmt.Errorf("demo: listen for the Prometheus API on 127.0.0.1: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	f := &Fleet{
		sim:     s,
		haproxy: newHAProxyServer(s, haLn),
		envoy:   newEnvoyServer(s, envLn),
		nginx:   newNGINXServer(s, more.ngx, ngxLn),
		prom:    newPromServer(s, more.prom, promLn),
		more:    more,
		cancel:  cancel,
	}
	f.wg.Add(4)
	go func() { defer f.wg.Done(); f.haproxy.serve(ctx) }()
	go func() { defer f.wg.Done(); f.envoy.serve(ctx) }()
	go func() { defer f.wg.Done(); f.nginx.serve(ctx) }()
	go func() { defer f.wg.Done(); f.prom.serve(ctx) }()
	if opts.Tick > 0 {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); f.tick(ctx, opts.Tick) }()
	}
	// Shut the servers down when the caller's ctx ends, even if Close is
	// never called.
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		<-ctx.Done()
		f.shutdown()
	}()
	return f, nil
}

func (f *Fleet) tick(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.Step()
		}
	}
}

// shutdown closes the listeners and open connections; it runs once.
func (f *Fleet) shutdown() {
	f.closeOnce.Do(func() {
		f.closeErr = errors.Join(f.haproxy.close(), f.envoy.close(), f.nginx.close(), f.prom.close())
	})
}

// Step advances the simulation by one tick. With a negative Options.Tick
// it is the only way the simulation moves, which makes tests
// deterministic.
func (f *Fleet) Step() {
	f.sim.step()
	f.more.advance(f.sim)
}

// HAProxyAddr is the host:port of the emulated HAProxy runtime API
// (the `stats socket ipv4@…` of a real HAProxy).
func (f *Fleet) HAProxyAddr() string { return f.haproxy.ln.Addr().String() }

// EnvoyURL is the base URL of the emulated Envoy admin API, without a
// trailing slash.
func (f *Fleet) EnvoyURL() string { return "http://" + f.envoy.ln.Addr().String() }

// NGINXURL is the NGINX Plus API root of the emulated NGINX, e.g.
// http://127.0.0.1:PORT/api, as the nginx source takes it.
func (f *Fleet) NGINXURL() string { return "http://" + f.nginx.ln.Addr().String() + "/api" }

// PrometheusURL is the base URL of the emulated Prometheus server, without
// a trailing slash.
func (f *Fleet) PrometheusURL() string { return "http://" + f.prom.ln.Addr().String() }

// Close stops the ticker and every server and waits for their goroutines.
// It is safe to call more than once.
func (f *Fleet) Close() error {
	f.cancel()
	f.shutdown()
	f.wg.Wait()
	return f.closeErr
}
