package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// exitNotApplied is the exit code of an action that was sent but that the
// re-poll did not confirm within the timeout (or, in a fan-out, that some
// instance did not).
const exitNotApplied = 3

// actionVerbs are the subcommands that change a backend.
var actionVerbs = map[string]model.ActionKind{
	"drain":  model.ActionDrain,
	"ready":  model.ActionReady,
	"maint":  model.ActionMaint,
	"weight": model.ActionWeight,
}

// isActionVerb reports whether args start with an action subcommand.
func isActionVerb(args []string) bool {
	if len(args) == 0 {
		return false
	}
	_, ok := actionVerbs[args[0]]
	return ok
}

// actionOpts are an action subcommand's own arguments and flags.
type actionOpts struct {
	kind    model.ActionKind
	weight  int
	pool    string
	backend string
	source  string
	reason  string
	yes     bool
	force   bool
	dryRun  bool
	floor   float64 // from --floor
}

// runActionMain is the process entry of an action subcommand: it owns the
// signal context and reads confirmations from the terminal.
func runActionMain(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runAction(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// parseAction parses "VERB [N] POOL/BACKEND" and the flags, which may come
// before, between or after the positional arguments.
func parseAction(args []string, getenv func(string) string, stderr io.Writer) (*options, *actionOpts, error) {
	o := &options{}
	fs, err := o.flagSet(getenv, stderr)
	if err != nil {
		return nil, nil, err
	}
	a := &actionOpts{kind: actionVerbs[args[0]]}
	fs.StringVar(&a.source, "source", "", "act on this source only; \"all\" for every instance that has the backend")
	fs.StringVar(&a.reason, "reason", "", "one-line reason written to the audit log")
	fs.BoolVar(&a.yes, "yes", false, "do not ask for confirmation")
	fs.BoolVar(&a.force, "force", false, "allow taking the last healthy backend (or capacity below the floor) out")
	fs.BoolVar(&a.dryRun, "dry-run", false, "print the impact and the exact request; send nothing")
	var pos []string
	rest := args[1:]
	// "weight -1 web/a": a negative N right after the verb is the value
	// (to be refused by range), not a flag.
	if a.kind == model.ActionWeight && len(rest) > 0 && strings.HasPrefix(rest[0], "-") {
		if _, err := strconv.Atoi(rest[0]); err == nil {
			pos, rest = append(pos, rest[0]), rest[1:]
		}
	}
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := o.check(); err != nil {
		return nil, nil, err
	}
	a.floor = o.floor
	want := 1
	if a.kind == model.ActionWeight {
		want = 2
	}
	if len(pos) != want {
		if a.kind == model.ActionWeight {
			return nil, nil, fmt.Errorf("usage: lbtop weight N POOL/BACKEND [flags] (got %d arguments)", len(pos))
		}
		return nil, nil, fmt.Errorf("usage: lbtop %s POOL/BACKEND [flags] (got %d arguments)", args[0], len(pos))
	}
	if a.kind == model.ActionWeight {
		w, err := strconv.Atoi(pos[0])
		if err != nil {
			return nil, nil, fmt.Errorf("weight %q is not a whole number", pos[0])
		}
		a.weight, pos = w, pos[1:]
	}
	i := strings.LastIndexByte(pos[0], '/')
	if i <= 0 || i == len(pos[0])-1 {
		return nil, nil, fmt.Errorf("target %q: want POOL/BACKEND, e.g. web/web1 or web/10.0.0.1:80", pos[0])
	}
	a.pool, a.backend = pos[0][:i], pos[0][i+1:]
	if strings.ContainsAny(a.reason, "\n\r") {
		return nil, nil, errors.New("--reason: one line only")
	}
	return o, a, nil
}

// runAction performs an action subcommand: poll, resolve the target,
// check input and impact, confirm, send, verify, audit. It returns the
// exit code: 0 only when every instance's re-poll confirms the change.
func runAction(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	o, a, err := parseAction(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(err)
	}
	cfg, err := o.loadConfig()
	if err != nil {
		return fail(err)
	}
	if cfg.ReadOnly {
		return fail(fmt.Errorf("read-only mode (--read-only, LBTOP_READ_ONLY or read_only in the config): %s refused, nothing sent", args[0]))
	}
	if o.demo {
		fleet, err := startDemo(ctx, cfg, o.seed)
		if err != nil {
			return fail(err)
		}
		defer fleet.Close()
	}
	entries, cleanup, err := buildEntries(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	defer cleanup()
	hub, err := sources.NewHub(entries)
	if err != nil {
		return fail(err)
	}
	fleet, err := pollFleet(ctx, hub, a.source, stderr)
	if err != nil {
		return fail(err)
	}
	matches, err := actions.Resolve(fleet, a.pool, a.backend, a.source)
	if err != nil {
		return fail(err)
	}
	reqs, impacts, err := a.requests(hub, cfg, matches)
	if err != nil {
		return fail(err)
	}
	risky := false
	for i, req := range reqs {
		fmt.Fprintf(stdout, "%s %s/%s on %s (%s)\n", req.Action.Kind, a.pool, req.Action.Ref.Backend, req.Action.Ref.Source, req.Kind)
		for _, l := range impacts[i].Lines(8) {
			fmt.Fprintln(stdout, "  "+l)
		}
		fmt.Fprintln(stdout, "  request  "+actions.Wire(req.Kind, sourceAddress(cfg, req.Action.Ref.Source), req.Action))
		risky = risky || impacts[i].Risky()
	}
	if a.dryRun {
		fmt.Fprintln(stdout, "dry run: nothing was sent")
		return exitOK
	}
	runner, closeLog, err := newRunner(o, getenv, hub, entries)
	if err != nil {
		return fail(err)
	}
	defer closeLog()
	if risky && !a.force {
		for i, req := range reqs {
			if impacts[i].Risky() {
				res := runner.Refuse(req, errors.New(impacts[i].Why()+"; give --force to proceed"))
				fmt.Fprintln(stderr, "lbtop:", res.Summary())
			}
		}
		return exitError
	}
	if !a.yes && !confirm(stdin, stderr, a, risky) {
		fmt.Fprintln(stderr, "lbtop: not confirmed: nothing was sent (give --yes in scripts)")
		return exitError
	}
	return report(runner.RunAll(ctx, reqs), stdout, stderr)
}

// pollFleet polls the sources (only the named one when given) and merges
// them; poll errors are printed and do not stop an action on the others.
func pollFleet(ctx context.Context, hub *sources.Hub, source string, stderr io.Writer) (*model.Fleet, error) {
	st := newStore(hub.Entries())
	known := false
	for _, e := range hub.Entries() {
		known = known || e.Source.Name() == source
	}
	if source != "" && source != actions.AllSources && !known {
		var names []string
		for _, e := range hub.Entries() {
			names = append(names, e.Source.Name())
		}
		return nil, fmt.Errorf("--source %q: no such source (have: %s)", source, strings.Join(names, ", "))
	}
	var f *model.Fleet
	for _, snap := range hub.PollAll(ctx) {
		f = st.Ingest(snap)
		if snap.Err != nil {
			fmt.Fprintf(stderr, "lbtop: %s: %v\n", snap.Source, snap.Err)
		}
	}
	return f, nil
}

// requests checks every match (capability, read-only, weight range) and
// builds its request and impact. Any bad input fails the whole command
// before anything is sent.
func (a *actionOpts) requests(hub *sources.Hub, cfg *config.Config, ms []actions.Match) ([]actions.Request, []actions.Impact, error) {
	var reqs []actions.Request
	var impacts []actions.Impact
	for _, m := range ms {
		act := model.Action{Kind: a.kind, Ref: m.Row.Ref(), Weight: a.weight}
		if m.Row.Stale {
			return nil, nil, fmt.Errorf("source %q did not answer: its state of %s/%s is unknown, nothing sent", m.Row.Source, a.pool, a.backend)
		}
		if ok, why := hub.Supports(m.Row.Source, a.kind); !ok {
			return nil, nil, fmt.Errorf("%s refused: %s", a.kind, why)
		}
		if a.kind == model.ActionWeight {
			if err := checkWeight(hub, m.Row.Source, a.weight); err != nil {
				return nil, nil, err
			}
		}
		reqs = append(reqs, actions.Request{Action: act, Kind: m.Pool.Kind, Before: m.Row.Backend, Reason: a.reason})
		impacts = append(impacts, actions.Assess(m.Pool, m.Row, act, a.floor))
	}
	return reqs, impacts, nil
}

// checkWeight refuses a weight outside the source's range.
func checkWeight(hub *sources.Hub, source string, w int) error {
	for _, e := range hub.Entries() {
		if e.Source.Name() != source {
			continue
		}
		if wr, ok := e.Source.(sources.Weighter); ok {
			if lo, hi := wr.WeightRange(); w < lo || w > hi {
				return fmt.Errorf("weight %d out of range for %s source %q: must be %d–%d; nothing sent", w, e.Source.Kind(), source, lo, hi)
			}
		}
	}
	return nil
}

// sourceAddress is the configured address of a source, without any
// credentials a URL may carry.
func sourceAddress(cfg *config.Config, name string) string {
	for _, s := range cfg.Sources {
		if s.Name != name {
			continue
		}
		return sources.RedactURL(s.Address)
	}
	return name
}

// confirm asks on the terminal: y for an ordinary action, the pool name
// typed in full for a risky one (which also needs --force).
func confirm(stdin io.Reader, stderr io.Writer, a *actionOpts, risky bool) bool {
	want := "y"
	if risky {
		want = a.pool
		fmt.Fprintf(stderr, "RISKY: type the pool name %q to apply, anything else cancels: ", a.pool)
	} else {
		fmt.Fprint(stderr, "apply? [y/N] ")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return false
	}
	got := strings.TrimSpace(line)
	return got == want || (!risky && got == "Y")
}

// report prints one line per instance and returns the exit code.
func report(rs []actions.Result, stdout, stderr io.Writer) int {
	code := exitOK
	for _, r := range rs {
		w := stdout
		switch r.Outcome {
		case actions.Confirmed:
		case actions.NotApplied:
			w, code = stderr, max(code, exitNotApplied)
		default:
			w = stderr
			if code == exitOK {
				code = exitError
			}
		}
		fmt.Fprintln(w, r.Summary())
		if r.AuditErr != nil {
			fmt.Fprintln(stderr, "lbtop: WARNING: the audit line was not written:", r.AuditErr)
			if code == exitOK {
				code = exitError
			}
		}
	}
	if len(rs) > 1 {
		fmt.Fprintln(stdout, actions.FanOutSummary(rs))
	}
	return code
}
