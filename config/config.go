// Package config reads lbtop's YAML configuration file, merges the
// command-line sources into it and validates the result. Errors name the
// file, line and field so a bad file is fixed in one go; a config that fails
// validation changes nothing.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
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

	file string // where it was read from, for messages
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
}

// UnmarshalYAML decodes the block with the library's own defaults and
// validation, adding the line number to any error.
func (h *HTTPClient) UnmarshalYAML(n *yaml.Node) error {
	if err := n.Decode(&h.HTTPClientConfig); err != nil {
		return fmt.Errorf("line %d: http: %w", n.Line, err)
	}
	return nil
}

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
	c, err := Parse(path, b)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes a config from YAML. file names it in errors. Unknown fields
// are errors, so a typo is never silently ignored.
func Parse(file string, b []byte) (*Config, error) {
	c := &Config{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, errEOF(err)) {
		return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil {
		for i, line := range sourceLines(&root) {
			if i < len(c.Sources) {
				c.Sources[i].line = line
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// errEOF lets an empty file decode to an empty config.
func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return nil
}

// sourceLines returns the line of each item of the top-level sources list.
func sourceLines(root *yaml.Node) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "sources" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

// Add appends a source given on the command line, e.g. --haproxy ADDR.
func (c *Config) Add(kind model.Kind, address string) {
	c.Sources = append(c.Sources, Source{Kind: kind, Address: address})
}

// Validate fills defaults (names, intervals) and checks every source. The
// error names the file, line and field of the first problem of each source.
func (c *Config) Validate() error {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	var errs []error
	if c.Interval < minInterval {
		errs = append(errs, c.fieldErr(-1, "interval", "%s is too short: at least %s", c.Interval, minInterval))
	}
	if c.Timeout < 0 {
		errs = append(errs, c.fieldErr(-1, "timeout", "must not be negative, got %s", c.Timeout))
	}
	seen := map[string]int{}
	for i := range c.Sources {
		s := &c.Sources[i]
		if err := c.validateSource(i, s); err != nil {
			errs = append(errs, err)
			continue
		}
		if j, dup := seen[s.Name]; dup {
			errs = append(errs, c.fieldErr(i, "name", "%q is already used by sources[%d]: give each source a unique name", s.Name, j))
		}
		seen[s.Name] = i
	}
	return errors.Join(errs...)
}

func (c *Config) validateSource(i int, s *Source) error {
	if !kinds[s.Kind] {
		if s.Kind == "" {
			return c.fieldErr(i, "kind", "missing (one of haproxy, envoy, nginx, prometheus, kubernetes)")
		}
		return c.fieldErr(i, "kind", "unknown kind %q (one of haproxy, envoy, nginx, prometheus, kubernetes)", s.Kind)
	}
	if s.MergeAs != "" && !kinds[s.MergeAs] {
		return c.fieldErr(i, "merge_as", "unknown kind %q (one of haproxy, envoy, nginx, prometheus, kubernetes)", s.MergeAs)
	}
	if err := checkAddress(s.Kind, s.Address); err != nil {
		return c.fieldErr(i, "address", "%v", err)
	}
	if s.Interval == 0 {
		s.Interval = c.Interval
	}
	if s.Interval < minInterval {
		return c.fieldErr(i, "interval", "%s is too short: at least %s", s.Interval, minInterval)
	}
	if s.Timeout == 0 {
		s.Timeout = c.Timeout
	}
	if s.Timeout < 0 {
		return c.fieldErr(i, "timeout", "must not be negative, got %s", s.Timeout)
	}
	if s.MaxResponseBytes < 0 {
		return c.fieldErr(i, "max_response_bytes", "must not be negative, got %d", s.MaxResponseBytes)
	}
	if s.FollowRedirects && (s.Kind == model.KindHAProxy || s.Kind == model.KindKubernetes) {
		return c.fieldErr(i, "follow_redirects", "applies to HTTP sources (envoy, nginx, prometheus), not %s", s.Kind)
	}
	if s.HTTP != nil {
		if s.Kind == model.KindHAProxy || s.Kind == model.KindKubernetes {
			return c.fieldErr(i, "http", "HTTP client settings do not apply to %s sources", s.Kind)
		}
		if err := s.HTTP.HTTPClientConfig.Validate(); err != nil {
			return c.fieldErr(i, "http", "%v", err)
		}
	}
	if (len(s.Presets) > 0 || len(s.Mappings) > 0) && s.Kind != model.KindPrometheus {
		return c.fieldErr(i, "presets", "only prometheus sources have presets and mappings")
	}
	for j, m := range s.Mappings {
		if err := m.Validate(); err != nil {
			return c.fieldErr(i, fmt.Sprintf("mappings[%d]", j), "%v", err)
		}
	}
	if s.Kind != model.KindKubernetes && (s.Context != "" || s.Kubeconfig != "" || len(s.Namespaces) > 0 || s.GateCondition != "") {
		return c.fieldErr(i, "context", "kubeconfig, context, namespaces and gate_condition only apply to kubernetes sources")
	}
	if s.Name == "" {
		s.Name = defaultName(*s)
	}
	if s.ReadOnly || c.ReadOnly {
		s.ReadOnly = true
	}
	return nil
}

// fieldErr formats a validation error for field of sources[i], or of the
// top level when i < 0: "lbtop.yaml:12: sources[1].address: …". Sources
// given as flags have no line and are named by their flag instead.
func (c *Config) fieldErr(i int, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if i < 0 {
		return fmt.Errorf("%s: %s: %s", c.where(0), field, msg)
	}
	s := c.Sources[i]
	if s.line == 0 {
		return fmt.Errorf("--%s %s: %s: %s", s.Kind, sources.RedactURL(s.Address), field, msg)
	}
	return fmt.Errorf("%s: sources[%d].%s: %s", c.where(s.line), i, field, msg)
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
			return fmt.Errorf("%q carries credentials in the URL: put them under http: (basic_auth, authorization)", sources.RedactURL(addr))
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
