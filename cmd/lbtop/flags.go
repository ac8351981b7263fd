package main

//go:generate go test -run TestREADMEFlags . -args -update-readme

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/config"
	"github.com/lbtop/lbtop/internal/memlimit"
	"github.com/lbtop/lbtop/internal/suggest"
	"github.com/lbtop/lbtop/model"
)

// options are the parsed command line.
type options struct {
	configFile string
	haproxy    listFlag
	envoy      listFlag
	nginx      listFlag
	prometheus listFlag
	kube       bool
	kubeCtx    listFlag
	kubeconfig string
	namespaces listFlag
	demo       bool
	seed       int64
	interval   time.Duration
	timeout    time.Duration
	once       bool
	output     string
	strict     bool // --once: exit 1 when a source cannot be read
	readOnly   bool
	logFile    string
	record     string  // --record: the recording the dashboard or watch appends to
	bell       bool    // --bell: ring the terminal bell (dashboard and watch)
	auditLog   string  // audit log path; "" is the default under the state dir
	floor      float64 // share of a pool that must stay serving before an action needs more than y
	memLimit   int64   // --memory-limit in bytes; 0: none (internal/memlimit)
	version    bool

	set map[string]bool // flags given on the command line
}

// listFlag is a repeatable string flag; a comma-separated environment
// value fills it too.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*l = append(*l, v)
	return nil
}

// durationFlag is a poll interval or timeout: a positive duration with a
// unit ("2" is refused rather than read as 2 ns, "0" rather than read as
// the default).
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(v string) error {
	d, err := config.ParseDuration(v)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// sizeFlag is --memory-limit: a size such as 180MiB, or off.
type sizeFlag struct{ n *int64 }

func (f sizeFlag) String() string { return "" } // the default is in the help text

func (f sizeFlag) Set(v string) error {
	n, err := memlimit.Parse(v)
	if err == nil {
		*f.n = n
	}
	return err
}

// checkedValue wraps every flag's value so that a bad value is reported
// in one line naming the flag and the value, in words: the flag package's
// own message is "invalid value … : parse error" followed by the usage.
type checkedValue struct {
	flag.Value
	name string
	err  *error // the first bad value, for parseArgs
}

func (v checkedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err != nil && *v.err == nil {
		why := err.Error()
		switch {
		case why == "parse error" && v.IsBoolFlag():
			why = "want true or false"
		case why == "parse error" && isDuration(v.Value):
			why = "not a duration, e.g. 2s, 500ms or 1m (a unit is needed)"
		case why == "parse error":
			why = "not a number"
		case why == "value out of range":
			why = "out of range"
		}
		*v.err = fmt.Errorf("invalid %s %q: %s", flagName(v.name), s, why)
	}
	return err
}

// isDuration reports whether v holds a time.Duration (flag.DurationVar).
func isDuration(v flag.Value) bool {
	g, ok := v.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(time.Duration)
	return ok
}

// IsBoolFlag keeps --once working without a value through the wrapper.
func (v checkedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagName is a flag as the user types it: -o, --interval.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// printErr reports err on w, "lbtop: " before each of its lines (a bad
// config file gives one line per problem).
func printErr(w io.Writer, err error) {
	for line := range strings.Lines(err.Error()) {
		fmt.Fprint(w, "lbtop: "+strings.TrimSuffix(line, "\n")+"\n")
	}
}

// envOr returns the environment variable's value or def.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// parseArgs parses the whole command line (without the program name).
// Flags may come before, between or after the command and its arguments
// (kubectl order: lbtop --haproxy X drain web/web1 is lbtop drain web/web1
// --haproxy X). The action is nil without a command. Flags mirror LBTOP_*
// environment variables; flags win. -h gives flag.ErrHelp.
func parseArgs(args []string, getenv func(string) string) (*options, *actionOpts, error) {
	a := &actionOpts{}
	o, pos, err := parseAnywhere(args, getenv, a.register)
	if err != nil {
		return nil, nil, err
	}
	if o.version {
		return o, nil, nil
	}
	if len(pos) == 0 {
		for _, name := range actionFlags {
			if o.set[name] {
				return nil, nil, fmt.Errorf("%s only applies to the action commands %s", flagName(name), strings.Join(verbNames, ", "))
			}
		}
		return o, nil, o.check(cmdDashboard)
	}
	switch pos[0] {
	case "help":
		return nil, nil, flag.ErrHelp
	case "version":
		o.version = true
		return o, nil, nil
	}
	if err := a.parsePositional(pos); err != nil {
		return nil, nil, err
	}
	if err := o.check(cmdAction); err != nil {
		return nil, nil, err
	}
	a.floor = o.floor
	return o, a, nil
}

// parseAnywhere parses the common flags, and those extra registers, with
// flags anywhere among the positional arguments, which it returns in
// order. A bad flag value is one line naming the flag.
func parseAnywhere(args []string, getenv func(string) string, extra func(*flag.FlagSet)) (*options, []string, error) {
	o := &options{set: map[string]bool{}}
	fs, err := o.flagSet(getenv)
	if err != nil {
		return nil, nil, err
	}
	if extra != nil {
		extra(fs)
	}
	var badValue error
	fs.VisitAll(func(f *flag.Flag) { f.Value = checkedValue{Value: f.Value, name: f.Name, err: &badValue} })
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if badValue != nil {
			return nil, nil, badValue
		}
		return nil, nil, flagError(fs, err)
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	return o, pos, nil
}

// parseInterleaved parses flags wherever they are and returns the other
// arguments in order. After "weight", a negative number is the weight (to
// be refused by range), not a flag; after "--" everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if used := len(rest) - fs.NArg(); used > 0 && rest[used-1] == "--" && (used < 2 || !takesValue(fs, rest[used-2])) {
			return append(pos, fs.Args()...), nil
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
		if len(pos) == 1 && pos[0] == "weight" && len(rest) > 0 && isNegativeInt(rest[0]) {
			pos, rest = append(pos, rest[0]), rest[1:]
		}
	}
}

