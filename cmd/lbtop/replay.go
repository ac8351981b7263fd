package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lbtop/lbtop/sources/record"
)

// replayOpts are replay's arguments.
type replayOpts struct {
	file   string
	at     string
	once   bool
	events bool
	output string
	bell   bool
}

const replayUsage = `usage:
  lbtop replay FILE [--at TIME] [--bell]                the dashboard on the recording (at TIME, else its start)
  lbtop replay FILE --at TIME --once [-o table|json]   the fleet as it was at TIME; exit codes as --once
  lbtop replay FILE --events [-o jsonl|text]            the recorded events, in the watch format
TIME is HH:MM:SS, RFC3339 (2026-11-24T03:12:00Z) or an offset from the start (+90s).
`

// parseReplay parses `replay FILE [flags]`; flags may come before or
// after FILE.
func parseReplay(args []string, help io.Writer) (*replayOpts, error) {
	r := &replayOpts{}
	fs := flag.NewFlagSet("lbtop replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are one line of ours; -h prints the usage
	fs.Usage = func() {}
	fs.StringVar(&r.at, "at", "", "moment to show: HH:MM:SS, RFC3339 (2026-11-24T03:12:00Z) or an offset from the start (+90s)")
	fs.BoolVar(&r.once, "once", false, "print the fleet at --at and exit")
	fs.BoolVar(&r.events, "events", false, "print the recorded events and exit")
	fs.StringVar(&r.output, "o", "", "output: table or json (--once), jsonl or text (--events)")
	fs.BoolVar(&r.bell, "bell", false, "dashboard: ring the terminal bell when the replay passes an alert firing or a pool losing its last healthy backend")
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(help, replayUsage)
			fs.SetOutput(help)
			fs.PrintDefaults()
			return nil, err
		} else if err != nil {
			return nil, errors.New("replay: " + strings.Replace(flagError(fs, err).Error(), "(see lbtop -h)", "(see lbtop replay -h)", 1))
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return nil, fmt.Errorf("replay: want one recording file (got %d arguments)\n%s", len(pos), replayUsage)
	}
	r.file = pos[0]
	switch {
	case r.events && r.once:
		return nil, errors.New("replay: --once and --events do not go together")
	case r.bell && (r.events || r.once):
		return nil, errors.New("replay: --bell rings on the replay dashboard, not with --once or --events")
	case r.events && r.at != "":
		return nil, errors.New("replay: --at goes with --once or the dashboard; --events prints every recorded event")
	case r.events:
		r.output = cmpOr(r.output, "text")
		if r.output != "jsonl" && r.output != "text" {
			return nil, fmt.Errorf("replay --events: -o %q: want jsonl or text", r.output)
		}
	case r.once:
		r.output = cmpOr(r.output, "table")
		if r.output != "table" && r.output != "json" {
			return nil, fmt.Errorf("replay --once: -o %q: want table or json", r.output)
		}
		if r.at == "" {
			return nil, errors.New("replay --once: --at TIME is required (RFC3339 or +90s from the start)")
		}
	case r.output != "":
		return nil, fmt.Errorf("replay: -o %s needs --once or --events: without them replay opens the dashboard", r.output)
	}
	return r, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parseAt reads a moment of a recording: +DURATION from its start,
// RFC3339, or HH:MM:SS in loc on the recording's first day (the next day
// when that is before the start: a recording over midnight). The error
// names the value.
func parseAt(s string, start time.Time, loc *time.Location) (time.Time, error) {
	const want = "want HH:MM:SS, RFC3339 or +90s from the start"
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q: %s", s, want)
		}
		return start.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	c, err := time.Parse(time.TimeOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %s", s, want)
	}
	day := start.In(loc)
	t := time.Date(day.Year(), day.Month(), day.Day(), c.Hour(), c.Minute(), c.Second(), 0, loc)
	if t.Before(day.Truncate(time.Second)) {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// runReplay opens the dashboard on a recording, or prints a recorded
// moment (--at --once) or the recorded events (--events).
func runReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "lbtop:", err)
		return exitError
	}
	r, err := parseReplay(args[1:], stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(err)
	}
	p, err := record.Open(r.file)
	if err != nil {
		return fail(err)
	}
	defer p.Close()
	if p.Torn > 0 {
		fmt.Fprintf(stderr, "lbtop: replay: %s: the last %d bytes are cut off or damaged; replaying up to them\n", r.file, p.Torn)
	}
	if r.events {
		evs, err := p.Events(time.Time{}, time.Time{})
		if err != nil {
			return fail(err)
		}
		if err := newEventWriter(stdout, r.output == "jsonl", false).write(evs); err != nil {
			return fail(err)
		}
		return exitOK
	}
	if !r.once {
		return runReplayTUI(ctx, r, p, getenv, stderr)
	}
	at, err := parseAt(r.at, p.Start(), time.Local)
	if err != nil {
		return fail(fmt.Errorf("--at %w", err))
	}
	if err := inRecording(at, p.Start(), p.End(), time.Local); err != nil {
		return fail(fmt.Errorf("--at %w", err)) // after the end too: the fleet then is not known
	}
	f, err := p.Fleet(at)
	if err != nil {
		return fail(err)
	}
	if err := writeOnce(stdout, f, r.output); err != nil {
		return fail(err)
	}
	return onceExit(f, false)
}
