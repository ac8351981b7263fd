package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	xterm "github.com/charmbracelet/x/term"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// parseProxy reads the argument of proxy-fail and proxy-ok: the name of
// the source whose whole proxy is acted on. --source and --force belong
// to the backend commands and are refused rather than ignored.
func (a *actionOpts) parseProxy(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: lbtop %s NAME [flags], NAME a source's name (got %d arguments after %s)", a.verb, len(args), a.verb)
	}
	switch {
	case a.source != "":
		return fmt.Errorf("--source %q: %s takes the source as its argument: lbtop %s %s", a.source, a.verb, a.verb, a.source)
	case a.force:
		return fmt.Errorf("--force does not apply to %s: it always needs the proxy's name typed, or --yes", a.verb)
	}
	a.source = args[0]
	return nil
}

// actProxy performs proxy-fail or proxy-ok on the source a.source: the
// same plan (actions.Plan), runner, audit and exit codes as a backend
// action. Without --yes the proxy's name must be typed at a terminal, as
// the dashboard's F asks; a script that is not at a terminal gives --yes.
func actProxy(ctx context.Context, o *options, a *actionOpts, hub *sources.Hub, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		printErr(stderr, err)
		return exitError
	}
	if err := knownSource(hub, a.verb, a.source); err != nil {
		return fail(err)
	}
	st := newStore(hub.Entries())
	snap := hub.PollNow(ctx, a.source)
	fleet := st.Ingest(snap)
	if snap.Err != nil {
		fmt.Fprintf(stderr, "lbtop: %s: %v\n", snap.Source, snap.Err)
	}
	plan, err := actions.Plan(fleet, hub, model.Action{Kind: a.kind, Ref: model.BackendRef{Source: a.source}}, nil, a.reason, a.floor)
	if err != nil {
		if a.dryRun {
			fmt.Fprintln(stdout, "dry run: would be refused:", err)
		}
		return fail(err)
	}
	status, _ := fleet.Source(a.source)
	fmt.Fprintf(stdout, "%s %s (%s)\n", a.kind, a.source, status.Kind)
	for _, l := range actions.ProxyImpact(status, a.kind) {
		fmt.Fprintln(stdout, "  "+l)
	}
	fmt.Fprintln(stdout, "  request  "+plan.Wire[0])
	if a.dryRun {
		fmt.Fprintln(stdout, "dry run: nothing was sent")
		return exitOK
	}
	runner, closeLog, err := newRunner(o, getenv, hub)
	if err != nil {
		return fail(err)
	}
	defer closeLog()
	if !a.yes {
		if !isTerminal(stdin) {
			return fail(fmt.Errorf("%s %s needs the proxy's name typed at a terminal, and stdin is not one: give --yes in scripts; nothing was sent", a.verb, a.source))
		}
		if !confirmProxy(stdin, stderr, a) {
			return fail(errors.New("not confirmed: nothing was sent"))
		}
	}
	return report([]actions.Result{runner.Run(ctx, plan.Requests[0])}, stdout, stderr)
}

// confirmProxy asks for the proxy's name typed in full, as the
// dashboard's F does: a whole proxy is more than any one pool.
func confirmProxy(stdin io.Reader, stderr io.Writer, a *actionOpts) bool {
	what := "FAIL THE WHOLE PROXY"
	if a.kind == model.ActionProxyOK {
		what = "restore the whole proxy"
	}
	got, ok := answer(stdin, stderr, fmt.Sprintf("%s %s: type its name %q to apply, anything else cancels: ", what, a.source, a.source))
	return ok && got == a.source
}

// isTerminal reports whether r is a terminal, where a person can type a
// confirmation (not a pipe, a file or /dev/null).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && xterm.IsTerminal(f.Fd())
}
