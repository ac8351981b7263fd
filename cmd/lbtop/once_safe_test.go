package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// hostilePlus is an NGINX Plus API stand-in whose upstream and server
// names carry escape sequences (title change, screen clear, blink and
// colour), a C1 CSI, a right-to-left override, wide CJK text, and a
// negative weight.
func hostilePlus(t *testing.T) *httptest.Server {
	t.Helper()
	const upstreams = `{
 "shop\u001b[5;32mhealthy\u001b[0m": {"peers": [
   {"id":0,"server":"10.0.0.1:80\u001b]2;pwned\u0007","state":"unhealthy","weight":1,"active":0},
   {"id":1,"server":"10.0.0.2:80\u001b[2J","state":"up","weight":-5,"active":2},
   {"id":2,"server":"10.0.0.3:80\u009b31m","state":"down","weight":1,"active":-3}]},
 "支付\u202e": {"peers": [{"id":0,"server":"10.0.1.1:80","state":"unavail","weight":1,"active":0}]},
 "plain": {"peers": [{"id":0,"server":"10.0.2.1:80","state":"up","weight":1,"active":0}]}
}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/http/upstreams"):
			_, _ = w.Write([]byte(upstreams))
		case strings.HasSuffix(r.URL.Path, "/stream/upstreams"):
			_, _ = w.Write([]byte(`{}`))
		default:
			_, _ = w.Write([]byte(`[1,2,3,4,5,6,7,8,9]`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// hostileError answers every request with a 500 whose plain-text body
// carries raw escape sequences and is 1 MiB long.
func hostileError(t *testing.T) *httptest.Server {
	t.Helper()
	text := "\x1b]2;owned\x07\x1b[2J" + strings.Repeat("\x1b[31mX", 1<<17)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(text))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// checkTerminalSafe fails on any byte of out that can drive a terminal:
// C0 controls but newline, DEL, C1, bidi controls, invalid UTF-8.
func checkTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		bad := (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
			(r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"))
		if bad {
			t.Fatalf("%s holds %U at byte %d: %q", what, r, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
}

func TestOnceTableShowsOnlySafeText(t *testing.T) {
	t.Parallel()
	good, bad := hostilePlus(t), hostileError(t)
	_, out, errOut := runCLI(t, "--nginx", good.URL+"/api", "--nginx", bad.URL+"/api", "--once", "-o", "table")
	checkTerminalSafe(t, "stdout", out)
	checkTerminalSafe(t, "stderr", errOut)
	for _, want := range []string{`shop\x1b[5;32mhealthy\x1b[0m`, `10.0.0.1:80\x1b]2;pwned\x07`, `\u009b31m`, `支付\u202e`, "invalid weight -5 from source", "invalid active -3 from source"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if len(l) > 512 {
			t.Errorf("stderr line of %d bytes: %.200q…", len(l), l)
		}
	}
	if !strings.Contains(errOut, `\x1b]2;owned\x07`) {
		t.Errorf("stderr does not show the error's escapes as text: %q", errOut)
	}
	// Every pool line of the table puts its second column (kind) at the
	// same terminal column as the header's KIND, wide CJK names included.
	lines := strings.Split(out, "\n")
	head := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "POOL") {
			head = i
		}
	}
	if head < 0 {
		t.Fatalf("no table header:\n%s", out)
	}
	col := ansi.StringWidth(lines[head][:strings.Index(lines[head], "KIND")])
	rows := 0
	for _, l := range lines[head+1:] {
		if l == "" || strings.HasPrefix(l, " ") || strings.Contains(l, " with no healthy backend, ") {
			continue // backend lines under a pool and the summary are free text
		}
		first := -1
		for _, word := range []string{" nginx ", " unhealthy ", " healthy ", " down ", " unknown "} {
			if i := strings.Index(l, word); i >= 0 && (first < 0 || i < first) {
				first = i
			}
		}
		if first < 0 {
			continue
		}
		if c := ansi.StringWidth(l[:first+1]); c != col {
			t.Errorf("column at %d, header KIND at %d: %q", c, col, l)
		}
		rows++
	}
	if rows < 3 {
		t.Errorf("only %d table rows checked:\n%s", rows, out)
	}
}
