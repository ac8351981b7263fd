// Command lbtop is a live terminal dashboard for load-balancer upstream
// health: HAProxy, Envoy, NGINX, Prometheus and Kubernetes pools with
// healthy/total, weights, connections and rates, broken pools on top, and
// confirmed drain/ready/maint/weight actions.
//
// main only wires: flags and config are validated before anything starts,
// sources are built, then either one poll is printed (--once) or the
// polling hub feeds the Bubble Tea UI.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if isServe(args) {
		return runServeMain(args[1:], getenv, stdout, stderr)
	}
	if isActionVerb(args) {
		return runActionMain(args, getenv, stdout, stderr)
	}
	o, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	cfg, err := o.loadConfig()
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	logger, closeLog, err := openLog(o.logFile)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	defer closeLog()

	if path := getenv("LBTOP_CPUPROFILE"); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			fmt.Fprintln(stderr, "lbtop:", err)
			return exitError
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.demo {
		fleet, err := startDemo(ctx, cfg, o.seed)
		if err != nil {
			fmt.Fprintln(stderr, "lbtop:", err)
			return exitError
		}
		defer fleet.Close()
	}
	entries, cleanup, err := buildEntries(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	defer cleanup()
	if o.once {
		return runOnce(ctx, entries, o.output, stdout, stderr)
	}
	return runTUI(ctx, o, entries, cfg.ReadOnly, getenv, logger, stderr)
}

// startCPUProfile writes a CPU profile to path until the returned func
// runs: LBTOP_CPUPROFILE=FILE measures what watching a fleet costs.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("LBTOP_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("LBTOP_CPUPROFILE: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// openLog returns a logger writing to path, or discarding when path is
// empty: the terminal belongs to the UI.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--log-file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { _ = f.Close() }, nil
}
