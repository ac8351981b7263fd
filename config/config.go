// Package config reads lbtop's YAML configuration file, merges the
// command-line sources into it and validates the result. Errors name the
// file, line and field so a bad file is fixed in one go; a config that fails
// validation changes nothing.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	commonconfig "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/lbtop/lbtop/model"
	"github.com/lbtop/lbtop/sources"
	"github.com/lbtop/lbtop/sources/prometheus"
)

// Config is the whole configuration.
type Config struct {
	Interval time.Duration `yaml:"interval"`  // default poll interval for every source
	Timeout  time.Duration `yaml:"timeout"`   // default per-poll timeout
	ReadOnly bool          `yaml:"read_only"` // refuse every action
	Sources  []Source      `yaml:"sources"`
	Alerts   []Alert       `yaml:"alerts"` // alert rules, see alerts.go
	Serve    *Serve        `yaml:"serve"`  // lbtop serve's settings, see serve.go

	file      string          // where it was read from, for messages
	lines     map[string]int  // "sources[0].interval" → its line in the file
	suggested map[string]bool // fields named in a "did you mean": not reported again

	// Which durations came from flags (--interval, --timeout), for messages.
	intervalFlag, timeoutFlag bool
}

// Source is one system instance to read.
type Source struct {
	Kind     model.Kind    `yaml:"kind"`
	Name     string        `yaml:"name"`    // unique; derived from the address when empty
	Address  string        `yaml:"address"` // socket path, host:port or URL, by kind
	Interval time.Duration `yaml:"interval"`
	Timeout  time.Duration `yaml:"timeout"`
	ReadOnly bool          `yaml:"read_only"`
	// MergeAs merges this source's pools with same-named pools of another
	// kind (e.g. a Prometheus source reading HAProxy's exporter: haproxy).
	MergeAs model.Kind `yaml:"merge_as"`
	// MaxResponseBytes caps one reply of this source; a larger one fails
	// the poll. 0 means sources.DefaultMaxResponseBytes (64 MiB).
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// FollowRedirects lets an HTTP source follow redirects to the same
	// host; redirects are refused by default, to another host always.
	FollowRedirects bool `yaml:"follow_redirects"`

	// HTTP holds TLS and authentication settings for HTTP sources
	// (envoy, nginx, prometheus), in Prometheus's own format.
	HTTP *HTTPClient `yaml:"http"`

	// Prometheus only: which built-in presets to run (all when empty).
	Presets []string `yaml:"presets"`
	// Prometheus only: user-defined query sets (see sources/prometheus.Mapping).
	Mappings []prometheus.Mapping `yaml:"mappings"`

	// Kubernetes only.
	Kubeconfig    string   `yaml:"kubeconfig"`
	Context       string   `yaml:"context"`
	Namespaces    []string `yaml:"namespaces"`
	GateCondition string   `yaml:"gate_condition"`

	line int // line in the file, 0 for flags
}

// HTTPClient is Prometheus's HTTP client configuration (tls_config,
// basic_auth, authorization, bearer_token_file, …) as a source's `http:`
// block. It wraps the library type so decoding errors carry the line.
type HTTPClient struct {
	commonconfig.HTTPClientConfig

	reported bool // its decoding error is already reported
}

// UnmarshalYAML decodes the block with the library's own defaults and
// validation, adding the line number to any error.
func (h *HTTPClient) UnmarshalYAML(n *yaml.Node) error {
	if err := n.Decode(&h.HTTPClientConfig); err != nil {
		h.reported = true
		// A TypeError lets the decoder go on, so the file's other
		// problems are reported too.
		msg := quotedValue.ReplaceAllString(err.Error(), "(value not shown)")
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s%s", n.Line, httpErrPrefix, msg)}}
	}
	return nil
}

