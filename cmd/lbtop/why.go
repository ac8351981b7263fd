package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
)

// whyVerb is the subcommand that explains pools: `lbtop why [POOL] [sources]`.
const whyVerb = "why"

// runWhyMain is the process entry of `lbtop why`: it owns the signal
// context.
func runWhyMain(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runWhy(ctx, args, getenv, stdout, stderr)
}

// whyUsage heads lbtop why -h.
const whyUsage = `lbtop why — why a pool is in its state, from one poll of every source

Usage:
  lbtop why [POOL] SOURCES

POOL is a pool's name (every pool of that name) or KIND/NAME; without it,
every pool with a problem. Exit codes as --once: 0 every pool shown has a
healthy backend, 2 one has none, 1 usage error, unknown pool or no source
readable.
`

// parseWhy parses "why [POOL]" and the common flags, which may come
// before or after the pool.
func parseWhy(args []string, getenv func(string) string, help io.Writer) (*options, string, error) {
	var wfs *flag.FlagSet
	o, pos, err := parseAnywhere(args[1:], getenv, func(fs *flag.FlagSet) { wfs = fs })
	if errors.Is(err, flag.ErrHelp) {
		printVerbUsage(help, whyUsage, cmdWhy, wfs)
	}
	if err != nil {
		return nil, "", err
	}
	if len(pos) > 1 {
		return nil, "", fmt.Errorf("usage: lbtop why [POOL] [sources] (got %d arguments: %s)", len(pos), strings.Join(pos, " "))
	}
	if err := o.check(cmdWhy); err != nil {
		return nil, "", err
	}
	pool := ""
	if len(pos) == 1 {
		pool = pos[0]
	}
	return o, pool, nil
}

// runWhy polls every source once and prints the diagnosis of one pool
// (every pool of that name, or the one "kind/name"), or of every pool
// with a problem when no pool is given. Exit codes are --once's: 0 every
// pool shown has a healthy backend, 2 one has none, 1 usage error, an
// unknown pool or no source readable.
func runWhy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	o, pool, err := parseWhy(args, getenv, stdout)
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
	hub, _, closeHub, err := openHub(ctx, o, cfg)
	if err != nil {
		return fail(err)
	}
	defer closeHub()
	by, err := auditKnowledge(o, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "lbtop: (who took backends out is unknown)", model.SafeError(err.Error()))
	}
	fleet, err := pollFleet(ctx, hub, "", stderr, actions.AdminNotes(by))
	if err != nil {
		return fail(err)
	}
	return explain(stdout, stderr, fleet, pool, by, time.Now())
}

// explain prints the diagnosis of pool (every pool with a problem when
// "") and returns why's exit code: `lbtop why` and `ssh HOST why` share it.
func explain(stdout, stderr io.Writer, fleet *model.Fleet, pool string, by map[model.BackendRef]actions.Entry, now time.Time) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	if code := onceExit(fleet, false); code == exitError {
		return fail(errors.New("no source could be read"))
	}
	pools, err := whyPools(fleet, pool)
	if err != nil {
		return fail(err)
	}
	if len(pools) == 0 {
		fmt.Fprintf(stdout, "every pool is ok (%d pools)\n", len(fleet.Pools))
		return exitOK
	}
	code := exitOK
	for i, p := range pools {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := writeWhy(stdout, p, by, now); err != nil {
			return fail(err)
		}
		if p.NoHealthy() {
			code = exitNoHealthy
		}
	}
	return code
}

// openHub starts the demo fleet when asked, builds the configured
// sources and their hub. The returned func releases all of it.
func openHub(ctx context.Context, o *options, cfg *config.Config) (*sources.Hub, []sources.Entry, func(), error) {
	entries, release, err := openEntries(ctx, o, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	hub, err := sources.NewHub(entries)
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	return hub, entries, release, nil
}

// openEntries starts the demo fleet when asked and builds the configured
// sources: what every command that polls does first. release stops both.
func openEntries(ctx context.Context, o *options, cfg *config.Config) ([]sources.Entry, func(), error) {
	closeDemo := func() {}
	if o.demo {
		fleet, err := startDemo(ctx, cfg, o.seed)
		if err != nil {
			return nil, nil, err
		}
		closeDemo = func() { _ = fleet.Close() }
	}
	entries, cleanup, err := buildEntries(ctx, cfg)
	if err != nil {
		closeDemo()
		return nil, nil, err
	}
	return entries, func() { cleanup(); closeDemo() }, nil
}

// whyPools picks the pools to explain: those named (by name, or by key
// "kind/name"), or every pool with a problem, worst first.
func whyPools(f *model.Fleet, name string) ([]*model.PoolRow, error) {
	var out []*model.PoolRow
	for _, i := range f.Select(model.Query{ProblemsOnly: name == ""}) {
		p := &f.Pools[i]
		if name == "" || p.Name == name || p.Key == name {
			out = append(out, p)
		}
	}
	if name != "" && len(out) == 0 {
		var names []string
		for i := range f.Pools {
			names = append(names, f.Pools[i].Name)
		}
		slices.Sort(names)
		names = slices.Compact(names)
		if len(names) > 12 {
			names = append(names[:12], "…")
		}
		return nil, fmt.Errorf("pool %q: no such pool (have: %s)", name, strings.Join(names, ", "))
	}
	return out, nil
}

// auditKnowledge reads who took which backend out of rotation (drain,
// maint, weight 0) and why, from the audit log at --audit-log or its
// default path: the "drained by ana" of the diagnosis. A missing log is
// no knowledge, not an error.
func auditKnowledge(o *options, getenv func(string) string) (map[model.BackendRef]actions.Entry, error) {
	path, err := o.auditPath(getenv)
	if err != nil {
		return nil, err
	}
	es, _, err := actions.ReadEntries(path, auditHistory)
	if err != nil {
		return nil, err
	}
	return actions.LastBy(es), nil
}

// writeWhy prints one pool's diagnosis in plain text: the verdict, the
// summary, the evidence, then the backends not serving with their
// reasons (and who took them out, when the audit log knows).
func writeWhy(w io.Writer, p *model.PoolRow, by map[model.BackendRef]actions.Entry, now time.Time) error {
	d := &p.Diagnosis
	verdict := d.State.String() + "  " + string(d.Cause)
	if d.Cause == "" {
		verdict = "(not diagnosed)"
	}
	src, n := p.Instances()
	if n > 1 {
		src = fmt.Sprintf("%d instances", n)
	}
	fmt.Fprintf(w, "%s  %s  (%d/%d healthy, %s)\n", p.Key, verdict, p.Healthy, p.Total, src)
	if d.Summary != "" {
		fmt.Fprintf(w, "  %s\n", model.SafeText(d.Summary))
	}
	for _, e := range d.Evidence {
		fmt.Fprintf(w, "  - %s\n", model.SafeText(e))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := false
	for j := range p.Backends {
		b := &p.Backends[j]
		if b.Health == model.Healthy && !actions.IsOut(b.Backend) {
			continue
		}
		if !header {
			fmt.Fprintln(tw, "  not serving:")
			header = true
		}
		note := ""
		if e, ok := by[b.Ref()]; ok {
			note = actions.Out{Row: *b, By: &e}.Note(now)
			if e.Reason != "" {
				note += ": " + e.Reason
			}
		}
		line := "    " + model.SafeText(b.Name) + "\t" + model.SafeText(b.InstanceName()) + "\t" + b.Health.String() + "\t" + model.SafeText(b.Reason)
		if note != "" {
			line += "\t" + model.SafeText(note)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
