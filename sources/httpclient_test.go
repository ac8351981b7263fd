package sources

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
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
