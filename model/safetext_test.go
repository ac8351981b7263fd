package model

import (
	"strings"
	"testing"
)

func TestSafeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"web-1", "web-1"},
		{"ünïcode ✔", "ünïcode ✔"},
		{"\x1b]2;pwned\x07", `\x1b]2;pwned\x07`},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"tab\there", `tab\x09here`},
		{"del\x7f", `del\x7f`},
		{"c1\u009bcsi", `c1\u009bcsi`},
		{"rlo\u202eevil", `rlo\u202eevil`},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`},
		{"bad\xffbyte", `bad\xffbyte`},
	} {
		if got := SafeText(tc.in); got != tc.want {
			t.Errorf("SafeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSafeErrorCutsAndEscapes(t *testing.T) {
	huge := strings.Repeat("\x1b[31mX", 1<<20)
	got := SafeError(huge)
	if len(got) > MaxErrorText+len(truncMark) || !strings.HasSuffix(got, truncMark) {
		t.Fatalf("len %d, suffix %q", len(got), got[max(0, len(got)-12):])
	}
	for _, c := range []byte(got) {
		if c < 0x20 || c == 0x7f {
			t.Fatalf("control byte %#x in %q", c, got)
		}
	}
	if got := SafeError("<html>\n  <body>Bad\tGateway</body>\n</html>"); got != "<html> <body>Bad Gateway</body> </html>" {
		t.Errorf("whitespace not folded: %q", got)
	}
	if got := SafeError("short"); got != "short" {
		t.Errorf("short error changed: %q", got)
	}
}

func BenchmarkSafeTextClean(b *testing.B) {
	s := "checkout-service-7f9c/10.0.12.34:8080 DOWN: L4CON (Connection refused)"
	for b.Loop() {
		_ = SafeText(s)
	}
}

// TestCleanASCIIPrefixStopsAtEveryUnsafeByte checks the word-at-a-time
// scan against a byte-at-a-time one for every byte value at every
// position of a 24-byte string.
func TestCleanASCIIPrefixStopsAtEveryUnsafeByte(t *testing.T) {
	for pos := range 24 {
		for c := range 256 {
			b := []byte(strings.Repeat("abcdefgh", 3))
			b[pos] = byte(c)
			s := string(b)
			want := 0
			for want < len(s) && s[want] >= 0x20 && s[want] < 0x7f {
				want++
			}
			got := cleanASCIIPrefix(s)
			if got > want || (want-got) >= 8 {
				t.Fatalf("byte %#x at %d: prefix %d, byte scan %d", c, pos, got, want)
			}
		}
	}
}

func TestHealthText(t *testing.T) {
	for _, tc := range []struct {
		h      Health
		reason string
		want   string
	}{
		{Down, "down (admin)", "down (admin)"},
		{Unhealthy, "L4CON", "unhealthy (L4CON)"},
		{Healthy, "", "healthy"},
		{Down, "MAINT", "down (MAINT)"},
	} {
		if got := HealthText(tc.h, tc.reason); got != tc.want {
			t.Errorf("HealthText(%v, %q) = %q, want %q", tc.h, tc.reason, got, tc.want)
		}
	}
}
