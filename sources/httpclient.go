package sources

import (
	"fmt"
	"net/http"

	commonconfig "github.com/prometheus/common/config"
)

// NewHTTPClient validates cfg and builds the HTTP client an HTTP source
// (Prometheus, NGINX Plus, Envoy admin) uses: TLS CA, client certificate
// and key, insecure_skip_verify, basic auth, bearer token or token file,
// proxy settings, as Prometheus's own scrape configs spell them. name
// identifies the source in errors. Start from
// commonconfig.DefaultHTTPClientConfig: its zero value follows no
// redirects and disables HTTP/2. Secrets are never part of an error:
// the config's Secret type prints as <secret>, and files are named by
// path only.
func NewHTTPClient(name string, cfg commonconfig.HTTPClientConfig) (*http.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("source %q: http client settings: %w", name, err)
	}
	c, err := commonconfig.NewClientFromConfig(cfg, name)
	if err != nil {
		return nil, fmt.Errorf("source %q: http client settings: %w", name, err)
	}
	return c, nil
}
