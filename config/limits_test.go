package config

import (
	"strings"
	"testing"
)

// TestReadingPolicyFields: max_response_bytes and follow_redirects are
// read per source and checked.
func TestReadingPolicyFields(t *testing.T) {
	t.Parallel()
	c, err := Parse("ok.yaml", []byte("sources:\n  - kind: envoy\n    address: http://127.0.0.1:9901\n    max_response_bytes: 134217728\n    follow_redirects: true\n  - kind: haproxy\n    address: 127.0.0.1:9999\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Sources[0]; s.MaxResponseBytes != 128<<20 || !s.FollowRedirects {
		t.Errorf("envoy source = %+v, want max_response_bytes 128 MiB and follow_redirects", s)
	}
	if s := c.Sources[1]; s.MaxResponseBytes != 0 || s.FollowRedirects {
		t.Errorf("haproxy source = %+v, want the defaults (0, false)", s)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"  - kind: envoy\n    address: http://e:1\n    max_response_bytes: -1\n", "sources[0].max_response_bytes: must not be negative, got -1"},
		{"  - kind: haproxy\n    address: h:1\n    follow_redirects: true\n", "sources[0].follow_redirects: applies to HTTP sources"},
	} {
		_, err := Parse("bad.yaml", []byte("sources:\n"+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

// TestFlagAddressNeverShowsPassword: a flag address that does not parse
// is shown without what precedes its '@'.
func TestFlagAddressNeverShowsPassword(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"http://u:PASS%zz@host", "http://u:PASS@host", "ftp://u:PASS@host"} {
		c := &Config{}
		c.Add("envoy", addr)
		err := c.Validate()
		if err == nil || strings.Contains(err.Error(), "PASS") {
			t.Errorf("--envoy %s: error %v, want one without the password", addr, err)
		}
	}
}
