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
	"github.com/lbtop/lbtop/internal/suggest"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// exitNotApplied is the exit code of an action that was sent but that the
// re-poll did not confirm within the timeout (or, in a fan-out, that some
// instance did not).
const exitNotApplied = 3

// actionVerbs are the subcommands that change a backend or, for the
// proxy-level ones, a whole proxy. They are the actions' own names (the
// audit log's "action"), so a script reads as the log does.
var actionVerbs = map[string]model.ActionKind{
	"drain":                        model.ActionDrain,
	"ready":                        model.ActionReady,
	"maint":                        model.ActionMaint,
	"weight":                       model.ActionWeight,
	model.ActionProxyFail.String(): model.ActionProxyFail,
	model.ActionProxyOK.String():   model.ActionProxyOK,
}

// verbNames are the commands in help order, for messages.
var verbNames = []string{"drain", "ready", "maint", "weight", model.ActionProxyFail.String(), model.ActionProxyOK.String()}

// actionFlags are the flags only the action commands take.
var actionFlags = []string{"source", "reason", "yes", "force", "dry-run"}

// actionOpts are an action subcommand's own arguments and flags.
type actionOpts struct {
	verb    string
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
func runActionMain(o *options, a *actionOpts, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return act(ctx, o, a, getenv, os.Stdin, stdout, stderr)
}

// register adds the action commands' own flags to fs.
func (a *actionOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&a.source, "source", "", "act on this source only; \"all\" for every instance that has the backend")
	fs.StringVar(&a.reason, "reason", "", "one-line reason written to the audit log")
	fs.BoolVar(&a.yes, "yes", false, "do not ask for confirmation")
	fs.BoolVar(&a.force, "force", false, "allow taking the last healthy backend (or capacity below the floor) out")
	fs.BoolVar(&a.dryRun, "dry-run", false, "print the impact and the exact request; send nothing")
}

// parsePositional reads "VERB [N] POOL/BACKEND". The command comes first:
// anything else there is an unknown command, with the closest verb
// suggested, and a POOL/BACKEND before its command is named as such.
func (a *actionOpts) parsePositional(pos []string) error {
	kind, ok := actionVerbs[pos[0]]
	if !ok {
		return unknownCommand(pos)
	}
	a.verb, a.kind = pos[0], kind
	args := pos[1:]
	if strings.ContainsAny(a.reason, "\n\r") {
		return errors.New("--reason: one line only")
	}
	if kind.ProxyLevel() {
		return a.parseProxy(args)
	}
	want := 1
	if a.kind == model.ActionWeight {
		want = 2
	}
	if len(args) != want {
		if a.kind == model.ActionWeight {
			return fmt.Errorf("usage: lbtop weight N POOL/BACKEND [flags] (got %d arguments after weight)", len(args))
		}
		return fmt.Errorf("usage: lbtop %s POOL/BACKEND [flags] (got %d arguments after %s)", a.verb, len(args), a.verb)
	}
	if a.kind == model.ActionWeight {
		w, err := strconv.Atoi(args[0])
		if err != nil {
			return fmt.Errorf("weight %q is not a whole number", args[0])
		}
		a.weight, args = w, args[1:]
	}
	i := strings.LastIndexByte(args[0], '/')
	if i <= 0 || i == len(args[0])-1 {
		return fmt.Errorf("target %q: want POOL/BACKEND, e.g. web/web1 or web/10.0.0.1:80", args[0])
	}
	a.pool, a.backend = args[0][:i], args[0][i+1:]
	return nil
}

// unknownCommand explains a first argument that is not a command.
func unknownCommand(pos []string) error {
	word := pos[0]
	if s := suggest.Closest(word, append(append(verbNames[:len(verbNames):len(verbNames)], ownVerbNames...), "help", "version")); s != "" {
		return fmt.Errorf("unknown command %q; did you mean %q?", word, s)
	}
	for j, p := range pos[1:] {
		if _, ok := actionVerbs[p]; ok {
			rest := append(append([]string{p}, pos[:j+1]...), pos[j+2:]...)
			return fmt.Errorf("unknown command %q: the command comes first, e.g. lbtop %s [flags]", word, strings.Join(rest, " "))
		}
	}
	if strings.Contains(word, "/") {
		return fmt.Errorf("unknown command %q: a POOL/BACKEND follows a command, e.g. lbtop drain %s [flags]", word, word)
	}
	return fmt.Errorf("unknown command %q (commands: %s; sources are flags: --haproxy ADDR, --envoy URL, …; see lbtop -h)", word, strings.Join(append(verbNames[:len(verbNames):len(verbNames)], ownVerbNames...), ", "))
}

// runAction performs an action subcommand: poll, resolve the target,
// check input and impact, confirm, send, verify, audit. It returns the
// exit code: 0 only when every instance's re-poll confirms the change.
func runAction(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, a, err := parseArgs(args, getenv)
	if err == nil && a == nil {
		err = errors.New("no command: want " + strings.Join(verbNames, ", "))
	}
	if err != nil {
		printErr(stderr, err)
		return exitError
	}
	return act(ctx, o, a, getenv, stdin, stdout, stderr)
}