// quotedValue is a value the YAML decoder quotes in its messages
// ("cannot unmarshal !!str `u:pass` into …"): in an http: block it may be
// a credential, so it is not repeated.
var quotedValue = regexp.MustCompile("`[^`]*`")

// httpErrPrefix marks the decoder messages of an http: block.
const httpErrPrefix = "http: "

// Defaults applied when neither the file nor a flag sets a value.
const (
	DefaultInterval = 2 * time.Second
	minInterval     = 100 * time.Millisecond
)

var kinds = map[model.Kind]bool{
	model.KindHAProxy: true, model.KindEnvoy: true, model.KindNGINX: true,
	model.KindPrometheus: true, model.KindKubernetes: true,
}

// Load reads and validates a config file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and validates a config from YAML; file names it in
// errors. Every problem of the file is reported, one per line in file
// order ("lbtop.yaml:4: sources[0]: unknown field \"adress\" (did you mean
// \"address\"?)"), and any problem fails the whole file: unknown fields,
// durations without a unit or not positive, a second YAML document.
func Parse(file string, b []byte) (*Config, error) {
	c := &Config{file: file}
	k := &checker{file: file, paths: map[int]string{}, values: map[int]string{}, lines: map[string]int{}, suggested: map[string]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return c, c.Validate()
		}
		return nil, syntaxErr(file, err)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		k.problems = append(k.problems, problem{msg: syntaxErr(file, err).Error()})
	default:
		line := second.Line
		if len(second.Content) > 0 {
			line = second.Content[0].Line
		}
		k.add(line, "", "a second YAML document (after ---): lbtop reads one; list every source under one sources:")
	}
	if len(root.Content) > 0 {
		if k.walk(root.Content[0], reflect.TypeFor[Config](), "") {
			if err := root.Decode(c); err != nil {
				k.decodeProblems(err)
			}
		}
	}
	c.lines, c.suggested = k.lines, k.suggested
	for i := range c.Sources {
		c.Sources[i].line = k.lines[fmt.Sprintf("sources[%d]", i)]
	}
	if err := c.Validate(); err != nil {
		for _, e := range unjoin(err) {
			var p problem
			if !errors.As(e, &p) {
				p = problem{msg: e.Error()}
			}
			k.problems = append(k.problems, p)
		}
	}
	if len(k.problems) == 0 {
		return c, nil
	}
	sortProblems(k.problems)
	errs := make([]error, len(k.problems))
	for i, p := range k.problems {
		errs[i] = p
	}
	return nil, errors.Join(errs...)
}

// syntaxErr phrases a YAML syntax error as file:line: message.
func syntaxErr(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		_, rest, _ := strings.Cut(msg, ": ")
		return fmt.Errorf("%s:%d: %s", file, line, rest)
	}
	return fmt.Errorf("%s: %s", file, msg)
}

// unjoin lists the errors inside an errors.Join.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Add appends a source given on the command line, e.g. --haproxy ADDR.
func (c *Config) Add(kind model.Kind, address string) {
	c.Sources = append(c.Sources, Source{Kind: kind, Address: address})
}

// Override sets the interval and/or timeout of the whole config and of
// every source, as --interval and --timeout do; zero leaves it as is.
func (c *Config) Override(interval, timeout time.Duration) {
	if interval > 0 {
		c.Interval, c.intervalFlag = interval, true
		for i := range c.Sources {
			c.Sources[i].Interval = interval
		}
	}
	if timeout > 0 {
		c.Timeout, c.timeoutFlag = timeout, true
		for i := range c.Sources {
			c.Sources[i].Timeout = timeout
		}
	}
}

