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
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/internal/memlimit"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if verb, rest, ok := ownVerb(args, getenv); ok {
		return verb(rest, getenv, stdout, stderr)
	}
	o, a, err := parseArgs(args, getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return exitOK
	case err != nil:
		printErr(stderr, err)
		return exitError
	case o.version:
		fmt.Fprint(stdout, versionText(debug.ReadBuildInfo()))
		return exitOK
	case a != nil:
		return runActionMain(o, a, getenv, stdout, stderr)
	}
	cfg, logger, release, err := o.setUp(getenv)
	if err != nil {
		printErr(stderr, err)
		return exitError
	}
	defer release()
	ctx, caught, stop := signalContext(context.Background())
	defer stop()
	code := runWith(ctx, o, cfg, getenv, logger, stdout, stderr)
	if s := caught(); s != 0 {
		// The dashboard has restored the terminal by now (a cancelled
		// context kills the program, which leaves the alternate screen,
		// shows the cursor and restores cooked mode).
		if s == syscall.SIGQUIT {
			dumpGoroutines(stderr)
		}
		return 128 + int(s)
	}
	return code
}

// runWith starts the demo fleet when asked, builds the sources and runs
// the one-shot output or the dashboard under ctx.
func runWith(ctx context.Context, o *options, cfg *config.Config, getenv func(string) string, logger *slog.Logger, stdout, stderr io.Writer) int {
	entries, release, err := openEntries(ctx, o, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	defer release()
	if o.once {
		return runOnce(ctx, entries, o, stdout, stderr)
	}
	return runTUI(ctx, o, entries, cfg, getenv, logger, stderr)
}

// setUp loads and checks the config, opens the --log-file, keeps the
// --memory-limit and starts the LBTOP_CPUPROFILE profile: what the
// dashboard, lbtop watch and lbtop serve need before anything runs.
// release closes them.
func (o *options) setUp(getenv func(string) string) (*config.Config, *slog.Logger, func(), error) {
	cfg, err := o.loadConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	logger, closeLog, err := openLog(o.logFile)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	memlimit.Start(ctx, o.memLimit, 2*time.Second)
	release := func() { cancel(); closeLog() }
	if path := getenv("LBTOP_CPUPROFILE"); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			release()
			return nil, nil, nil, err
		}
		release = func() { stopProfile(); cancel(); closeLog() }
	}
	return cfg, logger, release, nil
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
