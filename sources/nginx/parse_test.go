package nginx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testdata is the repository's recorded NGINX payloads.
const testdata = "../../testdata/nginx"

func readPayload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	return b
}

func TestParseVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    int
		wantErr string
	}{
		{name: "recorded root lists 1 to 9", body: "[1,2,3,4,5,6,7,8,9]", want: 9},
		{name: "highest supported below a future version", body: "[6,7,8,9,10]", want: 9},
		{name: "old plus release", body: "[1,2,3,4,5,6,7]", want: 7},
		{name: "unordered", body: "[8, 6, 7]", want: 8},
		{name: "only unsupported versions are named", body: "[1,2,3,4,5]", wantErr: "API versions [1 2 3 4 5] offered, none of 6–9"},
		{name: "only newer versions", body: "[10,11]", wantErr: "[10 11]"},
		{name: "empty list", body: "[]", wantErr: "none of 6–9"},
		{name: "versioned path lists endpoints", body: `["nginx","processes","connections","http"]`, wantErr: "give the API root"},
		{name: "not JSON", body: "[1,2", wantErr: "not a JSON array of versions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseVersions([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseVersions(%s) error = %v, want one containing %q", tc.body, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseVersions(%s) = %d, %v; want %d", tc.body, got, err, tc.want)
			}
		})
	}
}

func TestParseVersionsRecordedRoot(t *testing.T) {
	t.Parallel()
	v, err := parseVersions(bytes.TrimSpace(readPayload(t, "plus-api-GET-root-constructed.json")))
	if err != nil || v != 9 {
		t.Fatalf("parseVersions = %d, %v; want 9", v, err)
	}
}

func TestParseStubStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    stubStatus
		wantErr string
	}{
		{
			name: "nginx.org example with its exact whitespace",
			body: string(readPayload(t, "stub_status-doc-example.txt")),
			want: stubStatus{Active: 291, Accepts: 16630948, Handled: 16630948, Requests: 31070465, Reading: 6, Writing: 179, Waiting: 106},
		},
		{
			name: "CRLF line ends and no trailing spaces",
			body: "Active connections: 1\r\nserver accepts handled requests\r\n 5 5 9\r\nReading: 0 Writing: 1 Waiting: 0\r\n",
			want: stubStatus{Active: 1, Accepts: 5, Handled: 5, Requests: 9, Writing: 1},
		},
		{name: "truncated", body: "Active connections: 1 \nserver accepts handled requests\n", wantErr: "2 lines, want 4"},
		{name: "not a number", body: "Active connections: x\nserver accepts handled requests\n 1 1 1\nReading: 0 Writing: 1 Waiting: 0\n", wantErr: `line "Active connections: x"`},
		{name: "missing counter", body: "Active connections: 1\nserver accepts handled requests\n 1 1\nReading: 0 Writing: 1 Waiting: 0\n", wantErr: `"# # #"`},
		{name: "wrong header", body: "Active connections: 1\naccepts handled requests\n 1 1 1\nReading: 0 Writing: 1 Waiting: 0\n", wantErr: "server accepts handled requests"},
		{name: "html page", body: "<html><body>Active connections</body></html>", wantErr: "1 lines, want 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStubStatus(strings.NewReader(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseStubStatus = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseUpstreamsRecorded(t *testing.T) {
	t.Parallel()
	ups, err := parseUpstreams(readPayload(t, "plus-api9-GET-http-upstreams.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || ups[0].Name != "upstream_backend" || len(ups[0].Peers) != 2 {
		t.Fatalf("upstreams = %+v, want upstream_backend with 2 peers", ups)
	}
	p0, p1 := ups[0].Peers[0], ups[0].Peers[1]
	if p0.Server != "10.0.0.1:8088" || p0.State != "up" || p0.Weight != 5 || p0.Requests != 667231 || p0.Responses.Code5xx != 6 {
		t.Errorf("peer 0 = %+v", p0)
	}
	wantStart := time.Date(2022, 6, 28, 11, 9, 21, 602e6, time.UTC)
	if p1.State != "unhealthy" || !p1.Backup || p1.HealthChecks == nil || p1.HealthChecks.Fails != 26284 ||
		p1.HealthChecks.LastPassed == nil || *p1.HealthChecks.LastPassed || !p1.Downstart.Equal(wantStart) {
		t.Errorf("peer 1 = %+v, health checks %+v", p1, p1.HealthChecks)
	}
}

func TestParseUpstreamsBroken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantErr string
		wantN               int
	}{
		{name: "empty map", body: "{}"},
		{name: "empty body", body: ""},
		{name: "truncated", body: `{"b":{"peers":[{"id":0`, wantErr: "upstreams:"},
		{name: "array instead of map", body: `[1,2]`, wantErr: "upstreams:"},
		{name: "bad downstart", body: `{"b":{"peers":[{"id":0,"downstart":"yesterday"}]}}`, wantErr: "yesterday"},
		{name: "null downstart and unknown fields", body: `{"b":{"peers":[{"id":0,"downstart":null,"new_field":{"x":1}}],"queue":{"size":1}}}`, wantN: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ups, err := parseUpstreams([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(ups) != tc.wantN {
				t.Fatalf("parseUpstreams = %d upstreams, %v; want %d", len(ups), err, tc.wantN)
			}
		})
	}
}

func TestParseServersRecorded(t *testing.T) {
	t.Parallel()
	got, err := parseServers(readPayload(t, "plus-api9-GET-http-upstreams-NAME-servers.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []confServer{{ID: 0, Server: "10.0.0.1:8088"}, {ID: 1, Server: "10.0.0.1:8089", Backup: true, Down: true}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("servers = %+v, want %+v", got, want)
	}
}

func TestParseAPIError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   []byte
		status int
		want   string
		ok     bool
	}{
		{name: "recorded 404", body: readPayload(t, "plus-api9-error-constructed.json"), status: 404, want: "404 UpstreamNotFound: upstream not found", ok: true},
		{name: "405 method disabled", body: readPayload(t, "plus-api9-error-405-MethodDisabled-constructed.json"), status: 405, want: "405 MethodDisabled: method disabled", ok: true},
		{name: "status missing from body", body: []byte(`{"error":{"text":"x","code":"Y"}}`), status: 400, want: "400 Y: x", ok: true},
		{name: "html from a proxy", body: []byte("<html>502 Bad Gateway</html>"), status: 502},
		{name: "other json", body: []byte(`{"message":"no"}`), status: 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, ok := parseAPIError(tc.body, tc.status)
			if ok != tc.ok || (ok && e.Error() != tc.want) {
				t.Fatalf("parseAPIError = %v, %v; want %q, %v", e, ok, tc.want, tc.ok)
			}
		})
	}
}
