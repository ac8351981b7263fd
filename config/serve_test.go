package config

import (
	"testing"
	"time"
)

func TestServeBlock(t *testing.T) {
	t.Parallel()
	y := `sources:
  - {kind: haproxy, address: x:1}
serve:
  listen: 127.0.0.1:2222
  host_key: /var/lib/lbtop/host_key
  operator_keys: /etc/lbtop/operators
  viewer_keys: /etc/lbtop/viewers
  max_sessions: 8
  idle_timeout: 30m
`
	c, err := Parse("lbtop.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	want := Serve{Listen: "127.0.0.1:2222", HostKey: "/var/lib/lbtop/host_key", OperatorKeys: "/etc/lbtop/operators",
		ViewerKeys: "/etc/lbtop/viewers", MaxSessions: 8, IdleTimeout: 30 * time.Minute}
	if c.Serve == nil || *c.Serve != want {
		t.Fatalf("serve = %+v, want %+v", c.Serve, want)
	}
	if got := c.ServeField("operator_keys"); got != "lbtop.yaml:6: serve.operator_keys" {
		t.Errorf("ServeField = %q", got)
	}
	c, err = Parse("lbtop.yaml", []byte("sources:\n  - {kind: haproxy, address: x:1}\n"))
	if err != nil || c.Serve != nil {
		t.Errorf("no serve block: %+v, %v", c.Serve, err)
	}
}

func TestBadServeBlockNamesLineAndField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "serve:\n  operator_key: /etc/ops\n",
			`bad.yaml:2: serve: unknown field "operator_key" (did you mean "operator_keys"?)`},
		{"listen", "serve:\n  listen: 2222\n",
			`bad.yaml:2: serve.listen: "2222" is not host:port (e.g. 0.0.0.0:2222 or :2222)`},
		{"negative sessions", "serve:\n  max_sessions: -3\n",
			`bad.yaml:2: serve.max_sessions: -3: want 1 or more (0 or left out: the default)`},
		{"sessions not a number", "serve:\n  max_sessions: many\n",
			`bad.yaml:2: serve.max_sessions: "many" is not a whole number`},
		{"idle timeout unit", "serve:\n  idle_timeout: 60\n",
			`bad.yaml:2: serve.idle_timeout: "60" needs a unit (e.g. 60s)`},
		{"idle timeout zero", "serve:\n  idle_timeout: 0s\n",
			`bad.yaml:2: serve.idle_timeout: "0s" must be positive (e.g. 2s); leave the field out for the default`},
		{"not a mapping", "serve: :2222\n",
			`bad.yaml:1: serve: want a mapping of fields (name: value), got "` + `:2222"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}
