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
	"path/filepath"
	"syscall"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/config"
)

// serveOpts are the settings of `lbtop serve` beyond the common ones:
// its flags, then (settle) the config's serve: block and the defaults.
type serveOpts struct {
	listen       string
	hostKey      string // "" is ssh_host_ed25519_key in the state directory
	operatorKeys string
	viewerKeys   string
	maxSessions  int
	idleTimeout  time.Duration

	set  map[string]bool   // flags given (and --listen from LBTOP_LISTEN)
	from map[string]string // where each file setting came from, for messages: "--operator-keys" or "lbtop.yaml:7: serve.operator_keys"
}

// Defaults of `lbtop serve`.
const (
	defaultMaxSessions = 32
	defaultIdleTimeout = time.Hour
	hostKeyName        = "ssh_host_ed25519_key"
)

const serveUsage = `lbtop serve — one shared dashboard over SSH: one poll per source, however many watch

Usage:
  lbtop serve --listen ADDR --operator-keys FILE [--viewer-keys FILE] [--host-key FILE] [sources | --config FILE]

Join with: ssh -p PORT HOST              (the dashboard; needs a terminal)
           ssh -p PORT HOST once [-o json] (one reading, same output and exit status as lbtop --once)
           ssh -p PORT HOST why [POOL]     (the diagnosis, same output and exit status as lbtop why)

Keys files are in OpenSSH authorized_keys format; a key's comment (or its
SHA256 fingerprint) is the name shown and written to the audit log.
Operators act; viewers watch read-only. Each setting may also come from
the config's serve: block (listen, host_key, operator_keys, viewer_keys,
max_sessions, idle_timeout); a flag wins over it.
`

// runServeMain parses `lbtop serve` flags (args without "serve") and runs
// the server until SIGINT or SIGTERM.
func runServeMain(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, so, err := parseServeFlags(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "lbtop serve:", err)
		return exitError
	}
	cfg, logger, release, err := o.setUp(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop serve:", err)
		return exitError
	}
	defer release()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, o, so, cfg, getenv, logger, stdout, stderr)
}

// parseServeFlags parses the common flags plus the server's own; -h
// writes the usage on help.
func parseServeFlags(args []string, getenv func(string) string, help io.Writer) (*options, *serveOpts, error) {
	so := &serveOpts{}
	var sfs *flag.FlagSet
	o, pos, err := parseAnywhere(args, getenv, func(fs *flag.FlagSet) {
		sfs = fs
		fs.StringVar(&so.listen, "listen", envOr(getenv, "LBTOP_LISTEN", ""), "address to accept SSH on, e.g. 127.0.0.1:2222 or :2222 (env LBTOP_LISTEN)")
		fs.StringVar(&so.hostKey, "host-key", "", "ed25519 host key, created (mode 0600) when missing (default "+hostKeyName+" in the state directory)")
		fs.StringVar(&so.operatorKeys, "operator-keys", "", "authorized_keys file of people who may act")
		fs.StringVar(&so.viewerKeys, "viewer-keys", "", "authorized_keys file of people who may only watch")
		fs.IntVar(&so.maxSessions, "max-sessions", defaultMaxSessions, "most SSH sessions at once")
		fs.DurationVar(&so.idleTimeout, "idle-timeout", defaultIdleTimeout, "close a dashboard nobody has typed in for this long")
	})
	if errors.Is(err, flag.ErrHelp) {
		printVerbUsage(help, serveUsage, cmdServe, sfs)
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	if len(pos) > 0 {
		return nil, nil, fmt.Errorf("unexpected argument %q", pos[0])
	}
	if o.once {
		return nil, nil, errors.New("--once: not with serve (clients run `ssh HOST once`)")
	}
	if err := o.check(cmdServe); err != nil {
		return nil, nil, err
	}
	so.set = o.set
	if getenv("LBTOP_LISTEN") != "" {
		so.set["listen"] = true
	}
	return o, so, nil
}

// settle completes the settings: a flag (or LBTOP_LISTEN) wins over the
// config's serve: block, which wins over the default. It is the one
// place for that order, and checks the result.
func (so *serveOpts) settle(cfg *config.Config, getenv func(string) string) error {
	fc := config.Serve{}
	if cfg.Serve != nil {
		fc = *cfg.Serve
	}
	so.from = map[string]string{}
	pick := func(flag, field string, dst *string, file string) {
		so.from[flag] = "--" + flag
		if !so.set[flag] && file != "" {
			*dst, so.from[flag] = file, cfg.ServeField(field)
		}
	}
	pick("listen", "listen", &so.listen, fc.Listen)
	pick("host-key", "host_key", &so.hostKey, fc.HostKey)
	pick("operator-keys", "operator_keys", &so.operatorKeys, fc.OperatorKeys)
	pick("viewer-keys", "viewer_keys", &so.viewerKeys, fc.ViewerKeys)
	if !so.set["max-sessions"] && fc.MaxSessions > 0 {
		so.maxSessions = fc.MaxSessions
	}
	if !so.set["idle-timeout"] && fc.IdleTimeout > 0 {
		so.idleTimeout = fc.IdleTimeout
	}
	switch {
	case so.listen == "":
		return errors.New("--listen: required (or listen: under serve: in the config), e.g. --listen 127.0.0.1:2222")
	case so.operatorKeys == "" && so.viewerKeys == "":
		return errors.New("--operator-keys: required (or --viewer-keys for a watch-only server; or operator_keys: under serve: in the config)")
	case so.maxSessions < 1:
		return fmt.Errorf("--max-sessions %d: want 1 or more", so.maxSessions)
	case so.idleTimeout <= 0:
		return fmt.Errorf("--idle-timeout %v: want a positive duration, e.g. 1h", so.idleTimeout)
	}
	if so.hostKey == "" {
		audit, err := actions.DefaultPath(getenv)
		if err != nil {
			return fmt.Errorf("--host-key: %w", err)
		}
		so.hostKey = filepath.Join(filepath.Dir(audit), hostKeyName)
	}
	return nil
}

// serve builds the sources and runs the SSH server until ctx ends.
func serve(ctx context.Context, o *options, so *serveOpts, cfg *config.Config, getenv func(string) string, log *slog.Logger, stdout, stderr io.Writer) int {
	if err := so.settle(cfg, getenv); err != nil {
		fmt.Fprintln(stderr, "lbtop serve:", err)
		return exitError
	}
	entries, release, err := openEntries(ctx, o, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop serve:", err)
		return exitError
	}
	defer release()
	srv, err := newServer(ctx, o, so, cfg, entries, getenv, log)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop serve:", err)
		return exitError
	}
	defer srv.close()
	if err := srv.listen(); err != nil {
		fmt.Fprintln(stderr, "lbtop serve:", err)
		return exitError
	}
	fmt.Fprintf(stdout, "lbtop serve: listening on %s\nlbtop serve: host key %s %s\n", srv.addr(), srv.hostFP, so.hostKey)
	if err := srv.run(ctx); err != nil {
		fmt.Fprintln(stderr, "lbtop serve:", err)
		return exitError
	}
	for _, r := range srv.abandon() {
		fmt.Fprintln(stderr, "lbtop serve:", r.Summary())
	}
	return exitOK
}
