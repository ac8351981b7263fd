package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfigParse feeds arbitrary bytes to the config loader. Whatever
// the bytes, it does not panic; it gives a config or an error, never both;
// an error names the file and never echoes a credential's value (s3cret);
// an accepted config has known kinds, unique non-empty names, no negative
// durations, and validates again unchanged. Longer runs:
// go test -fuzz=FuzzConfigParse -fuzztime=60s ./config
func FuzzConfigParse(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "lbtop.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("interval: 0s\nsources:\n  - {kind: haproxy, address: 127.0.0.1:1}\n"))
	f.Add([]byte("sources:\n  - kind: nginx\n    address: 'http://u:p%zz@h/api'\n    timeout: -1s\n---\nsources: []\n"))
	f.Add([]byte("sources:\n  - {kind: prometheus, name: \"\\e]2;x\\a\", address: http://h:9090, mappings: [{name: m, pool_label: p, backend_label: b, health: up}]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	for _, s := range []string{
		"sources:\n  - kind: haproxy\n    adress: x:1\n", "interval: 2\n", "timeout: [1s]\n", "a: *b\n",
		"sources:\n  - {kind: envoy, address: 'http://a:1', http: {bearer_token: s3cret, basic_auth: {username: u}}}\n",
		"---\n---\n", "sources: [1, [2], {kind: nginx}]\n", "interval: 1s\ntimeout: 1h\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const file = "fuzz.yaml"
		c, err := Parse(file, in)
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", c, err)
		}
		if err != nil {
			if !strings.Contains(err.Error(), file) {
				t.Fatalf("error does not name the file: %v", err)
			}
			// s3cret as a credential's value must never be echoed
			// (elsewhere in the file it is just text the user wrote).
			if !secretElsewhere(in) && strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("secret in %v", err)
			}
			return
		}
		if c.Interval <= 0 || c.Timeout < 0 {
			t.Fatalf("accepted interval %s, timeout %s", c.Interval, c.Timeout)
		}
		seen := map[string]bool{}
		for i, s := range c.Sources {
			if !kinds[s.Kind] || s.Name == "" || seen[s.Name] || s.Interval < 0 || s.Timeout < 0 {
				t.Fatalf("accepted sources[%d] = %+v", i, s)
			}
			seen[s.Name] = true
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("an accepted config fails validation again: %v", err)
		}
	})
}
