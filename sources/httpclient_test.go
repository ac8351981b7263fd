package sources

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonconfig "github.com/prometheus/common/config"
)

const testToken = "s3cr3t-t0ken-value"

// tlsServer serves 200 to requests bearing testToken and 401 otherwise,
// and returns the path of a PEM file holding its certificate.
func tlsServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

func tokenFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

func TestNewHTTPClient(t *testing.T) {
	srv, ca := tlsServer(t)
	tok := tokenFile(t)
	missing := filepath.Join(t.TempDir(), "nope")
	withCA := commonconfig.TLSConfig{CAFile: ca}

	tests := []struct {
		name       string
		cfg        func(c *commonconfig.HTTPClientConfig)
		wantStatus int
		wantErr    string // substring of the build or request error; "" for none
	}{
		{"ca and token file", func(c *commonconfig.HTTPClientConfig) {
			c.TLSConfig = withCA
			c.BearerTokenFile = tok
		}, http.StatusOK, ""},
		{"inline token", func(c *commonconfig.HTTPClientConfig) {
			c.TLSConfig = withCA
			c.BearerToken = testToken
		}, http.StatusOK, ""},
		{"insecure skip verify", func(c *commonconfig.HTTPClientConfig) {
			c.TLSConfig = commonconfig.TLSConfig{InsecureSkipVerify: true}
			c.BearerTokenFile = tok
		}, http.StatusOK, ""},
		{"no token", func(c *commonconfig.HTTPClientConfig) {
			c.TLSConfig = withCA
		}, http.StatusUnauthorized, ""},
		{"unknown CA", func(c *commonconfig.HTTPClientConfig) {
			c.BearerToken = testToken
		}, 0, "certificate"},
		{"token and token file", func(c *commonconfig.HTTPClientConfig) {
			c.BearerToken = testToken
			c.BearerTokenFile = tok
		}, 0, "bearer_token"},
		{"missing token file", func(c *commonconfig.HTTPClientConfig) {
			c.TLSConfig = withCA
			c.BearerTokenFile = missing
		}, 0, missing},
		{"missing CA file", func(c *commonconfig.HTTPClientConfig) {
			c.TLSConfig = commonconfig.TLSConfig{CAFile: missing}
			c.BearerToken = testToken
		}, 0, missing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := commonconfig.DefaultHTTPClientConfig
			tc.cfg(&cfg)
			c, err := NewHTTPClient("test", cfg)
			status := 0
			if err == nil {
				status, err = get(t.Context(), c, srv.URL)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if status != tc.wantStatus {
					t.Fatalf("status %d, want %d", status, tc.wantStatus)
				}
				return
			}
			if err == nil {
				t.Fatalf("got status %d, want an error containing %q", status, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error reveals the token: %q", err)
			}
		})
	}
}

// TestPolicyRedirects: redirects are refused by default with a message
// naming the target and the setting; follow_redirects follows same-host
// redirects only.
func TestPolicyRedirects(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("other")) }))
	t.Cleanup(other.Close)
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // another host name, same machine
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/here", http.StatusFound)
		case "/cross":
			http.Redirect(w, r, otherURL+"/x?token=SECRET", http.StatusMovedPermanently)
		default:
			_, _ = w.Write([]byte("here"))
		}
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		follow  bool
		path    string
		wantErr string // "" for success
	}{
		{false, "/same", "redirected to " + srv.URL + "/here (not followed; set follow_redirects: true for this source to allow same-host redirects)"},
		{false, "/cross", "redirected to " + otherURL + "/x (not followed"},
		{true, "/same", ""},
		{true, "/cross", "redirected to " + otherURL + "/x, another host than " + srv.URL},
	}
	for _, tc := range tests {
		c := Policy{FollowRedirects: tc.follow}.HTTPClient(nil)
		resp, err := c.Get(srv.URL + tc.path)
		if err == nil {
			_ = resp.Body.Close()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // sources drop the wrapper, which repeats the URL asked for
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("follow=%v %s: %v", tc.follow, tc.path, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("follow=%v %s: error %v, want %q", tc.follow, tc.path, err, tc.wantErr)
		case err != nil && strings.Contains(err.Error(), "SECRET"):
			t.Errorf("the error shows the redirect's query: %v", err)
		}
	}
}

// TestShareLimit: the responses of one shared client together stay
// within the limit; a fresh share starts a fresh budget; Guarded keeps a
// client's policy.
func TestShareLimit(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.(http.Flusher).Flush() // no Content-Length: the limit bites while reading
		_, _ = w.Write([]byte(strings.Repeat("x", 600)))
	}))
	t.Cleanup(srv.Close)
	base := Policy{MaxResponseBytes: 1000}.HTTPClient(srv.Client())
	if Guarded(base) != base || ClientLimit(base) != 1000 {
		t.Fatal("Guarded replaced a client that has a policy")
	}
	get := func(c *http.Client) error {
		resp, err := c.Get(srv.URL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = ReadAll(resp.Body, nil, resp.ContentLength, ClientLimit(c))
		return err
	}
	shared := ShareLimit(base)
	if err := get(shared); err != nil {
		t.Fatalf("first 600 bytes of a 1000-byte budget: %v", err)
	}
	if err := get(shared); !IsTooLarge(err) {
		t.Fatalf("second 600 bytes of a 1000-byte budget: %v, want too large", err)
	}
	if err := get(ShareLimit(base)); err != nil {
		t.Fatalf("a new share: %v", err)
	}
	if err := get(base); err != nil {
		t.Fatalf("the per-response limit of the base client: %v", err)
	}
}