// act performs a parsed action command: plan and print it (a backend
// action or a proxy-level one), then carry it out.
func act(ctx context.Context, o *options, a *actionOpts, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		printErr(stderr, err)
		return exitError
	}
	cfg, err := o.loadConfig()
	if err != nil {
		return fail(err)
	}
	if cfg.ReadOnly {
		return fail(fmt.Errorf("read-only mode (--read-only, LBTOP_READ_ONLY or read_only in the config): %s refused, nothing sent", a.verb))
	}
	hub, _, closeHub, err := openHub(ctx, o, cfg)
	if err != nil {
		return fail(err)
	}
	defer closeHub()
	planFor, ask := planBackends, askBackends
	if a.kind.ProxyLevel() {
		planFor, ask = planProxy, askProxy
	}
	plan, err := planFor(ctx, a, hub, stdout, stderr)
	if err != nil {
		if a.dryRun && errors.Is(err, actions.ErrRefused) {
			// said once, on stdout with the rest of the dry run, as the
			// refusal without --force is
			fmt.Fprintln(stdout, "dry run: would be refused:", err)
			return exitError
		}
		return fail(err)
	}
	return carryOut(ctx, o, a, hub, plan, func() error { return ask(stdin, stderr, a, plan.Risky()) }, getenv, stdout, stderr)
}

// planBackends polls, resolves POOL/BACKEND on every source in scope,
// plans the action and prints each request with its impact.
func planBackends(ctx context.Context, a *actionOpts, hub *sources.Hub, stdout, stderr io.Writer) (actions.Planned, error) {
	fleet, err := pollFleet(ctx, hub, a.source, stderr, nil)
	if err != nil {
		return actions.Planned{}, err
	}
	matches, err := actions.Resolve(fleet, a.pool, a.backend, a.source)
	if err != nil {
		return actions.Planned{}, err
	}
	plan, err := actions.Plan(fleet, hub, model.Action{Kind: a.kind, Weight: a.weight}, matches, a.reason, a.floor)
	if err != nil {
		return actions.Planned{}, err
	}
	for i, req := range plan.Requests {
		fmt.Fprintf(stdout, "%s %s/%s on %s (%s)\n", req.Action.Kind, a.pool, req.Action.Ref.Backend, req.Action.Ref.Source, req.Kind)
		for _, l := range plan.Impacts[i].Lines(8) {
			fmt.Fprintln(stdout, "  "+l)
		}
		fmt.Fprintln(stdout, "  request  "+plan.Wire[i])
	}
	return plan, nil
}

// carryOut is what every action command does once planned: stop at a dry
// run (exit 1 when it would be refused without --force), refuse a risky
// plan without --force (audited), ask unless --yes, then run, verify,
// audit and report.
func carryOut(ctx context.Context, o *options, a *actionOpts, hub *sources.Hub, plan actions.Planned, ask func() error, getenv func(string) string, stdout, stderr io.Writer) int {
	risky := plan.Risky()
	if a.dryRun {
		if risky && !a.force {
			fmt.Fprintln(stdout, "dry run: would be refused without --force: "+plan.Why())
			return exitError
		}
		fmt.Fprintln(stdout, "dry run: nothing was sent")
		return exitOK
	}
	runner, closeLog, err := newRunner(o, getenv, hub)
	if err != nil {
		printErr(stderr, err)
		return exitError
	}
	defer closeLog()
	if risky && !a.force {
		for i, req := range plan.Requests {
			if plan.Impacts[i].Risky() {
				res := runner.Refuse(req, errors.New(plan.Impacts[i].Why()+"; give --force to proceed"))
				fmt.Fprintln(stderr, "lbtop:", res.Summary())
			}
		}
		return exitError
	}
	if !a.yes {
		if err := ask(); err != nil {
			printErr(stderr, err)
			return exitError
		}
	}
	return report(runner.RunAll(ctx, plan.Requests), stdout, stderr)
}

// pollFleet polls the sources (only the named one when given) and merges
// them; poll errors are printed and do not stop an action on the others.
// notes (who took which backend out, from the audit log) feed the
// diagnosis; nil is none.
func pollFleet(ctx context.Context, hub *sources.Hub, source string, stderr io.Writer, notes map[model.BackendRef]model.AdminNote) (*model.Fleet, error) {
	st := newStore(hub.Entries())
	st.SetAdminNotes(notes)
	if source != "" && source != actions.AllSources {
		if err := knownSource(hub, "--source", source); err != nil {
			return nil, err
		}
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

// knownSource refuses a source name that is none of hub's, naming the
// value, where it came from (what) and the sources there are.
func knownSource(hub *sources.Hub, what, source string) error {
	var names []string
	for _, e := range hub.Entries() {
		if e.Source.Name() == source {
			return nil
		}
		names = append(names, e.Source.Name())
	}
	return fmt.Errorf("%s %q: no such source (have: %s)", what, source, strings.Join(names, ", "))
}

// askBackends asks on the terminal: y for an ordinary action, the pool
// name typed in full for a risky one (which also needs --force).
func askBackends(stdin io.Reader, stderr io.Writer, a *actionOpts, risky bool) error {
	want, prompt := "y", "apply? [y/N] "
	if risky {
		want, prompt = a.pool, fmt.Sprintf("RISKY: type the pool name %q to apply, anything else cancels: ", a.pool)
	}
	if got, ok := answer(stdin, stderr, prompt); ok && (got == want || (!risky && got == "Y")) {
		return nil
	}
	return errors.New("not confirmed: nothing was sent (give --yes in scripts)")
}

// answer prints prompt on stderr and reads one line from stdin, trimmed;
// ok is false when nothing could be read.
func answer(stdin io.Reader, stderr io.Writer, prompt string) (string, bool) {
	fmt.Fprint(stderr, prompt)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", false
	}
	return strings.TrimSpace(line), true
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
