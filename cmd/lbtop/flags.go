package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lbtop/lbtop/actions"
	"github.com/lbtop/lbtop/config"
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
	readOnly   bool
	logFile    string
	auditLog   string  // audit log path; "" is the default under the state dir
	floor      float64 // share of a pool that must stay serving before an action needs more than y
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

// envOr returns the environment variable's value or def.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

const usageHead = `lbtop — live load-balancer upstream health in your terminal

Usage:
  lbtop --demo                              built-in demo fleet
  lbtop [sources] [flags]                   live dashboard
  lbtop [sources] --once [-o table|json]    poll once, print, exit 0 (all pools serve), 2 (a pool has no healthy backend), 1 (error)
  lbtop drain|ready|maint POOL/BACKEND [sources] [--source NAME|all] [--reason TEXT] [--yes] [--force] [--dry-run]
  lbtop weight N POOL/BACKEND [same flags]  act, verify by re-poll, audit; exit 0 only when confirmed (see docs/actions.md)
  lbtop why [POOL] [sources]                why POOL (or every pool with a problem) is in its state: cause, evidence, backends not serving; exits like --once

Sources (repeatable; or --config FILE):
`

// parseFlags parses args (without the program name). Flags mirror
// LBTOP_* environment variables; flags win.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs, err := o.flagSet(getenv, stderr)
	if err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (sources are given with --haproxy, --envoy, …)", fs.Arg(0))
	}
	return o, o.check()
}

// flagSet registers every common flag on a new set writing into o; the
// action subcommands add their own to it.
func (o *options) flagSet(getenv func(string) string, stderr io.Writer) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet("lbtop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.configFile, "config", envOr(getenv, "LBTOP_CONFIG", ""), "YAML config listing sources (env LBTOP_CONFIG)")
	fs.Var(&o.haproxy, "haproxy", "HAProxy runtime API: unix socket path or host:port")
	fs.Var(&o.envoy, "envoy", "Envoy admin URL, e.g. http://127.0.0.1:9901")
	fs.Var(&o.nginx, "nginx", "NGINX Plus API root (http://lb:8080/api) or stub_status URL")
	fs.Var(&o.prometheus, "prometheus", "Prometheus-compatible API URL, e.g. http://prometheus:9090")
	fs.BoolVar(&o.kube, "kube", false, "read Kubernetes Services, EndpointSlices and HTTPRoutes (kubeconfig rules)")
	fs.Var(&o.kubeCtx, "kube-context", "kubeconfig context (repeatable: one source per context; implies --kube)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
	fs.Var(&o.namespaces, "namespace", "Kubernetes namespace to watch (repeatable; default all)")
	fs.BoolVar(&o.demo, "demo", false, "start a simulated fleet on 127.0.0.1 and watch it")
	fs.Int64Var(&o.seed, "demo-seed", 1, "random seed of the demo fleet")
	interval, err := time.ParseDuration(envOr(getenv, "LBTOP_INTERVAL", "0s"))
	if err != nil {
		return nil, fmt.Errorf("LBTOP_INTERVAL: %w", err)
	}
	fs.DurationVar(&o.interval, "interval", interval, "poll interval (default 2s; env LBTOP_INTERVAL)")
	fs.DurationVar(&o.timeout, "timeout", 0, "per-poll timeout (default: the interval, at most 10s)")
	fs.BoolVar(&o.once, "once", false, "poll every source once, print and exit")
	fs.StringVar(&o.output, "o", "table", "output of --once: table or json")
	fs.BoolVar(&o.readOnly, "read-only", getenv("LBTOP_READ_ONLY") == "1" || getenv("LBTOP_READ_ONLY") == "true", "disable every action (env LBTOP_READ_ONLY=1)")
	fs.StringVar(&o.logFile, "log-file", envOr(getenv, "LBTOP_LOG", ""), "write diagnostics to this file (env LBTOP_LOG)")
	fs.StringVar(&o.auditLog, "audit-log", envOr(getenv, "LBTOP_AUDIT_LOG", ""), "append one JSON line per action to this file (default $XDG_STATE_HOME/lbtop/audit.log or ~/.local/state/lbtop/audit.log; env LBTOP_AUDIT_LOG)")
	fs.Float64Var(&o.floor, "floor", actions.DefaultFloor, "share of a pool's backends that must stay serving before an action needs the pool name typed (or --force)")
	return fs, nil
}

// check validates flag values after parsing.
func (o *options) check() error {
	if o.floor <= 0 || o.floor > 1 {
		return fmt.Errorf("--floor %v: want a share between 0 and 1, e.g. 0.5", o.floor)
	}
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("-o %q: want table or json", o.output)
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
	if o.interval != 0 {
		c.Interval = o.interval
		for i := range c.Sources {
			c.Sources[i].Interval = o.interval
		}
	}
	if o.timeout != 0 {
		c.Timeout = o.timeout
		for i := range c.Sources {
			c.Sources[i].Timeout = o.timeout
		}
	}
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