// takesValue reports whether tok is a flag that consumes the next argument.
func takesValue(fs *flag.FlagSet, tok string) bool {
	name := strings.TrimLeft(tok, "-")
	if !strings.HasPrefix(tok, "-") || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

func isNegativeInt(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// flagError rephrases the flag package's parse errors in one line.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest.Closest(name, names); s != "" {
			return fmt.Errorf("unknown flag %s; did you mean %s?", flagName(name), flagName(s))
		}
		return fmt.Errorf("unknown flag %s (see lbtop -h)", flagName(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("%s needs a value", flagName(name))
	}
	return err
}

// flagSet registers every common flag on a new set writing into o; the
// action commands add theirs (actionOpts.register). Its output is
// discarded: errors are reported by the caller in one line, and -h prints
// the grouped usage.
func (o *options) flagSet(getenv func(string) string) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet("lbtop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.configFile, "config", envOr(getenv, "LBTOP_CONFIG", ""), "YAML config listing sources (env LBTOP_CONFIG; see testdata/lbtop.yaml)")
	fs.Var(&o.haproxy, "haproxy", "HAProxy runtime API: unix socket path or host:port")
	fs.Var(&o.envoy, "envoy", "Envoy admin URL, e.g. http://127.0.0.1:9901")
	fs.Var(&o.nginx, "nginx", "NGINX Plus API root (http://lb:8080/api) or stub_status URL")
	fs.Var(&o.prometheus, "prometheus", "Prometheus-compatible API URL, e.g. http://prometheus:9090")
	fs.BoolVar(&o.kube, "kube", false, "read Kubernetes Services, EndpointSlices and HTTPRoutes (kubeconfig rules)")
	fs.Var(&o.kubeCtx, "kube-context", "kubeconfig context (repeatable: one source per context; implies --kube)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
	fs.Var(&o.namespaces, "namespace", "Kubernetes namespace to watch (repeatable; default all)")
	fs.BoolVar(&o.demo, "demo", false, "start a simulated fleet on 127.0.0.1 and watch it; its actions are audited in audit-demo.log, never the real audit log")
	fs.Int64Var(&o.seed, "demo-seed", 1, "random seed of the demo fleet")
	if env := getenv("LBTOP_INTERVAL"); env != "" {
		d, err := config.ParseDuration(env)
		if err != nil {
			return nil, fmt.Errorf("invalid LBTOP_INTERVAL %q: %v", env, err)
		}
		o.interval = d
	}
	fs.Var(durationFlag{&o.interval}, "interval", "poll interval, e.g. 2s (default 2s; env LBTOP_INTERVAL)")
	fs.Var(durationFlag{&o.timeout}, "timeout", "per-poll deadline, at most the interval (default: the interval, at most 10s)")
	fs.BoolVar(&o.once, "once", false, "poll every source once, print and exit: 0 all pools serve, 2 a pool has no healthy backend, 1 error")
	fs.StringVar(&o.output, "o", "table", "output: table or json with --once; jsonl or text with lbtop watch")
	fs.BoolVar(&o.strict, "strict", false, "with --once: exit 1 when any source cannot be read (for monitoring scripts)")
	fs.BoolVar(&o.readOnly, "read-only", getenv("LBTOP_READ_ONLY") == "1" || getenv("LBTOP_READ_ONLY") == "true", "disable every action (env LBTOP_READ_ONLY=1)")
	fs.StringVar(&o.logFile, "log-file", envOr(getenv, "LBTOP_LOG", ""), "write diagnostics to this file (env LBTOP_LOG)")
	o.memLimit = memlimit.Default
	if env := getenv("LBTOP_MEMORY_LIMIT"); env != "" {
		n, err := memlimit.Parse(env)
		if err != nil {
			return nil, fmt.Errorf("invalid LBTOP_MEMORY_LIMIT: %v", err)
		}
		o.memLimit = n
	}
	fs.Var(sizeFlag{&o.memLimit}, "memory-limit", "dashboard, watch and serve: soft limit on lbtop's memory, raised to 1.25 × the live heap + 16MiB when the fleet needs more; off for none; ignored when GOMEMLIMIT is set (default 150MiB; env LBTOP_MEMORY_LIMIT)")
	fs.StringVar(&o.record, "record", "", "dashboard and watch: append every snapshot and event to this recording for lbtop replay (docs/recording.md)")
	fs.BoolVar(&o.bell, "bell", false, "dashboard and watch: ring the terminal bell when an alert rule fires or a pool loses its last healthy backend")
	fs.StringVar(&o.auditLog, "audit-log", envOr(getenv, "LBTOP_AUDIT_LOG", ""), "append one JSON line per action to this file (default $XDG_STATE_HOME/lbtop/audit.log or ~/.local/state/lbtop/audit.log, audit-demo.log there with --demo; env LBTOP_AUDIT_LOG)")
	fs.Float64Var(&o.floor, "floor", actions.DefaultFloor, "share of a pool's backends that must stay serving before an action needs the pool name typed (or --force)")
	fs.BoolVar(&o.version, "version", false, "print the version, commit and Go version, and exit")
	return fs, nil
}

// The commands whose flags check validates: the dashboard (and --once),
// the action commands, and the verbs that share the common flags.
const (
	cmdDashboard = "the dashboard"
	cmdAction    = "the action commands"
	cmdWhy       = "lbtop why"
	cmdServe     = "lbtop serve"
	cmdWatch     = "lbtop watch"
)

// flagUse lists the commands each common flag means something to; a flag
// not listed (sources, --log-file, --version) applies everywhere. Giving a
// listed flag to another command is a usage error naming the flag, rather
// than a flag silently ignored.
var flagUse = map[string][]string{
	"once":         {cmdDashboard},
	"o":            {cmdDashboard, cmdWatch},
	"strict":       {cmdDashboard},
	"read-only":    {cmdDashboard, cmdAction, cmdServe},
	"record":       {cmdDashboard, cmdWatch},
	"bell":         {cmdDashboard, cmdWatch},
	"audit-log":    {cmdDashboard, cmdAction, cmdServe, cmdWatch, cmdWhy},
	"floor":        {cmdDashboard, cmdAction, cmdServe},
	"memory-limit": {cmdDashboard, cmdServe, cmdWatch},
}

// check validates flag values after parsing, for cmd (one of the cmd
// constants). It is the one place flags are checked against each other
// and against the command.
func (o *options) check(cmd string) error {
	if o.floor <= 0 || o.floor > 1 {
		return fmt.Errorf("--floor %v: want a share between 0 and 1, e.g. 0.5", o.floor)
	}
	if cmd != cmdWatch && o.output != "table" && o.output != "json" {
		return fmt.Errorf("-o %q: want table or json", o.output)
	}
	action := cmd == cmdAction
	switch {
	case action && (o.once || o.set["o"] || o.set["strict"]):
		return errors.New("--once, -o and --strict apply to lbtop --once, not to the action commands")
	case cmd == cmdDashboard && o.set["o"] && !o.once:
		return fmt.Errorf("-o %s needs --once: lbtop --once -o %s polls once and prints; without --once lbtop opens the dashboard", o.output, o.output)
	case cmd == cmdDashboard && o.strict && !o.once:
		return errors.New("--strict needs --once: it sets the exit code of one poll (1 when a source cannot be read)")
	case o.bell && (o.once || action):
		return errors.New("--bell rings on the dashboard and in lbtop watch, not with --once or an action")
	case cmd == cmdDashboard && o.once && o.set["record"]:
		return errors.New("--record records the dashboard or lbtop watch, not --once")
	}
	for _, name := range slices.Sorted(maps.Keys(o.set)) {
		if use, ok := flagUse[name]; ok && !slices.Contains(use, cmd) {
			return fmt.Errorf("%s does not apply to %s (only to %s)", flagName(name), cmd, strings.Join(use, ", "))
		}
	}
	if len(o.kubeCtx) > 0 {
		o.kube = true
	}
	return nil
}

// loadConfig merges the config file and the source flags and validates the
// result, before any screen is drawn.
func (o *options) loadConfig() (*config.Config, error) {
	c := &config.Config{}
	if o.configFile != "" {
		loaded, err := config.Load(o.configFile)
		if err != nil {
			return nil, err
		}
		c = loaded
	}
	c.Override(o.interval, o.timeout)
	c.ReadOnly = c.ReadOnly || o.readOnly
	for _, s := range []struct {
		kind model.Kind
		list []string
	}{
		{model.KindHAProxy, o.haproxy}, {model.KindEnvoy, o.envoy},
		{model.KindNGINX, o.nginx}, {model.KindPrometheus, o.prometheus},
	} {
		for _, addr := range s.list {
			c.Add(s.kind, addr)
		}
	}
	if o.kube {
		ctxs := o.kubeCtx
		if len(ctxs) == 0 {
			ctxs = []string{""}
		}
		for _, kc := range ctxs {
			c.Sources = append(c.Sources, config.Source{Kind: model.KindKubernetes, Context: kc, Kubeconfig: o.kubeconfig, Namespaces: o.namespaces})
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(c.Sources) == 0 && !o.demo {
		return nil, errors.New("no sources: give --demo, --haproxy, --envoy, --nginx, --prometheus, --kube or --config (see lbtop -h)")
	}
	return c, nil
}

// auditPath is where actions are logged: --audit-log when given; with
// --demo, audit-demo.log next to the default log (the simulated fleet's
// actions never reach the real audit log, whatever LBTOP_AUDIT_LOG says);
// else LBTOP_AUDIT_LOG or the default under the state directory.
func (o *options) auditPath(getenv func(string) string) (string, error) {
	if o.set["audit-log"] || (o.auditLog != "" && !o.demo) {
		return o.auditLog, nil
	}
	p, err := actions.DefaultPath(getenv)
	if err != nil {
		return "", err
	}
	if o.demo {
		return filepath.Join(filepath.Dir(p), demoAuditFile), nil
	}
	return p, nil
}

// demoAuditFile is the audit log of --demo, in the default log's directory.
const demoAuditFile = "audit-demo.log"
