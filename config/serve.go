package config

import (
	"fmt"
	"net"
	"time"
)

// Serve is the `serve:` block, the settings of `lbtop serve`; a flag
// given on the command line overrides the same setting here.
//
//	serve:
//	  listen: 0.0.0.0:2222
//	  host_key: /var/lib/lbtop/ssh_host_ed25519_key
//	  operator_keys: /etc/lbtop/operators
//	  viewer_keys: /etc/lbtop/viewers
//	  max_sessions: 32
//	  idle_timeout: 1h
type Serve struct {
	Listen       string        `yaml:"listen"`        // host:port to accept SSH on
	HostKey      string        `yaml:"host_key"`      // ed25519 host key, created when missing
	OperatorKeys string        `yaml:"operator_keys"` // authorized_keys file of people who may act
	ViewerKeys   string        `yaml:"viewer_keys"`   // authorized_keys file of people who may only watch
	MaxSessions  int           `yaml:"max_sessions"`  // 0: the default (32)
	IdleTimeout  time.Duration `yaml:"idle_timeout"`  // left out: the default (1h)
}

// validateServe checks the serve: block, if any.
func (c *Config) validateServe() []error {
	s := c.Serve
	if s == nil {
		return nil
	}
	var errs []error
	if s.Listen != "" {
		if _, _, err := net.SplitHostPort(s.Listen); err != nil {
			errs = append(errs, c.serveErr("listen", "%q is not host:port (e.g. 0.0.0.0:2222 or :2222)", s.Listen))
		}
	}
	if s.MaxSessions < 0 {
		errs = append(errs, c.serveErr("max_sessions", "%d: want 1 or more (0 or left out: the default)", s.MaxSessions))
	}
	return errs
}

// serveErr formats a problem of field of the serve: block.
func (c *Config) serveErr(field, format string, args ...any) error {
	line := c.lines["serve."+field]
	return problem{line: line, msg: fmt.Sprintf("%s: serve.%s: %s", c.where(line), field, fmt.Sprintf(format, args...))}
}

// ServeField names where a serve: setting was read, for messages about
// its value found later (a keys file that does not parse): "lbtop.yaml:7:
// serve.operator_keys".
func (c *Config) ServeField(field string) string {
	return c.where(c.lines["serve."+field]) + ": serve." + field
}
