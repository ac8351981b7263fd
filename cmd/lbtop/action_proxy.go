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

// planProxy polls the source a.source, plans proxy-fail or proxy-ok with
// actions.Plan (the dashboard's F plans it the same way) and prints the
// plan: the scope, the change and the request.
func planProxy(ctx context.Context, a *actionOpts, hub *sources.Hub, stdout, stderr io.Writer) (actions.Planned, error) {
	if err := knownSource(hub, a.verb, a.source); err != nil {
		return actions.Planned{}, err
	}
	snap := hub.PollNow(ctx, a.source)
	fleet := newStore(hub.Entries()).Ingest(snap)
	if snap.Err != nil {
		fmt.Fprintf(stderr, "lbtop: %s: %v\n", snap.Source, snap.Err)
	}
	plan, err := actions.Plan(fleet, hub, model.Action{Kind: a.kind, Ref: model.BackendRef{Source: a.source}}, nil, a.reason, a.floor)
	if err != nil {
		return actions.Planned{}, err
	}
	status, _ := fleet.Source(a.source)
	fmt.Fprintf(stdout, "%s %s (%s)\n", a.kind, a.source, status.Kind)
	for _, l := range actions.ProxyImpact(status, a.kind) {
		fmt.Fprintln(stdout, "  "+l)
	}
	fmt.Fprintln(stdout, "  request  "+plan.Wire[0])
	return plan, nil
}

// askProxy asks for the proxy's name typed in full at a terminal, as the
// dashboard's F does: a whole proxy is more than any one pool. Not at a
// terminal (a script without --yes), it refuses.
func askProxy(stdin io.Reader, stderr io.Writer, a *actionOpts, _ bool) error {
	if !isTerminal(stdin) {
		return fmt.Errorf("%s %s needs the proxy's name typed at a terminal, and stdin is not one: give --yes in scripts; nothing was sent", a.verb, a.source)
	}
	what := "FAIL THE WHOLE PROXY"
	if a.kind == model.ActionProxyOK {
		what = "restore the whole proxy"
	}
	if got, ok := answer(stdin, stderr, fmt.Sprintf("%s %s: type its name %q to apply, anything else cancels: ", what, a.source, a.source)); ok && got == a.source {
		return nil
	}
	return errors.New("not confirmed: nothing was sent")
}

// isTerminal reports whether r is a terminal, where a person can type a
// confirmation (not a pipe, a file or /dev/null).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && xterm.IsTerminal(f.Fd())
}