// Validate fills defaults (names, intervals) and checks every source. It
// reports every problem, each naming the file, line and field (or the
// flag) it comes from.
func (c *Config) Validate() error {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	var errs []error
	if c.Interval < minInterval {
		errs = append(errs, c.topErr("interval", c.intervalFlag, "%s is too short: at least %s", c.Interval, minInterval))
	}
	if c.Timeout < 0 {
		errs = append(errs, c.topErr("timeout", c.timeoutFlag, "must be positive, got %s", c.Timeout))
	}
	if c.Timeout > c.Interval {
		errs = append(errs, c.topErr("timeout", c.timeoutFlag, "%s is longer than %s: a poll must end before the next one starts", c.Timeout, c.intervalWords(c.Interval)))
	}
	seen := map[string]int{}
	for i := range c.Sources {
		s := &c.Sources[i]
		if serrs := c.validateSource(i, s); len(serrs) > 0 {
			errs = append(errs, serrs...)
			continue
		}
		if j, dup := seen[s.Name]; dup {
			errs = append(errs, c.fieldErr(i, "name", "%q is already used by sources[%d]: give each source a unique name", s.Name, j))
		}
		seen[s.Name] = i
	}
	errs = append(errs, c.validateAlerts()...)
	errs = append(errs, c.validateServe()...)
	return errors.Join(errs...)
}

// intervalWords names an interval and where it came from: "--interval 1s",
// "the default interval 2s" or "the interval 2s".
func (c *Config) intervalWords(d time.Duration) string {
	switch {
	case c.intervalFlag:
		return "--interval " + d.String()
	case c.lines["interval"] == 0 && d == DefaultInterval:
		return "the default interval " + d.String()
	}
	return "the interval " + d.String()
}

// validateSource fills a source's defaults and returns all its problems.
func (c *Config) validateSource(i int, s *Source) []error {
	var errs []error
	add := func(field, format string, args ...any) {
		if !c.suggested[fmt.Sprintf("sources[%d].%s", i, field)] {
			errs = append(errs, c.fieldErr(i, field, format, args...))
		}
	}
	const kindList = "one of haproxy, envoy, nginx, prometheus, kubernetes"
	switch {
	case s.Kind == "":
		add("kind", "missing (%s)", kindList)
	case !kinds[s.Kind]:
		add("kind", "unknown kind %q (%s)", s.Kind, kindList)
	default:
		if err := checkAddress(s.Kind, s.Address); err != nil {
			add("address", "%v", err)
		}
	}
	if s.MergeAs != "" && !kinds[s.MergeAs] {
		add("merge_as", "unknown kind %q (%s)", s.MergeAs, kindList)
	}
	if s.Interval == 0 {
		s.Interval = c.Interval
	}
	if s.Interval < minInterval && s.Interval != c.Interval {
		add("interval", "%s is too short: at least %s", s.Interval, minInterval)
	}
	if s.Timeout == 0 {
		s.Timeout = c.Timeout
	}
	if s.Timeout < 0 && s.Timeout != c.Timeout {
		add("timeout", "must be positive, got %s", s.Timeout)
	}
	if s.Timeout > s.Interval && (s.Timeout != c.Timeout || s.Interval != c.Interval) {
		add("timeout", "%s is longer than the interval %s: a poll must end before the next one starts", s.Timeout, s.Interval)
	}
	if s.MaxResponseBytes < 0 {
		add("max_response_bytes", "must not be negative, got %d", s.MaxResponseBytes)
	}
	if s.FollowRedirects && (s.Kind == model.KindHAProxy || s.Kind == model.KindKubernetes) {
		add("follow_redirects", "applies to HTTP sources (envoy, nginx, prometheus), not %s", s.Kind)
	}
	if s.HTTP != nil {
		if s.Kind == model.KindHAProxy || s.Kind == model.KindKubernetes {
			add("http", "HTTP client settings do not apply to %s sources", s.Kind)
		} else if !s.HTTP.reported {
			if err := s.HTTP.HTTPClientConfig.Validate(); err != nil {
				add("http", "%v", err)
			}
		}
	}
	if (len(s.Presets) > 0 || len(s.Mappings) > 0) && s.Kind != model.KindPrometheus {
		add("presets", "only prometheus sources have presets and mappings")
	}
	for j, m := range s.Mappings {
		if err := m.Validate(); err != nil {
			add(fmt.Sprintf("mappings[%d]", j), "%v", err)
		}
	}
	if s.Kind != model.KindKubernetes && (s.Context != "" || s.Kubeconfig != "" || len(s.Namespaces) > 0 || s.GateCondition != "") {
		add("context", "kubeconfig, context, namespaces and gate_condition only apply to kubernetes sources")
	}
	if s.Name == "" {
		s.Name = defaultName(*s)
	}
	if s.ReadOnly || c.ReadOnly {
		s.ReadOnly = true
	}
	return errs
}

