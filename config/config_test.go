package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lbtop/lbtop/model"
)

func TestExampleConfigLoads(t *testing.T) {
	t.Parallel()
	c, err := Load(filepath.Join("..", "testdata", "lbtop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 8 {
		t.Fatalf("got %d sources, want 8", len(c.Sources))
	}
	want := []struct {
		kind     model.Kind
		name     string
		interval time.Duration
		timeout  time.Duration
		readOnly bool
	}{
		{model.KindHAProxy, "lb1", 2 * time.Second, 1500 * time.Millisecond, false},
		{model.KindHAProxy, "lb2", 2 * time.Second, 1500 * time.Millisecond, true},
		{model.KindEnvoy, "edge", 5 * time.Second, 1500 * time.Millisecond, false},
		{model.KindNGINX, "plus", 2 * time.Second, 1500 * time.Millisecond, false},
		{model.KindPrometheus, "fleet", 10 * time.Second, 5 * time.Second, false},
		{model.KindKubernetes, "k8s:prod-eu", 2 * time.Second, 1500 * time.Millisecond, false},
	}
	for i, w := range want {
		s := c.Sources[i]
		if s.Kind != w.kind || s.Name != w.name || s.Interval != w.interval || s.Timeout != w.timeout || s.ReadOnly != w.readOnly {
			t.Errorf("sources[%d] = %+v, want %+v", i, s, w)
		}
	}
	if c.Sources[3].HTTP == nil || c.Sources[3].HTTP.BasicAuth == nil || c.Sources[3].HTTP.BasicAuth.Username != "lbtop" {
		t.Errorf("nginx http settings not decoded: %+v", c.Sources[3].HTTP)
	}
}

func TestBadConfigNamesLineAndField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		want string // the whole error, one problem a line
	}{
		{"unknown field", "sources:\n  - kind: haproxy\n    adress: x:1\n",
			`bad.yaml:3: sources[0]: unknown field "adress" (did you mean "address"?)`},
		{"unknown top-level field", "intervall: 2s\n",
			`bad.yaml:1: unknown field "intervall" (did you mean "interval"?)`},
		{"unknown field, no suggestion", "sources:\n  - {kind: haproxy, address: x:1, colour: red}\n",
			`bad.yaml:2: sources[0]: unknown field "colour"`},
		{"unknown field in http", "sources:\n  - kind: envoy\n    address: http://a:1\n    http:\n      tls_confg: {ca_file: x}\n",
			`bad.yaml:5: sources[0].http: unknown field "tls_confg" (did you mean "tls_config"?)`},
		{"credential as a plain value", "sources:\n  - kind: envoy\n    address: http://a:1\n    http:\n      authorization: \"Bearer hunter2\"\n",
			`bad.yaml:5: sources[0].http.authorization: want a mapping of fields (name: value), got a value (not shown: http: settings hold credentials)`},
		{"credential where the library wants a mapping", "sources:\n  - kind: envoy\n    address: http://a:1\n    http:\n      basic_auth: \"u:s3cret\"\n",
			"bad.yaml:5: sources[0].http: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!str (value not shown) into config.plain"},
		{"unknown kind", "sources:\n  - kind: traefik\n    address: x\n",
			`bad.yaml:2: sources[0].kind: unknown kind "traefik" (one of haproxy, envoy, nginx, prometheus, kubernetes)`},
		{"missing kind", "sources:\n  - address: x:1\n",
			`bad.yaml:2: sources[0].kind: missing (one of haproxy, envoy, nginx, prometheus, kubernetes)`},
		{"haproxy address", "sources:\n  - kind: envoy\n    address: http://a:1\n  - kind: haproxy\n    address: nope\n",
			`bad.yaml:5: sources[1].address: "nope" is neither a unix socket path nor host:port`},
		{"url scheme", "sources:\n  - kind: envoy\n    address: 127.0.0.1:9901\n",
			`bad.yaml:3: sources[0].address: "127.0.0.1:9901" is not an http:// or https:// URL`},
		{"short interval", "sources:\n  - kind: envoy\n    address: http://a:1\n    interval: 1ms\n",
			`bad.yaml:4: sources[0].interval: 1ms is too short: at least 100ms`},
		{"no unit", "sources:\n  - kind: envoy\n    address: http://a:1\n    interval: 2\n",
			`bad.yaml:4: sources[0].interval: "2" needs a unit (e.g. 2s)`},
		{"no unit, quoted", "interval: \"2\"\n", `bad.yaml:1: interval: "2" needs a unit (e.g. 2s)`},
		{"zero interval", "interval: 0s\n", `bad.yaml:1: interval: "0s" must be positive (e.g. 2s); leave the field out for the default`},
		{"zero timeout", "sources:\n  - {kind: haproxy, address: x:1, timeout: 0}\n",
			`bad.yaml:2: sources[0].timeout: "0" must be positive (e.g. 2s); leave the field out for the default`},
		{"negative interval", "interval: -1s\n", `bad.yaml:1: interval: "-1s" must be positive (e.g. 2s); leave the field out for the default`},
		{"bad duration", "interval: soon\n", `bad.yaml:1: interval: "soon" is not a duration (e.g. 2s, 500ms, 1m)`},
		{"list as duration", "timeout: [1s]\n", `bad.yaml:1: timeout: want a duration such as 2s, got a list`},
		{"bad bool", "read_only: maybe\n", `bad.yaml:1: read_only: "maybe" is not true or false`},
		{"sources not a list", "sources: {kind: haproxy}\n", `bad.yaml:1: sources: want a list (- item, or [a, b]), got a mapping`},
		{"timeout over interval", "interval: 1s\ntimeout: 1h\n",
			`bad.yaml:2: timeout: 1h0m0s is longer than the interval 1s: a poll must end before the next one starts`},
		{"timeout over default interval", "timeout: 5s\n",
			`bad.yaml:1: timeout: 5s is longer than the default interval 2s: a poll must end before the next one starts`},
		{"source timeout over its interval", "sources:\n  - kind: haproxy\n    address: x:1\n    interval: 1s\n    timeout: 3s\n",
			`bad.yaml:5: sources[0].timeout: 3s is longer than the interval 1s: a poll must end before the next one starts`},
		{"second document", "sources:\n  - {kind: haproxy, address: x:1}\n---\nsources:\n  - {kind: haproxy, address: y:1}\n",
			`bad.yaml:4: a second YAML document (after ---): lbtop reads one; list every source under one sources:`},
		{"syntax", "interval: 2s\n\tsources: []\n", `bad.yaml:2: found a tab character that violates indentation`},
		{"duplicate name", "sources:\n  - {kind: haproxy, name: a, address: x:1}\n  - {kind: haproxy, name: a, address: y:1}\n",
			`bad.yaml:3: sources[1].name: "a" is already used by sources[0]: give each source a unique name`},
		{"merge_as kind", "sources:\n  - {kind: prometheus, address: 'http://p:9090', merge_as: hap}\n",
			`bad.yaml:2: sources[0].merge_as: unknown kind "hap" (one of haproxy, envoy, nginx, prometheus, kubernetes)`},
		{"presets on haproxy", "sources:\n  - {kind: haproxy, address: x:1, presets: [envoy]}\n",
			`bad.yaml:2: sources[0].presets: only prometheus sources have presets and mappings`},
		{"http on haproxy", "sources:\n  - kind: haproxy\n    address: x:1\n    http: {bearer_token: s3cret}\n",
			`bad.yaml:4: sources[0].http: HTTP client settings do not apply to haproxy sources`},
		{"password in url", "sources:\n  - {kind: nginx, address: 'http://u:hunter2@a:1/api'}\n",
			`bad.yaml:2: sources[0].address: "http://a:1/api" (shown without them) carries credentials in the URL: put them under http: (basic_auth, authorization)`},
		{"two auth methods", "sources:\n  - kind: envoy\n    address: http://a:1\n    http: {bearer_token: s3cret, basic_auth: {username: u, password: p}}\n",
			`bad.yaml:4: sources[0].http: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
			for _, secret := range []string{"hunter2", "s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks a secret", err)
				}
			}
		})
	}
}

// TestEveryProblemReported: a file with five mistakes gets five lines, in
// file order, and no config.
func TestEveryProblemReported(t *testing.T) {
	t.Parallel()
	y := `interval: 2
sources:
  - kind: haproxy
    adress: /run/haproxy.sock
  - kind: envoy
    address: 127.0.0.1:9901
    read_only: maybe
  - kind: traefik
    address: x
---
sources: []
`
	c, err := Parse("lbtop.yaml", []byte(y))
	if c != nil {
		t.Errorf("a bad file returned a config: %+v", c)
	}
	want := `lbtop.yaml:1: interval: "2" needs a unit (e.g. 2s)
lbtop.yaml:4: sources[0]: unknown field "adress" (did you mean "address"?)
lbtop.yaml:6: sources[1].address: "127.0.0.1:9901" is not an http:// or https:// URL
lbtop.yaml:7: sources[1].read_only: "maybe" is not true or false
lbtop.yaml:8: sources[2].kind: unknown kind "traefik" (one of haproxy, envoy, nginx, prometheus, kubernetes)
lbtop.yaml:11: a second YAML document (after ---): lbtop reads one; list every source under one sources:`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want time.Duration
		err  error
	}{
		{"2s", 2 * time.Second, nil}, {"1m30s", 90 * time.Second, nil}, {"500ms", 500 * time.Millisecond, nil},
		{"2", 0, ErrNoUnit}, {"1.5", 0, ErrNoUnit}, {"0", 0, ErrNotPositive}, {"0s", 0, ErrNotPositive},
		{"-1s", 0, ErrNotPositive}, {"-3", 0, ErrNotPositive}, {"soon", 0, ErrNotDuration}, {"", 0, ErrNotDuration},
		{"NaN", 0, ErrNotDuration},
	}
	for _, tc := range cases {
		got, err := ParseDuration(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestOverrideNamesTheFlags(t *testing.T) {
	t.Parallel()
	c, err := Parse("lbtop.yaml", []byte("sources:\n  - {kind: haproxy, address: x:1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.Override(time.Second, 3*time.Second)
	want := "--timeout 3s is longer than --interval 1s: a poll must end before the next one starts"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	c = &Config{}
	c.Add(model.KindHAProxy, "x:1")
	c.Override(0, 5*time.Second)
	want = "--timeout 5s is longer than the default interval 2s: a poll must end before the next one starts"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	c = &Config{}
	c.Add(model.KindHAProxy, "x:1")
	c.Override(5*time.Second, 5*time.Second)
	if err := c.Validate(); err != nil || c.Sources[0].Interval != 5*time.Second || c.Sources[0].Timeout != 5*time.Second {
		t.Errorf("timeout == interval is fine: %v %+v", err, c.Sources[0])
	}
}

func TestFlagsOnlyAndDefaults(t *testing.T) {
	t.Parallel()
	c := &Config{}
	c.Add(model.KindHAProxy, "/run/haproxy.sock")
	c.Add(model.KindEnvoy, "http://127.0.0.1:9901")
	c.Add(model.KindHAProxy, "127.0.0.1:9999")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	names := []string{"haproxy:/run/haproxy.sock", "envoy:127.0.0.1:9901", "haproxy:127.0.0.1:9999"}
	for i, n := range names {
		if c.Sources[i].Name != n || c.Sources[i].Interval != DefaultInterval {
			t.Errorf("sources[%d] = %+v, want name %q interval %s", i, c.Sources[i], n, DefaultInterval)
		}
	}
	bad := &Config{}
	bad.Add(model.KindEnvoy, "localhost:9901")
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), "--envoy localhost:9901") {
		t.Errorf("flag error should name the flag and value, got %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("want a not-exist error, got %v", err)
	}
}

func TestEmptyFileIsEmptyConfig(t *testing.T) {
	t.Parallel()
	c, err := Parse("empty.yaml", nil)
	if err != nil || len(c.Sources) != 0 || c.Interval != DefaultInterval {
		t.Errorf("got %+v, %v", c, err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestBadMappingNamesField(t *testing.T) {
	t.Parallel()
	y := "sources:\n  - kind: prometheus\n    address: http://p:9090\n    mappings:\n      - name: m\n        pool_label: svc\n        health: up\n"
	_, err := Parse("bad.yaml", []byte(y))
	want := `bad.yaml:4: sources[0].mappings[0]: mapping "m": backend_label is missing: name the label that identifies the backend`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v", err)
	}
}

// secretElsewhere reports whether "s3cret" appears in b other than as the
// value of a credential field (or b is not YAML, so it cannot be told).
func secretElsewhere(b []byte) bool {
	if !bytes.Contains(b, []byte("s3cret")) {
		return false
	}
	var root yaml.Node
	if yaml.Unmarshal(b, &root) != nil || bytes.Count(b, []byte("---")) > 0 {
		return true
	}
	var walk func(n *yaml.Node, credential bool) bool
	walk = func(n *yaml.Node, credential bool) bool {
		if n.Kind == yaml.ScalarNode {
			return !credential && strings.Contains(n.Value, "s3cret")
		}
		if n.Kind == yaml.AliasNode {
			return true
		}
		for i, c := range n.Content {
			cred := false
			if n.Kind == yaml.MappingNode && i%2 == 1 {
				switch n.Content[i-1].Value {
				case "bearer_token", "password", "credentials":
					cred = true
				}
			}
			if walk(c, cred) {
				return true
			}
		}
		return false
	}
	return walk(&root, false)
}
