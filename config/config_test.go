package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{model.KindPrometheus, "fleet", 2 * time.Second, 5 * time.Second, false},
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
		want []string
	}{
		{"unknown field", "sources:\n  - kind: haproxy\n    adress: x:1\n", []string{"bad.yaml", "line 3", "adress"}},
		{"unknown kind", "sources:\n  - kind: traefik\n    address: x\n", []string{"bad.yaml:2", "sources[0].kind", `"traefik"`}},
		{"missing kind", "sources:\n  - address: x:1\n", []string{"bad.yaml:2", "sources[0].kind", "missing"}},
		{"haproxy address", "sources:\n  - kind: envoy\n    address: http://a:1\n  - kind: haproxy\n    address: nope\n", []string{"bad.yaml:4", "sources[1].address", `"nope"`}},
		{"url scheme", "sources:\n  - kind: envoy\n    address: 127.0.0.1:9901\n", []string{"bad.yaml:2", "sources[0].address", "http://"}},
		{"short interval", "sources:\n  - kind: envoy\n    address: http://a:1\n    interval: 1ms\n", []string{"sources[0].interval", "1ms"}},
		{"bad duration", "interval: soon\n", []string{"bad.yaml", "line 1", "soon"}},
		{"duplicate name", "sources:\n  - {kind: haproxy, name: a, address: x:1}\n  - {kind: haproxy, name: a, address: y:1}\n", []string{"bad.yaml:3", "sources[1].name", `"a"`}},
		{"merge_as kind", "sources:\n  - {kind: prometheus, address: 'http://p:9090', merge_as: hap}\n", []string{"bad.yaml:2", "sources[0].merge_as", `"hap"`}},
		{"presets on haproxy", "sources:\n  - {kind: haproxy, address: x:1, presets: [envoy]}\n", []string{"sources[0].presets"}},
		{"http on haproxy", "sources:\n  - kind: haproxy\n    address: x:1\n    http: {bearer_token: s3cret}\n", []string{"sources[0].http"}},
		{"password in url", "sources:\n  - {kind: nginx, address: 'http://u:hunter2@a:1/api'}\n", []string{"sources[0].address", "credentials"}},
		{"two auth methods", "sources:\n  - kind: envoy\n    address: http://a:1\n    http: {bearer_token: s3cret, basic_auth: {username: u, password: p}}\n", []string{"bad.yaml", "line 4", "http", "at most one"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{"hunter2", "s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks a secret", err)
				}
			}
		})
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
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2") || !strings.Contains(err.Error(), "mappings[0]") || !strings.Contains(err.Error(), "backend_label") {
		t.Fatalf("got %v", err)
	}
}