// topErr formats a problem of a top-level setting: "lbtop.yaml:3:
// interval: …", or "--interval 50ms: …" when a flag set it.
func (c *Config) topErr(field string, fromFlag bool, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if fromFlag {
		return problem{msg: fmt.Sprintf("--%s %s", field, msg)}
	}
	line := c.lines[field]
	return problem{line: line, msg: fmt.Sprintf("%s: %s: %s", c.where(line), field, msg)}
}

// fieldErr formats a validation problem of field of sources[i]:
// "lbtop.yaml:12: sources[1].address: …", on the field's own line when the
// file has it. Sources given as flags have no line and are named by their
// flag instead.
func (c *Config) fieldErr(i int, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	s := c.Sources[i]
	if s.line == 0 {
		return problem{msg: fmt.Sprintf("--%s %s: %s: %s", s.Kind, sources.RedactURL(s.Address), field, msg)}
	}
	line := s.line
	if l := c.lines[fmt.Sprintf("sources[%d].%s", i, strings.SplitN(field, "[", 2)[0])]; l > 0 {
		line = l
	}
	return problem{line: line, msg: fmt.Sprintf("%s: sources[%d].%s: %s", c.where(line), i, field, msg)}
}

func (c *Config) where(line int) string {
	w := c.file
	if w == "" {
		w = "flags"
	}
	if line > 0 {
		w = fmt.Sprintf("%s:%d", w, line)
	}
	return w
}

// checkAddress validates an address for its kind.
func checkAddress(kind model.Kind, addr string) error {
	switch kind {
	case model.KindKubernetes:
		return nil // address unused: kubeconfig rules apply
	case model.KindHAProxy:
		if addr == "" {
			return errors.New("missing: a runtime API unix socket path or host:port")
		}
		if IsSocketPath(addr) {
			return nil
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%q is neither a unix socket path nor host:port", addr)
		}
		return nil
	default:
		if addr == "" {
			return errors.New("missing: an http:// or https:// URL")
		}
		u, err := url.Parse(addr)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			if strings.Contains(addr, "@") { // a redacted URL may look fine: say what is hidden
				return fmt.Errorf("%q (credentials left out here) is not a valid http:// or https:// URL", sources.RedactURL(addr))
			}
			return fmt.Errorf("%q is not an http:// or https:// URL", sources.RedactURL(addr))
		}
		if u.User != nil {
			return fmt.Errorf("%q (shown without them) carries credentials in the URL: put them under http: (basic_auth, authorization)", sources.RedactURL(addr))
		}
		return nil
	}
}

// IsSocketPath reports whether an HAProxy address names a unix socket.
func IsSocketPath(addr string) bool {
	return strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, ".") || strings.HasSuffix(addr, ".sock")
}

// defaultName derives a readable, usually unique name from the address.
func defaultName(s Source) string {
	switch s.Kind {
	case model.KindKubernetes:
		if s.Context != "" {
			return "k8s:" + s.Context
		}
		return "k8s"
	case model.KindHAProxy:
		return "haproxy:" + s.Address
	}
	if u, err := url.Parse(s.Address); err == nil && u.Host != "" {
		return string(s.Kind) + ":" + u.Host
	}
	return string(s.Kind) + ":" + s.Address
}
