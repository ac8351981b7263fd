package sources

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:9901", "http://127.0.0.1:9901"},
		{"http://lb1:8080/api", "http://lb1:8080/api"},
		{"https://u:hunter2@prom:9090/prefix", "https://prom:9090/prefix"},
		{"http://u:PASS%zz@host", "http://host"},          // does not parse: bad escape in the password
		{"http://u:PA@SS%zz@host:1/x", "http://host:1/x"}, // '@' in the password
		{"http://u:p/a?s#s%zz@host", "http://host"},       // '/', '?', '#' in the password
		{"http://host/api?token=SECRET", "http://host/api"},
		{"http://host/%zz?token=SECRET", "http://host/%zz"},
		{"u:PASS%zz@host:9901", "host:9901"},
		{"127.0.0.1:9999", "127.0.0.1:9999"},
		{"/run/haproxy/admin.sock", "/run/haproxy/admin.sock"},
		{"", ""},
	}
	for _, tc := range tests {
		got := RedactURL(tc.in)
		if got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, secret := range []string{"PASS", "hunter2", "SECRET", "PA@SS"} {
			if strings.Contains(got, secret) {
				t.Errorf("RedactURL(%q) = %q shows %s", tc.in, got, secret)
			}
		}
	}
}
